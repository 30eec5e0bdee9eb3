"""Select tasks ("pick the k most important"): selection shares, their intervals, and alignment with
the study's declared human groups. Every name, k and count comes from the design and the marts."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aligned.report import figures
from aligned.report.common import NO_DATA, rho_pivot, sim_note, task_rows, wide_table
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext
from aligned.report.data import pick
from aligned.report.design import Task


def sections(ctx: ReportContext, task: Task) -> list[Section]:
    out = [selection(ctx, task)]
    if ctx.groups:
        out.append(alignment(ctx, task))
    return out


def _k(task: Task) -> str:
    return f"top-{task.k}" if task.k else "selected"


def _pool(ctx: ReportContext, task: Task) -> tuple[pd.DataFrame, list[str]]:
    """The human groups' selection shares for the task (group x value), and the groups that have them."""
    res = ctx.human_points(task)
    if not res.ok:
        return pd.DataFrame(), []
    h = res.df
    h = h[h["options"].fillna("").astype(str) == ""]
    if "context" in h and h["context"].notna().any():  # pooled / no-context figures only
        h = h[h["context"].isna() | h["context"].isin(ctx.pooled)]
    if h.empty:
        return pd.DataFrame(), []
    groups = ctx.order_groups(h["human_group"])
    return h.pivot_table(index="human_group", columns="value", values="share").reindex(groups), groups


def selection(ctx: ReportContext, task: Task) -> Section:
    k = f"{task.k}" if task.k else "k"
    sec = Section(f"{task.slug}-selection", f"{task.title}: selection shares",
                  f"Share of runs in which each model put the value among the {k} it selected (setting "
                  "'original')" + (", and the share of each declared human group that did, from its published "
                                   "figures." if ctx.groups else "."))
    res = ctx.wh.table("selection_shares", ["model", "value", "share"])
    if not res.ok:
        sec.notes.append(f"{NO_DATA}: {res.note}.")
        return sec
    df = task_rows(res.df, task)
    setting = pick(df, "setting", ["original"]) if "setting" in df else None
    if setting is not None:
        df = df[df["setting"] == setting]
    if "measure" in df and df["measure"].nunique() > 1:
        df = df[df["measure"] == "selected"]
    if df.empty:
        sec.notes.append(f"{NO_DATA}: selection_shares has no rows for task {task.name}.")
        return sec
    models = ctx.order(df["model"])
    matrix = df.pivot_table(index="model", columns="value", values="share", aggfunc="mean").reindex(models)
    hm, groups = _pool(ctx, task)
    if groups:
        ref = hm.iloc[0].sort_values(ascending=False)
        cols = [v for v in ref.index if v in matrix.columns] + sorted(set(matrix.columns) - set(ref.index))
        matrix = pd.concat([matrix, hm.reindex(columns=cols)]).reindex(columns=cols)
    else:
        if ctx.groups:
            sec.notes.append(f"No human figures for task {task.name}.")
        matrix = matrix.reindex(columns=matrix.mean().sort_values(ascending=False).index)
    labels = ctx.labels(models) + [ctx.human_label(g) for g in groups]
    shown = matrix.set_axis(labels, axis=0)
    name = f"{task.slug}_selection"
    svg = figures.heatmap(
        f"{name}_heatmap", shown, f"{task.name}: share selecting each value among its {k} (setting: {setting})",
        "Share of runs / respondents selecting the value (%)" if groups else "Share of runs selecting the value (%)",
        xlabel="Value", ylabel="", separator_after=len(models) if groups else None,
        cbar_ticks=np.linspace(0, 1, 6), cbar_ticklabels=[f"{v:.0f}" for v in np.linspace(0, 100, 6)])
    sec.add_figure(f"{name}_heatmap", svg,
                   "Cells show the share in percent. " + (
                       f"Values are ordered by the {ctx.group_short(groups[0])} group's share; "
                       "the human rows below the white line are respondents, not runs."
                       if groups else "Values are ordered by the models' mean share.") + sim_note(ctx))
    table = wide_table(ctx, matrix.reset_index(drop=True), models, [ctx.human_label(g) for g in groups])
    sec.tables.append(TableOut(f"{name}_shares", table,
                               f"{task.name} selection shares (0-1) behind the heatmap.",
                               {c: "pct" for c in matrix.columns}, collapsed=True))
    _intervals(ctx, task, sec, setting, models, list(matrix.columns), hm, groups)
    return sec


def _intervals(ctx: ReportContext, task: Task, sec: Section, setting: str | None, models: list[str],
               values: list[str], humans: pd.DataFrame, groups: list[str]) -> None:
    """Each model's shares with their Wilson intervals (selection_share_intervals) beside the humans'."""
    res = ctx.wh.table("selection_share_intervals", ["model", "value", "share", "ci_low", "ci_high"])
    df = task_rows(res.df, task) if res.ok else None
    if df is not None and setting is not None and "setting" in df:
        df = df[df["setting"] == setting]
    if df is not None and "measure" in df and df["measure"].nunique() > 1:
        df = df[df["measure"] == "selected"]
    if df is None or df.empty:
        sec.notes.append(f"No data for the confidence intervals of the {task.name} shares: "
                         f"{res.note or f'selection_share_intervals has no rows for task {task.name}'}.")
        return
    df = df.groupby(["model", "value"], as_index=False)[["share", "ci_low", "ci_high"]].mean()
    panels = {}
    for m in [m for m in models if m in set(df["model"])]:
        f = df[df["model"] == m].set_index("value").reindex(values)
        panels[ctx.label(m)] = f.rename(columns={"ci_low": "lo", "ci_high": "hi"})[["share", "lo", "hi"]]
    if not panels:
        sec.notes.append(f"No data for the confidence intervals of the {task.name} shares: no model in common.")
        return
    hum = humans.T.reindex(values) if not humans.empty else pd.DataFrame(index=values)
    name = f"{task.slug}_selection_intervals"
    svg = figures.share_intervals(
        name, panels, hum, {g: ctx.human_label(g) for g in groups}, {g: ctx.group_colour(g) for g in groups},
        f"{task.name}: {_k(task)} share per value with its 95% interval (setting: {setting or 'all'})",
        "Share selecting the value (%)")
    sec.add_figure(name, svg,
                   "One panel per model, values in the heatmap's order. Black dot = the model's share of runs, bar "
                   "= its 95% Wilson interval" + (
                       "; hollow markers = the human groups' shares (published figures, no interval). A human "
                       "marker outside the bar is a difference the runs can tell apart." if groups else ".")
                   + sim_note(ctx))
    order = {v: i for i, v in enumerate(values)}
    long = ctx.by_model(df.assign(_v=df["value"].map(order)), ["_v"]).drop(columns="_v")
    for g in groups:
        long[f"human_{g}"] = long["value"].map(humans.loc[g]) if g in humans.index else np.nan
    sec.tables.append(TableOut(
        name, long,
        f"{task.name} shares (0-1) with 95% Wilson intervals per model and value (setting {setting or 'all'})"
        + (", and each human group's share." if groups else "."),
        {c: "pct" for c in long.columns if c not in ("model", "value")}, collapsed=True))


def alignment(ctx: ReportContext, task: Task) -> Section:
    """Alignment with the declared groups: mart t1_human_alignment (the study's select task)."""
    sec = Section(f"{task.slug}-alignment", f"{task.title}: alignment with human groups",
                  f"Spearman's rho between a model's {task.name} selection shares and each human group's, over "
                  f"the task's values, with its confidence interval; Jaccard similarity of the two {_k(task)} "
                  "sets.")
    res = ctx.wh.table("t1_human_alignment", ["model", "human_group", "spearman_rho"])
    if not res.ok:
        sec.notes.append(f"{NO_DATA}: {res.note}.")
        return sec
    df = task_rows(res.df, task)
    df = df[df["human_group"].isin(ctx.groups)]
    if df.empty:
        sec.notes.append(f"{NO_DATA}: t1_human_alignment has no rows for task {task.name} and the declared groups.")
        return sec
    setting = pick(df, "setting", ["original"]) if "setting" in df else None
    fig_df = df[df["setting"] == setting] if setting is not None else df
    models = ctx.order(fig_df["model"])
    groups = ctx.order_groups(fig_df["human_group"])
    plot = pd.DataFrame({
        "row": fig_df["model"].map(ctx.label), "group": fig_df["human_group"],
        "rho": fig_df["spearman_rho"],
        "lo": fig_df["ci_low"] if "ci_low" in fig_df else np.nan,
        "hi": fig_df["ci_high"] if "ci_high" in fig_df else np.nan})
    name = f"{task.slug}_alignment"
    svg = figures.alignment_dots(
        name, plot, ctx.labels(models), {g: ctx.human_label(g) for g in groups},
        {g: ctx.group_colour(g) for g in groups},
        f"{task.name}: rank correlation with human selection shares (setting: {setting or 'all'})",
        "Spearman's rho (−1 to 1); bars = confidence interval")
    ci = "ci_low" in df and "ci_high" in df
    n_values = df["n_values"].dropna() if "n_values" in df else pd.Series(dtype=float)
    over = f"the {int(n_values.max())} values" if len(n_values) else "the values"
    sec.add_figure(name, svg,
                   f"Each dot is one model against one human group; rho near 1 means the model ranks {over} "
                   "as that group does." + (" Bars show the confidence interval." if ci else
                                            " No confidence intervals in the mart.") + sim_note(ctx))
    cols = [c for c in ("model", "setting", "human_group", "spearman_rho", "ci_low", "ci_high", "p_value",
                        "jaccard_top5", "jaccard_ci_low", "jaccard_ci_high", "n_values", "n_runs") if c in df]
    table = ctx.by_model(df[cols], ["setting", "human_group"])
    shown = fig_df.copy()
    rho_name = {g: f"rho, {ctx.group_short(g)}" for g in groups}
    preview, fmt = rho_pivot(ctx, shown, ["model"], shown["human_group"].map(rho_name),
                             [rho_name[g] for g in groups])
    if "jaccard_top5" in shown:
        jw = shown.pivot_table(index="model", columns="human_group", values="jaccard_top5", aggfunc="first")
        jw = jw.reindex(index=ctx.order(shown["model"]))
        for g in groups:
            if g in jw:
                preview[f"Jaccard {_k(task)}, {ctx.group_short(g)}"] = jw[g].to_numpy()
                fmt[f"Jaccard {_k(task)}, {ctx.group_short(g)}"] = "f2"
    sec.tables.append(TableOut(name, table,
                               f"{task.name} alignment: Spearman's rho [confidence interval] per model and human "
                               f"group, setting {setting or 'all'}, and the Jaccard similarity of the {_k(task)} "
                               "sets. The CSV has every setting, p-values and the Jaccard intervals.",
                               preview=preview,
                               formats={"spearman_rho": "f2", "ci_low": "f2", "ci_high": "f2", "p_value": "p",
                                        "jaccard_top5": "f2", "jaccard_ci_low": "f2", "jaccard_ci_high": "f2",
                                        "n_values": "int", "n_runs": "int", **fmt}))
    return sec
