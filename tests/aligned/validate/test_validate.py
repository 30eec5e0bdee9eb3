"""`aligned validate`: the Great Expectations suite over raw.responses and the answers mart.

One real database (tests/aligned/validate/conftest.py) validates clean; copies of it with injected
corruptions fail with one line per failing expectation naming suite, column and expectation;
a database without marts, a missing one and a locked one give one line and exit 2 / 2 / 3.
"""
from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from collector import store
from collector.errors import LockedError, UserError
from aligned.validate import (
    DOCS_DIR,
    FRAMES,
    validate,
    warehouse_accepted_values,
    warehouse_max_invalid_share,
)

from .conftest import LOOSE_INVALID_SHARE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable


def run(db: Path, out: Path, **kwargs) -> tuple[int, list[str]]:
    buf = io.StringIO()
    rc = validate(db, out, out=buf, **kwargs)
    return rc, buf.getvalue().splitlines()


class _Refs(HTMLParser):
    """Every URL a page would load (scripts, stylesheets, images) and every link."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.loads.append(a["src"])
        if tag == "link" and a.get("href"):
            self.loads.append(a["href"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


# -- a clean database ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean_run(built_db: Path, tmp_path_factory) -> tuple[int, list[str], Path]:
    """The first validation of the session (GX is imported here), with the network cut off:
    any attempt to resolve a name or open an internet socket is recorded and refused."""
    out = tmp_path_factory.mktemp("validation")
    attempts: list[tuple] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(("connect", address))
            raise OSError("network disabled by the test")
        return real_connect(sock, address)

    def getaddrinfo(*args, **kwargs):
        attempts.append(("getaddrinfo", args[:2]))
        raise socket.gaierror("network disabled by the test")

    socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
    try:
        rc, lines = run(built_db, out, max_invalid_share=LOOSE_INVALID_SHARE)
    finally:
        socket.socket.connect, socket.getaddrinfo = real_connect, real_getaddrinfo
    assert attempts == [], f"validate tried the network: {attempts}"
    return rc, lines, out


def test_clean_database_passes(clean_run):
    rc, lines, out = clean_run
    assert rc == 0, "\n".join(lines)
    assert len(lines) == 1 and re.match(r"validate: all \d+ expectations passed \(4 suites\); data docs: ", lines[0])
    summary = json.loads((out / "validation.json").read_text())
    assert summary["success"] is True and summary["checkpoint"] == "aligned"
    assert {r["suite"] for r in summary["results"]} == set(FRAMES)
    assert all(r["description"] for r in summary["results"])


def test_suite_covers_the_brief(clean_run):
    """Keys, statuses, replicate ranges, text, known items and choices, coverage: all present."""
    _, _, out = clean_run
    got = {(r["suite"], r["expectation_type"], r["columns"])
           for r in json.loads((out / "validation.json").read_text())["results"]}
    for want in [
        ("raw_responses", "expect_column_values_to_not_be_null", "request_key"),
        ("raw_responses", "expect_column_values_to_be_unique", "response_id"),
        ("raw_responses", "expect_column_values_to_be_in_set", "status"),
        ("raw_responses", "expect_column_values_to_be_between", "replicate"),
        ("raw_responses", "expect_column_values_to_be_in_set", "item"),
        ("raw_responses_ok", "expect_compound_columns_to_be_unique", "study, model, item, setting, replicate"),
        ("raw_responses_ok", "expect_column_values_to_be_unique", "request_key"),
        ("raw_responses_ok", "expect_column_values_to_match_regex", "response_text"),
        ("answers", "expect_column_values_to_be_in_set", "status"),
        ("answers", "expect_column_values_to_be_in_set", "match_method"),
        ("answers", "expect_column_values_to_be_in_set", "item_choice"),
        ("raw_responses", "expect_column_values_to_be_in_set", "task_setting"),
        ("answers_coverage", "expect_column_values_to_be_in_set", "status"),
    ]:
        assert want in got, want


def test_accepted_sets_come_from_the_warehouse():
    assert warehouse_accepted_values("answers", "status") == ["mapped", "refusal", "invalid"]
    assert set(warehouse_accepted_values("answers", "match_method")) >= {"exact", "synonym", "refusal", "invalid"}
    assert 0 < warehouse_max_invalid_share() < 1


def test_data_docs_open_offline(clean_run):
    _, lines, out = clean_run
    docs = out / DOCS_DIR
    index = docs / "index.html"
    assert lines[-1].endswith(str(index)) and index.exists()
    pages = list(docs.rglob("*.html"))
    for suite in FRAMES:  # GX's validation result and suite pages
        assert (docs / "expectations" / f"{suite}.html").exists()
        assert list((docs / "validations" / suite).rglob("*.html")), suite
    for page in pages:
        refs = _Refs()
        refs.feed(page.read_text(encoding="utf-8"))
        remote = [u for u in refs.loads if re.match(r"(https?:)?//", u)]
        assert not remote, f"{page.relative_to(docs)} loads {remote[:3]}"
    refs = _Refs()
    refs.feed(index.read_text(encoding="utf-8"))
    assert len(refs.links) == 2 * len(FRAMES)  # validation result + suite page, per suite
    for href in refs.links:
        assert (docs / href).exists(), href
    for css in docs.rglob("*.css"):
        assert "https://" not in css.read_text(encoding="utf-8")


def test_rerun_replaces_its_own_docs(built_db, clean_run, tmp_path):
    out = tmp_path / "v"
    assert run(built_db, out, max_invalid_share=LOOSE_INVALID_SHARE)[0] == 0
    assert run(built_db, out, max_invalid_share=LOOSE_INVALID_SHARE)[0] == 0
    for suite in FRAMES:  # one result per suite: the old run's pages are gone
        assert len(list((out / DOCS_DIR / "validations" / suite).rglob("*.html"))) == 1
    foreign = tmp_path / "foreign"
    (foreign / DOCS_DIR).mkdir(parents=True)
    (foreign / DOCS_DIR / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not written by `aligned validate`"):
        validate(built_db, foreign, out=io.StringIO())
    assert (foreign / DOCS_DIR / "notes.txt").read_text() == "mine"


# -- corrupted copies ------------------------------------------------------------------------

def _execute(db: Path, *sql: str) -> None:
    con = duckdb.connect(str(db))
    try:
        for s in sql:
            con.execute(s)
    finally:
        con.close()


def _fails(lines: list[str], suite: str, columns: str, expectation: str) -> str:
    prefix = f"FAIL {suite}: {columns} {expectation}"
    hits = [ln for ln in lines if ln.startswith(prefix)]
    assert hits, f"no line starting {prefix!r} in:\n" + "\n".join(lines)
    return hits[0]


def test_corrupted_raw_responses_fail(db_copy, tmp_path):
    some_ok = "(select * from raw.responses where status = 'ok' order by response_id limit 1)"
    _execute(
        db_copy,
        # a second ok row for an existing request key
        f"insert into raw.responses select * replace ('dup-' || response_id as response_id) from {some_ok}",
        # an item the study does not have, with a replicate beyond the study's 2
        f"insert into raw.responses select * replace ('odd-' || response_id as response_id, 't9/nowhere' as item, "
        f"7 as replicate) from {some_ok}",
        # an ok answer with an empty text, and a status the collector never writes
        f"insert into raw.responses select * replace ('empty-' || response_id as response_id, '  ' as response_text, "
        f"3 as replicate) from {some_ok}",
        f"insert into raw.responses select * replace ('weird-' || response_id as response_id, 'pending' as status) "
        f"from {some_ok}",
    )
    rc, lines = run(db_copy, tmp_path / "v", max_invalid_share=LOOSE_INVALID_SHARE)
    assert rc == 1
    assert lines[-1].startswith("validate: ") and " expectations failed" in lines[-1]
    dup = _fails(lines, "raw_responses_ok", "study, model, item, setting, replicate",
                 "expect_compound_columns_to_be_unique")
    assert re.search(r": 2 unexpected of \d", dup), dup
    _fails(lines, "raw_responses_ok", "request_key", "expect_column_values_to_be_unique")
    item = _fails(lines, "raw_responses", "item", "expect_column_values_to_be_in_set where study == 'are_we_aligned'")
    assert "t9/nowhere" in item
    rep = _fails(lines, "raw_responses", "replicate", "expect_column_values_to_be_between")
    assert "7 x1" in rep and "3 x1" in rep
    _fails(lines, "raw_responses_ok", "response_text", "expect_column_values_to_match_regex")
    assert "pending" in _fails(lines, "raw_responses", "status", "expect_column_values_to_be_in_set")
    # the new rows are not in the marts built before them: the marts are stale
    _fails(lines, "raw_responses_ok", "in_answers_mart", "expect_column_values_to_be_in_set")
    assert all(len(ln) <= 500 and "\n" not in ln for ln in lines)


def test_corrupted_answers_mart_fails_through_the_cli(db_copy, tmp_path):
    # the answers mart is a view of intermediate.int_answers, where its rows are stored
    _execute(
        db_copy,
        "update intermediate.int_answers set choice = 'banana' where position = 1 and response_id = "
        "(select min(response_id) from main.answers where status = 'mapped' and task = 't1')",
        "update intermediate.int_answers set match_method = 'telepathy' where response_id = "
        "(select min(response_id) from main.answers where status = 'mapped' and task = 't2')",
    )
    proc = subprocess.run([PYTHON, "-m", "aligned.cli", "validate", "--db", str(db_copy), "--out",
                           str(tmp_path / "v")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    banana = _fails(lines, "answers", "item_choice",
                    "expect_column_values_to_be_in_set where study == 'are_we_aligned'")
    assert '["t1","banana"] x1' in banana
    assert "telepathy" in _fails(lines, "answers", "match_method", "expect_column_values_to_be_in_set")
    assert (tmp_path / "v" / DOCS_DIR / "index.html").exists()


def test_mapping_coverage_names_the_model(built_db, tmp_path):
    rc, lines = run(built_db, tmp_path / "v", max_invalid_share=0.0)  # no invalid answer allowed at all
    assert rc == 1
    failing = [ln for ln in lines if ln.startswith("FAIL")]
    assert failing and all(ln.startswith("FAIL answers_coverage: status expect_column_values_to_be_in_set "
                                         "where study == 'are_we_aligned' and model == 'sim-") for ln in failing)
    assert all(re.search(r": [1-9]\d* unexpected of \d+ \(\d+\.\d\d%\); e\.g\. invalid", ln) for ln in failing), failing


# -- one-line errors -------------------------------------------------------------------------

def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([PYTHON, "-m", "aligned.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)


def test_unbuilt_and_missing_databases(tmp_path):
    raw_only = tmp_path / "unbuilt.duckdb"  # not raw.duckdb: its catalog name would clash with schema raw
    con = store.connect(raw_only)
    store.init_schema(con)
    con.close()
    with pytest.raises(UserError, match=r"run `aligned build") as err:
        validate(raw_only, tmp_path / "v", out=io.StringIO())
    assert err.value.exit_code == 2
    proc = _cli("validate", "--db", str(raw_only), "--out", str(tmp_path / "v"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and "aligned build" in proc.stderr
    proc = _cli("validate", "--db", str(tmp_path / "nowhere.duckdb"), "--out", str(tmp_path / "v"))
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and "no such database" in proc.stderr


HOLDER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])  # a writer, as `aligned collect` is
    print("ready", flush=True)
    sys.stdin.read()
""")


def test_locked_database_one_line_exit_3(db_copy, tmp_path, monkeypatch):
    # the holder's command line reads like the collector's (`... aligned.cli collect`), so the
    # message can say which command holds the file
    monkeypatch.setenv("ALIGNED_LOCK_WAIT_S", "0.5")  # the holder never lets go: wait 0.5 s, not 10 s, each
    holder = subprocess.Popen([PYTHON, "-c", HOLDER, str(db_copy), "aligned.cli", "collect"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(LockedError):
            validate(db_copy, tmp_path / "v0", out=io.StringIO())
        for args in (["validate", "--out", str(tmp_path / "v")],
                     ["sql", "select count(*) from answers"],
                     ["report", "--out", str(tmp_path / "r")],
                     ["status"]):
            proc = _cli(*args, "--db", str(db_copy))
            lines = proc.stderr.splitlines()
            assert proc.returncode == 3, (args, proc.stderr)
            assert len(lines) == 1, (args, proc.stderr)
            assert "database is locked" in lines[0] and f"by process {holder.pid} (aligned collect)" in lines[0]
            assert "copy of the file" in lines[0]
            assert lines[0].startswith(f"aligned {args[0]}: error: ")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
