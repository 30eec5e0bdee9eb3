"""Rate tasks ("how important is X for this context?"): the share answering the scale's top level per
context, models and declared human groups, and the alignment table. Scale levels, their labels and
the contexts (in the design's order) come from the study's design."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aligned.report import figures
from aligned.report.common import NO_DATA, rho_pivot, sim_note, task_rows, wide_table
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext
from aligned.report.data import pick
from aligned.report.design import Task
from alignstats.marts.t2 import ALL_PAIRS

#: selection_shares' rate measures (int_measure_options): the scale's top level, and its top two.
TOP, TOP_TWO = "extremely", "very_or_extremely"


def top_name(task: Task) -> str:
    return f"\"{task.top_label}\"" if task.top_label else "the top level"


def top_two_name(task: Task) -> str:
    if len(task.levels) >= 2:
        return f"\"{task.levels[-2].label} or {task.levels[-1].label}\""
    return "the top two levels"


def measure_name(task: Task, measure: str | None) -> str:
    return {TOP: top_name(task), TOP_TWO: top_two_name(task)}.get(measure, str(measure))


def sections(ctx: ReportContext, task: Task) -> list[Section]:
    return [importance(ctx, task)]


def importance(ctx: ReportContext, task: Task) -> Section:
    per = " per context" if len(task.contexts) > 1 else ""
    sec = Section(f"{task.slug}-rating", f"{task.title}{per}",
                  f"Share of answers rating the value {top_name(task)} (the scale's top level)"
                  + (" for each context" if task.contexts else "") + ", per model"
                  + (", with the declared human groups' shares for the same context." if ctx.groups else "."))
    res = ctx.wh.table("selection_shares", ["model", "value", "share", "context"])
    df = task_rows(res.df, task) if res.ok else None
    if df is None or df.empty:
        sec.notes.append(f"{NO_DATA}: {res.note or f'selection_shares has no rows for task {task.name}'}.")
    else:
        _figure(ctx, task, sec, df[df["measure"] == TOP])
    _positions(ctx, task, sec)
    if ctx.groups:
        _alignment(ctx, task, sec)
        rho_across_models(ctx, task, sec)
    return sec


def _figure(ctx: ReportContext, task: Task, sec: Section, df: pd.DataFrame) -> None:
    models = ctx.order(df["model"])
    contexts = [c for c in ctx.order_contexts(df["context"]) if c not in ctx.pooled] or \
        ctx.order_contexts(df["context"])
    humans = ctx.human_points(task)
    h = pd.DataFrame(columns=["human_group", "context", "value", "share"])
    top = task.levels[-1].key if task.levels else None
    if humans.ok and top is not None:
        h = humans.df[humans.df["options"].astype(str) == top]
    elif ctx.groups:
        sec.notes.append(f"No human figures for task {task.name}.")
    groups = ctx.order_groups(h["human_group"])
    # One column order for every panel: the first group's pooled shares, else the models' mean.
    pooled = h[(h["context"].isin(ctx.pooled) | h["context"].isna())
               & (h["human_group"] == (groups[0] if groups else None))]
    ref = pooled.set_index("value")["share"] if not pooled.empty else df.groupby("value")["share"].mean()
    values = [v for v in ref.sort_values(ascending=False).index if v in set(df["value"])]
    values += sorted(set(df["value"]) - set(values))
    panels, tables = {}, []
    for c in contexts:
        m = df[df["context"] == c].pivot_table(index="model", columns="value", values="share").reindex(
            index=models, columns=values)
        hc = h[h["context"] == c].pivot_table(index="human_group", columns="value", values="share")
        hc = hc.reindex(index=[g for g in groups if g in hc.index], columns=values)
        panels[c] = pd.concat([m, hc]).set_axis(ctx.labels(models) + [ctx.human_label(g) for g in hc.index], axis=0)
        t = wide_table(ctx, pd.concat([m, hc]).reset_index(drop=True), models, [ctx.human_label(g) for g in hc.index])
        t.insert(0, "context", c)
        tables.append(t)
    if not panels:
        sec.notes.append(f"{NO_DATA}: no per-context rows for task {task.name}.")
        return
    n_h = len(next(iter(panels.values()))) - len(models)
    name = f"{task.slug}_rating_heatmaps"
    svg = figures.heatmap_grid(
        name, panels, f"{task.name}: share rating the value {top_name(task)}",
        "Share of answers / respondents (%)" if n_h else "Share of answers (%)", xlabel="Value",
        separator_after=len(models) if n_h else None,
        cbar_ticks=np.linspace(0, 1, 6), cbar_ticklabels=[f"{v:.0f}" for v in np.linspace(0, 100, 6)])
    sec.add_figure(name, svg,
                   "One panel per context, in the design's order; cells show the share in percent, grey cells have "
                   "no data." + (" Human rows (below the white line) are respondents." if n_h else "")
                   + sim_note(ctx))
    sec.tables.append(TableOut(f"{task.slug}_rating_shares", pd.concat(tables, ignore_index=True),
                               f"{task.name} shares (0-1) behind the heatmaps.", {v: "pct" for v in values},
                               collapsed=True))


def _positions(ctx: ReportContext, task: Task, sec: Section) -> None:
    """Each model's mean scale position per value and context (mart rating_positions; 1 = lowest level)."""
    res = ctx.wh.table("rating_positions", ["model", "task", "setting", "context", "value", "n_levels",
                                            "mean_position"])
    df = task_rows(res.df, task) if res.ok else pd.DataFrame()
    if df.empty:
        return
    df = df[df["setting"] == pick(df, "setting", ["original"])]
    models = ctx.order(df["model"])
    contexts = [c for c in ctx.order_contexts(df["context"]) if c not in ctx.pooled] or \
        ctx.order_contexts(df["context"])
    values = list(df.groupby("value")["mean_position"].mean().sort_values(ascending=False).index)
    n_levels = int(df["n_levels"].max())
    panels = {c: df[df["context"] == c].pivot_table(index="model", columns="value", values="mean_position")
              .reindex(index=models, columns=values).set_axis(ctx.labels(models), axis=0) for c in contexts}
    name = f"{task.slug}_rating_positions"
    svg = figures.heatmap_grid(name, panels, f"{task.name}: mean scale position (1 = {task.levels[0].label if task.levels else 'lowest'}, "
                               f"{n_levels} = {task.top_label or 'highest'})", f"Mean position (1 to {n_levels})",
                               xlabel="Value", vmin=1, vmax=n_levels, fmt=figures.two)
    sec.add_figure(name, svg,
                   f"One panel per context; a cell is the mean position on the {n_levels}-level scale of the model's "
                   "mapped answers (refusals and invalid answers left out; the standard deviation and n are in the "
                   f"CSV).{sim_note(ctx)}")
    table = df.drop(columns=[c for c in ("study",) if c in df])
    sec.tables.append(TableOut(name, ctx.by_model(table, ["context", "value"]),
                               f"{task.name}: mean scale position per model, context and value (rating_positions).",
                               {"mean_position": "f2", "sd_position": "f2"}, collapsed=True))


def _alignment(ctx: ReportContext, task: Task, sec: Section) -> None:
    res = ctx.wh.table("t2_human_alignment", ["model", "spearman_rho"])
    df = task_rows(res.df, task) if res.ok else pd.DataFrame()
    if "human_group" in df:
        df = df[df["human_group"].isin(ctx.groups)]
    if df.empty:
        sec.notes.append(f"No alignment table for task {task.name}: "
                         f"{res.note or 't2_human_alignment has no rows for it'}.")
        return
    if "context" in df:
        ctx_order = {c: i for i, c in enumerate(ctx.order_contexts(df["context"]))}
        df = df.assign(_c=df["context"].map(ctx_order)).sort_values("_c", kind="stable").drop(columns="_c")
    cols = [c for c in ("model", "setting", "context", "human_group", "measure", "spearman_rho", "ci_low",
                        "ci_high", "p_value", "n_values") if c in df]
    table = ctx.by_model(df[cols], ["setting", "measure", "human_group"])
    shown = df[df["setting"] == pick(df, "setting", ["original"])] if "setting" in df else df
    if "context" not in shown:
        shown = shown.assign(context=ctx.pooled_label or "all")
    measure = shown["measure"] if "measure" in shown else pd.Series(TOP, index=shown.index)
    short = {TOP_TWO: "top two"}
    label = [c if m in (TOP, None) else f"{c}, {short.get(m, m)}" for c, m in zip(shown["context"], measure)]
    order = ctx.order_contexts(shown["context"])
    if ALL_PAIRS in order:  # the headline (every (context, value) pair at once) first
        order = [ALL_PAIRS] + [c for c in order if c != ALL_PAIRS]
    order = order + [f"{c}, {short.get(m, m)}" for c in order for m in sorted(set(measure)) if m != TOP]
    rows = ["model", "human_group"] if "human_group" in shown else ["model"]
    preview, fmt = rho_pivot(ctx, shown, rows, pd.Series(label, index=shown.index), order)
    sec.tables.append(TableOut(f"{task.slug}_alignment", table,
                               f"{task.name} alignment: Spearman's rho [95% BCa interval] between the model's and "
                               f"the human group's {top_name(task)} shares. '{ALL_PAIRS}' is the headline: one "
                               "correlation over every (context, value) pair at once (n_values in the CSV; its "
                               "p-value fits that n). The other columns are detail: one correlation over the values "
                               f"per context, '{ctx.pooled_label}' over the mean of the contexts' shares (\"top "
                               f"two\" = the share rating it {top_two_name(task)}). The CSV has p-values and every "
                               "setting.", preview=preview,
                               formats={"spearman_rho": "f2", "ci_low": "f2", "ci_high": "f2", "p_value": "p",
                                        "n_values": "int", **fmt}))


def rho_across_models(ctx: ReportContext, task: Task, sec: Section) -> None:
    """The correlation over models of each model's rho with one human group against the other."""
    res = ctx.wh.table("rho_across_models", ["task", "context", "measure", "models", "group_x", "group_y",
                                             "spearman_rho", "p_value", "n_models"])
    if not res.ok:
        sec.notes.append(f"No across-models table: {res.note}.")
        return
    df = res.df
    df = df[(df["task"] == task.name) & (df["measure"] == TOP) & df["group_x"].isin(ctx.groups)
            & df["group_y"].isin(ctx.groups)]
    if df.empty:
        return
    if "setting" in df:
        df = df[df["setting"] == pick(df, "setting", ["original"])]
    df = df.assign(_headline=(df["context"] != ALL_PAIRS)).sort_values(["_headline", "context", "models"])
    table = df[[c for c in ("setting", "context", "models", "group_x", "group_y", "spearman_rho", "p_value",
                            "n_models") if c in df]].reset_index(drop=True)
    headline = table[(table["context"] == ALL_PAIRS) & (table["models"] == "all")]
    if not headline.empty:
        row = headline.iloc[0]
        sec.facts.append((f"Across models ({ctx.human_label(row['group_x'])} vs {ctx.human_label(row['group_y'])})",
                          f"Spearman {row['spearman_rho']:.2f} over {int(row['n_models'])} models"
                          + (f", p = {row['p_value']:.3f}" if pd.notna(row["p_value"]) else "")))
    sec.tables.append(TableOut(f"{task.slug}_rho_across_models", table,
                               f"Across models: Spearman's rho, over the study's models, between each model's "
                               f"{task.name} rho with one human group and its rho with the other. models: all, or "
                               "panel_groups_1_2 (the robustness panel groups 1 and 2).",
                               {"spearman_rho": "f2", "p_value": "p", "n_models": "int"}))
