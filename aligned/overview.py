"""What is planned and what came back: ``aligned plan`` (no network) and ``aligned status``."""
from __future__ import annotations

import socket
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from collector import journal, store
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


#: Status per (study, model, task): the warehouse's own request-status model (int_request_status,
#: which response_status builds on) run on raw.* -- one definition of ok / failed / pending.
STATUS_COLUMNS = ("study", "model", "task", "n_planned", "n_ok", "n_failed", "n_pending")


#: answers per model over this window give the live rate (and the ETA) in `aligned status`
RATE_WINDOW_S = 60

LIVE_SQL = """
with recent as (
    select study, model, count(*) filter (where status = 'ok') as ok_recent,
           count(*) as done_recent, max(completed_at) as last_answer
    from raw.responses
    where completed_at >= ?::timestamp
    group by all
)
select study, model, ok_recent, done_recent, last_answer from recent order by study, model
"""

OPEN_RUNS_SQL = """
select run_id, study, started_at, host, pid, options
from raw.runs
where kind in ('collect', 'demo') and run_id not in (select run_id from raw.run_ends)
order by started_at
"""


def status_rows(db_path: str | Path) -> list[tuple]:
    return status_data(db_path)["rows"]


def status_data(db_path: str | Path) -> dict:
    """Counts per study, model and task, and what is being collected right now.

    Read-only and brief: a running collect holds the file only while it flushes a batch,
    and :func:`collector.store.connect` waits (bounded) for such a moment.
    """
    con = store.connect(db_path, read_only=True)
    try:
        has = con.execute("select count(*) from information_schema.tables where table_schema = 'raw' "
                          "and table_name = 'responses'").fetchone()[0]
        if not has:
            from collector.errors import UserError
            raise UserError(f"{db_path}: not an aligned database (no raw.responses); run `aligned collect` first")
        from aligned.warehouse import model_sql
        rows = con.execute(f"select {', '.join(STATUS_COLUMNS)} from ({model_sql('int_request_status')}) "
                           "order by study, model, task").fetchall()
        now = store.utcnow()
        since = now - timedelta(seconds=RATE_WINDOW_S)
        recent = con.execute(LIVE_SQL, [since]).fetchall()
        has_pid = "pid" in {r[0] for r in con.execute("describe raw.runs").fetchall()}
        runs = con.execute(OPEN_RUNS_SQL).fetchall() if has_pid else []
    finally:
        con.close()
    return {"rows": rows, "live": live_rows(rows, recent, runs, now), "runs": [_run_state(r) for r in runs]}


def _run_state(run: tuple) -> dict:
    run_id, study, started_at, host, pid, _ = run
    alive: bool | None = None
    if host == socket.gethostname() and pid:
        alive = Path(f"/proc/{pid}").exists()
    return {"run_id": run_id, "study": study, "started_at": started_at, "host": host, "pid": pid, "alive": alive}


def live_rows(rows: list[tuple], recent: list[tuple], runs: list[tuple], now) -> list[dict]:
    """Per study and model with answers in the last RATE_WINDOW_S: progress, rate and ETA."""
    totals: dict[tuple[str, str], list[int]] = {}
    for study, model, _task, planned, ok, failed, pending in rows:
        t = totals.setdefault((study, model), [0, 0, 0, 0])
        t[0] += planned
        t[1] += ok
        t[2] += failed
        t[3] += pending
    started: dict[str, datetime] = {}  # the earliest open run per study: a younger window is shorter
    for _run_id, study, started_at, *_ in runs:
        started[study] = min(started.get(study, started_at), started_at)
    out = []
    for study, model, ok_recent, done_recent, last_answer in recent:
        planned, ok, failed, pending = totals.get((study, model), [0, 0, 0, 0])
        window = RATE_WINDOW_S
        if study in started:
            window = min(window, max(1.0, (now - started[study]).total_seconds()))
        rate = done_recent / window  # requests finished per second, over the window
        left = pending + failed  # failed keys are asked again by the next run, not by this one
        eta_s = pending / rate if rate > 0 else None
        out.append({"study": study, "model": model, "planned": planned, "ok": ok, "failed": failed,
                    "pending": pending, "done_pct": 100.0 * ok / planned if planned else 0.0,
                    "rate_per_min": rate * 60, "eta_s": eta_s, "left": left,
                    "last_answer_s": (now - last_answer).total_seconds()})
    return out


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def print_status(db_path: str | Path, console: Console) -> None:
    data = status_data(db_path)
    t = Table(title=f"status of {db_path} (failed = no ok answer yet after retries; pending = not asked yet)")
    for col in ("study", "model", "task", "planned", "ok", "failed", "pending"):
        t.add_column(col, justify="left" if col in ("study", "model", "task") else "right")
    for r in data["rows"]:
        t.add_row(*[str(x) if not isinstance(x, int) else f"{x:,}" for x in r])
    console.print(t)
    if data["live"]:
        live = Table(title=f"being collected (rates over the last {RATE_WINDOW_S} s; ETA at that rate)")
        for col in ("study", "model", "ok", "of planned", "done", "per minute", "ETA", "last answer"):
            live.add_column(col, justify="left" if col in ("study", "model") else "right")
        for r in data["live"]:
            live.add_row(r["study"], r["model"], f"{r['ok']:,}", f"{r['planned']:,}", f"{r['done_pct']:.1f} %",
                         f"{r['rate_per_min']:,.0f}", _eta(r["eta_s"]), f"{r['last_answer_s']:.0f} s ago")
        console.print(live)
    for run in data["runs"]:
        state = ("running" if run["alive"] else "ended without a run end (killed?)" if run["alive"] is False
                 else f"on host {run['host']}")
        console.print(f"run {run['run_id'][:12]} ({run['study']}, process {run['pid']}, started "
                      f"{run['started_at']:%Y-%m-%d %H:%M:%S} UTC): {state}", highlight=False, soft_wrap=True)
    n_files, n_lines = journal.orphan_backlog(db_path)
    if n_files:
        console.print(f"{n_lines:,} answers in {n_files} journal file(s) of ended runs ({journal.journal_dir(db_path)}) "
                      f"are not in the database yet; the next `aligned collect` or `aligned import` puts them in",
                      highlight=False, soft_wrap=True)
