"""Ctrl-C while the collector waits: a long Retry-After (or backoff) does not hold the
graceful stop, and a second Ctrl-C (abandoning requests in flight) exits 130 without a
traceback. Ctrl-C during normal answering and kill -9 are in tests/collector/test_resume.py.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import serve_in_thread

from .support import cli_env, serve_cancelling, small_study, write_yaml


def _start(tmp_path: Path, url: str, **model) -> tuple[subprocess.Popen, Path]:
    exp = write_yaml(tmp_path / "int.yaml", small_study(
        [{"name": "gpt-test", "provider": "openai", "model": "gpt-test", "base_url": url, "concurrency": 2, **model}]))
    db = tmp_path / "int.duckdb"
    proc = subprocess.Popen([sys.executable, "-m", "aligned.cli", "collect", str(exp), "--db", str(db),
                             "--no-progress"], cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    return proc, db


def _wait_for_requests(api: OpenAIFake, n: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while len(api.generation_requests()) < n and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert len(api.generation_requests()) >= n, "the collect never reached the server"
    time.sleep(0.3)  # the answers arrived; the collector is now waiting


def _outcome(db: Path) -> tuple[list[tuple], int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return (con.execute("select outcome from raw.run_ends").fetchall(),
                con.execute("select count(*) from raw.responses where status = 'ok'").fetchone()[0])
    finally:
        con.close()


def test_ctrl_c_during_a_long_retry_after_stops_at_once(tmp_path):
    api = OpenAIFake(api_key=None, models=("gpt-test",))
    api.respond_next(429, headers={"Retry-After": "30"}, times=50)
    with serve_in_thread(api) as root:
        proc, db = _start(tmp_path, root + "/v1")
        try:
            _wait_for_requests(api, 2, proc)  # both workers got a 429: the model is paused for 30 s
            t0 = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=25)
            waited = time.monotonic() - t0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert "Traceback" not in err
    assert proc.returncode == 130, err
    assert waited < 10, f"Ctrl-C waited {waited:.0f} s for a Retry-After"
    assert "4 requests left; rerun the same command to resume" in err
    assert _outcome(db) == ([("interrupted",)], 0)


def test_a_second_ctrl_c_abandons_requests_in_flight_without_a_traceback(tmp_path):
    api = OpenAIFake(api_key=None, models=("gpt-test",))
    api.delay_next(10, times=2)  # the first two answers take 10 s (timeout_s is 60)
    with serve_cancelling(api.app) as root:
        proc, db = _start(tmp_path, root + "/v1")
        try:
            _wait_for_requests(api, 2, proc)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGINT)  # graceful: would wait for the two answers in flight
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)  # the second: stop waiting
            out, err = proc.communicate(timeout=25)
            waited = time.monotonic() - t0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert "Traceback" not in err, err
    assert proc.returncode == 130, err
    assert waited < 6, "the second Ctrl-C did not stop the wait for answers in flight"
    assert "requests left; rerun the same command to resume" in err
    outcome, ok = _outcome(db)
    assert outcome == [("interrupted",)] and ok == 0  # the abandoned requests stay pending
