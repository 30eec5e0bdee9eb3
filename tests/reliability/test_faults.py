"""Faults: the collector against the simulator's injected faults ends with every planned
request answered or recorded as failed, and a rerun completes the failed ones.

Kill -9 and Ctrl-C are proven in tests/collector/test_resume.py (not repeated here).
"""
from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from collector.collect import CollectOptions, collect
from collector.config import parse_experiment
from collector.runner import RATE_LIMITED_GRACE
from simulator import SimulatorThread

from .support import run_cli, shipped, small_study, write_yaml

MODELS = ("sim-us-public", "sim-noisy")
REPLICATES = 5
MAX_ATTEMPTS = 3
TIMEOUT_S = 1.0


def _shipped_two_models(path: Path, max_attempts: int = MAX_ATTEMPTS) -> Path:
    """The shipped study unchanged except: two models, 5 replicates, a 1 s timeout, 3 attempts."""
    data = shipped()
    data["replicates"] = REPLICATES
    data["models"] = [{"name": n, "provider": "simulated", "model": n, "concurrency": 32, "rpm": 60000,
                       "timeout_s": TIMEOUT_S, "max_attempts": max_attempts} for n in MODELS]
    return write_yaml(path, data)


def _rows_per_key(db: Path) -> dict[str, tuple[int, int, int]]:
    """request_key -> (rows, ok rows, failed rows), over every planned key (0s for keys without rows)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""
            select p.request_key, count(r.request_key),
                   count(*) filter (where r.status = 'ok'), count(*) filter (where r.status = 'failed')
            from raw.planned_requests p left join raw.responses r using (request_key)
            group by p.request_key
        """).fetchall()
        stray = con.execute("select count(*) from raw.responses where request_key not in "
                            "(select request_key from raw.planned_requests)").fetchone()[0]
        assert stray == 0, "rows whose key is not planned"
        return {k: (n, ok, failed) for k, n, ok, failed in rows}
    finally:
        con.close()


def test_shipped_study_at_fault_rate_0_3_loses_nothing_and_a_rerun_completes_it(tmp_path):
    exp = _shipped_two_models(tmp_path / "faults.yaml")
    db = tmp_path / "faults.duckdb"
    argv = ["collect", str(exp), "--db", str(db), "--no-progress"]

    # run 1: 30 % of attempts get a fault (429 + Retry-After, 500, 503, slow > timeout, truncated JSON, dropped)
    with SimulatorThread(fault_rate=0.3, retry_after_s=0.05, slow_s=TIMEOUT_S + 0.5, seed=7) as url:
        first = run_cli(argv + ["--simulator-url", url], cwd=tmp_path, timeout=240)
    assert first.code == 0, first.err
    assert "Traceback" not in first.err + first.out
    per_key = _rows_per_key(db)
    assert len(per_key) == 2 * 76 * REPLICATES == 760
    assert all(n == 1 for n, _, _ in per_key.values()), "a key without a row, or with two rows, after one run"
    ok1 = sum(ok for _, ok, _ in per_key.values())
    failed1 = sum(f for _, _, f in per_key.values())
    assert ok1 + failed1 == 760
    con = duckdb.connect(str(db), read_only=True)
    # faults were really met and retried: some answers needed more than one attempt
    assert con.execute("select count(*) from raw.responses where status = 'ok' and attempts > 1").fetchone()[0] > 0
    # a failed row is written only after the configured attempts (429s, forgiven up to
    # RATE_LIMITED_GRACE, add to them), with its last error and no answer
    bad = con.execute(f"""select count(*) from raw.responses where status = 'failed'
                          and (attempts < {MAX_ATTEMPTS} or attempts > {MAX_ATTEMPTS + RATE_LIMITED_GRACE}
                               or error is null or response_text is not null)""").fetchone()[0]
    assert bad == 0
    assert con.execute("select outcome, planned, ok, failed from raw.run_ends").fetchall() == [
        ("finished", 760, ok1, failed1)]
    con.close()
    assert f"{ok1:,} ok, {failed1:,} failed after retries" in first.err
    if failed1:
        assert "rerun the same command to retry the failed requests" in first.err

    # run 2: the same command, faults still at 0.3 but 12 attempts (not part of the design: same study),
    # sends only what has no ok row; P(a request fails 12 times) = 0.3**12, about 5e-7
    _shipped_two_models(exp, max_attempts=12)
    with SimulatorThread(fault_rate=0.3, retry_after_s=0.05, slow_s=TIMEOUT_S + 0.5, seed=8) as url:
        second = run_cli(argv + ["--simulator-url", url], cwd=tmp_path, timeout=240)
    assert second.code == 0, second.err
    per_key = _rows_per_key(db)
    assert all(ok == 1 for _, ok, _ in per_key.values()), "every planned key ends with exactly one ok row"
    assert sum(f for _, _, f in per_key.values()) == failed1, "failed rows stay as history"
    con = duckdb.connect(str(db), read_only=True)
    ends = con.execute("select planned, ok, failed from raw.run_ends order by ended_at").fetchall()
    con.close()
    assert ends[1] == (failed1, failed1, 0), "the rerun asked only for the failed requests"


# fault kind -> the error recorded on the failed row
FAULT_ERRORS = {
    "rate_limit": "HTTP 429",
    "server_error": "HTTP 500",
    "unavailable": "HTTP 503",
    "slow": "timeout after 0.5 s",
    "truncated": "the body is not complete JSON",
    "dropped": "connection error: ServerDisconnectedError",
}


@pytest.mark.parametrize("kind", sorted(FAULT_ERRORS))
def test_each_fault_kind_is_retried_then_recorded_as_failed_then_completed(kind, tmp_path, monkeypatch):
    # 429s have a grace of their own before they count as attempts (collector.runner); one here
    from collector import runner

    monkeypatch.setattr(runner, "RATE_LIMITED_GRACE", 1)
    expected_attempts = 3 if kind == "rate_limit" else 2
    def experiment(timeout_s: float):  # the timeout is not part of the design: both are the same study
        spec = {"name": "sim-us-public", "provider": "simulated", "model": "sim-us-public", "concurrency": 4,
                "timeout_s": timeout_s, "max_attempts": 2}
        return parse_experiment(write_yaml(tmp_path / "k.yaml", small_study([spec])).read_text(), "k.yaml")

    exp = experiment(0.5 if kind == "slow" else 10)
    db = tmp_path / "k.duckdb"
    opts = CollectOptions(progress=False, handle_sigint=False)
    t0 = time.perf_counter()
    with SimulatorThread(fault_rate=1.0, fault_kinds=(kind,), retry_after_s=0.3, slow_s=1.0) as url:
        result = collect(exp, db, opts, {}, simulator_url=url)
    elapsed = time.perf_counter() - t0
    assert result.counters.planned == 4 and result.counters.failed == 4
    assert result.counters.retries == 4 * (expected_attempts - 1)
    assert not result.stopped_models
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("select status, attempts, error from raw.responses").fetchall()
    con.close()
    assert len(rows) == 4
    for status, attempts, error in rows:
        assert status == "failed" and attempts == expected_attempts and FAULT_ERRORS[kind] in error
    if kind == "rate_limit":
        assert elapsed >= 0.3  # Retry-After was honoured before the second attempt
    # the next run (server healthy again) completes them; the failed rows stay as history
    with SimulatorThread() as url:
        result = collect(experiment(10), db, opts, {}, simulator_url=url)
    assert result.counters.planned == 4 and result.counters.ok == 4
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select status, count(*) from raw.responses group by 1 order by 1").fetchall() == [
        ("failed", 4), ("ok", 4)]
    con.close()
