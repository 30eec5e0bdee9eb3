"""The marts snapshot: every mart of the fixture study, built, written as one sorted CSV per mart.

The fixed input is ``tests/fixtures/release-0.1.0.duckdb`` (raw answers only), with the shipped
study's human reference (experiments/are_we_aligned.reference.csv) recorded on the copy. A refactor of the
warehouse must leave every snapshotted mart as it is: ``test_marts_snapshot.py`` builds a copy of
the fixture with the current code and compares it with ``tests/fixtures/marts-snapshot/``.

When a change of figures is intended, rewrite the snapshot with one command (about a minute) and
commit the CSVs with the change, saying why the figures moved::

    .venv/bin/python -m tests.aligned.warehouse.marts_snapshot

Cells are written as text: floats rounded to 9 decimals (-0.0 as 0.0), NULL as an empty cell,
lists as JSON; rows sorted by their cells, so the files diff well under git.
"""
from __future__ import annotations

import csv
import json
import math
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, TextIO

import duckdb

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "release-0.1.0.duckdb"
SNAPSHOT_DIR = FIXTURE.parent / "marts-snapshot"
MART_SCHEMA = "main"
FLOAT_TOLERANCE = 2e-9  # two units of the last written decimal: rounding may fall either side


def cell(value: Any) -> str:
    """One value as snapshot text."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        r = round(value, 9)
        return repr(0.0 if r == 0 else r)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)


def read_marts(db: Path) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every table of the mart schema: name -> (columns, rows as sorted snapshot text)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1",
            [MART_SCHEMA]).fetchall()]
        out = {}
        for name in names:
            cur = con.execute(f'select * from {MART_SCHEMA}."{name}"')
            columns = [d[0] for d in cur.description]
            out[name] = (columns, sorted([cell(v) for v in row] for row in cur.fetchall()))
        return out
    finally:
        con.close()


def build_fixture_copy(work: Path) -> Path:
    """Copy the fixture into ``work`` and run the warehouse build on it; return the copy's path.

    The build's exit code is not checked: a failing data test (e.g. mapping coverage) still
    leaves the marts built, and the marts are what the snapshot is about."""
    return build_fixture(work, sys.stderr)[0]


def build_fixture(work: Path, out: TextIO) -> tuple[Path, int]:
    """:func:`build_fixture_copy` with the build's output to ``out``; returns (path, exit code)."""
    from aligned import warehouse
    from collector.config import load_experiment
    from collector.reference import record_for_database

    db = work / "fixture.duckdb"
    shutil.copyfile(FIXTURE, db)
    # the shipped study's human reference, as `aligned reference experiments/are_we_aligned.yaml` records it
    record_for_database(load_experiment(), db)
    code = warehouse.build(db, quiet=True, target_path=work / "target", log_path=work / "logs", out=out)
    return db, code


def write_snapshot(marts: dict[str, tuple[list[str], list[list[str]]]], folder: Path = SNAPSHOT_DIR) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    for name, (columns, rows) in marts.items():
        with (folder / f"{name}.csv").open("w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(columns)
            w.writerows(rows)


def read_snapshot(folder: Path = SNAPSHOT_DIR) -> dict[str, tuple[list[str], list[list[str]]]]:
    out = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="") as f:
            rows = list(csv.reader(f))
        out[path.stem] = (rows[0], rows[1:])
    return out


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return abs(float(a) - float(b)) <= FLOAT_TOLERANCE
    except ValueError:
        return False


def differences(expected: dict[str, tuple[list[str], list[list[str]]]],
                actual: dict[str, tuple[list[str], list[list[str]]]], limit: int = 20) -> list[str]:
    """Human-readable differences of every expected mart (missing, columns, row count, cells)."""
    out: list[str] = []
    for name, (columns, rows) in expected.items():
        if name not in actual:
            out.append(f"{name}: mart missing")
            continue
        got_columns, got_rows = actual[name]
        if got_columns != columns:
            out.append(f"{name}: columns {got_columns} != snapshot {columns}")
            continue
        if len(got_rows) != len(rows):
            out.append(f"{name}: {len(got_rows)} rows != snapshot {len(rows)}")
            continue
        bad = [(i, c) for i, (r, g) in enumerate(zip(rows, got_rows)) for c, (x, y) in enumerate(zip(r, g))
               if not _same(x, y)]
        for i, c in bad[:limit]:
            out.append(f"{name} row {i} column {columns[c]}: {got_rows[i][c]!r} != snapshot {rows[i][c]!r}")
        if len(bad) > limit:
            out.append(f"{name}: {len(bad) - limit} more differing cells")
    return out


def main(argv: Iterable[str] = ()) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        marts = read_marts(build_fixture_copy(Path(tmp)))
    write_snapshot(marts)
    print(f"{SNAPSHOT_DIR}: {len(marts)} marts, {sum(len(r) for _, r in marts.values())} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
