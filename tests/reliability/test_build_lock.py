"""Build during a collect: a real `aligned collect` holds the file only while it flushes a batch,
so `aligned build` (and status) get it; the collect journals its answers while dbt holds the
file and finishes with every answer stored once. (A file held for longer than the bounded wait
is one line, exit 3: tests/reliability/test_live.py.)
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import duckdb
import pytest

from simulator import SimulatorThread

from .support import cli_env, run_cli, small_study, write_yaml


def test_build_and_status_during_a_collect_get_the_file_and_the_collect_loses_nothing(tmp_path):
    pytest.importorskip("aligned.warehouse", reason="aligned/warehouse.py does not exist yet")
    exp = write_yaml(tmp_path / "busy.yaml", small_study(
        [{"name": "sim-us-public", "provider": "simulated", "model": "sim-us-public", "concurrency": 1}],
        replicates=500))  # 2,000 requests, one at a time, 150 ms each: the collect outlasts the build
    db = tmp_path / "busy.duckdb"
    with SimulatorThread(latency_ms=150) as url:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aligned.cli", "collect", str(exp), "--db", str(db), "--simulator-url", url,
             "--no-progress"], cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while not db.exists() and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
            assert db.exists() and proc.poll() is None, "the collect did not start"
            build = run_cli(["build", "--db", str(db)], cwd=tmp_path, timeout=300)
            status = run_cli(["status", "--db", str(db)], cwd=tmp_path, subprocess_=False)
            still_running = proc.poll() is None
        finally:
            proc.send_signal(signal.SIGINT)  # graceful: in-flight answers are written, the rest stays pending
            out, err = proc.communicate(timeout=60)
    assert still_running, "the collect finished before the build was tried; nothing was proven"
    for r, command in ((build, "build"), (status, "status")):
        assert "Traceback" not in r.err + r.out
        assert r.code in (0, 1), (command, r.err)  # 1: a data test of the tiny study; never 3 (locked)
        assert "locked" not in r.err, r.err
    assert proc.returncode == 130, err
    con = duckdb.connect(str(db), read_only=True)
    ok_rows, ok_keys = con.execute(
        "select count(*), count(distinct request_key) from raw.responses where status = 'ok'").fetchone()
    con.close()
    assert 0 < ok_rows == ok_keys
