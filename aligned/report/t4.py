"""Section 6: T4 requirement priorities against the values the model states in T2."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aligned.report import figures
from aligned.report.common import NO_DATA, sim_note
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext, order_contexts
from aligned.report.style import CONSISTENCY_COLOURS, CONSISTENCY_LABELS
from alignstats.marts.t4 import ALL_MODELS

ALL_MODELS_LABEL = "all models"


def t4_consistency(ctx: ReportContext) -> Section:
    sec = Section("t4-consistency", "T4 · Stated values vs requirement priorities",
                  "Does the order in which a model prioritises user stories (T4, mean rank over runs) follow the "
                  "importance it gives the stories' values in T2? A value is aligned when its T4 rank equals the "
                  "T2-implied rank and almost aligned within ±2 ranks.")
    res = ctx.wh.table("t4_consistency", ["model", "context", "value", "t4_rank", "implied_rank", "diff", "label"])
    if not res.ok:
        sec.notes.append(f"{NO_DATA}: {res.note}.")
        return sec
    df = res.df.copy()
    t4c, imp = "t4_rank", "implied_rank"
    models = ctx.order(df["model"])
    contexts = order_contexts(df["context"])
    # values in the order of their mean T4 rank over the study's models, then by name
    values = list(df.groupby("value")[t4c].mean().reset_index().sort_values([t4c, "value"])["value"])
    index = pd.MultiIndex.from_product([models, contexts])
    mat = df.pivot_table(index=["model", "context"], columns="value", values="diff").reindex(index=index,
                                                                                           columns=values)
    labels = [f"{ctx.label(m)} · {c}" for m, c in index]
    lim = max(5.0, float(np.nanmax(np.abs(mat.to_numpy()))) if mat.notna().any().any() else 5.0)
    svg = figures.heatmap(
        "t4_rank_difference", mat.set_axis(labels, axis=0),
        "T4: story rank minus T2-implied rank", "T4 rank − T2-implied rank (ranks; 0 = aligned)",
        xlabel="Value of the user story", vmin=-lim, vmax=lim, cmap=figures.diverging_cmap("PuOr"),
        fmt=figures.signed, group_rows=len(contexts) if len(contexts) > 1 else None)
    sec.add_figure("t4_rank_difference", svg,
                   "One row per model and context, one column per value. Negative (orange) = the model ranks the "
                   "story higher in T4 than its T2 answers imply; positive (purple) = lower; |difference| ≤ 2 counts "
                   f"as almost aligned.{sim_note(ctx)}")
    summary = ctx.wh.table("t4_consistency_summary", ["model", "n_comparisons", "share_aligned", "share_almost",
                                                      "share_misaligned", "share_aligned_or_almost"])
    if not summary.ok:
        sec.notes.append(f"No consistency summary mart: {summary.note}.")
    else:
        # the mart's pooled row has model ALL_MODELS ('all'; alignstats.marts.t4)
        s = summary.df.drop(columns=["study"])
        per_model = s[s["model"] != ALL_MODELS].set_index("model").reindex(models)
        pooled = s[s["model"] == ALL_MODELS]
        classes = [k for k in CONSISTENCY_LABELS if f"share_{k}" in s]  # 'tied' in marts built since it exists
        shares = per_model[[f"share_{k}" for k in classes]].set_axis(classes, axis=1)
        if not pooled.empty:
            shares.loc[ALL_MODELS_LABEL] = pooled[[f"share_{k}" for k in classes]].iloc[0].to_numpy()
            sec.facts.insert(0, ("Aligned or almost aligned",
                                 f"{100 * float(pooled['share_aligned_or_almost'].iloc[0]):.0f}% of "
                                 f"{int(pooled['n_comparisons'].iloc[0]):,} comparisons"))
        shown = shares.set_axis(ctx.labels(models) + [ALL_MODELS_LABEL] * (not pooled.empty), axis=0)
        svg = figures.stacked_shares("t4_consistency_shares", shown, classes, CONSISTENCY_COLOURS,
                                     "T4: consistency of story ranks with T2 answers",
                                     "Share of (context, value) comparisons (%)")
        sec.add_figure("t4_consistency_shares", svg,
                       "Share of each model's comparisons that are aligned (same rank), almost aligned (within ±2), "
                       "misaligned, or tied (every value of the context rated alike in T2: no order to follow). "
                       f"Ties share the best rank they span (the headline rule; see the tie table).{sim_note(ctx)}")
        s = ctx.by_model(s, []).replace({"model": {ALL_MODELS: ALL_MODELS_LABEL}})
        sec.tables.append(TableOut("t4_consistency_summary", s,
                                   "Consistency per model; the last row pools every model of the study.",
                                   {c: ("pct" if str(c).startswith("share") else "int") for c in s.columns
                                    if str(c).startswith(("share", "n_"))}))
    _tie_rules(ctx, sec)
    detail = df.drop(columns=[c for c in ("study",) if c in df])
    sec.tables.append(TableOut("t4_consistency", ctx.by_model(detail, ["context", "value"]),
                               "Every comparison: T4 rank, T2-implied rank, difference and class.",
                               {t4c: "f2", imp: "f2", "diff": "f2", "mean_rank": "f2", "t2_share_extremely": "pct",
                                "t2_share_very_or_extremely": "pct"}, collapsed=True))
    ranks = ctx.wh.table("t4_story_ranks", ["model"])
    if ranks.ok:
        r = ranks.df.drop(columns=[c for c in ("study",) if c in ranks.df])
        sec.tables.append(TableOut("t4_story_ranks", ctx.by_model(r, ["context", "value"]),
                                   "Mean rank of each value's user story per model and context (1 = most "
                                   "important).", {c: "f2" for c in r.columns if "rank" in str(c)}, collapsed=True))
    return sec


TIE_COLUMNS = ["n_comparisons", "n_aligned", "n_almost", "n_misaligned", "n_tied", "share_aligned",
               "share_aligned_or_almost"]


def _tie_rules(ctx: ReportContext, sec: Section) -> None:
    """The T4 tie table: the counts under every tie rule, against T2 and T3, side by side."""
    res = ctx.wh.table("t4_consistency_rules", ["model", "stated_from", "tie_rule", *TIE_COLUMNS])
    if not res.ok:
        sec.notes.append(f"No tie-rule table: {res.note}.")
        return
    df = res.df.drop(columns=[c for c in ("study",) if c in res.df])
    pooled = df[df["model"] == ALL_MODELS].drop(columns="model")
    preview = pooled[["stated_from", "tie_rule", *TIE_COLUMNS]].sort_values(["stated_from", "tie_rule"])
    table = ctx.by_model(df, ["stated_from", "tie_rule"]).replace({"model": {ALL_MODELS: ALL_MODELS_LABEL}})
    sec.tables.append(TableOut(
        "t4_tie_rules", table,
        "How the tie rule moves the T4 counts (all models pooled; the CSV has every model). stated_from t2: "
        "against the order implied by the model's T2 \"extremely important\" shares; t3: by its T3 trade-off "
        "shares (each value's mean share of answers favouring it). Rules: average, min, dense, ordinal "
        "(scipy.stats.rankdata on both sides; ordinal breaks ties by value name); paper (the headline: ties "
        "share the best rank, as a spreadsheet's RANK -- the paper does not state its rule); very_then_average "
        "(ties broken by the \"very or extremely\" share, then averaged and rounded half up). A context whose "
        "values all tie is 'tied', never aligned.",
        {**{c: "int" for c in TIE_COLUMNS if c.startswith("n_")},
         **{c: "pct" for c in TIE_COLUMNS if c.startswith("share")}},
        preview=preview.reset_index(drop=True)))
