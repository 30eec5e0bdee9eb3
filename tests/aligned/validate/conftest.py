"""A small real experiment database for the validation and BI tests, built once per session.

The shipped study is collected from the simulated panel with 2 replicates (1,216 requests,
seconds) and the warehouse is built with dbt (fewer bootstrap resamples than the default,
to save time; the statistics are not what these tests check). At 2 replicates the
mapping-coverage guard (invalid share per model at most 5%) fails for the noisiest simulated
models by chance (a few answers of 152), as dbt's assert_mapping_coverage does, so the tests
that expect a clean pass give validate() a looser threshold.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from aligned import warehouse
from aligned.demo import run_demo

REPLICATES = 2
LOOSE_INVALID_SHARE = 0.2


@pytest.fixture(scope="session")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("validate_db")
    db = work / "aligned.duckdb"
    quiet = Console(file=io.StringIO())
    rc = run_demo(db, replicates=REPLICATES, progress=False, console=quiet, build=False, report=False)
    assert rc == 0, "collecting the demo study from the simulator failed"
    out = io.StringIO()
    rc = warehouse.build(db, quiet=True, dbt_vars={"bootstrap_resamples": 20}, target_path=work / "target",
                         log_path=work / "logs", out=out)
    # 1: a data test failed (at 2 replicates, assert_mapping_coverage may); the marts are built regardless
    assert rc in (0, 1), f"dbt build could not run: {out.getvalue()}"
    con = duckdb.connect(str(db), read_only=True)
    try:
        n = con.execute("select count(*) from main.answers").fetchone()[0]
    finally:
        con.close()
    assert n > 0, f"the answers mart is empty: {out.getvalue()}"
    return db


@pytest.fixture()
def db_copy(built_db: Path, tmp_path: Path) -> Path:
    """A private copy of the built database, free to corrupt."""
    p = tmp_path / "copy.duckdb"
    shutil.copyfile(built_db, p)
    return p
