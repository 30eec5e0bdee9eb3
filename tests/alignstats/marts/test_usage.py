"""The usage and latency marts, run on a small hand-made raw.responses in DuckDB.

A full dbt build costs about a minute, so the models' SQL (and the staging views they read)
is rendered here with a minimal stand-in for dbt's Jinja context -- ref(), source(),
dbt.type_bigint(), adapter.dispatch() to the default__ macros -- and run in an in-memory
DuckDB. The end-to-end dbt build tests cover the real rendering.
"""
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import duckdb
import jinja2
import numpy as np
import pytest

from collector import store

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2025, 1, 1)


class _Adapter:
    def __init__(self, prefix: str = "default") -> None:
        self.prefix, self.modules = prefix, []

    def dispatch(self, name, package=None):
        for module in self.modules:
            for prefix in (self.prefix, "default"):
                macro = getattr(module, f"{prefix}__{name}", None)
                if macro is not None:
                    return macro
        raise KeyError(name)


def _environment(prefix="default"):
    env = jinja2.Environment()
    adapter = _Adapter(prefix)
    env.globals.update({"adapter": adapter, "return": lambda value: value,
                        "dbt": SimpleNamespace(type_bigint=lambda: "bigint", type_string=lambda: "varchar")})
    macros = env.from_string((ROOT / "macros" / "percentiles.sql").read_text()).module
    adapter.modules.append(macros)
    env.globals.update(continuous_percentile=macros.continuous_percentile)
    return env


def _render(path: str, env=None) -> str:
    env = env or _environment()
    return env.from_string((ROOT / path).read_text()).render(
        ref=lambda name: name, source=lambda schema, table: f"{schema}.{table}", config=lambda **_: "")


# (model, task, request key, status, attempts, prompt, completion, cost, latency, seconds after T0)
ROWS = [
    ("m1", "t1", "k1", "failed", 3, None, None, 0.0, 900.0, 1),   # failed, then recovered:
    ("m1", "t1", "k1", "ok", 2, 100, 10, 0.01, 100.0, 2),
    ("m1", "t1", "k2", "ok", 1, 120, 20, 0.02, 300.0, 2),
    ("m1", "t1", "k3", "failed", 4, None, None, 0.0, 50.0, 2),    # still failing
    ("m1", "t1", "k4", "ok", 1, 50, 5, 0.005, 200.0, 1),          # superseded by a later import:
    ("m1", "t1", "k4", "ok", 1, None, None, None, None, 3),
    ("m1", "t2", "k5", "ok", 1, 80, 8, None, 400.0, 1),
    ("m2", "t1", "k6", "ok", 1, None, None, None, 50.0, 1),
]


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect(":memory:")
    store.init_schema(con)
    for i, (model, task, key, status, attempts, pt, ct, cost, latency, seconds) in enumerate(ROWS):
        con.execute(
            """insert into raw.responses (response_id, request_key, run_id, study, model, provider, item, task,
                   setting, replicate, status, attempts, prompt_tokens, completion_tokens, cost_usd, latency_ms,
                   completed_at)
               values (?, ?, 'run', 's', ?, 'simulated', ?, ?, 'original', 1, ?, ?, ?, ?, ?, ?, ?)""",
            [f"r{i}", key, model, f"{task}/item", task, status, attempts, pt, ct, cost, latency,
             T0 + timedelta(seconds=seconds)])
    con.execute(f"create view stg_raw__responses as {_render('dbt_project/models/staging/stg_raw__responses.sql')}")
    for view in ("int_responses_of_record", "int_requests_summarised"):
        con.execute(f"create view {view} as {_render(f'dbt_project/models/intermediate/{view}.sql')}")
    yield con
    con.close()


def _mart(con, name):
    frame = con.execute(f"select * from ({_render(f'dbt_project/models/marts/quality/{name}.sql')}) order by all").df()
    return {tuple(row[:3] if name == "usage" else row[:2]): row for row in frame.itertuples(index=False)}, frame


def test_usage_counts_requests_attempts_and_the_spend_of_the_answers_of_record(con):
    usage, frame = _mart(con, "usage")
    assert list(frame.columns) == ["study", "model", "task", "requests", "ok", "failed", "response_rows", "attempts",
                                   "retries", "prompt_tokens", "completion_tokens", "cost_usd"]
    m1 = usage[("s", "m1", "t1")]
    # k1..k4; k3 never succeeded; 6 rows; attempts 3 + 2 + 1 + 4 + 1 + 1 = 12, retries 12 - 4
    assert (m1.requests, m1.ok, m1.failed, m1.response_rows, m1.attempts, m1.retries) == (4, 3, 1, 6, 12, 8)
    # tokens of the answers of record: k1's ok row, k2, k4's latest row (none reported)
    assert (m1.prompt_tokens, m1.completion_tokens) == (220, 30)
    assert m1.cost_usd == pytest.approx(0.03)
    t2 = usage[("s", "m1", "t2")]
    assert (t2.requests, t2.ok, t2.failed, t2.retries, t2.prompt_tokens) == (1, 1, 0, 0, 80)
    assert np.isnan(t2.cost_usd)  # the model has no prices
    m2 = usage[("s", "m2", "t1")]
    assert m2.requests == 1 and frame.loc[frame["model"] == "m2", "prompt_tokens"].isna().all()


def test_latency_percentiles_over_the_answers_of_record(con):
    latency, _ = _mart(con, "latency")
    m1 = latency[("s", "m1")]
    timed = [100.0, 300.0, 400.0]  # k1's ok row, k2, k5 (k4's answer of record has no latency)
    assert (m1.n_ok, m1.n_timed) == (4, 3)
    assert (m1.p50_latency_ms, m1.p90_latency_ms, m1.p99_latency_ms) == pytest.approx(
        tuple(np.quantile(timed, [0.5, 0.9, 0.99])))
    assert (m1.p90_latency_ms, m1.p99_latency_ms) == pytest.approx((380.0, 398.0))  # 300 + .8 * 100, + .98 * 100
    assert (m1.mean_latency_ms, m1.max_latency_ms) == pytest.approx((800 / 3, 400.0))
    m2 = latency[("s", "m2")]
    assert (m2.n_ok, m2.p50_latency_ms, m2.p99_latency_ms) == (1, 50.0, 50.0)


def test_spark_percentile_is_the_exact_percentile_function():
    env = _environment("spark")
    sql = env.from_string("{{ continuous_percentile('latency_ms', 0.9) }}").render()
    assert sql.strip() == "percentile(latency_ms, 0.9)"
    default = _environment().from_string("{{ continuous_percentile('x', 0.5) }}").render()
    assert default.strip() == "percentile_cont(0.5) within group (order by x)"
