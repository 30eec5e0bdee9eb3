"""A small real experiment database for the validation and BI tests, built once per session.

It is what `aligned demo --replicates 2` leaves (tests/conftest.py's ``demo_db``, shared with the
small-sample test): the shipped study collected from the simulated panel (1,216 requests,
seconds), then built by dbt with the project's own settings. validate()'s mapping-coverage
expectation is a plain share (at most 5% invalid per model, GX's ``mostly``), which the noisiest
simulated models can exceed by chance at 152 answers each (dbt's assert_mapping_coverage allows
for the sample size), so the tests that expect a clean pass give validate() a looser threshold.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

REPLICATES = 2
LOOSE_INVALID_SHARE = 0.2


@pytest.fixture(scope="session")
def built_db(demo_db) -> Path:
    """The built demo database (read it only; ``db_copy`` for a private copy)."""
    assert demo_db.code == 0, f"the demo at {REPLICATES} replicates failed:\n{demo_db.log}"
    con = duckdb.connect(str(demo_db.db), read_only=True)
    try:
        n, reps = con.execute("select count(*), max(replicate) from main.answers").fetchone()
    finally:
        con.close()
    assert n > 0 and reps == REPLICATES, f"the answers mart is empty: {demo_db.log}"
    return demo_db.db


@pytest.fixture()
def db_copy(built_db: Path, tmp_path: Path) -> Path:
    """A private copy of the built database, free to corrupt."""
    p = tmp_path / "copy.duckdb"
    shutil.copyfile(built_db, p)
    return p
