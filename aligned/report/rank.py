"""Rank tasks ("order these stories"): each model's mean rank per story, and, where the warehouse
compares them (mart t4_consistency), whether the order follows the importance the model states in the
study's rate task; figures the study declares as published (mart published_figures) beside them."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aligned.report import figures
from aligned.report.common import NO_DATA, sim_note, task_rows
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext
from aligned.report.design import Task
from aligned.report.style import CONSISTENCY_COLOURS, CONSISTENCY_LABELS
from alignstats.marts.t4 import ALL_MODELS

ALL_MODELS_LABEL = "all models"

#: The statistics a `published:` entry of a rank task may name, each the column of the pooled row
#: ("all models") of mart t4_consistency_summary it is compared with (docs/report.md).
RANK_STATISTICS = {
    "share_aligned": "aligned",
    "share_almost": "almost aligned",
    "share_aligned_or_almost": "aligned or almost aligned",
    "share_misaligned": "misaligned",
}


def sections(ctx: ReportContext, task: Task) -> list[Section]:
    return [ranking(ctx, task)]


def ranking(ctx: ReportContext, task: Task) -> Section:
    stated = ctx.design.first("rate")
    sname = stated.name if stated else "the rate task"
    sec = Section(f"{task.slug}-ranking", task.title,
                  "Each model's mean rank of every story (1 = put first), per context in the design's order"
                  + (f"; then whether that order follows the importance the model states for the stories' values in "
                     f"{sname}: a value is aligned when its {task.name} rank equals the {sname}-implied rank and "
                     "almost aligned within ±2 ranks." if stated else "."))
    _mean_ranks(ctx, task, sec)
    _consistency(ctx, task, sec, sname)
    return sec


def _mean_ranks(ctx: ReportContext, task: Task, sec: Section) -> None:
    res = ctx.wh.table("t4_story_ranks", ["model", "context", "value", "mean_rank"])
    df = task_rows(res.df, task) if res.ok else pd.DataFrame()
    if "setting" in df and not df.empty:
        df = df[df["setting"] == df["setting"].mode().iloc[0]] if "original" not in set(df["setting"]) else \
            df[df["setting"] == "original"]
    if df.empty:
        sec.notes.append(f"{NO_DATA}: {res.note or f't4_story_ranks has no rows for task {task.name}'}.")
        return
    models = ctx.order(df["model"])
    contexts = ctx.order_contexts(df["context"])
    values = list(df.groupby("value")["mean_rank"].mean().reset_index().sort_values(["mean_rank", "value"])["value"])
    index = pd.MultiIndex.from_product([models, contexts])
    mat = df.pivot_table(index=["model", "context"], columns="value", values="mean_rank").reindex(
        index=index, columns=values)
    labels = [f"{ctx.label(m)} · {c}" if len(contexts) > 1 else ctx.label(m) for m, c in index]
    n = len(values)
    name = f"{task.slug}_mean_rank"
    svg = figures.heatmap(
        name, mat.set_axis(labels, axis=0), f"{task.name}: mean rank of each story (1 = first)",
        f"Mean rank (1 to {n})", xlabel="Value of the story", vmin=1, vmax=max(n, 2),
        cmap=figures.sequential_reversed(), fmt=figures.two,
        group_rows=len(contexts) if len(contexts) > 1 else None)
    sec.add_figure(name, svg,
                   "One row per model" + (" and context" if len(contexts) > 1 else "") + ", one column per story's "
                   "value, ordered by the mean over models; a cell is the mean position the model gave the story "
                   f"over its runs (1 = first, {n} = last).{sim_note(ctx)}")
    r = df.drop(columns=[c for c in ("study",) if c in df])
    sec.tables.append(TableOut(f"{task.slug}_story_ranks", ctx.by_model(r, ["context", "value"]),
                               f"Mean rank of each story per model and context in {task.name} (1 = most "
                               "important).", {c: "f2" for c in r.columns if "rank" in str(c)}, collapsed=True))


def _consistency(ctx: ReportContext, task: Task, sec: Section, sname: str) -> None:
    res = ctx.wh.table("t4_consistency", ["model", "context", "value", "t4_rank", "implied_rank", "diff", "label"])
    df = task_rows(res.df, task).copy() if res.ok else pd.DataFrame()
    if df.empty:
        if ctx.design.first("rate") is not None:
            sec.notes.append(f"No consistency comparison: {res.note or f't4_consistency has no rows for task {task.name}'}.")
        _published(ctx, task, sec, None)
        return
    df = df.copy()
    t4c, imp = "t4_rank", "implied_rank"
    models = ctx.order(df["model"])
    contexts = ctx.order_contexts(df["context"])
    # values in the order of their mean rank over the study's models, then by name
    values = list(df.groupby("value")[t4c].mean().reset_index().sort_values([t4c, "value"])["value"])
    index = pd.MultiIndex.from_product([models, contexts])
    mat = df.pivot_table(index=["model", "context"], columns="value", values="diff").reindex(index=index,
                                                                                           columns=values)
    labels = [f"{ctx.label(m)} · {c}" for m, c in index]
    widest = float(max(len(values) - 1, 1))  # the largest difference the ranks allow
    lim = max(widest, float(np.nanmax(np.abs(mat.to_numpy()))) if mat.notna().any().any() else widest)
    svg = figures.heatmap(
        f"{task.slug}_rank_difference", mat.set_axis(labels, axis=0),
        f"{task.name}: story rank minus {sname}-implied rank",
        f"{task.name} rank − {sname}-implied rank (ranks; 0 = aligned)",
        xlabel="Value of the user story", vmin=-lim, vmax=lim, cmap=figures.diverging_cmap("PuOr"),
        fmt=figures.signed, group_rows=len(contexts) if len(contexts) > 1 else None)
    sec.add_figure(f"{task.slug}_rank_difference", svg,
                   "One row per model and context, one column per value. Negative (orange) = the model ranks the "
                   f"story higher in {task.name} than its {sname} answers imply; positive (purple) = lower; |difference| ≤ 2 counts "
                   f"as almost aligned.{sim_note(ctx)}")
    summary = ctx.wh.table("t4_consistency_summary", ["model", "n_comparisons", "share_aligned", "share_almost",
                                                      "share_misaligned", "share_aligned_or_almost"])
    pooled_row = None
    if not summary.ok:
        sec.notes.append(f"No consistency summary mart: {summary.note}.")
    else:
        # the mart's pooled row has model ALL_MODELS ('all'; alignstats.marts.t4)
        s = summary.df.drop(columns=["study"])
        per_model = s[s["model"] != ALL_MODELS].set_index("model").reindex(models)
        pooled = s[s["model"] == ALL_MODELS]
        pooled_row = pooled.iloc[0] if not pooled.empty else None
        classes = [k for k in CONSISTENCY_LABELS if f"share_{k}" in s]  # 'tied' in marts built since it exists
        shares = per_model[[f"share_{k}" for k in classes]].set_axis(classes, axis=1)
        if not pooled.empty:
            shares.loc[ALL_MODELS_LABEL] = pooled[[f"share_{k}" for k in classes]].iloc[0].to_numpy()
            sec.facts.insert(0, ("Aligned or almost aligned",
                                 f"{100 * float(pooled['share_aligned_or_almost'].iloc[0]):.0f}% of "
                                 f"{int(pooled['n_comparisons'].iloc[0]):,} comparisons"))
        shown = shares.set_axis(ctx.labels(models) + [ALL_MODELS_LABEL] * (not pooled.empty), axis=0)
        svg = figures.stacked_shares(f"{task.slug}_consistency_shares", shown, classes, CONSISTENCY_COLOURS,
                                     f"{task.name}: consistency of story ranks with {sname} answers",
                                     "Share of (context, value) comparisons (%)")
        sec.add_figure(f"{task.slug}_consistency_shares", svg,
                       "Share of each model's comparisons that are aligned (same rank), almost aligned (within ±2), "
                       f"misaligned, or tied (every value of the context rated alike in {sname}: no order to follow). "
                       f"Ties share the best rank they span (the headline rule; see the tie table).{sim_note(ctx)}")
        s = ctx.by_model(s, []).replace({"model": {ALL_MODELS: ALL_MODELS_LABEL}})
        sec.tables.append(TableOut(f"{task.slug}_consistency_summary", s,
                                   "Consistency per model; the last row pools every model of the study.",
                                   {c: ("pct" if str(c).startswith("share") else "int") for c in s.columns
                                    if str(c).startswith(("share", "n_"))}))
    _published(ctx, task, sec, pooled_row)
    _tie_rules(ctx, task, sec, sname)
    detail = df.drop(columns=[c for c in ("study",) if c in df])
    sec.tables.append(TableOut(f"{task.slug}_consistency", ctx.by_model(detail, ["context", "value"]),
                               f"Every comparison: {task.name} rank, {sname}-implied rank, difference and class.",
                               {t4c: "f2", imp: "f2", "diff": "f2", "mean_rank": "f2", "t2_share_extremely": "pct",
                                "t2_share_very_or_extremely": "pct"}, collapsed=True))


TIE_COLUMNS = ["n_comparisons", "n_aligned", "n_almost", "n_misaligned", "n_tied", "share_aligned",
               "share_aligned_or_almost"]


def _published(ctx: ReportContext, task: Task, sec: Section, pooled: pd.Series | None) -> None:
    """The study's published figures for this task (mart published_figures), each beside the
    warehouse's figure for the same statistic where the report knows it (RANK_STATISTICS)."""
    pub = ctx.published_for(task)
    if pub.empty:
        return
    rows = []
    for r in pub.to_dict("records"):
        stat = str(r["statistic"])
        ours = pooled.get(stat) if pooled is not None and stat in RANK_STATISTICS else None
        n_ours = pooled.get("n_comparisons") if pooled is not None else None
        rows.append(dict(statistic=stat, published=r["value"], published_n=r["n"],
                         this_study=ours, this_study_n=n_ours if ours is not None else None, text=r["text"]))
        said = str(r["text"]) if pd.notna(r["text"]) and str(r["text"]).strip() else \
            f"{stat} = {r['value']}" + (f" (n = {int(r['n'])})" if pd.notna(r["n"]) else "")
        if ours is not None and pd.notna(ours):
            here = (f"{100 * float(ours):.0f}% of {int(n_ours):,} comparisons" if pd.notna(n_ours)
                    else f"{100 * float(ours):.0f}%")
            sec.facts.append((f"Published ({RANK_STATISTICS[stat]})", f"{said} Here: {here}."))
        else:
            sec.facts.append(("Published", f"{said} (not compared: the report has no figure for statistic "
                                           f"'{stat}' of a {task.kind_name} task)."))
    table = pd.DataFrame(rows)
    sec.tables.append(TableOut(f"{task.slug}_published", table,
                               "Figures the experiment file declares as published (published_figures), beside this "
                               "study's figure for the same statistic (all models pooled).",
                               {"published": "f3", "this_study": "f3", "published_n": "int", "this_study_n": "int",
                                "text": "text"}))


def _tie_rules(ctx: ReportContext, task: Task, sec: Section, sname: str) -> None:
    """The tie table: the counts under every tie rule, against each task the order is implied from."""
    res = ctx.wh.table("t4_consistency_rules", ["model", "stated_from", "tie_rule", *TIE_COLUMNS])
    if not res.ok:
        sec.notes.append(f"No tie-rule table: {res.note}.")
        return
    df = task_rows(res.df, task)
    if df.empty:
        return
    df = df.drop(columns=[c for c in ("study",) if c in res.df])
    pooled = df[df["model"] == ALL_MODELS].drop(columns="model")
    preview = pooled[["stated_from", "tie_rule", *TIE_COLUMNS]].sort_values(["stated_from", "tie_rule"])
    table = ctx.by_model(df, ["stated_from", "tie_rule"]).replace({"model": {ALL_MODELS: ALL_MODELS_LABEL}})
    sec.tables.append(TableOut(
        f"{task.slug}_tie_rules", table,
        f"How the tie rule moves the {task.name} counts (all models pooled; the CSV has every model). stated_from "
        "names the task whose answers imply the order: a rate task by the share answering its top level, a "
        "trade-off task by each value's mean share of answers favouring it. Rules: average, min, dense, ordinal "
        "(scipy.stats.rankdata on both sides; ordinal breaks ties by value name); paper (the headline: ties "
        "share the best rank, as a spreadsheet's RANK -- the paper does not state its rule); very_then_average "
        "(ties broken by the top-two-levels share, then averaged and rounded half up). A context whose "
        "values all tie is 'tied', never aligned.",
        {**{c: "int" for c in TIE_COLUMNS if c.startswith("n_")},
         **{c: "pct" for c in TIE_COLUMNS if c.startswith("share")}},
        preview=preview.reset_index(drop=True)))
