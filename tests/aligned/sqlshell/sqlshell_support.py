"""Helpers for the `aligned sql` tests: a small experiment database, file hashes."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from collector.store import init_schema

MODELS = [("gpt-x", "openai"), ("claude-y", "anthropic"), ("GPT-mini", "openai"), ("sim", "simulated")]
ITEMS = ["t1", "t2/work/achievement", "t2/work/benevolence", "t3/family/security-over-power"]


def build_db(path: Path) -> Path:
    con = duckdb.connect(str(path))
    init_schema(con)
    t0 = datetime(2024, 5, 1, 12, 0, 0)
    con.execute(
        "insert into raw.studies (study, description, design_hash, replicates, recorded_at) values (?,?,?,?,?)",
        ["demo", "a demo study", "h" * 64, 2, t0],
    )
    for i, (m, p) in enumerate(MODELS):
        con.execute(
            "insert into raw.models (study, model, provider, provider_model, is_simulated, added_at) "
            "values (?,?,?,?,?,?)",
            ["demo", m, p, f"{m}-2024", p == "simulated", t0 + timedelta(days=i)],
        )
    for it in ITEMS:
        task = it.split("/")[0]
        con.execute(
            "insert into raw.items (study, item, task, task_kind, context, n_options, prompt_template) "
            "values (?,?,?,?,?,?,?)",
            ["demo", it, task, {"t1": "select", "t2": "rate", "t3": "tradeoff"}[task],
             it.split("/")[1] if "/" in it else None, 5, "Q: {options}"],
        )
    n = 0
    for m, p in MODELS:
        for it in ITEMS:
            for rep in (1, 2):
                n += 1
                status = "failed" if (n % 7 == 0) else "ok"
                text = None if status == "failed" else f'answer {n}, "quoted"\nsecond line'
                con.execute(
                    "insert into raw.responses (response_id, request_key, run_id, study, model, provider, item, task, "
                    "context, setting, replicate, options_shown, response_text, status, error, attempts, latency_ms, "
                    "cost_usd, completed_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [f"r{n:03d}", f"k{n:03d}", "run1", "demo", m, p, it, it.split("/")[0],
                     it.split("/")[1] if "/" in it else None, "original", rep, ["a", "b"], text, status,
                     "timeout" if status == "failed" else None, 1 + (n % 3), 100.0 + n, 0.001 * n,
                     t0 + timedelta(minutes=n)],
                )
    con.execute("create table main.people (id integer, name varchar, born date, score double)")
    con.execute("insert into main.people values (1, 'Ada', '1815-12-10', 9.5), (2, 'Alan', '1912-06-23', 8.25), "
                "(3, 'Grace', '1906-12-09', null)")
    con.execute("checkpoint")
    con.close()
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_state(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its sha256: shows a file written or changed."""
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
