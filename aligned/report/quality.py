"""Section 1 (what was run) and the data-quality section (what came back).

Both read the collector's raw tables directly: they describe the collection
itself, so they must work even before any mart is built.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd

from collector import __version__
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext, first_column
from aligned.report.style import SIM_NOTE

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

#: Fallback when the usage / latency marts are not built: the same definitions over the raw table.
#: Requests, attempts and retries count every stored row (every run); tokens, cost and latency are
#: those of the answer of record (the latest ok row of each request), as in the marts.
RAW_USAGE_SQL = """
with per_key as (
    select model, task, request_key, count(*) as n_rows, sum(coalesce(attempts, 1)) as n_attempts,
           bool_or(status = 'ok') as has_ok
    from {responses} where study = ? group by model, task, request_key
),
record as (
    select * from {responses} where study = ? and status = 'ok'
    qualify row_number() over (partition by request_key order by completed_at desc nulls last,
                                                                   response_id desc) = 1
),
requests as (
    select model, task, count(*) as requests, count(*) filter (where has_ok) as ok,
           count(*) filter (where not has_ok) as failed, sum(n_rows) as response_rows,
           sum(n_attempts) as attempts, sum(n_attempts) - count(*) as retries
    from per_key group by model, task
),
tokens as (
    select model, task, sum(prompt_tokens) as prompt_tokens, sum(completion_tokens) as completion_tokens,
           sum(cost_usd) as cost_usd
    from record group by model, task
)
select * from requests left join tokens using (model, task)
"""

RAW_LATENCY_SQL = """
with record as (
    select * from {responses} where study = ? and status = 'ok'
    qualify row_number() over (partition by request_key order by completed_at desc nulls last,
                                                                   response_id desc) = 1
)
select model, count(*) as n_ok, count(latency_ms) as n_timed,
       quantile_cont(latency_ms, 0.5) as p50_latency_ms, quantile_cont(latency_ms, 0.9) as p90_latency_ms,
       quantile_cont(latency_ms, 0.99) as p99_latency_ms, avg(latency_ms) as mean_latency_ms,
       max(latency_ms) as max_latency_ms
from record group by model
"""

USAGE_SUMS = ["requests", "ok", "failed", "response_rows", "attempts", "retries", "prompt_tokens",
              "completion_tokens", "cost_usd"]
LATENCY_COLUMNS = ["n_ok", "n_timed", "p50_latency_ms", "p90_latency_ms", "p99_latency_ms", "mean_latency_ms",
                   "max_latency_ms"]
#: The page's (and CSV's) names for the latency mart's columns.
LATENCY_NAMES = {"n_ok": "answers_of_record", "n_timed": "timed", "p50_latency_ms": "latency_p50_ms",
                 "p90_latency_ms": "latency_p90_ms", "p99_latency_ms": "latency_p99_ms",
                 "mean_latency_ms": "latency_mean_ms", "max_latency_ms": "latency_max_ms"}


STATUS_COLUMNS = ["model", "task", "n_planned", "n_ok", "n_failed", "n_pending", "n_recovered", "n_unplanned_ok",
                  "n_mapped", "n_refusal", "n_invalid", "completion_share", "refusal_share", "invalid_share"]


def data_quality(ctx: ReportContext) -> Section:
    sec = Section("data-quality", "Data quality",
                  "Whether every planned request came back, how many answers could not be mapped to an option "
                  "(refusals and invalid answers), and what the collection cost in tokens, money and time.")
    _request_status(ctx, sec)
    _examples(ctx, sec)
    _usage_latency(ctx, sec)
    return sec


def _usage_latency(ctx: ReportContext, sec: Section) -> None:
    """Requests, retries, tokens, cost and latency per model: the usage and latency marts, else raw rows."""
    usage = ctx.wh.table("usage", ["model"] + [c for c in USAGE_SUMS if c != "cost_usd"])
    usage_from = "usage mart"
    if not usage.ok:
        raw = ctx.wh.query(RAW_USAGE_SQL, [ctx.study, ctx.study], tables=["responses"])
        usage_from = "raw responses" if raw.ok else None
        if raw.ok:
            sec.notes.append(f"Usage from the raw responses (no usage mart: {usage.note}).")
        else:
            raw.note = f"{usage.note}; {raw.note}"
        usage = raw
    latency = ctx.wh.table("latency", ["model", "p50_latency_ms", "p90_latency_ms", "p99_latency_ms"])
    if not latency.ok:
        raw = ctx.wh.query(RAW_LATENCY_SQL, [ctx.study], tables=["responses"])
        if raw.ok:
            sec.notes.append(f"Latency from the raw responses (no latency mart: {latency.note}).")
        else:
            raw.note = f"{latency.note}; {raw.note}"
        latency = raw
    if not usage.ok and not latency.ok:
        sec.notes.append(f"No data for usage and latency: {usage.note}; {latency.note}.")
        return
    per_task = None
    if usage.ok:
        u = usage.df
        sums = [c for c in USAGE_SUMS if c in u]
        per_task = u[[c for c in ("model", "task") if c in u] + sums]
        # min_count=1: a model with no price keeps an empty cost rather than $0.
        per_model = u.groupby("model", as_index=False)[sums].sum(min_count=1)
    else:
        sec.notes.append(f"No usage figures: {usage.note}.")
        per_model = pd.DataFrame({"model": latency.df["model"].unique()})
    if latency.ok:
        lat = latency.df[["model"] + [c for c in LATENCY_COLUMNS if c in latency.df]].rename(columns=LATENCY_NAMES)
        per_model = per_model.merge(lat, on="model", how="outer")
    else:
        sec.notes.append(f"No latency figures: {latency.note}.")
    df = ctx.by_model(per_model)
    fmt = {c: "int" for c in ("requests", "ok", "failed", "response_rows", "attempts", "retries", "prompt_tokens",
                              "completion_tokens", "answers_of_record", "timed") if c in df}
    fmt.update({"cost_usd": "usd", **{c: "ms" for c in df.columns if str(c).endswith("_ms")}})
    if "retries" in df and "requests" in df and df["requests"].sum() > 0:
        sec.facts.append(("Retries", f"{int(df['retries'].sum()):,} attempts beyond the first of "
                                     f"{int(df['requests'].sum()):,} requests, over every collect run"))
    if "cost_usd" in df and df["cost_usd"].notna().any():
        sec.facts.append(("Cost", f"${df['cost_usd'].sum():,.2f} for the answers of record (models with a price)"))
    quiet = [c for c in ("failed", "retries") if c in df and not df[c].fillna(0).any()]
    # The page keeps the table narrow: rows, timed answers and the mean latency are in the CSV.
    page_only = [c for c in ("response_rows", "answers_of_record", "timed", "latency_mean_ms") if c in df]
    sec.tables.append(TableOut(
        "usage_latency", df,
        "Per model: requests stored (ok or failed), requests with an ok answer, requests that only failed, HTTP "
        "attempts over every collect run and retries (attempts beyond the first of each request); tokens and "
        "cost of the answers of record (cost empty where the model has no price; simulated models cost "
        "nothing); latency (ms) of the answers of record, the last attempt of each ok request." +
        (f" Not shown (zero everywhere): {', '.join(quiet)}." if quiet else "") +
        " The CSV also has response rows, the number of timed answers and the mean latency." +
        ("" if usage_from != "raw responses" else " Computed from the raw responses."), fmt,
        preview=df.drop(columns=quiet + page_only)))
    if per_task is not None and "task" in per_task:
        t = ctx.by_model(per_task, ["task"])
        sec.tables.append(TableOut("usage", t, "Usage per model and task (as the usage mart has it).",
                                   {c: ("usd" if c == "cost_usd" else "int") for c in t.columns
                                    if c not in ("model", "task")}, collapsed=True))


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
