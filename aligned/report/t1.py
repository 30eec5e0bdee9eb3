"""Sections 2 and 3: T1 top-5 selection shares, and their alignment with the human groups."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aligned.report import figures
from aligned.report.common import (NO_DATA, group_short, kind_rows, rho_pivot, sim_note, wide_table)
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext, order_groups
from aligned.report.data import pick
from aligned.report.style import HUMAN_COLOURS, human_label


def t1_selection(ctx: ReportContext) -> Section:
    sec = Section("t1-selection", "T1 · Top-5 selection shares",
                  "Share of runs in which each model put the value among its five most important (setting "
                  "'original'), and the share of each human group that did, from the published survey figures.")
    res = ctx.wh.table("selection_shares", ["model", "value", "share"])
    if not res.ok:
        sec.notes.append(f"{NO_DATA}: {res.note}.")
        return sec
    df = kind_rows(res.df, "select", "t1")
    setting = pick(df, "setting", ["original"]) if "setting" in df else None
    if setting is not None:
        df = df[df["setting"] == setting]
    if "measure" in df and df["measure"].nunique() > 1:
        df = df[df["measure"] == "selected"]
    if df.empty:
        sec.notes.append(f"{NO_DATA}: selection_shares has no T1 rows.")
        return sec
    models = ctx.order(df["model"])
    matrix = df.pivot_table(index="model", columns="value", values="share", aggfunc="mean").reindex(models)
    humans = ctx.wh.reference("human_t1_top5", ["group", "value", "share_selected"])
    groups: list[str] = []
    hm = pd.DataFrame()
    if humans.ok:
        groups = order_groups(humans.df["group"])
        hm = humans.df.pivot_table(index="group", columns="value", values="share_selected").reindex(groups)
        ref = hm.iloc[0].sort_values(ascending=False)
        cols = [v for v in ref.index if v in matrix.columns] + sorted(set(matrix.columns) - set(ref.index))
        matrix = pd.concat([matrix, hm.reindex(columns=cols)]).reindex(columns=cols)
    else:
        sec.notes.append(f"Human rows missing: {humans.note}.")
        matrix = matrix.reindex(columns=matrix.mean().sort_values(ascending=False).index)
    labels = ctx.labels(models) + [human_label(g) for g in groups]
    shown = matrix.set_axis(labels, axis=0)
    svg = figures.heatmap(
        "t1_selection_heatmap", shown, f"T1: share selecting each value in the top 5 (setting: {setting})",
        "Share of runs / respondents selecting the value (%)", xlabel="Value", ylabel="",
        separator_after=len(models) if groups else None,
        cbar_ticks=np.linspace(0, 1, 6), cbar_ticklabels=[f"{v:.0f}" for v in np.linspace(0, 100, 6)])
    sec.add_figure("t1_selection_heatmap", svg,
                   "Cells show the share in percent. " + (
                       f"Values are ordered by the {human_label(groups[0]).removeprefix('Humans: ')} group's share; "
                       "the human rows below the white line are survey respondents, not runs."
                       if groups else "Values are ordered by the models' mean share.") + sim_note(ctx))
    table = wide_table(ctx, matrix.reset_index(drop=True), models, [human_label(g) for g in groups])
    sec.tables.append(TableOut("t1_selection_shares", table, "T1 selection shares (0-1) behind the heatmap.",
                               {c: "pct" for c in matrix.columns}, collapsed=True))
    _t1_intervals(ctx, sec, setting, models, list(matrix.columns), hm, groups)
    return sec


def _t1_intervals(ctx: ReportContext, sec: Section, setting: str | None, models: list[str], values: list[str],
                  humans: pd.DataFrame, groups: list[str]) -> None:
    """Each model's T1 shares with their bootstrap intervals (selection_share_intervals) beside the humans'."""
    res = ctx.wh.table("selection_share_intervals", ["model", "value", "share", "ci_low", "ci_high"])
    df = kind_rows(res.df, "select", "t1") if res.ok else None
    if df is not None and setting is not None and "setting" in df:
        df = df[df["setting"] == setting]
    if df is not None and "measure" in df and df["measure"].nunique() > 1:
        df = df[df["measure"] == "selected"]
    if df is None or df.empty:
        sec.notes.append(f"No data for the confidence intervals of the T1 shares: "
                         f"{res.note or 'selection_share_intervals has no T1 rows'}.")
        return
    df = df.groupby(["model", "value"], as_index=False)[["share", "ci_low", "ci_high"]].mean()
    panels = {}
    for m in [m for m in models if m in set(df["model"])]:
        f = df[df["model"] == m].set_index("value").reindex(values)
        panels[ctx.label(m)] = f.rename(columns={"ci_low": "lo", "ci_high": "hi"})[["share", "lo", "hi"]]
    if not panels:
        sec.notes.append("No data for the confidence intervals of the T1 shares: no model in common.")
        return
    hum = humans.T.reindex(values) if not humans.empty else pd.DataFrame(index=values)
    svg = figures.share_intervals(
        "t1_selection_intervals", panels, hum, {g: human_label(g) for g in groups},
        {g: HUMAN_COLOURS.get(g, "#555555") for g in groups},
        f"T1: top-5 share per value with its 95% interval (setting: {setting or 'all'})",
        "Share selecting the value (%)")
    sec.add_figure("t1_selection_intervals", svg,
                   "One panel per model, values in the heatmap's order. Black dot = the model's share of runs, bar "
                   "= its 95% bootstrap interval over runs; hollow markers = the human groups' shares (survey "
                   "figures, no interval). A human marker outside the bar is a difference the runs can tell apart."
                   + sim_note(ctx))
    order = {v: i for i, v in enumerate(values)}
    long = ctx.by_model(df.assign(_v=df["value"].map(order)), ["_v"]).drop(columns="_v")
    for g in groups:
        long[f"human_{g}"] = long["value"].map(humans.loc[g]) if g in humans.index else np.nan
    sec.tables.append(TableOut(
        "t1_selection_intervals", long,
        f"T1 shares (0-1) with 95% bootstrap intervals per model and value (setting {setting or 'all'}), and each "
        "human group's share.", {c: "pct" for c in long.columns if c not in ("model", "value")}, collapsed=True))


def t1_alignment(ctx: ReportContext) -> Section:
    sec = Section("t1-alignment", "T1 · Alignment with human groups",
                  "Spearman's rho between a model's T1 selection shares and each human group's, over the twelve "
                  "values, with its confidence interval; Jaccard similarity of the two top-5 sets.")
    res = ctx.wh.table("t1_human_alignment", ["model", "human_group", "spearman_rho"])
    if not res.ok:
        sec.notes.append(f"{NO_DATA}: {res.note}.")
        return sec
    df = res.df
    setting = pick(df, "setting", ["original"]) if "setting" in df else None
    fig_df = df[df["setting"] == setting] if setting is not None else df
    models = ctx.order(fig_df["model"])
    groups = order_groups(fig_df["human_group"])
    plot = pd.DataFrame({
        "row": fig_df["model"].map(ctx.label), "group": fig_df["human_group"],
        "rho": fig_df["spearman_rho"],
        "lo": fig_df["ci_low"] if "ci_low" in fig_df else np.nan,
        "hi": fig_df["ci_high"] if "ci_high" in fig_df else np.nan})
    svg = figures.alignment_dots(
        "t1_alignment", plot, ctx.labels(models), {g: human_label(g) for g in groups},
        {g: HUMAN_COLOURS.get(g, "#555555") for g in groups},
        f"T1: rank correlation with human selection shares (setting: {setting or 'all'})",
        "Spearman's rho (−1 to 1); bars = confidence interval")
    ci = "ci_low" in df and "ci_high" in df
    sec.add_figure("t1_alignment", svg,
                   "Each dot is one model against one human group; rho near 1 means the model ranks the twelve "
                   "values as that group does." + (" Bars show the confidence interval." if ci else
                                                   " No confidence intervals in the mart.") + sim_note(ctx))
    cols = [c for c in ("model", "setting", "human_group", "spearman_rho", "ci_low", "ci_high", "p_value",
                        "jaccard_top5", "jaccard_ci_low", "jaccard_ci_high", "n_values", "n_runs") if c in df]
    table = ctx.by_model(df[cols], ["setting", "human_group"])
    shown = fig_df.copy()
    rho_name = {g: f"rho, {group_short(g)}" for g in groups}
    preview, fmt = rho_pivot(ctx, shown, ["model"], shown["human_group"].map(rho_name),
                             [rho_name[g] for g in groups])
    if "jaccard_top5" in shown:
        jw = shown.pivot_table(index="model", columns="human_group", values="jaccard_top5", aggfunc="first")
        jw = jw.reindex(index=ctx.order(shown["model"]))
        for g in groups:
            if g in jw:
                preview[f"Jaccard top-5, {group_short(g)}"] = jw[g].to_numpy()
                fmt[f"Jaccard top-5, {group_short(g)}"] = "f2"
    sec.tables.append(TableOut("t1_alignment", table,
                               f"T1 alignment: Spearman's rho [confidence interval] per model and human group, "
                               f"setting {setting or 'all'}, and the Jaccard similarity of the top-5 sets. The CSV "
                               "has every setting, p-values and the Jaccard intervals.", preview=preview,
                               formats={"spearman_rho": "f2", "ci_low": "f2", "ci_high": "f2", "p_value": "p",
                                        "jaccard_top5": "f2", "jaccard_ci_low": "f2", "jaccard_ci_high": "f2",
                                        "n_values": "int", "n_runs": "int", **fmt}))
    return sec
