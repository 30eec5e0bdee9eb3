"""Section 1 (what was run) and the data-quality section (what came back).

Both read the collector's raw tables directly: they describe the collection
itself, so they must work even before any mart is built.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd

from collector import __version__
from collector.report.content import Section, TableOut
from collector.report.context import ReportContext, first_column
from collector.report.style import SIM_NOTE

SIMULATED_KIND = "simulated (synthetic respondents, not an LLM)"


def header(ctx: ReportContext) -> Section:
    sec = Section("overview", "Study")
    wh = ctx.wh
    st = wh.table("studies", ["study"])
    row = st.df.iloc[-1] if st.ok else None
    sec.facts.append(("Study", str(ctx.study) if ctx.study is not None else "unknown (no raw.studies table)"))
    if row is not None and pd.notna(row.get("description")) and row.get("description"):
        sec.facts.append(("Description", str(row["description"])))
    models = ctx.models
    n_sim = int(models["is_simulated"].sum())
    sec.facts.append(("Models", f"{len(models)}" + (f" ({n_sim} simulated: synthetic respondents, not LLMs)"
                                                    if n_sim else "")))
    if row is not None and pd.notna(row.get("replicates")):
        sec.facts.append(("Replicates", f"{int(row['replicates'])} runs per prompt and setting (design)"))
    span = wh.query("select min(coalesce(requested_at, completed_at)) as first, max(completed_at) as last, "
                    "count(*) as n, string_agg(distinct collector_version, ', ') as versions "
                    "from {responses} where study = ?", [ctx.study], tables=["responses"])
    if span.ok and pd.notna(span.df["first"].iloc[0]):
        s = span.df.iloc[0]
        sec.facts.append(("Data collected", f"{_day(s['first'])} to {_day(s['last'])} UTC ({int(s['n']):,} "
                                            "response rows, retries included)"))
        versions = s["versions"] if pd.notna(s["versions"]) else "unknown"
    else:
        versions = str(row["collector_version"]) if row is not None and "collector_version" in row else "unknown"
    sec.facts.append(("Collector version", f"{versions} (data); {__version__} (this report)"))
    sec.facts.append(("Report generated", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")))
    others = [s for s in wh.studies if s != ctx.study]
    if others:
        sec.facts.append(("Other studies in this file", ", ".join(others) + " (choose one with --study)"))
    cols = [c for c in ("model", "provider", "provider_model") if c in models]
    table = models[cols].copy()
    table.insert(1, "kind", [SIMULATED_KIND if s else "LLM" for s in models["is_simulated"]])
    table["model"] = table["model"].map(ctx.label)
    sec.tables.append(TableOut("models", table.reset_index(drop=True), "Models in the study." +
                               (f" {SIM_NOTE}." if n_sim else "")))
    return sec


def _day(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M")


STATUS_SQL = """
with planned as (
    select model, task, request_key from {planned_requests} where study = ?
),
per_key as (
    select request_key, bool_or(status = 'ok') as any_ok, bool_or(status <> 'ok') as any_failed
    from {responses} where study = ? group by request_key
)
select p.model, p.task,
       count(*) as n_planned,
       count(*) filter (where k.any_ok) as n_ok,
       count(*) filter (where k.request_key is not null and not k.any_ok) as n_failed,
       count(*) filter (where k.request_key is null) as n_pending,
       count(*) filter (where k.any_ok and k.any_failed) as n_recovered
from planned p left join per_key k using (request_key)
group by p.model, p.task
"""

USAGE_SQL = """
select model,
       count(*) as response_rows,
       count(*) filter (where status = 'ok') as ok_rows,
       sum(attempts) - count(*) as retries,
       sum(prompt_tokens) as prompt_tokens,
       sum(completion_tokens) as completion_tokens,
       sum(cost_usd) as cost_usd,
       quantile_cont(latency_ms, 0.5) as latency_p50_ms,
       quantile_cont(latency_ms, 0.9) as latency_p90_ms,
       quantile_cont(latency_ms, 0.99) as latency_p99_ms
from {responses} where study = ?
group by model
"""


STATUS_COLUMNS = ["model", "task", "n_planned", "n_ok", "n_failed", "n_pending", "n_recovered", "n_unplanned_ok",
                  "n_mapped", "n_refusal", "n_invalid", "completion_share", "refusal_share", "invalid_share"]


def data_quality(ctx: ReportContext) -> Section:
    sec = Section("data-quality", "Data quality",
                  "Whether every planned request came back, how many answers could not be mapped to an option "
                  "(refusals and invalid answers), and what the collection cost in tokens, money and time.")
    _request_status(ctx, sec)
    _examples(ctx, sec)
    usage = ctx.wh.query(USAGE_SQL, [ctx.study], tables=["responses"])
    if usage.ok:
        df = ctx.by_model(usage.df)
        sec.tables.append(TableOut(
            "usage_latency", df,
            "Per model: response rows (retries included), tokens, cost (empty where the model has no price; "
            "simulated models cost nothing) and latency percentiles of the last attempt in milliseconds.",
            {"response_rows": "int", "ok_rows": "int", "retries": "int", "prompt_tokens": "int",
             "completion_tokens": "int", "cost_usd": "usd", "latency_p50_ms": "ms", "latency_p90_ms": "ms",
             "latency_p99_ms": "ms"}))
    else:
        sec.notes.append(f"No usage figures: {usage.note}.")
    return sec


def _request_status(ctx: ReportContext, sec: Section) -> None:
    """Planned / ok / failed / pending per model and task: the response_status mart, else raw tables."""
    mart = ctx.wh.table("response_status", ["model", "task", "n_planned", "n_ok", "n_failed"])
    if mart.ok:
        df = mart.df[[c for c in STATUS_COLUMNS if c in mart.df]]
    else:
        raw = ctx.wh.query(STATUS_SQL, [ctx.study, ctx.study], tables=["planned_requests", "responses"])
        if not raw.ok:
            sec.notes.append(f"No request status: {mart.note}; {raw.note}.")
            return
        df = raw.df
        sec.notes.append("Request status from the raw tables (no response_status mart); refusals and invalid "
                         "answers need the answers mart.")
    df = ctx.by_model(df, ["task"])
    total = df[["n_planned", "n_ok", "n_failed"]].sum()
    pending = int(df["n_pending"].sum()) if "n_pending" in df else 0
    fact = (f"{int(total['n_ok']):,} of {int(total['n_planned']):,} planned answered ok "
            f"({100 * total['n_ok'] / max(1, total['n_planned']):.1f}%); {int(total['n_failed']):,} failed after "
            f"retries; {pending:,} not yet sent")
    if "n_refusal" in df and "n_invalid" in df:
        fact += f"; {int(df['n_refusal'].sum()):,} refusals and {int(df['n_invalid'].sum()):,} invalid answers"
    sec.facts.append(("Requests", fact))
    fmt = {c: ("pct" if c.endswith("_share") else "int") for c in df.columns if c.startswith("n_") or
           c.endswith("_share")}
    # The page leaves out columns that are zero everywhere (normally n_unplanned_ok, often n_recovered).
    quiet = [c for c in ("n_unplanned_ok", "n_recovered", "n_failed", "n_pending") if c in df and not df[c].any()]
    sec.tables.append(TableOut(
        "request_status", df,
        "Per model and task: planned requests, those with an ok answer, those that failed after retries, those "
        "not sent yet (rerun collect to complete them) and those that failed first and later succeeded; then how "
        "the ok answers mapped: to an option, a refusal, or invalid." +
        (f" Not shown (zero everywhere): {', '.join(quiet)}." if quiet else ""), fmt,
        preview=df.drop(columns=quiet) if quiet else None))


def _examples(ctx: ReportContext, sec: Section) -> None:
    """Refusals and invalid answers, a few per model in the page and all of them in the CSV."""
    ans = ctx.wh.table("answers", ["model", "status"], where="status in ('refusal', 'invalid')")
    text = first_column(ans.df, ["raw_text", "response_text"]) if ans.df is not None else None
    if ans.df is not None and text:
        df = ans.df
        kind = "status"
    else:
        res = ctx.wh.table("unmapped_answers", ["model"])
        if res.df is None:
            sec.notes.append(f"No examples of unmapped answers: {ans.note or res.note}.")
            return
        df = res.df
        kind = first_column(df, ["status", "invalid_reason", "reason", "match_method"])
        text = first_column(df, ["raw_text", "response_text", "text"])
    if df.empty:
        sec.facts.append(("Refusals and invalid answers", "none: every answer mapped to an option"))
        return
    if kind:
        counts = df.drop_duplicates("response_id")[kind].value_counts() if "response_id" in df else \
            df[kind].value_counts()
        sec.facts.append(("Refusals and invalid answers",
                          ", ".join(f"{n:,} {k}" for k, n in counts.items())))
    cols = [c for c in ("model", "task", "item", "setting", "replicate", kind, "invalid_reason", text)
            if c and c in df]
    table = ctx.by_model(df[list(dict.fromkeys(cols))], [c for c in ("task", "item", "replicate") if c in cols])
    keys = ["model"] + ([kind] if kind else [])
    preview = table.groupby(keys, sort=False, group_keys=False).head(1).head(16)
    sec.tables.append(TableOut(
        "unmapped_answers", table,
        f"Examples of refusals and invalid answers (all {len(table):,} in the CSV), as the model wrote them.",
        {text: "text"} if text else {}, preview=preview))
