"""Crash safety: kill -9 a real `aligned collect` at random moments; reruns finish with nothing lost or doubled."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from collector.config import DEFAULT_EXPERIMENT
from simulator import SimulatorThread

pytestmark = pytest.mark.slow


def _experiment(tmp_path: Path, replicates: int) -> Path:
    data = yaml.safe_load(DEFAULT_EXPERIMENT.read_text())
    data["study"] = "crash"
    data["replicates"] = replicates
    data["tasks"] = {k: v for k, v in data["tasks"].items() if k in ("t1", "t2")}
    data["models"] = [{"name": n, "provider": "simulated", "model": n, "concurrency": 8}
                      for n in ("sim-us-public", "sim-noisy")]
    data.pop("reference", None)  # its figures name t3; the reference has tests of its own
    p = tmp_path / "crash.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def _collect(exp: Path, db: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "aligned.cli", "collect", str(exp), "--db", str(db), "--simulator-url", url,
         "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _counts(db: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        # a kill between creating the file and committing the design leaves an empty file: the
        # next run writes the design, so that state counts as nothing stored yet
        if not con.execute("select count(*) from duckdb_views() where schema_name = 'raw' "
                           "and view_name = 'planned_requests'").fetchone()[0]:
            return 0, 0, 0
        planned = con.execute("select count(*) from raw.planned_requests").fetchone()[0]
        ok_rows, ok_keys = con.execute(
            "select count(*), count(distinct request_key) from raw.responses where status = 'ok'").fetchone()
        return planned, ok_rows, ok_keys
    finally:
        con.close()


def test_kill_9_at_random_moments_then_rerun_loses_and_doubles_nothing(tmp_path):
    exp = _experiment(tmp_path, replicates=10)  # 2 models x 32 items x 10 = 640 requests
    db = tmp_path / "crash.duckdb"
    rng = random.Random(20261125)
    with SimulatorThread(latency_ms=15) as url:
        for _ in range(6):
            proc = _collect(exp, db, url)
            time.sleep(rng.uniform(0.6, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            # the file opens cleanly after every kill, and never holds two ok rows for one key
            planned, ok_rows, ok_keys = _counts(db) if db.exists() else (0, 0, 0)
            assert ok_rows == ok_keys
        proc = _collect(exp, db, url)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    planned, ok_rows, ok_keys = _counts(db)
    assert planned == 640
    assert ok_rows == ok_keys == planned


def test_sigint_stops_gracefully_and_says_what_is_left(tmp_path):
    exp = _experiment(tmp_path, replicates=20)
    db = tmp_path / "int.duckdb"
    with SimulatorThread(latency_ms=60) as url:  # 16 in flight / 60 ms: the 1,280 requests take ~5 s
        proc = _collect(exp, db, url)
        first = proc.stderr.readline()  # "study crash: N pending of M planned requests": sending starts now
        assert "pending of" in first, first
        time.sleep(1.0)  # about a second of answers
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    err = first + err
    assert proc.returncode == 130, err
    assert "requests left" in err and "rerun the same command" in err
    assert "Traceback" not in err
    planned, ok_rows, ok_keys = _counts(db)
    assert 0 < ok_keys < planned and ok_rows == ok_keys
    con = duckdb.connect(str(db), read_only=True)
    outcome = con.execute("select outcome from raw.run_ends").fetchall()
    assert outcome == [("interrupted",)]
