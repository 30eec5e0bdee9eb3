"""Profile fidelity, how each model's priority profile reproduces each human group's.

Reads the ``profile_fidelity`` mart (Lau et al. 2025): ordering (Spearman), calibration (OLS slope
of the model's shares on the human shares) and agreement (Lin's CCC), each with its bootstrap
interval, per model, task, context and human group.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from aligned.report import figures
from aligned.report.common import one_setting, rho_pivot, sim_note
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext
from aligned.report.design import Task
from aligned.report.rate import top_name


def _points(task: Task) -> str | None:
    """What the points of a task's profile are, in the study's own words."""
    if task.kind == "select":
        return f"the values' top-{task.k} shares" if task.k else "the values' selection shares"
    if task.kind == "rate":
        return f"the values' {top_name(task)} shares"
    if task.kind == "tradeoff":
        return "the conflict sides' shares favouring them (the two levels nearest each side)"
    return None


INTRO = ("How closely each model's priority profile reproduces each human group's, following Lau et al. (2025). "
         "Over the same points as the alignment sections (a select task: the share of runs selecting each value; "
         "a rate task: the share answering the scale's top level for each value; a trade-off task: the share "
         "favouring each side of a conflict), three statistics compare the model's figures with the group's. Ordering: "
         "Spearman's rho (does the model rank the priorities as the group does?). Calibration: the OLS slope of "
         "the model's shares on the group's shares: 1 means the differences between priorities are as large as "
         "people's, above 1 exaggerated, below 1 flattened, below 0 reversed. Agreement: Lin's concordance "
         "correlation coefficient (CCC), 1 only when the model's shares equal the group's; it drops with a "
         "different order, a different spread or a shift in level, so a model can order the values as people do "
         "(high rho) and still have a low CCC. Intervals are 95% bootstrap intervals over the model's runs.")


def _slug(task: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(task).lower()).strip("_") or "task"


def _task_order(ctx: ReportContext, df: pd.DataFrame) -> list[str]:
    names = [t.name for t in ctx.tasks]
    return sorted(df["task"].dropna().unique(), key=lambda t: (names.index(t) if t in names else len(names), str(t)))


def _headline_context(ctx: ReportContext, sub: pd.DataFrame) -> str | None:
    """The context a task's figure shows: the pooled one (or the no-context label) when there is one."""
    contexts = ctx.order_contexts(sub["context"])
    pooled = [c for c in contexts if c in ctx.pooled]
    return (pooled or contexts or [None])[0]


def _task_label(task: str, context: str | None, n_contexts: int) -> str:
    name = str(task)
    return f"{name} {context}" if n_contexts > 1 and context is not None else name


def fidelity(ctx: ReportContext) -> Section | None:
    """None for a study that declares no human groups (no empty human section)."""
    if not ctx.groups:
        return None
    sec = Section("profile-fidelity", "Profile fidelity: order, calibration and agreement with each human group",
                  INTRO)
    res = ctx.wh.table("profile_fidelity", ["model", "human_group", "lins_ccc"])
    if not res.ok:
        sec.notes.append(f"No data: {res.note}.")
        return sec
    df = one_setting(res.df.drop(columns=[c for c in ("study",) if c in res.df]))
    df = df[df["human_group"].isin(ctx.groups)]
    if df.empty:
        sec.notes.append("No data: profile_fidelity has no rows for the declared groups.")
        return sec
    if "task" not in df:
        df["task"] = "all"
    if "context" not in df:
        df["context"] = "all"
    df["context"] = df["context"].fillna(ctx.no_context_label or "")
    groups = ctx.order_groups(df["human_group"])
    colours = {g: ctx.group_colour(g) for g in groups}
    headline, columns = [], []
    for task in _task_order(ctx, df):
        sub = df[df["task"] == task]
        c = _headline_context(ctx, sub)
        one = sub[sub["context"] == c]
        n_ctx = sub["context"].nunique()
        label = _task_label(task, c, n_ctx)
        headline.append(one.assign(_col=[f"{label} · {ctx.group_short(g)}" for g in one["human_group"]]))
        columns += [f"{label} · {ctx.group_short(g)}" for g in groups]
        models = ctx.order(one["model"])
        plot = pd.DataFrame({
            "row": one["model"].map(ctx.label), "group": one["human_group"],
            **{k: one[col] if col in one else np.nan for k, col in (
                ("ccc", "lins_ccc"), ("ccc_lo", "lins_ccc_ci_low"), ("ccc_hi", "lins_ccc_ci_high"),
                ("slope", "slope"), ("slope_lo", "slope_ci_low"), ("slope_hi", "slope_ci_high"))}})
        if plot[["ccc", "slope"]].isna().all().all():
            sec.notes.append(f"No data for {label}: every CCC and slope is undefined.")
            continue
        points = _points(ctx.task_of(task)) if ctx.task_of(task).kind else None
        where = "" if n_ctx <= 1 else (" (mean over contexts)" if c in ctx.pooled else f" (context {c})")
        name = f"profile_fidelity_{_slug(task)}"
        svg = figures.fidelity_dots(name, plot, ctx.labels(models), {g: ctx.human_label(g) for g in groups},
                                    colours, f"{task}{where}: profile fidelity against each human group")
        n_pts = one["n_values"].dropna() if "n_values" in one else pd.Series(dtype=float)
        n_rep = one["n_replicates"].dropna() if "n_replicates" in one else pd.Series(dtype=float)
        over = (f" Points: {points}" if points else " Points: the task's shares") + \
            (f" ({_span(n_pts)} per model)." if len(n_pts) else ".")
        reps = f" Intervals resample {_span(n_rep)} runs per model." if len(n_rep) and n_rep.max() > 0 else ""
        more = " Per-context rows are in the CSV." if n_ctx > 1 else ""
        sec.add_figure(name, svg,
                       "Left: Lin's CCC, agreement in order and level (dashed line: 1 = the model's shares equal "
                       "the group's). Right: calibration slope (dashed line: 1 = the same spread as people; a "
                       "triangle at the edge marks an interval beyond the axis). Bars are 95% intervals; one dot "
                       f"per human group.{over}{reps}{more}{sim_note(ctx)}")
    table = ctx.by_model(df, ["task", "context", "human_group"])
    fmt = {c: "f3" for c in table.columns if pd.api.types.is_float_dtype(table[c])}
    fmt.update({c: "int" for c in ("n_values", "n_replicates") if c in table})
    preview = None
    if headline:
        shown = pd.concat(headline, ignore_index=True)
        preview, pfmt = rho_pivot(ctx, shown, ["model"], shown["_col"], columns, value="lins_ccc",
                                  low="lins_ccc_ci_low", high="lins_ccc_ci_high")
        fmt.update(pfmt)
    sec.tables.append(TableOut(
        "profile_fidelity", table,
        "Lin's CCC [95% interval] per model, task and human group (a task with contexts: the mean over contexts). "
        "The CSV has every row (per context too) with Spearman's rho, the slope, their intervals and the means of both sides.",
        fmt, preview=preview))
    return sec


def _span(s: pd.Series) -> str:
    lo, hi = int(s.min()), int(s.max())
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


__all__ = ["fidelity"]
