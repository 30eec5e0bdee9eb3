"""Section 1 (what was run) and the data-quality section (what came back).

Both read marts only: study_summary and study_models (the design and the
collection span), response_status, usage, latency and answers.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd

from collector import __version__
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext
from aligned.report.style import SIM_NOTE

SIMULATED_KIND = "simulated (synthetic respondents, not an LLM)"


def header(ctx: ReportContext) -> Section:
    sec = Section("overview", "Study")
    wh = ctx.wh
    row = wh.summary()
    sec.facts.append(("Study", str(ctx.study) if ctx.study is not None else
                      "unknown (no study_summary mart: run `aligned build`)"))
    if row is not None and pd.notna(row["description"]) and row["description"]:
        sec.facts.append(("Description", " ".join(str(row["description"]).split())))
    if ctx.tasks:
        sec.facts.append(("Tasks", "; ".join(t.title for t in ctx.tasks) + " (in the experiment file's order)"))
    contexts = [c for c in ctx.design.contexts]
    if contexts:
        sec.facts.append(("Contexts", ", ".join(contexts)))
    _reference(ctx, sec)
    models = ctx.models
    n_sim = int(models["is_simulated"].sum())
    sec.facts.append(("Models", f"{len(models)}" + (f" ({n_sim} simulated: synthetic respondents, not LLMs)"
                                                    if n_sim else "")))
    if row is not None and pd.notna(row["replicates"]):
        sec.facts.append(("Replicates", f"{int(row['replicates'])} runs per prompt and setting (design)"))
    versions = "unknown"
    if row is not None and pd.notna(row["first_requested_at"]):
        sec.facts.append(("Data collected", f"{_day(row['first_requested_at'])} to {_day(row['last_completed_at'])} "
                                            f"UTC ({int(row['n_response_rows']):,} response rows, retries included)"))
        low, high = row["min_collector_version"], row["max_collector_version"]
        if pd.notna(low):
            versions = str(low) if low == high else f"{low} to {high}"
    elif row is not None and pd.notna(row["design_collector_version"]):
        versions = str(row["design_collector_version"])
    sec.facts.append(("Collector version", f"{versions} (data); {__version__} (this report)"))
    sec.facts.append(("Report generated", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")))
    others = [s for s in wh.studies if s != ctx.study]
    if others:
        sec.facts.append(("Other studies in this file", ", ".join(others) + " (choose one with --study)"))
    table = models[["model", "provider", "provider_model"]].copy()
    table.insert(1, "kind", [SIMULATED_KIND if s else "LLM" for s in models["is_simulated"]])
    table["model"] = table["model"].map(ctx.label)
    sec.tables.append(TableOut("models", table.reset_index(drop=True), "Models in the study." +
                               (f" {SIM_NOTE}." if n_sim else "")))
    return sec


NO_REFERENCE = ("No human figures were declared for this study (no `reference:` in its experiment file): the "
                "report compares the models with each other only.")


def _reference(ctx: ReportContext, sec: Section) -> None:
    """The study's declared human groups, with the citation and caveats of its reference."""
    if not ctx.groups:
        sec.facts.append(("Human reference", NO_REFERENCE))
        return
    sec.facts.append(("Human groups", "; ".join(
        ctx.group_short(g) + (f" (n = {ctx.group_n[g]:,})" if g in ctx.group_n else "") for g in ctx.groups)))
    if ctx.citation:
        sec.facts.append(("Reference", ctx.citation))
    if ctx.caveats:
        sec.facts.append(("Caveats", ctx.caveats))


def _truncated(ctx: ReportContext, sec: Section) -> None:
    """How many answers were cut off at the token limit (answers.is_truncated): parsed like any answer."""
    res = ctx.wh.table("answers", ["response_id", "model", "task", "is_truncated"], where="is_truncated")
    if res.df is None:
        sec.notes.append(f"No count of truncated answers: {res.note}.")
        return
    n = res.df["response_id"].nunique()
    if n == 0:
        sec.facts.append(("Truncated answers", "none: no answer was cut off at the token limit"))
        return
    per = res.df.drop_duplicates("response_id").groupby(["model", "task"]).size()
    detail = ", ".join(f"{ctx.label(m)} {t}: {k:,}" for (m, t), k in per.items())
    sec.facts.append(("Truncated answers", f"{n:,} answers were cut off at the token limit (finish reason "
                                           f"'length'; parsed like any answer, so a cut list may name fewer "
                                           f"options): {detail}"))


def _day(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M")


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
    _truncated(ctx, sec)
    _examples(ctx, sec)
    _usage_latency(ctx, sec)
    return sec


def _usage_latency(ctx: ReportContext, sec: Section) -> None:
    """Requests, retries, tokens, cost and latency per model: the usage and latency marts."""
    usage = ctx.wh.table("usage", ["model", "task", *USAGE_SUMS])
    latency = ctx.wh.table("latency", ["model", *LATENCY_COLUMNS])
    if not usage.ok and not latency.ok:
        sec.notes.append(f"No data for usage and latency: {usage.note}; {latency.note}.")
        return
    per_task = None
    if usage.ok:
        u = usage.df
        sums = USAGE_SUMS
        per_task = u[["model", "task", *sums]]
        # min_count=1: a model with no price keeps an empty cost rather than $0.
        per_model = u.groupby("model", as_index=False)[sums].sum(min_count=1)
    else:
        sec.notes.append(f"No usage figures: {usage.note}.")
        per_model = pd.DataFrame({"model": latency.df["model"].unique()})
    if latency.ok:
        lat = latency.df[["model", *LATENCY_COLUMNS]].rename(columns=LATENCY_NAMES)
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
        " The CSV also has response rows, the number of timed answers and the mean latency.", fmt,
        preview=df.drop(columns=quiet + page_only)))
    if per_task is not None:
        t = ctx.by_model(per_task, ["task"])
        sec.tables.append(TableOut("usage", t, "Usage per model and task (as the usage mart has it).",
                                   {c: ("usd" if c == "cost_usd" else "int") for c in t.columns
                                    if c not in ("model", "task")}, collapsed=True))


def _request_status(ctx: ReportContext, sec: Section) -> None:
    """Planned / ok / failed / pending per model and task, and how the answers mapped: the response_status mart."""
    mart = ctx.wh.table("response_status", STATUS_COLUMNS)
    if not mart.ok:
        sec.notes.append(f"No request status: {mart.note}.")
        return
    df = mart.df[STATUS_COLUMNS]
    df = ctx.by_model(df, ["task"])
    total = df[["n_planned", "n_ok", "n_failed"]].sum()
    pending = int(df["n_pending"].sum())
    fact = (f"{int(total['n_ok']):,} of {int(total['n_planned']):,} planned answered ok "
            f"({100 * total['n_ok'] / max(1, total['n_planned']):.1f}%); {int(total['n_failed']):,} failed after "
            f"retries; {pending:,} not yet sent")
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
    """Refusals and invalid answers, a few per model in the page and all of them in the CSV (answers mart)."""
    ans = ctx.wh.table("answers", ["response_id", "model", "task", "item", "setting", "replicate", "status",
                                   "invalid_reason", "raw_text"], where="status in ('refusal', 'invalid')")
    if ans.df is None:
        sec.notes.append(f"No examples of unmapped answers: {ans.note}.")
        return
    df, kind, text = ans.df, "status", "raw_text"
    if df.empty:
        sec.facts.append(("Refusals and invalid answers", "none: every answer mapped to an option"))
        return
    counts = df.drop_duplicates("response_id")[kind].value_counts()
    sec.facts.append(("Refusals and invalid answers", ", ".join(f"{n:,} {k}" for k, n in counts.items())))
    cols = ["model", "task", "item", "setting", "replicate", kind, "invalid_reason", text]
    table = ctx.by_model(df[cols], ["task", "item", "replicate"])
    keys = ["model", kind]
    preview = table.groupby(keys, sort=False, group_keys=False).head(1).head(16)
    sec.tables.append(TableOut(
        "unmapped_answers", table,
        f"Examples of refusals and invalid answers (all {len(table):,} in the CSV), as the model wrote them.",
        {text: "text"}, preview=preview))
