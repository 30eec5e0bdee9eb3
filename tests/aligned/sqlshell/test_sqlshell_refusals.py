"""`aligned sql` refuses everything but one read-only query, and the file never changes."""
from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest

from aligned import sqlshell
from collector.errors import UserError
from aligned.sqlshell import check_and_transpile, execute, open_readonly, run_query
from sqlshell_support import folder_state, sha256

# (statement, read dialect). Each must be refused with a one-line "refused: ..." message.
ATTACKS: list[tuple[str, str | None]] = [
    # DDL
    ("drop table raw.responses", None),
    ("DROP TABLE IF EXISTS raw.responses CASCADE", None),
    ("create table raw.evil as select * from raw.responses", None),
    ("create or replace view raw.planned_requests as select 1", None),
    ("create temp table t(a int)", None),
    ("create macro evil() as 1", None),
    ("create schema evil", None),
    ("alter table raw.responses add column evil int", None),
    ("alter table raw.responses rename to gone", None),
    ("truncate raw.responses", None),
    ("comment on table raw.responses is 'pwned'", None),
    # DML
    ("insert into raw.runs (run_id, kind, study, started_at) values ('x','collect','demo',now())", None),
    ("insert into raw.runs select * from raw.runs", None),
    ("INSERT OR REPLACE INTO raw.models SELECT * FROM raw.models", None),
    ("update raw.responses set status = 'ok'", None),
    ("update raw.responses set status = 'ok' returning *", None),
    ("delete from raw.responses", None),
    ("DELETE FROM raw.responses WHERE status = 'failed'", None),
    ("merge into raw.models m using raw.models s on m.model = s.model when matched then delete", None),
    ("with x as (delete from raw.responses returning *) select * from x", None),
    ("with x as (insert into raw.runs select * from raw.runs returning *) select count(*) from x", None),
    ("select 1 as x into evil", None),
    ("select * into evil from raw.responses", "postgres"),
    # files, databases, extensions, settings
    ("attach '/tmp/evil.duckdb' as evil", None),
    ("attach ':memory:' as m", None),
    ("detach aligned", None),
    ("copy raw.responses to 'out.csv'", None),
    ("COPY (select * from raw.responses) TO 'out.parquet' (FORMAT parquet)", None),
    ("copy raw.responses from '/etc/passwd'", None),
    ("export database 'dump'", None),
    ("import database 'dump'", None),
    ("install httpfs", None),
    ("force install httpfs", None),
    ("load httpfs", None),
    ("pragma enable_profiling", None),
    ("pragma database_list", None),
    ("set enable_external_access = true", None),
    ("SET GLOBAL access_mode = 'read_write'", None),
    ("reset threads", None),
    ("set variable x = 1", None),
    ("call pragma_version()", None),
    ("use raw", None),
    ("checkpoint", None),
    ("force checkpoint", None),
    ("vacuum", None),
    ("begin transaction", None),
    ("commit", None),
    ("rollback", None),
    ("explain analyze select 1", None),
    ("prepare p as delete from raw.responses", None),
    ("execute p", None),
    # several statements, comment tricks, case
    ("select 1; drop table raw.responses", None),
    ("SeLeCt 1; DrOp TaBlE raw.responses", None),
    ("select 1;\n-- harmless?\ndelete from raw.responses;", None),
    ("select 1 /* ; */ ; drop table raw.responses", None),
    ("select 1 -- */ ; drop table raw.responses\n; delete from raw.runs", None),
    ("/* select */ drop table raw.responses", None),
    ("dRoP tAbLe raw.responses", None),
    ("DeLeTe FrOm raw.responses", None),
    ("  \n\t INSERT INTO raw.runs SELECT * FROM raw.runs", None),
    # reading files, URLs, other databases, the environment
    ("select * from read_csv('/etc/passwd')", None),
    ("SELECT * FROM READ_CSV_AUTO('/etc/passwd')", None),
    ("select * from read_parquet('x.parquet')", None),
    ("select * from parquet_scan('x.parquet')", None),
    ("select * from read_json('x.json')", None),
    ("select * from read_json_auto('https://example.com/x.json')", None),
    ("select * from read_ndjson_objects('x')", None),
    ("select * from read_text('/etc/hostname')", None),
    ("select read_text('/etc/hostname')", None),
    ("select * from read_blob('/etc/hostname')", None),
    ("select * from glob('*')", None),
    ("select * from sniff_csv('/etc/passwd')", None),
    ("select * from iceberg_scan('s3://bucket/t')", None),
    ("select * from delta_scan('s3://bucket/t')", None),
    ("select * from postgres_scan('host=x', 'public', 't')", None),
    ("select * from sqlite_scan('/tmp/x.db', 't')", None),
    ("select * from mysql_scan('x', 't')", None),
    ("select * from my_custom_scan('x')", None),
    ("select * from read_anything('x')", None),
    ("select * from query_table('raw.responses')", None),
    ("select * from query('delete from raw.responses')", None),
    ("select * from parquet_metadata('x.parquet')", None),
    ("select * from duckdb_settings()", None),
    ("select * from duckdb_extensions()", None),
    ("select current_setting('home_directory')", None),
    ("select getenv('HOME')", None),
    ("select * from '/etc/passwd'", None),
    ("from '/etc/passwd'", None),
    ("select * from 'data.csv'", None),
    ("select * from \"https://example.com/x.parquet\"", None),
    ("select * from raw.responses r join read_csv('/etc/passwd') p on true", None),
    ("select * from raw.responses where exists (select * from read_csv('/etc/passwd'))", None),
    ("select (select count(*) from glob('/etc/*'))", None),
    ("describe select * from read_csv('/etc/passwd')", None),
    ("summarize select * from read_csv('/etc/passwd')", None),
    ("describe '/etc/passwd'", None),
    ("show databases", None),
    ("select * from lateral_fn(1)", None),
    # other dialects
    ("SELECT pg_read_file('/etc/passwd')", "postgres"),
    ("DROP TABLE `raw.responses`", "bigquery"),
    ("DELETE FROM `raw.responses` WHERE TRUE", "bigquery"),
    ("TRUNCATE TABLE raw.responses", "postgres"),
    ("SELECT * FROM OPENROWSET('x')", "tsql"),
    ("SELECT LOAD_FILE('/etc/passwd')", "mysql"),
]

# Statements sqlglot cannot parse at all: still a one-line UserError, never a traceback.
UNPARSEABLE: list[str] = [
    "select * from (delete from raw.responses returning *)",
    "create secret (type s3, key_id 'x')",
    "select 'unterminated",
    "select 1 +",
]

READS_STILL_WORK = "select count(*) as n from raw.responses"


def _refusal(sql: str, dialect: str | None, db: Path) -> UserError:
    with pytest.raises(UserError) as info:
        run_query(db, sql, dialect, "csv", io.StringIO())
    return info.value


def test_attack_list_is_long_enough() -> None:
    assert len(ATTACKS) >= 40
    assert len({a for a, _ in ATTACKS}) == len(ATTACKS)


@pytest.mark.parametrize(("sql", "dialect"), ATTACKS, ids=[f"{i:03d}" for i in range(len(ATTACKS))])
def test_check_refuses(sql: str, dialect: str | None) -> None:
    with pytest.raises(UserError) as info:
        check_and_transpile(sql, dialect)
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg
    assert msg.startswith("refused:"), msg
    assert "read-only" in msg


def test_every_attack_refused_and_file_unchanged(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a COPY/EXPORT that slipped through would write here
    before_db, before_dir = sha256(db), folder_state(tmp_path)
    for sql, dialect in ATTACKS:
        err = _refusal(sql, dialect, db)
        assert "\n" not in str(err) and str(err).startswith("refused:"), (sql, str(err))
    for sql in UNPARSEABLE:
        err = _refusal(sql, None, db)
        assert "\n" not in str(err) and str(err), (sql, str(err))
        assert "Traceback" not in str(err)
    assert sha256(db) == before_db
    assert folder_state(tmp_path) == before_dir
    out = io.StringIO()
    assert run_query(db, READS_STILL_WORK, fmt="csv", out=out) == 0
    assert out.getvalue().splitlines() == ["n", "32"]
    assert sha256(db) == before_db


@pytest.mark.parametrize("sql", UNPARSEABLE)
def test_unparseable_is_one_line(sql: str) -> None:
    with pytest.raises(UserError) as info:
        check_and_transpile(sql)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("sql", [
    "select 1", "SELECT 1;", "select 1 /* ; drop table x */", "select 1 -- ; drop table x",
    "with x as (select 1 as a) select * from x", "select 1 union all select 2", "values (1), (2)",
    "from raw.responses", "(select 1)", "describe raw.responses", "show tables", "show all tables",
    "summarize raw.models", "select * from range(3)", "select * from generate_series(1, 3)",
    "select unnest([1, 2])", "select * from unnest([1, 2]) t(x)", "select * from duckdb_tables()",
    "select * from information_schema.tables", "select 'a' glob 'a*'", "select 'read_csv(1)' as s",
    "select regexp_matches('x', 'x')", "pivot raw.responses on status in ('ok', 'failed') using count(*)",
])
def test_reads_pass_the_check(sql: str) -> None:
    out = check_and_transpile(sql)
    assert out and ";" not in out.replace("'read_csv(1)'", "")


def test_comments_do_not_reach_duckdb() -> None:
    assert check_and_transpile("select 1 -- */ drop table x") == "SELECT 1"
    assert check_and_transpile("select /* hi */ 1") == "SELECT 1"


# -- defence in depth: the DuckDB gate and the connection settings hold on their own ------------

@pytest.mark.parametrize("sql", [
    "drop table raw.responses", "insert into raw.runs select * from raw.runs", "attach ':memory:' as m",
    "set threads = 1", "pragma version", "call pragma_version()", "checkpoint", "select 1; select 2",
    "explain select 1",
])
def test_duckdb_gate_refuses_without_the_sqlglot_check(db: Path, sql: str) -> None:
    before = sha256(db)
    con = open_readonly(db)
    try:
        with pytest.raises(UserError) as info:
            execute(con, sql)
        assert str(info.value).startswith("refused:") and "\n" not in str(info.value)
    finally:
        con.close()
    assert sha256(db) == before


@pytest.mark.parametrize("sql", [
    "select * from read_csv('/etc/passwd')", "select * from '/etc/passwd'", "select * from glob('*')",
    "copy raw.runs to 'evil.csv'", "export database 'dump'", "install httpfs", "load httpfs",
    "attach 'evil.duckdb' as evil", "create table raw.evil(a int)", "delete from raw.responses",
    "set enable_external_access = true", "set lock_configuration = false", "set access_mode = 'read_write'",
    "select * from read_text('/etc/hostname')", "checkpoint",
])
def test_connection_itself_refuses(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql: str) -> None:
    """Even raw con.execute (both checks bypassed) cannot write or read files."""
    monkeypatch.chdir(tmp_path)
    before, files = sha256(db), folder_state(tmp_path)
    con = open_readonly(db)
    try:
        if sql == "checkpoint":  # a no-op on a read-only file: allowed, but must not write
            con.execute(sql)
        else:
            with pytest.raises(duckdb.Error):
                con.execute(sql).fetchall()
    finally:
        con.close()
    assert sha256(db) == before and folder_state(tmp_path) == files


def test_connection_settings(db: Path) -> None:
    con = open_readonly(db)
    try:
        got = dict(con.execute(
            "select name, value from duckdb_settings() where name in "
            "('enable_external_access', 'lock_configuration', 'access_mode', 'python_enable_replacements')"
        ).fetchall())
    finally:
        con.close()
    assert got == {"enable_external_access": "false", "lock_configuration": "true", "access_mode": "read_only",
                   "python_enable_replacements": "false"}


def test_deny_rules_cover_name_patterns() -> None:
    for name in ("read_csv", "read_whatever", "foo_scan", "glob", "getenv", "current_setting", "query_table"):
        assert sqlshell._is_denied_function(name), name
    for name in ("range", "generate_series", "unnest", "count", "regexp_matches", "reader", "scanner"):
        assert not sqlshell._is_denied_function(name), name
