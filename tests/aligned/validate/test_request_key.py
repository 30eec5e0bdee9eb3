"""The request key has one SQL definition (the dbt macro request_key) and one Python one
(collector.plan.request_key, what the collector stores); validate checks stored keys with the macro.

No build needed: the macro is rendered the way validate renders it and run in an in-memory DuckDB.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from aligned import validate
from collector.plan import request_key

# awkward on purpose: the separator inside a field, non-ASCII text, quotes, a large replicate
REQUESTS = [
    ("are_we_aligned", "sim-noisy", "t1", "original", 1),
    ("s", "m|x", "t2/medical", "reversed", 3),
    ("étude", "模型", "t3/banking", "synonyms", 12),
    ("o'brien", 'say "hi"', "t4/streaming", "original", 100000),
]


def _frame_rows(keys: list[str]) -> pd.DataFrame:
    """validate's raw_responses_ok frame over raw.responses rows holding ``keys``."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("create schema raw")
        con.execute("create table raw.responses (response_id varchar, request_key varchar, study varchar, "
                    "model varchar, item varchar, setting varchar, replicate integer, response_text varchar, "
                    "status varchar)")
        con.execute("create table main.answers (response_id varchar)")
        for i, (key, (study, model, item, setting, replicate)) in enumerate(zip(keys, REQUESTS)):
            con.execute("insert into raw.responses values (?, ?, ?, ?, ?, ?, ?, 'text', 'ok')",
                        [f"r{i}", key, study, model, item, setting, replicate])
        return con.execute(validate.FRAMES["raw_responses_ok"][1]).df().sort_values("response_id")
    finally:
        con.close()


def test_the_macro_and_the_collector_compute_the_same_key():
    # drift between the SQL definition and the Python one (which the stored keys come from) fails here
    expr = validate.request_key_sql("?::varchar", "?::varchar", "?::varchar", "?::varchar", "?::integer")
    con = duckdb.connect(":memory:")
    try:
        for req in REQUESTS:
            assert con.execute(f"select {expr}", list(req)).fetchone()[0] == request_key(*req), req
    finally:
        con.close()


def test_validate_expects_the_collectors_keys_and_flags_another():
    keys = [request_key(*req) for req in REQUESTS]
    rows = _frame_rows(keys)
    assert list(rows["expected_request_key"]) == keys
    wrong = _frame_rows(["0" * 32, *keys[1:]])
    assert (wrong["expected_request_key"] != wrong["request_key"]).tolist() == [True, False, False, False]


def test_validate_has_no_copy_of_the_key_text():
    # the expected key is the rendered macro, not a hand-written md5(...) of its own
    sql = validate.FRAMES["raw_responses_ok"][1]
    assert validate.request_key_sql("r.study", "r.model", "r.item", "r.setting", "r.replicate") in sql
    assert sql.count("md5(") == 1
    macro = (validate.PROJECT_DIR / "macros" / "request_key.sql").read_text()
    assert "{% macro request_key(" in macro
