"""Models compared with each other (every task) and with themselves across settings (select tasks)."""
from __future__ import annotations

import pandas as pd

from aligned.report import figures
from aligned.report.common import NO_DATA, one_setting, sim_note
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext
from aligned.report.design import Task
from aligned.report.rate import measure_name
from alignstats.robustness import (HIGH_MAX_STDEV_SHARE, HIGH_MIN_TOP5_JACCARD, LOW_STDEV_SHARE_ABOVE,
                                        LOW_TOP5_JACCARD_BELOW)


def _measure(task: Task, measure: str | None) -> str | None:
    if measure is None:
        return None
    if measure == "selected":
        return f"top-{task.k} share" if task.k else "selection share"
    return f"{measure_name(task, measure)} share" if task.kind == "rate" else str(measure)


def _drop_study(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in ("study",) if c in df])


def similarity(ctx: ReportContext) -> Section:
    sec = Section("model-similarity", "Model × model similarity",
                  "Spearman's rho between two models' shares over the same items: how alike their value "
                  "priorities are, independent of the humans.")
    res = ctx.wh.table("model_similarity", ["model_a", "model_b", "spearman_rho"])
    if not res.ok:
        sec.notes.append(f"{NO_DATA}: {res.note}.")
        return sec
    df = one_setting(res.df.copy())
    models = ctx.order(list(df["model_a"]) + list(df["model_b"]))
    panels: dict[str, pd.DataFrame] = {}
    names = [t.name for t in ctx.tasks]
    for task in sorted(df["task"].dropna().unique(), key=lambda t: (names.index(t) if t in names else len(names), t)):
        sub = df[df["task"] == task]
        if sub["measure"].nunique() > 1:  # one measure per task: the first the mart lists
            sub = sub[sub["measure"] == sub["measure"].iloc[0]]
        contexts = ctx.order_contexts(sub["context"])
        pooled = [c for c in contexts if c in ctx.pooled]
        for c in pooled or contexts:
            one = sub[sub["context"] == c]
            m = one.pivot_table(index="model_a", columns="model_b", values="spearman_rho")
            m = m.combine_first(m.T).reindex(index=models, columns=models)
            measure = one["measure"].iloc[0] if "measure" in one and one["measure"].notna().any() else None
            what = _measure(ctx.task_of(task), measure)
            where = "" if c == ctx.no_context_label else f", {'mean over contexts' if c in ctx.pooled else c}"
            title = f"{task}{': ' + what if what else ''}{where}"
            panels[title] = m.set_axis(ctx.labels(models), axis=0).set_axis(ctx.labels(models), axis=1)
    if not panels:
        sec.notes.append(f"{NO_DATA}: model_similarity has no rows.")
        return sec
    svg = figures.heatmap_grid("model_similarity", panels, "Model × model rank correlation",
                               "Spearman's rho (−1 to 1)", vmin=-1, vmax=1, cmap=figures.diverging_cmap("RdBu"),
                               fmt=figures.two, ncols=2, square=True)
    sec.add_figure("model_similarity", svg,
                   "Blue = the two models order the items alike, red = in opposite order; grey = no rank order "
                   "(a model whose shares are all equal). One panel per task, setting 'original' (a task with "
                   f"contexts: the mean over contexts).{sim_note(ctx)}")
    table = df.assign(model_a=df["model_a"].map(ctx.label), model_b=df["model_b"].map(ctx.label))
    sec.tables.append(TableOut("model_similarity", _drop_study(table).reset_index(drop=True),
                               "Every pair of models per task, context and measure.", {"spearman_rho": "f2"},
                               collapsed=True))
    return sec


def robustness(ctx: ReportContext) -> Section | None:
    """Robustness of the select task to the order of its list (mart t1_robustness), when the study
    asked it in several settings; None when the mart has no rows for the study."""
    task = ctx.design.first("select")
    res = ctx.wh.table("t1_robustness", ["model", "count_stdev", "top5_jaccard", "group", "n_runs"])
    if task is None or not res.ok:
        return None
    top = f"top-{task.k}" if task.k else "selected"
    sec = Section("robustness", f"{task.name} · robustness to the order of the value list",
                  f"How much a model's {task.name} selections move when the list is reversed or shuffled: standard "
                  "deviation of each value's selection count across settings (in runs, averaged over values) and "
                  f"the mean Jaccard similarity of the {top} sets between settings.")
    df = _drop_study(res.df)
    if "task" in df:
        df = df[df["task"] == task.name]
    if df.empty:
        return None
    sd, jac, grp, runs = "count_stdev", "top5_jaccard", "group", "n_runs"
    if sd and jac:
        n = float(df[runs].max()) if runs and df[runs].notna().any() else None
        plot = pd.DataFrame({"label": df["model"].map(ctx.label), "x": df[sd], "y": df[jac],
                             "group": df[grp] if grp else "unknown"})
        x_lines = [HIGH_MAX_STDEV_SHARE * n, LOW_STDEV_SHARE_ABOVE * n] if n else []
        svg = figures.robustness_scatter(
            f"{task.slug}_robustness", plot, f"{task.name}: robustness to list order",
            "Count stdev across settings (runs" + (f" of {n:.0f}" if n else "") + "; lower = more robust)",
            f"Mean {top} Jaccard between settings (higher = more robust)",
            x_lines=x_lines, y_lines=[LOW_TOP5_JACCARD_BELOW, HIGH_MIN_TOP5_JACCARD])
        sec.add_figure(f"{task.slug}_robustness", svg,
                       f"Dotted lines are the grouping thresholds: high robustness needs {top} Jaccard ≥ "
                       f"{HIGH_MIN_TOP5_JACCARD} and stdev ≤ {100 * HIGH_MAX_STDEV_SHARE:.0f}% of the runs; low "
                       f"means Jaccard < {LOW_TOP5_JACCARD_BELOW} or stdev > {100 * LOW_STDEV_SHARE_ABOVE:.0f}% of "
                       f"the runs.{sim_note(ctx)}")
    else:
        sec.notes.append("t1_robustness lacks a count stdev or Jaccard column: table only.")
    fmt = {c: "f2" for c in df.columns if "jaccard" in str(c) or "stdev" in str(c)}
    sec.tables.append(TableOut(f"{task.slug}_robustness", ctx.by_model(df), "Robustness per model.", fmt))
    return sec


__all__ = ["similarity", "robustness"]
