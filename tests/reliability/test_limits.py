"""Every input bounded (issue 18, "Bounds", "SQL", "DuckDB settings", "Output hygiene"): what
the one-line refusals in test_bad_input.py cannot show -- rows, time and Ctrl-C in
`aligned sql`, what an import really reads, the settings of every DuckDB connection, and
the spreadsheet-safe CSV tables.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from aligned.report import spreadsheet_safe
from aligned.sqlshell import DEFAULT_ROW_LIMIT, open_readonly, run_query
from aligned.terminal import printable
from collector import store
from collector.config import MAX_YAML_DEPTH, parse_experiment
from collector.design import Design
from collector.errors import UserError
from collector.importer import import_file
from collector.plan import MAX_PLANNED_REQUESTS, check_plan_size

from .support import ROOT, cli_env, run_cli, small_study, write_yaml

SIM = {"name": "sim-us-public", "provider": "simulated", "model": "sim-us-public"}
RECORD = {"model": "survey", "item": "t1", "setting": "original", "replicate": 1,
          "response": "Safety, Privacy, Fairness, Dignity, Transparency"}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    p = tmp_path / "limits.duckdb"
    con = duckdb.connect(str(p))
    con.execute("create table answers as select range as id, 'a' || chr(27) || '[2J' || chr(155) || 'b' as text "
                "from range(2500)")
    con.close()
    return p


# ------------------------------------------------------------------ aligned sql: rows
def test_the_table_format_stops_at_the_default_row_limit_and_says_how_to_see_more(db: Path):
    out = io.StringIO()
    assert run_query(db, "select id from answers order by id", out=out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 + DEFAULT_ROW_LIMIT + 1  # header, rule, rows, footer
    assert lines[-1] == (f"({DEFAULT_ROW_LIMIT} rows shown; the query returned more: --limit N shows more, "
                         "--all shows every row, --format csv writes them all)")


def test_limit_and_all_choose_how_many_rows(db: Path, tmp_path: Path):
    r = run_cli(["sql", "select id from answers order by id", "--db", str(db), "--limit", "5"], cwd=tmp_path,
                subprocess_=False)
    assert r.code == 0 and [x.strip() for x in r.out.splitlines()[2:7]] == ["0", "1", "2", "3", "4"]
    assert "(5 rows shown; the query returned more" in r.out
    r = run_cli(["sql", "select id from answers order by id", "--db", str(db), "--all"], cwd=tmp_path,
                subprocess_=False)
    assert r.code == 0 and r.out.splitlines()[-1] == "(2500 rows)"
    r = run_cli(["sql", "select id from answers", "--db", str(db), "--format", "csv"], cwd=tmp_path,
                subprocess_=False)
    assert r.code == 0 and len(r.out.splitlines()) == 2501 and r.err == ""  # csv: every row, streamed
    r = run_cli(["sql", "select id from answers", "--db", str(db), "--format", "csv", "--limit", "10"],
                cwd=tmp_path, subprocess_=False)
    assert len(r.out.splitlines()) == 11 and "output cut to the first 10 rows (--limit)" in r.err
    r = run_cli(["sql", "select 1", "--db", str(db), "--limit", "5", "--all"], cwd=tmp_path, subprocess_=False)
    assert r.code == 2 and "not allowed with argument" in r.err


def test_ten_million_rows_print_a_thousand_fast(db: Path):
    out = io.StringIO()
    t0 = time.perf_counter()
    run_query(db, "select * from range(10000000)", out=out)
    assert time.perf_counter() - t0 < 10  # was 44-133 s and 2.8 GB before the row limit
    assert out.getvalue().count("\n") == DEFAULT_ROW_LIMIT + 3


# ------------------------------------------------------------------ aligned sql: time, memory, Ctrl-C
def test_an_endless_query_stops_at_the_time_limit_with_one_line(db: Path):
    t0 = time.perf_counter()
    with pytest.raises(UserError, match=r"the query ran longer than 0.5 s, the time limit of aligned sql"):
        run_query(db, "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",
                  out=io.StringIO(), timeout_s=0.5)
    assert time.perf_counter() - t0 < 10


def test_the_memory_limit_and_the_locked_settings_are_set_before_any_query(db: Path):
    con = open_readonly(db)
    try:
        got = dict(con.execute("select name, value from duckdb_settings() where name in ('memory_limit', "
                               "'temp_directory', 'lock_configuration', 'enable_external_access', "
                               "'autoinstall_known_extensions', 'autoload_known_extensions')").fetchall())
        with pytest.raises(duckdb.Error):
            con.execute("set memory_limit = '100GB'")
    finally:
        con.close()
    assert got["lock_configuration"] == "true" and got["enable_external_access"] == "false"
    assert got["temp_directory"] == ""  # nothing spills to disk
    assert got["memory_limit"].endswith("MiB") and float(got["memory_limit"].split()[0]) < 1000
    assert got["autoinstall_known_extensions"] == "false" and got["autoload_known_extensions"] == "false"


@pytest.mark.parametrize("query", [
    "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",  # in DuckDB
    "select * from range(100000000)",  # while rows are written
])
def test_ctrl_c_is_one_line_and_exit_130(db: Path, tmp_path: Path, query: str):
    proc = subprocess.Popen([sys.executable, "-m", "aligned.cli", "sql", query, "--db", str(db), "--format", "csv"],
                            cwd=tmp_path, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(3.0)  # imports, then the query runs
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.splitlines() == ["aligned sql: interrupted"]


# ------------------------------------------------------------------ terminal output
def test_control_characters_in_answers_are_shown_not_obeyed(db: Path):
    out = io.StringIO()
    run_query(db, "select text from answers limit 1", out=out)
    assert "\x1b" not in out.getvalue() and "\x9b" not in out.getvalue()
    assert "a\\x1b[2J\\x9bb" in out.getvalue()
    for fmt in ("csv", "json"):  # into a file or pipe the data stays as it is
        out = io.StringIO()
        run_query(db, "select text from answers limit 1", fmt=fmt, out=out)
        assert "\x9b" in out.getvalue()
    assert printable("ok\u202eevil") == "ok\\u202eevil"  # bidi override: shown, not applied


# ------------------------------------------------------------------ plans
def test_a_plan_at_the_limit_is_allowed_and_one_above_is_refused(tmp_path: Path):
    data = small_study([SIM])  # 4 prompts per replicate
    exp = parse_experiment(yaml.safe_dump({**data, "replicates": 25_000}), "big.yaml")
    models = [f"m{i}" for i in range(10)]
    assert 4 * 25_000 * len(models) == MAX_PLANNED_REQUESTS
    assert check_plan_size(Design(exp), models) == MAX_PLANNED_REQUESTS
    with pytest.raises(UserError, match=r"big.yaml: this run would plan 1,100,000 requests \(11 model\(s\) x 4 "
                                        r"prompts x 25,000 replicates\), more than the limit of 1,000,000"):
        check_plan_size(Design(exp), models + ["one more"])


def test_yaml_nesting_at_the_depth_limit_is_read():
    ok = "study: x\ngeneration:\n  a: " + "[" * (MAX_YAML_DEPTH - 3) + "1" + "]" * (MAX_YAML_DEPTH - 3) + "\n"
    with pytest.raises(UserError) as err:  # the file is not a complete study, but it is read
        parse_experiment(ok, "deep.yaml")
    assert "nested" not in str(err.value)
    too_deep = ok.replace("[", "[[", 1).replace("]", "]]", 1)
    with pytest.raises(UserError, match=f"nested more than {MAX_YAML_DEPTH} levels deep"):
        parse_experiment(too_deep, "deep.yaml")


# ------------------------------------------------------------------ imports read exactly the named file
def test_import_reads_exactly_the_file_named_even_when_its_name_is_a_glob(tmp_path: Path):
    exp = parse_experiment(write_yaml(tmp_path / "ok.yaml", small_study([SIM])).read_text(), "ok.yaml")
    named = tmp_path / "ans[12].jsonl"  # DuckDB would read it as a glob matching ans1.jsonl and ans2.jsonl
    named.write_text(json.dumps(RECORD) + "\n")
    for sibling in ("ans1.jsonl", "ans2.jsonl"):
        (tmp_path / sibling).write_text("".join(json.dumps({**RECORD, "setting": s}) + "\n"
                                                for s in ("original", "reversed", "shuffled", "synonyms")))
    db = tmp_path / "import.duckdb"
    added, seen = import_file(named, db, exp)
    assert (added, seen) == (1, 0)
    con = duckdb.connect(str(db), read_only=True)
    options = json.loads(con.execute("select options from raw.runs").fetchone()[0])
    n_ok = con.execute("select count(*) from raw.responses where status = 'ok'").fetchone()[0]
    con.close()
    assert n_ok == 1
    assert options["file"] == str(named) and options["records"] == 1
    assert options["sha256"] == hashlib.sha256(named.read_bytes()).hexdigest()
    assert options["bytes"] == named.stat().st_size


# ------------------------------------------------------------------ DuckDB connections
def test_every_duckdb_connection_has_extension_autoinstall_and_autoload_off(tmp_path: Path):
    db = tmp_path / "settings.duckdb"
    q = ("select value from duckdb_settings() where name in ('autoinstall_known_extensions', "
         "'autoload_known_extensions')")
    for open_ in (lambda: store.connect(db), lambda: store.connect(db, read_only=True),
                  lambda: store.duckdb_connect(), lambda: store.duckdb_connect(db, read_only=True),
                  lambda: open_readonly(db)):
        con = open_()
        try:
            assert [v for (v,) in con.execute(q).fetchall()] == ["false", "false"]
        finally:
            con.close()
    settings = yaml.safe_load((ROOT / "profiles.yml").read_text())["aligned"]["outputs"]["duckdb"]["settings"]
    assert settings["autoinstall_known_extensions"] is False and settings["autoload_known_extensions"] is False


def test_no_module_opens_duckdb_except_through_the_shared_helper():
    """One place sets the connection settings: every other module calls store.duckdb_connect."""
    offenders = []
    for package in ("aligned", "collector", "simulator", "alignstats"):
        for path in (ROOT / package).rglob("*.py"):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"\bduckdb\.connect\(", line) and "def duckdb_connect" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == ["collector/store.py:" + str(_helper_line())]


def _helper_line() -> int:
    lines = (ROOT / "collector" / "store.py").read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("def duckdb_connect"))
    return next(i for i in range(start, len(lines)) if "duckdb.connect(" in lines[i]) + 1


# ------------------------------------------------------------------ spreadsheets
def test_csv_tables_neutralise_formula_prefixes_and_keep_numbers():
    df = pd.DataFrame({"answer": ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
                                  "plain", "-0.5", None],
                       "n": [1, -2, 3, 4, 5, 6, 7, 8, 9]})
    out = spreadsheet_safe(df)
    assert out["answer"].tolist()[:8] == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx",
                                          "'\rx", "plain", "-0.5"]
    assert out["answer"].isna().tolist()[-1] and out["n"].tolist() == df["n"].tolist()
    assert df["answer"][0].startswith("=")  # the frame shown in the page is not changed
    src = (ROOT / "aligned" / "report" / "__init__.py").read_text()
    assert src.count(".to_csv(") == 1 and "spreadsheet_safe(t.df).to_csv(" in src  # the one CSV writer
