"""`aligned sql` runs read-only queries from several dialects and writes table / csv / json."""
from __future__ import annotations

import csv
import io
import json
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collector.errors import LockedError, UserError
from aligned.sqlshell import DIALECTS, check_and_transpile, run_query, write_rows
from sqlshell_support import sha256


def rows_json(db: Path, sql: str, dialect: str | None = None) -> list[dict]:
    out = io.StringIO()
    assert run_query(db, sql, dialect, "json", out) == 0
    return json.loads(out.getvalue())


def one_line_error(db: Path, sql: str, dialect: str | None = None, **kw) -> str:
    with pytest.raises(UserError) as info:
        run_query(db, sql, dialect, out=io.StringIO(), **kw)
    msg = str(info.value)
    assert msg and "\n" not in msg and "Traceback" not in msg
    return msg


# -- dialects ----------------------------------------------------------------------------------

def test_postgres_cast_now_ilike_limit_offset(db: Path) -> None:
    sql = ("SELECT model::text AS m, NOW() IS NOT NULL AS has_now, provider_model::varchar(20) AS pm "
           "FROM raw.models WHERE model ILIKE 'gpt%' ORDER BY model LIMIT 1 OFFSET 1")
    assert rows_json(db, sql, "postgres") == [{"m": "gpt-x", "has_now": True, "pm": "gpt-x-2024"}]


def test_postgres_group_by_and_date_functions(db: Path) -> None:
    sql = ("SELECT status, COUNT(*)::int AS n, MIN(DATE_TRUNC('day', completed_at))::date AS day "
           "FROM raw.responses GROUP BY status ORDER BY n DESC LIMIT 5 OFFSET 0")
    assert rows_json(db, sql, "postgresql") == [
        {"status": "ok", "n": 28, "day": "2024-05-01"},
        {"status": "failed", "n": 4, "day": "2024-05-01"},
    ]


def test_postgres_string_functions(db: Path) -> None:
    sql = ("SELECT model || '/' || provider AS mp, POSITION('-' IN model) AS dash "
           "FROM raw.models WHERE provider <> 'simulated' AND model NOT ILIKE 'claude%' ORDER BY 1")
    assert rows_json(db, sql, "postgres") == [{"mp": "GPT-mini/openai", "dash": 4}, {"mp": "gpt-x/openai", "dash": 4}]


def test_bigquery_backticks_safe_cast_countif(db: Path) -> None:
    sql = ("SELECT `model`, COUNTIF(status = 'ok') AS ok_n, SAFE_CAST('12' AS INT64) AS twelve, "
           "SAFE_CAST('x' AS INT64) AS bad FROM `raw.responses` GROUP BY `model` ORDER BY `model`")
    got = rows_json(db, sql, "bigquery")
    assert got == [{"model": m, "ok_n": 7, "twelve": 12, "bad": None}
                   for m in ["GPT-mini", "claude-y", "gpt-x", "sim"]]


def test_bigquery_split_backticks_and_struct_free_functions(db: Path) -> None:
    sql = ("SELECT `r`.`item`, COUNT(*) AS n, ROUND(AVG(`r`.`latency_ms`), 1) AS lat "
           "FROM `raw`.`responses` AS `r` WHERE `r`.`task` = 't2' GROUP BY 1 ORDER BY 1 LIMIT 1")
    assert rows_json(db, sql, "bigquery") == [{"item": "t2/work/achievement", "n": 8, "lat": 115.5}]


def test_duckdb_conveniences(db: Path) -> None:
    assert {r["column_name"] for r in rows_json(db, "describe raw.models")} >= {"model", "provider"}
    names = {r["name"] for r in rows_json(db, "show all tables")}
    assert {"responses", "models", "people"} <= names
    assert rows_json(db, "show tables") == [{"name": "people"}]
    assert len(rows_json(db, "summarize raw.models")) == 7
    assert rows_json(db, "select * from range(2) t(i)") == [{"i": 0}, {"i": 1}]
    assert rows_json(db, "select unnest(['a', 'b']) as u") == [{"u": "a"}, {"u": "b"}]
    assert rows_json(db, "from raw.models select count(*) as n") == [{"n": 4}]
    assert rows_json(db, "select table_name from duckdb_tables() where schema_name = 'main'") == [
        {"table_name": "people"}]
    piv = rows_json(db, "pivot raw.responses on status in ('ok', 'failed') using count(*) group by task")
    assert sorted(piv, key=lambda r: r["task"])[0] == {"task": "t1", "ok": 8, "failed": 0}


@pytest.mark.parametrize(("sql", "dialect", "want"), [
    (r"select 'a\'; drop table raw.responses; --' as s", "mysql", "a'; drop table raw.responses; --"),
    (r"select 'a\'; drop table raw.responses; --' as s", "bigquery", "a'; drop table raw.responses; --"),
    ("select $$a'; drop table raw.responses; --$$ as s", "postgres", "a'; drop table raw.responses; --"),
    ("select 'x' as s /* /* */ ; drop table raw.responses */", "postgres", "x"),
    ("select 'a''; drop table raw.responses; --' as s", None, "a'; drop table raw.responses; --"),
])
def test_quote_and_comment_tricks_stay_data(db: Path, sql: str, dialect: str | None, want: str) -> None:
    """Escapes differ between dialects; the DuckDB SQL that runs keeps the string one string."""
    before = sha256(db)
    assert rows_json(db, sql, dialect) == [{"s": want}]
    assert sha256(db) == before
    assert rows_json(db, "select count(*) as n from raw.responses") == [{"n": 32}]


def test_reads_leave_the_file_unchanged(db: Path) -> None:
    before = sha256(db)
    for sql in ["select * from raw.responses", "summarize raw.responses", "select * from raw.planned_requests"]:
        run_query(db, sql, fmt="csv", out=io.StringIO())
    assert sha256(db) == before


# -- output formats ----------------------------------------------------------------------------

def test_csv_parses_back(db: Path) -> None:
    out = io.StringIO()
    rc = run_query(db, "select response_id, response_text, latency_ms, completed_at, options_shown, error, "
                      "replicate from raw.responses order by response_id", fmt="csv", out=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rc == 0 and len(rows) == 32
    first = rows[0]
    assert first == {"response_id": "r001", "response_text": 'answer 1, "quoted"\nsecond line', "latency_ms": "101",
                     "completed_at": "2024-05-01 12:01:00", "options_shown": '["a", "b"]', "error": "",
                     "replicate": "1"}
    assert rows[6]["response_text"] == "" and rows[6]["error"] == "timeout"


def test_json_parses_back_with_iso_dates(db: Path) -> None:
    got = rows_json(db, "select id, name, born, score, 1.5 as dec, timestamp '2024-01-02 03:04:05' as ts, "
                        "[1, 2] as l, {'k': 'v'} as s from main.people order by id")
    assert got[0] == {"id": 1, "name": "Ada", "born": "1815-12-10", "score": 9.5, "dec": 1.5,
                      "ts": "2024-01-02T03:04:05", "l": [1, 2], "s": {"k": "v"}}
    assert got[2]["score"] is None
    assert rows_json(db, "select 1 as a, 2 as a") == [{"a": 1, "a_2": 2}]
    assert rows_json(db, "select * from main.people where false") == []


def test_plain_table_when_not_a_terminal(db: Path) -> None:
    out = io.StringIO()
    assert run_query(db, "select id, name, score from main.people order by id", out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["id", "name", "score"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["1", "Ada", "9.5"]
    assert lines[4].split() == ["3", "Grace", "NULL"]
    assert lines[-1] == "(3 rows)"
    assert "\x1b[" not in out.getvalue()


def test_plain_table_escapes_newlines_and_counts_one_row(db: Path) -> None:
    out = io.StringIO()
    run_query(db, "select response_text from raw.responses where response_id = 'r001'", out=out)
    lines = out.getvalue().splitlines()
    assert lines[2] == 'answer 1, "quoted"\\nsecond line' and lines[-1] == "(1 row)"


def test_max_rows_footer(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert run_query(db, "select * from range(10)", out=out, max_rows=3) == 0
    assert len(out.getvalue().splitlines()) == 2 + 3 + 1
    assert out.getvalue().splitlines()[-1].startswith("(3 rows shown; the query returned more")
    out = io.StringIO()
    assert run_query(db, "select * from range(10)", fmt="csv", out=out, max_rows=3) == 0
    assert len(out.getvalue().splitlines()) == 4
    assert "cut to the first 3 rows" in capsys.readouterr().err
    out = io.StringIO()
    assert run_query(db, "select * from range(3)", out=out, max_rows=3) == 0
    assert out.getvalue().splitlines()[-1] == "(3 rows)"


def test_write_rows_returns_the_row_count() -> None:
    out = io.StringIO()
    assert write_rows(["a", "b"], iter([(1, None), (2, "x")]), "csv", out) == 2
    assert out.getvalue() == "a,b\n1,\n2,x\n"
    with pytest.raises(UserError):
        write_rows(["a"], [], "xml", io.StringIO())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_table_on_a_terminal(db: Path) -> None:
    out = _Terminal()
    assert run_query(db, "select name, '[bold]x[/bold]' as markup from main.people order by id", out=out) == 0
    text = out.getvalue()
    assert "Ada" in text and "Grace" in text and "3 rows" in text
    assert "[bold]x[/bold]" in text  # data is never read as rich markup


def test_query_from_stdin(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("select 42 as answer;\n"))
    out = io.StringIO()
    assert run_query(db, None, fmt="csv", out=out) == 0
    assert out.getvalue() == "answer\n42\n"


# -- errors ------------------------------------------------------------------------------------

def test_binder_error_has_position(db: Path) -> None:
    msg = one_line_error(db, "select model,\n       nocol\nfrom raw.models")
    assert "nocol" in msg and "line 2, col 8" in msg and msg.startswith("Binder Error")
    msg = one_line_error(db, "select model\nfrom raw.responses\nwhere statuz = 'ok'")
    assert "line 3, col 7" in msg and "statuz" in msg


def test_binder_error_position_in_other_dialect(db: Path) -> None:
    msg = one_line_error(db, "SELECT model, nocol::text FROM raw.models", "postgres")
    assert "line 1, col 15" in msg and "nocol" in msg


def test_same_token_twice_points_at_the_failing_one(db: Path) -> None:
    msg = one_line_error(db, "select status from raw.responses r, raw.runs u where u.status = 'x'")
    assert "status" in msg and "line 1, col 54" in msg, msg


def test_unknown_table_and_runtime_errors_are_one_line(db: Path) -> None:
    msg = one_line_error(db, "select * from raw.nope")
    assert msg.startswith("Catalog Error") and "line 1, col 15" in msg
    msg = one_line_error(db, "select cast(response_text as integer) from raw.responses")
    assert msg.startswith("Conversion Error")


def test_syntax_error_has_line_and_col(db: Path) -> None:
    msg = one_line_error(db, "select model,\nfrom raw.models where")
    assert msg.startswith("SQL syntax error at line 2") and "col" in msg
    msg = one_line_error(db, "select 1 +")
    assert "line 1, col 10" in msg
    msg = one_line_error(db, "SELECT `x FROM t", "bigquery")
    assert msg.startswith("SQL syntax error")


def test_unknown_dialect_lists_the_valid_ones(db: Path) -> None:
    msg = one_line_error(db, "select 1", "nosuchsql")
    assert "'nosuchsql'" in msg and "postgres" in msg and "bigquery" in msg and "duckdb" in msg
    assert "postgres" in DIALECTS and "" not in DIALECTS


def test_default_db_comes_from_aligned_db(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNED_DB", str(db))
    out = io.StringIO()
    assert run_query(None, "select count(*) as n from raw.models", fmt="csv", out=out) == 0
    assert out.getvalue() == "n\n4\n"


def test_bad_format_missing_db_empty_query(db: Path, tmp_path: Path) -> None:
    assert "csv, json" in one_line_error(db, "select 1", fmt="xml")
    assert "no such database" in one_line_error(tmp_path / "missing.duckdb", "select 1")
    assert "no SQL query" in one_line_error(db, "   ")
    assert "no SQL query" in one_line_error(db, "-- only a comment\n;")
    assert check_and_transpile("select 1", "") == "SELECT 1"  # empty dialect: the default


_HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_locked_file_gives_the_lock_line(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNED_LOCK_WAIT_S", "1")  # readers wait this long for a held file, then say who holds it
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db), "20"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        assert ready and proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.poll() else "timeout"
        t0 = time.monotonic()
        with pytest.raises(LockedError) as info:
            run_query(db, "select 1", out=io.StringIO())
        assert time.monotonic() - t0 < 8  # the bounded wait (1 s here), not forever
        msg = str(info.value)
        assert "\n" not in msg
        assert "the database is locked" in msg and f"process {proc.pid}" in msg and "one writer" in msg
        assert info.value.exit_code == 3
    finally:
        proc.kill()
        proc.wait(timeout=10)
    out = io.StringIO()
    assert run_query(db, "select 1 as one", fmt="csv", out=out) == 0  # free again
    assert out.getvalue() == "one\n1\n"
