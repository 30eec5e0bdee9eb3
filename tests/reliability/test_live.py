"""The live database: the file is read and written by several processes while a study is collected.

Each test runs real `aligned collect` processes against a server it starts on 127.0.0.1;
every wait is bounded.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import serve_in_thread

from .support import cli_env, lock_holder, run_cli, small_study, write_yaml

pytestmark = pytest.mark.slow


@pytest.fixture
def api():
    fake = OpenAIFake(api_key=None, models=("gpt-a", "gpt-b", "gpt-c"))
    with serve_in_thread(fake) as root:
        fake.base_url = root + "/v1"
        yield fake


def _exp(tmp_path: Path, api, models: tuple[str, ...], replicates: int, name: str = "live.yaml",
         concurrency: int = 4) -> Path:
    return write_yaml(tmp_path / name, small_study(
        [{"name": m, "provider": "openai", "model": m, "base_url": api.base_url, "concurrency": concurrency}
         for m in models], replicates=replicates, study="live"))


def _collect(exp: Path, db: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "aligned.cli", "collect", str(exp), "--db", str(db),
                             "--no-progress", *extra], cwd=db.parent, env=cli_env(env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _ok(db: Path) -> tuple[int, int, int]:
    """(ok rows, distinct ok keys, planned keys)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows, keys = con.execute("select count(*), count(distinct request_key) from raw.responses "
                                 "where status = 'ok'").fetchone()
        planned = con.execute("select count(*) from raw.planned_requests").fetchone()[0]
        return rows, keys, planned
    finally:
        con.close()


def _wait(cond, seconds: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not cond() and time.monotonic() < deadline and (proc is None or proc.poll() is None):
        time.sleep(0.05)
    assert cond(), "the condition was not reached in time"


def test_status_and_sql_succeed_repeatedly_during_a_collect_and_the_counts_grow(api, tmp_path):
    api.delay_next(0.05, times=10_000)
    # 4,000 requests at ~40 per s: ~100 s if left to finish, so that slow readers on a loaded machine
    # still read during the collect; it is interrupted as soon as they are done
    exp = _exp(tmp_path, api, ("gpt-a",), replicates=1000, concurrency=2)
    db = tmp_path / "live.duckdb"
    proc = _collect(exp, db)
    try:
        _wait(lambda: db.exists() and len(api.generation_requests()) >= 4, 30, proc)
        seen, statuses = [], 0
        for _ in range(5):
            time.sleep(0.3)
            st = run_cli(["status", "--db", str(db)], cwd=tmp_path, subprocess_=False)
            assert st.code == 0, st.err
            assert "gpt-a" in st.out
            statuses += 1
            q = run_cli(["sql", "select count(*) as n from raw.responses where status = 'ok'", "--db", str(db),
                         "--format", "csv"], cwd=tmp_path)
            assert q.code == 0, q.err
            seen.append(int(q.out.strip().splitlines()[-1]))
        running = proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)  # enough seen: stop gracefully (the rest stays pending)
        out, err = proc.communicate(timeout=90)
    assert running, "the collect ended before the readers were done; nothing was proven"
    assert proc.returncode == 130, err
    # readers saw the counts grow (the first read may come before the first flush: 0 is allowed there)
    assert seen == sorted(seen) and seen[-1] > seen[0] and seen[-1] > 0, seen
    assert "being collected" in st.out and "per minute" in st.out and "ETA" in st.out  # live progress
    rows, keys, planned = _ok(db)
    assert seen[-1] <= rows == keys < planned == 4000


def test_two_collectors_with_overlapping_models_store_one_ok_row_per_key(api, tmp_path):
    api.delay_next(0.02, times=100_000)
    db = tmp_path / "two.duckdb"
    first = _exp(tmp_path, api, ("gpt-a", "gpt-b"), replicates=30, name="ab.yaml")
    both = _exp(tmp_path, api, ("gpt-a", "gpt-b", "gpt-c"), replicates=30, name="abc.yaml")
    # the design is recorded by the first; the second starts while the first collects
    p1 = _collect(first, db)
    _wait(lambda: len(api.generation_requests()) >= 8, 30, p1)
    p2 = _collect(both, db)
    out1, err1 = p1.communicate(timeout=120)
    out2, err2 = p2.communicate(timeout=120)
    assert p1.returncode == 0, err1
    assert p2.returncode == 0, err2
    rows, keys, planned = _ok(db)
    assert planned == 3 * 4 * 30
    assert rows == keys == planned  # every key answered, never two ok rows for one
    asked = len(api.generation_requests())
    assert asked < 2 * planned  # the overlap is mostly not asked twice (keys answered elsewhere are skipped)


def _record_design(exp_path: Path, db: Path) -> None:
    """The study recorded, nothing collected: what a notebook is opened on before a (re)run."""
    from collector import store
    from collector.config import load_experiment
    from collector.design import Design
    exp = load_experiment(exp_path)
    con = store.connect(db)
    try:
        store.init_schema(con)
        store.record_design(con, Design(exp), [{"model": m.name, "provider": m.provider, "provider_model": m.model,
                                                "base_url": m.base_url} for m in exp.models])
    finally:
        con.close()


def _journaled(folder: Path) -> int:
    """Complete answer lines in the journals of ``folder`` (not in done/)."""
    return sum(sum(1 for line in p.read_text().split("\n")[:-1] if '"response_id"' in line)
               for p in folder.glob("*.jsonl"))


def test_a_reader_holding_the_file_through_many_flushes_loses_nothing(api, tmp_path):
    api.delay_next(0.05, times=10_000)
    exp = _exp(tmp_path, api, ("gpt-a",), replicates=40, concurrency=1)  # 160 requests, ~8 s
    db = tmp_path / "held.duckdb"
    _record_design(exp, db)
    reader = duckdb.connect(str(db), read_only=True)  # the notebook, open before the collect starts
    try:
        proc = _collect(exp, db)
        _wait(lambda: len(api.generation_requests()) >= 20, 60, proc)
        time.sleep(3.0)  # several flush intervals with the file held
        assert reader.execute("select count(*) from raw.responses").fetchone()[0] == 0
        assert _journaled(tmp_path / "held.duckdb.journal") >= 40  # meanwhile the answers are journaled
        assert proc.poll() is None
    finally:
        reader.close()  # the notebook lets go: the journal goes in at the next flush
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    held = [x for x in (out + err).splitlines() if "held by process" in x]
    assert len(held) == 1 and f"process {os.getpid()}" in held[0] and "journal" in held[0], out + err
    rows, keys, planned = _ok(db)
    assert rows == keys == planned == 160
    assert len(api.generation_requests()) == 160  # nothing asked twice
    assert not list((tmp_path / "held.duckdb.journal").glob("*.jsonl"))  # the journal retired to done/


def test_kill_9_with_answers_only_in_the_journal_loses_and_asks_nothing_twice(api, tmp_path):
    api.delay_next(0.02, times=10_000)
    exp = _exp(tmp_path, api, ("gpt-a",), replicates=50, concurrency=4)  # 200 requests
    db = tmp_path / "k9.duckdb"
    journals = tmp_path / "k9.duckdb.journal"
    _record_design(exp, db)
    reader = duckdb.connect(str(db), read_only=True)
    try:
        proc = _collect(exp, db, env={"ALIGNED_LOCK_WAIT_S": "0.5"})
        _wait(lambda: _journaled(journals) >= 40, 60, proc)
        proc.send_signal(signal.SIGKILL)  # its answers are in the journal only: the reader holds the file
        proc.wait(timeout=30)
        assert reader.execute("select count(*) from raw.responses").fetchone()[0] == 0
    finally:
        reader.close()
    in_journal = _journaled(journals)
    asked_before = len(api.generation_requests())
    st = run_cli(["status", "--db", str(db)], cwd=tmp_path, subprocess_=False)
    assert st.code == 0 and f"{in_journal:,} answers in 1 journal file(s) of ended runs" in st.out, st.out
    last = _collect(exp, db)
    out, err = last.communicate(timeout=120)
    assert last.returncode == 0, err
    assert f"{200 - in_journal:,} pending of 200 planned" in err + out  # replayed before asking anything
    rows, keys, planned = _ok(db)
    assert rows == keys == planned == 200
    assert len(api.generation_requests()) - asked_before == planned - in_journal
    assert not list(journals.glob("*.jsonl"))


def test_a_journal_copied_from_another_machine_is_imported_and_nothing_is_asked_twice(api, tmp_path):
    exp = _exp(tmp_path, api, ("gpt-a",), replicates=5)  # 20 requests
    elsewhere = tmp_path / "laptop"
    elsewhere.mkdir()
    p = _collect(exp, elsewhere / "laptop.duckdb")
    assert p.wait(timeout=60) == 0, p.stderr.read()
    copied = tmp_path / "from-laptop.jsonl"
    [done] = list((elsewhere / "laptop.duckdb.journal" / "done").glob("*.jsonl"))
    shutil.copy(done, copied)
    db = tmp_path / "here.duckdb"
    r = run_cli(["import", str(copied), "--experiment", str(exp), "--db", str(db)], cwd=tmp_path,
                subprocess_=False)
    assert r.code == 0, r.err
    r2 = run_cli(["import", str(copied), "--experiment", str(exp), "--db", str(db)], cwd=tmp_path, subprocess_=False)
    assert r2.code == 0 and "imported 0 answers" in r2.out + r2.err, r2.err  # twice adds nothing
    con = duckdb.connect(str(db), read_only=True)
    provenance = con.execute("select distinct provider, run_id from raw.responses").fetchall()
    kinds = sorted(k for (k,) in con.execute("select kind from raw.runs").fetchall())
    con.close()
    assert provenance[0][0] == "openai" and len(provenance) == 1  # the answers keep their run and provider
    assert kinds == ["collect", "import", "import"]
    n = len(api.generation_requests())
    p = _collect(exp, db)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0 and "0 pending of 20 planned" in out + err, out + err
    assert len(api.generation_requests()) == n  # nothing asked twice


def test_readers_wait_a_bounded_time_then_say_what_holds_the_file(tmp_path, api):
    exp = _exp(tmp_path, api, ("gpt-a",), replicates=1)
    db = tmp_path / "busy.duckdb"
    _record_design(exp, db)
    with lock_holder(db, seconds=30) as holder:
        t0 = time.monotonic()
        r = run_cli(["status", "--db", str(db)], cwd=tmp_path, env={"ALIGNED_LOCK_WAIT_S": "1.5"})
        waited = time.monotonic() - t0
    assert r.code == 3 and len(r.err_lines) == 1, r.err
    assert f"locked by process {holder.pid}" in r.err and "Waited 1.5 s" in r.err, r.err
    assert 1.5 <= waited < 30
