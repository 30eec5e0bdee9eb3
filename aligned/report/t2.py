"""Section 4: T2 importance per context, models and human groups, and its alignment table."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aligned.report import figures
from aligned.report.common import NO_DATA, kind_rows, rho_pivot, sim_note, wide_table
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext, order_contexts, order_groups
from aligned.report.data import pick
from aligned.report.style import human_label
from alignstats.marts.t2 import ALL_PAIRS


def t2_importance(ctx: ReportContext) -> Section:
    sec = Section("t2-importance", "T2 · Importance per context",
                  "Share of answers rating the value \"extremely important\" for the AI system of each context, "
                  "per model, with the human groups' shares for the same context.")
    res = ctx.wh.table("selection_shares", ["model", "value", "share", "context"])
    df = kind_rows(res.df, "rate", "t2") if res.ok else None
    if df is None or df.empty:
        sec.notes.append(f"{NO_DATA}: {res.note or 'selection_shares has no T2 rows'}.")
    else:
        measure = "extremely"
        df = df[df["measure"] == measure]
        _t2_figure(ctx, sec, df, measure)
    _t2_alignment(ctx, sec)
    rho_across_models(ctx, sec)
    return sec


def _t2_figure(ctx: ReportContext, sec: Section, df: pd.DataFrame, measure: str | None) -> None:
    models = ctx.order(df["model"])
    contexts = [c for c in order_contexts(df["context"]) if c not in ctx.pooled]
    humans = ctx.wh.reference("human_t2_importance", ["group", "context", "value", "share_extremely_important"])
    groups = order_groups(humans.df["group"]) if humans.ok else []
    if not humans.ok:
        sec.notes.append(f"Human rows missing: {humans.note}.")
    h = humans.df if humans.ok else pd.DataFrame(columns=["group", "context", "value", "share_extremely_important"])
    # One column order for every panel: the US sample's pooled shares, else the models' mean.
    pooled = h[(h["context"] == ctx.pooled_label) & (h["group"] == (groups[0] if groups else None))]
    ref = pooled.set_index("value")["share_extremely_important"] if not pooled.empty else \
        df.groupby("value")["share"].mean()
    values = [v for v in ref.sort_values(ascending=False).index if v in set(df["value"])]
    values += sorted(set(df["value"]) - set(values))
    panels, tables = {}, []
    for c in contexts:
        m = df[df["context"] == c].pivot_table(index="model", columns="value", values="share").reindex(
            index=models, columns=values)
        hc = h[h["context"] == c].pivot_table(index="group", columns="value", values="share_extremely_important")
        hc = hc.reindex(index=[g for g in groups if g in hc.index], columns=values)
        panels[c] = pd.concat([m, hc]).set_axis(ctx.labels(models) + [human_label(g) for g in hc.index], axis=0)
        t = wide_table(ctx, pd.concat([m, hc]).reset_index(drop=True), models, [human_label(g) for g in hc.index])
        t.insert(0, "context", c)
        tables.append(t)
    if not panels:
        sec.notes.append(f"{NO_DATA}: no per-context T2 rows.")
        return
    n_h = len(next(iter(panels.values()))) - len(models)
    svg = figures.heatmap_grid(
        "t2_importance_heatmaps", panels,
        "T2: share rating the value \"extremely important\"" + (
            f" (measure: {measure})" if measure and measure != "extremely" else ""),
        "Share of answers / respondents (%)", xlabel="Value", separator_after=len(models) if n_h else None,
        cbar_ticks=np.linspace(0, 1, 6), cbar_ticklabels=[f"{v:.0f}" for v in np.linspace(0, 100, 6)])
    sec.add_figure("t2_importance_heatmaps", svg,
                   "One panel per context; cells show the share in percent, grey cells have no data. Human rows "
                   f"(below the white line) are survey respondents.{sim_note(ctx)}")
    sec.tables.append(TableOut("t2_importance_shares", pd.concat(tables, ignore_index=True),
                               "T2 shares (0-1) behind the heatmaps.", {v: "pct" for v in values}, collapsed=True))


def _t2_alignment(ctx: ReportContext, sec: Section) -> None:
    res = ctx.wh.table("t2_human_alignment", ["model", "spearman_rho"])
    if not res.ok:
        sec.notes.append(f"No T2 alignment table: {res.note}.")
        return
    df = res.df
    if "context" in df:
        ctx_order = {c: i for i, c in enumerate(order_contexts(df["context"]))}
        df = df.assign(_c=df["context"].map(ctx_order)).sort_values("_c", kind="stable").drop(columns="_c")
    cols = [c for c in ("model", "setting", "context", "human_group", "measure", "spearman_rho", "ci_low",
                        "ci_high", "p_value", "n_values") if c in df]
    table = ctx.by_model(df[cols], ["setting", "measure", "human_group"])
    shown = df[df["setting"] == pick(df, "setting", ["original"])] if "setting" in df else df
    if "context" not in shown:
        shown = shown.assign(context="all")
    measure = shown["measure"] if "measure" in shown else pd.Series("extremely", index=shown.index)
    short = {"very_or_extremely": "very/extremely"}
    label = [c if m in ("extremely", None) else f"{c}, {short.get(m, m)}" for c, m in zip(shown["context"], measure)]
    order = order_contexts(shown["context"])
    if ALL_PAIRS in order:  # the headline (the paper's Table II) first
        order = [ALL_PAIRS] + [c for c in order if c != ALL_PAIRS]
    order = order + [f"{c}, {short.get(m, m)}" for c in order for m in sorted(set(measure)) if m != "extremely"]
    rows = ["model", "human_group"] if "human_group" in shown else ["model"]
    preview, fmt = rho_pivot(ctx, shown, rows, pd.Series(label, index=shown.index), order)
    sec.tables.append(TableOut("t2_alignment", table,
                               "T2 alignment: Spearman's rho [95% BCa interval] between the model's and the "
                               "human group's \"extremely important\" shares. 'all_pairs' is the headline, as in "
                               "the paper's Table II: one correlation over every (context, value) pair at once "
                               "(n_values in the CSV; its p-value fits that n). The other columns are detail: one "
                               "correlation over the values per context, 'all' over the mean of the contexts' "
                               "shares (\"very/extremely\" = the share rating it very or extremely important). "
                               "The CSV has p-values and every setting.", preview=preview,
                               formats={"spearman_rho": "f2", "ci_low": "f2", "ci_high": "f2", "p_value": "p",
                                        "n_values": "int", **fmt}))


def rho_across_models(ctx: ReportContext, sec: Section) -> None:
    """The correlation over models of each model's rho with one human group against the other."""
    res = ctx.wh.table("rho_across_models", ["task", "context", "measure", "models", "group_x", "group_y",
                                             "spearman_rho", "p_value", "n_models"])
    if not res.ok:
        sec.notes.append(f"No across-models table: {res.note}.")
        return
    df = res.df
    df = df[(df["task"] == "t2") & (df["measure"] == "extremely")]
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
        sec.facts.append((f"Across models ({human_label(row['group_x'])} vs {human_label(row['group_y'])})",
                          f"Spearman {row['spearman_rho']:.2f} over {int(row['n_models'])} models"
                          + (f", p = {row['p_value']:.3f}" if pd.notna(row["p_value"]) else "")))
    sec.tables.append(TableOut("rho_across_models", table,
                               "Across models: Spearman's rho, over the study's models, between each model's T2 rho "
                               "with one human group and its rho with the other (the paper's -0.536 is this "
                               "correlation for all_pairs over its robust models). models: all, or "
                               "panel_groups_1_2 (t1_robustness panel groups 1 and 2).",
                               {"spearman_rho": "f2", "p_value": "p", "n_models": "int"}))
