"""The runner against a local fake of the OpenAI wire format: retries, limits, failures as rows."""
from __future__ import annotations

import time

import duckdb
import pytest

from collector.collect import CollectOptions, collect
from collector.errors import UserError
from collector.store import ResponseWriter, connect, init_schema
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import serve_in_thread

KEY = "sk-sentinel-DO-NOT-LEAK-0123456789abcdef"


@pytest.fixture
def fake():
    api = OpenAIFake(api_key=KEY, models=("gpt-test",))
    with serve_in_thread(api) as root:
        api.base_url = root + "/v1"
        yield api


def _run(fake, make_experiment, tmp_path, replicates=1, concurrency=4, max_attempts=4, timeout_s=5.0, **model):
    spec = {"name": "gpt-test", "provider": "openai", "model": "gpt-test", "base_url": fake.base_url,
            "api_key_env": "TEST_KEY", "concurrency": concurrency, "max_attempts": max_attempts,
            "timeout_s": timeout_s, **model}
    exp = make_experiment([spec], replicates=replicates)
    db = tmp_path / "db.duckdb"
    result = collect(exp, db, CollectOptions(progress=False, handle_sigint=False), {"TEST_KEY": KEY})
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("select status, attempts, http_status, error, response_text, request_key "
                       "from raw.responses order by completed_at").fetchall()
    con.close()
    return result, rows


def test_all_requests_answered_once_with_provenance(fake, make_experiment, tmp_path):
    result, rows = _run(fake, make_experiment, tmp_path, replicates=3)
    assert result.counters.planned == 12  # 4 settings x 3 replicates
    assert [r[0] for r in rows] == ["ok"] * 12
    assert len({r[5] for r in rows}) == 12
    sent = fake.generation_requests()[0].json
    assert sent["temperature"] == 1.0 and "seed" not in sent  # openai provider: no seed unless asked
    assert fake.generation_requests()[0].header("authorization") == f"Bearer {KEY}"


def test_429_is_retried_after_retry_after(fake, make_experiment, tmp_path):
    fake.respond_next(429, headers={"Retry-After": "0.4"}, times=2)
    t0 = time.perf_counter()
    result, rows = _run(fake, make_experiment, tmp_path, concurrency=1)
    elapsed = time.perf_counter() - t0
    assert [r[0] for r in rows] == ["ok"] * 4
    assert rows[0][1] == 3  # two 429s, then the answer
    assert elapsed >= 0.8  # waited at least Retry-After twice
    assert result.counters.retries == 2


def test_429s_do_not_use_up_the_attempts_of_a_request(fake, make_experiment, tmp_path):
    # a strict rate limit answers 429 more often than max_attempts: the request waits, not fails
    fake.respond_next(429, headers={"Retry-After": "0.01"}, times=5)
    result, rows = _run(fake, make_experiment, tmp_path, concurrency=1, max_attempts=2)
    assert [r[0] for r in rows] == ["ok"] * 4
    assert rows[0][1] == 6  # five 429s, then the answer: every HTTP attempt is counted
    assert result.counters.retries == 5


def test_429s_beyond_the_grace_fail_the_request(fake, make_experiment, tmp_path, monkeypatch):
    from collector import retry, runner

    monkeypatch.setattr(runner, "RATE_LIMITED_GRACE", 2)
    monkeypatch.setattr(retry, "backoff_delay", lambda attempt, retry_after, rng: 0.0)
    fake.respond_next(429, headers={"Retry-After": "0"}, times=4)
    result, rows = _run(fake, make_experiment, tmp_path, concurrency=1, max_attempts=2)
    failed = [r for r in rows if r[0] == "failed"]
    assert len(failed) == 1 and failed[0][1] == 4 and failed[0][2] == 429  # 2 forgiven + max_attempts 2
    assert sorted(r[0] for r in rows) == ["failed", "ok", "ok", "ok"]


def test_400_is_final_and_recorded_as_a_failed_row(fake, make_experiment, tmp_path):
    fake.respond_next(400, times=1)
    result, rows = _run(fake, make_experiment, tmp_path, concurrency=1)
    failed = [r for r in rows if r[0] == "failed"]
    assert len(failed) == 1 and failed[0][1] == 1 and failed[0][2] == 400
    assert "Invalid request" in failed[0][3]
    assert len(fake.generation_requests()) == 4  # 1 failed + 3 ok: the 400 was not retried


def test_5xx_exhausts_attempts_then_fails_and_a_rerun_completes(fake, make_experiment, tmp_path):
    fake.respond_next(503, times=3)
    result, rows = _run(fake, make_experiment, tmp_path, concurrency=1, max_attempts=3)
    assert sorted(r[0] for r in rows) == ["failed", "ok", "ok", "ok"]
    failed = next(r for r in rows if r[0] == "failed")
    assert failed[1] == 3 and failed[2] == 503
    # a rerun asks only for the failed request, and keeps the failed row as history
    n_before = len(fake.generation_requests())
    result2, rows2 = _run(fake, make_experiment, tmp_path, concurrency=1)
    assert len(fake.generation_requests()) == n_before + 1
    assert sorted(r[0] for r in rows2) == ["failed", "ok", "ok", "ok", "ok"]


def test_timeouts_are_retried(fake, make_experiment, tmp_path):
    fake.delay_next(1.5, times=1)
    result, rows = _run(fake, make_experiment, tmp_path, concurrency=1, timeout_s=0.5)
    assert [r[0] for r in rows] == ["ok"] * 4
    assert max(r[1] for r in rows) == 2


def test_bad_key_stops_the_model_with_a_clear_line_and_leaves_the_rest_pending(fake, make_experiment, tmp_path):
    fake.api_key = "another-key"
    result, rows = _run(fake, make_experiment, tmp_path, concurrency=1)
    assert "gpt-test" in result.stopped_models
    reason = result.stopped_models["gpt-test"]
    assert "401" in reason and "TEST_KEY" in reason and "\n" not in reason
    assert KEY not in reason
    assert len(rows) == 1 and rows[0][0] == "failed" and rows[0][1] == 1
    assert len(fake.generation_requests()) == 1


def test_missing_key_variable_is_one_line(make_experiment, tmp_path):
    exp = make_experiment([{"name": "x", "provider": "openai", "model": "x", "api_key_env": "NOPE_KEY"}])
    with pytest.raises(UserError, match="NOPE_KEY is not set"):
        collect(exp, tmp_path / "db.duckdb", CollectOptions(progress=False, handle_sigint=False), {})


def test_rpm_limit_spaces_requests(fake, make_experiment, tmp_path):
    t0 = time.perf_counter()
    _run(fake, make_experiment, tmp_path, replicates=2, concurrency=8, rpm=600)  # 8 requests, 0.1 s apart
    assert time.perf_counter() - t0 >= 0.65


def test_the_key_is_never_stored(fake, make_experiment, tmp_path):
    fake.respond_next(500, times=2)
    _run(fake, make_experiment, tmp_path)
    raw = (tmp_path / "db.duckdb").read_bytes()
    assert KEY.encode() not in raw
    con = duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True)
    dump = str(con.execute("select * from raw.responses").fetchall()) + str(con.execute("select * from raw.runs").fetchall())
    assert KEY not in dump


def test_writer_commits_in_batches(tmp_path):
    db = tmp_path / "w.duckdb"
    con = connect(db)
    init_schema(con)
    con.close()
    writer = ResponseWriter(db, batch_size=100, flush_s=10)
    base = {c: None for c in ("provider_model", "context", "external_id", "options_shown", "labels_shown", "messages",
                              "params", "seed", "response_text", "finish_reason", "response_model", "error",
                              "http_status", "latency_ms", "prompt_tokens", "completion_tokens", "cost_usd",
                              "requested_at", "collector_version")}
    from collector.store import utcnow
    for i in range(1000):
        writer.put({**base, "response_id": str(i), "request_key": f"k{i}", "run_id": "r", "study": "s", "model": "m",
                    "provider": "p", "item": "t1", "task": "t1", "setting": "original", "replicate": 1,
                    "status": "ok", "attempts": 1, "completed_at": utcnow()})
    writer.close()
    con = connect(db, read_only=True)
    assert con.execute("select count(*), count(distinct request_key) from raw.responses").fetchone() == (1000, 1000)
    con.close()
    # woken by each full batch of 100 it takes what is waiting by then: never one transaction per row
    assert 1 <= writer.stats.batches <= 10
    assert writer.stats.journaled == 1000 and writer.unflushed_journal is None
    assert (db.parent / "w.duckdb.journal" / "done" / f"{writer.run_id}.jsonl").exists()


def test_an_answer_with_a_lone_surrogate_is_stored_not_lost(fake, make_experiment, tmp_path):
    """A reply cut inside an emoji can carry half of a UTF-16 surrogate pair (valid JSON, not valid
    Unicode). It is stored with U+FFFD in place of the half character, like any other answer."""
    body = (b'{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-test", '
            b'"choices": [{"index": 0, "message": {"role": "assistant", "content": "Safety \\ud83d"}, '
            b'"finish_reason": "length"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}')
    fake.respond_next(200, body, headers={"Content-Type": "application/json"})
    result, rows = _run(fake, make_experiment, tmp_path, concurrency=1)
    assert [r[0] for r in rows] == ["ok"] * 4 and result.counters.failed == 0
    assert "Safety \ufffd" in [r[4] for r in rows]
