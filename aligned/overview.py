"""What is planned and what came back: ``aligned plan`` (no network) and ``aligned status``."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from collector import store
from collector.config import Experiment
from collector.design import Design
from collector.plan import estimate_prompt_tokens, plan_counts

#: completion tokens we expect per answer when estimating cost (answers are short)
EXPECTED_COMPLETION_TOKENS = {"select": 40, "rate": 8, "tradeoff": 8, "rank": 20}


def plan_rows(exp: Experiment, models: list[str] | None) -> list[dict]:
    design = Design(exp)
    names = models or [m.name for m in exp.models]
    unknown = [n for n in names if n not in {m.name for m in exp.models}]
    if unknown:
        from collector.errors import UserError
        raise UserError(f"--models: unknown model {unknown[0]!r}; models in {exp.source_path}: "
                        f"{', '.join(m.name for m in exp.models)}")
    counts = plan_counts(design, names, exp.replicates)
    prompt_per_task = estimate_prompt_tokens(design)
    kind_of = {i.task: i.kind for i in design.items}
    items_per_task: dict[str, int] = {}
    for item, _ in design.item_settings:
        items_per_task[item.task] = items_per_task.get(item.task, 0) + 1
    rows = []
    for (model, task), n in counts.items():
        spec = exp.model_spec(model)
        pt = prompt_per_task[task] * exp.replicates
        ct = EXPECTED_COMPLETION_TOKENS.get(kind_of[task], 20) * n
        cost = None
        if spec.price_in_per_1k is not None or spec.price_out_per_1k is not None:
            cost = pt / 1000 * (spec.price_in_per_1k or 0) + ct / 1000 * (spec.price_out_per_1k or 0)
        rows.append({"model": model, "task": task, "requests": n, "prompt_tokens": pt, "completion_tokens": ct,
                     "cost_usd": cost})
    return rows


def print_plan(exp: Experiment, models: list[str] | None, console: Console) -> None:
    rows = plan_rows(exp, models)
    t = Table(title=f"plan for study {exp.study} ({exp.replicates} replicates; no request is sent)")
    for col in ("model", "task", "requests", "prompt tokens", "completion tokens (est.)", "cost (est.)"):
        t.add_column(col, justify="right" if col not in ("model", "task") else "left")
    for r in rows:
        t.add_row(r["model"], r["task"], f"{r['requests']:,}", f"{r['prompt_tokens']:,}",
                  f"{r['completion_tokens']:,}", "-" if r["cost_usd"] is None else f"${r['cost_usd']:,.2f}")
    total = sum(r["requests"] for r in rows)
    cost = sum(r["cost_usd"] or 0 for r in rows)
    t.add_section()
    t.add_row("total", "", f"{total:,}", f"{sum(r['prompt_tokens'] for r in rows):,}",
              f"{sum(r['completion_tokens'] for r in rows):,}", f"${cost:,.2f}" if cost else "-")
    console.print(t)


STATUS_SQL = """
with planned as (
    select study, model, task, count(*) as planned from raw.planned_requests group by all
), latest as (
    select study, model, task, request_key,
           max(case when status = 'ok' then 1 else 0 end) as is_ok
    from raw.responses group by all
)
select p.study, p.model, p.task, p.planned,
       coalesce(sum(l.is_ok), 0)::bigint as ok,
       coalesce(sum(1 - l.is_ok), 0)::bigint as failed,
       (p.planned - coalesce(count(l.request_key), 0))::bigint as pending
from planned p
left join latest l using (study, model, task)
group by p.study, p.model, p.task, p.planned
order by p.study, p.model, p.task
"""


def status_rows(db_path: str | Path) -> list[tuple]:
    con = store.connect(db_path, read_only=True)
    try:
        has = con.execute("select count(*) from information_schema.tables where table_schema = 'raw' "
                          "and table_name = 'responses'").fetchone()[0]
        if not has:
            from collector.errors import UserError
            raise UserError(f"{db_path}: not an aligned database (no raw.responses); run `aligned collect` first")
        return con.execute(STATUS_SQL).fetchall()
    finally:
        con.close()


def print_status(db_path: str | Path, console: Console) -> None:
    rows = status_rows(db_path)
    t = Table(title=f"status of {db_path} (failed = no ok answer yet after retries; pending = not asked yet)")
    for col in ("study", "model", "task", "planned", "ok", "failed", "pending"):
        t.add_column(col, justify="left" if col in ("study", "model", "task") else "right")
    for r in rows:
        t.add_row(*[str(x) if not isinstance(x, int) else f"{x:,}" for x in r])
    console.print(t)
