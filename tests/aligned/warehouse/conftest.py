"""Shared helpers for the warehouse tests: databases built from the shipped design and dbt
runs whose target/ and logs/ live in the test's own temp folder (so runs never race)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable

import duckdb
import pytest

from collector import store
from aligned import warehouse
from collector.config import load_experiment
from collector.design import Design
from collector.plan import request_key

T0 = datetime(2025, 1, 1)


def shipped_design(replicates: int | None = None) -> Design:
    exp = load_experiment()
    if replicates is not None:
        exp = exp.model_copy(update={"replicates": replicates})
    return Design(exp)


def response_row(design: Design, model: str, item: str, setting: str, replicate: int, text: str | None,
                 options_shown: list[str] | None = None, status: str = "ok", seconds: int = 0,
                 request_key_override: str | None = None) -> dict[str, Any]:
    it = design.item(item)
    shown = options_shown if options_shown is not None else [o.key for o in it.options]
    by_key = {o.key: o.label for o in it.options}
    study = design.exp.study
    return {
        "response_id": uuid.uuid4().hex,
        "request_key": request_key_override or request_key(study, model, item, setting, replicate),
        "run_id": "test",
        "study": study,
        "model": model,
        "provider": "simulated",
        "provider_model": model,
        "item": item,
        "task": it.task,
        "context": it.context,
        "setting": setting,
        "replicate": replicate,
        "external_id": None,
        "options_shown": shown,
        "labels_shown": [by_key.get(k, k) for k in shown],
        "messages": None,
        "params": None,
        "seed": None,
        "response_text": text,
        "finish_reason": "stop",
        "response_model": model,
        "status": status,
        "error": None if status == "ok" else "HTTP 500",
        "http_status": 200 if status == "ok" else 500,
        "attempts": 1,
        "latency_ms": 1.0,
        "prompt_tokens": None,
        "completion_tokens": None,
        "cost_usd": None,
        "requested_at": T0,
        "completed_at": T0 + timedelta(seconds=seconds),
        "collector_version": "test",
    }


def make_db(path: Path, design: Design, models: Iterable[str], rows: list[dict[str, Any]],
            reference: bool = True) -> Path:
    """A database of ``rows``; with the design's human reference recorded (as collect does) unless
    ``reference`` is False or the experiment declares none."""
    from collector.reference import load_reference, record_reference

    con = store.connect(path)
    try:
        store.init_schema(con)
        store.record_design(con, design, [{"model": m, "provider": "simulated"} for m in models])
        store.insert_responses(con, rows)
        loaded = load_reference(design.exp, design) if reference else None
        if loaded is not None:
            record_reference(con, loaded)
    finally:
        con.close()
    return path


def dbt_build(db: Path, work: Path, **kwargs: Any) -> int:
    """warehouse.build with target/ and logs/ under ``work``."""
    return warehouse.build(db, **{"quiet": True, **kwargs}, target_path=work / "target", log_path=work / "logs")


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="session")
def design() -> Design:
    return shipped_design()
