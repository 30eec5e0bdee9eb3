"""Fixtures for the `aligned sql` tests: a small experiment database in a temp folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sqlshell_support import build_db


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_db(tmp_path_factory.mktemp("sqlshell_template") / "aligned.duckdb")


@pytest.fixture()
def db(template_db: Path, tmp_path: Path) -> Path:
    """A fresh copy of the test database (so tests that hash it cannot affect each other)."""
    p = tmp_path / "aligned.duckdb"
    shutil.copyfile(template_db, p)
    return p
