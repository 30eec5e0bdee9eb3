"""store.insert_rows: many rows in one statement, each value where executemany would put it."""
from __future__ import annotations

from datetime import datetime

import duckdb

from collector import store
from collector.runner import run_event_loop


def _table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create table t (a varchar, b integer, c varchar, d varchar[], e timestamp, f boolean, g double)")


def test_rows_land_as_executemany_would_put_them() -> None:
    rows = [["x", 1, None, ["k1", "k2"], datetime(2026, 1, 2, 3, 4, 5), True, 0.5],
            ["y", None, None, [], datetime(2026, 1, 2, 3, 4, 6), False, 2],  # an int into a double column
            [None, 3, None, None, None, None, None]]
    fast, slow = duckdb.connect(), duckdb.connect()
    _table(fast)
    _table(slow)
    store.insert_rows(fast, "insert into t", rows)
    slow.executemany("insert into t values (?,?,?,?,?,?,?)", rows)
    query = "select * from t order by a nulls last"
    assert fast.execute(query).fetchall() == slow.execute(query).fetchall()
    assert fast.execute("select count(*) from t").fetchone()[0] == 3


def test_named_columns_and_no_rows() -> None:
    con = duckdb.connect()
    _table(con)
    store.insert_rows(con, "insert into t", [])
    store.insert_rows(con, "insert into t (g, a)", [[1.5, "p"], [2.5, "q"]])
    assert con.execute("select a, g, b from t order by a").fetchall() == [("p", 1.5, None), ("q", 2.5, None)]


def test_event_loop_runs_a_coroutine_on_either_loop(monkeypatch) -> None:
    async def answer() -> str:
        import asyncio
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__

    for choice in ("asyncio", ""):
        monkeypatch.setenv("ALIGNED_EVENT_LOOP", choice)
        module = run_event_loop(answer())
        if choice == "asyncio":
            assert module.startswith("asyncio")
        else:  # uvloop when installed (it is a dependency), asyncio's otherwise
            try:
                import uvloop  # noqa: F401
            except ImportError:
                assert module.startswith("asyncio")
            else:
                assert module.startswith("uvloop")
