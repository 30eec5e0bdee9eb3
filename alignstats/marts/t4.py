"""T4 consistency: does a model's requirement ranking follow the values it states in T2 (and T3)?

Per (study, model, context) where every story the model placed in T4 has a
stated figure (else the context is left out: the two sides would rank
different sets):

* ``t4_rank``: rank of the value's story by mean T4 rank (1 = put first),
  read from ``t4_story_ranks`` (the column of the rule's method:
  ``T4_RANK_COLUMN``), where it is computed -- never recomputed here;
* ``implied_rank``: rank implied by the model's own T2 answers in that
  context -- values ordered by their share of "extremely important"
  (1 = highest);
* ``diff = t4_rank - implied_rank`` (positive: the story comes later in T4
  than the T2 answers imply) and ``label`` (``alignstats.classify``:
  |d| = 0 aligned, <= 2 almost, else misaligned; ``tied`` when every value
  of the context has the same figure, so there is no order to follow).

How ties become ranks moves the counts, so it is a named rule
(``alignstats.consistency``, ``TIE_RULES``): ``t4_consistency`` uses the
headline rule ``paper`` (ranks from the "extremely" share alone, ties
sharing the best rank -- a spreadsheet's RANK, as read from the paper,
which does not state its rule) and says so in ``tie_rule``;
``t4_consistency_rules`` counts the labels under every rule side by side,
against the T2-implied order and against a T3-implied order
(``alignstats.tradeoff_scores`` of the context's trade-off shares at
``definitely_or_probably``: each value's mean share of answers favouring
it over the conflicts it is in).

The figures come from one T2 / T3 setting and one T4 setting (``original``
by default, the shipped design's only one for T2-T4).
"""
from __future__ import annotations

import pandas as pd

from alignstats import context_labels, summary_shares, tradeoff_scores
from alignstats.consistency import (ALIGNED, ALMOST, MISALIGNED, PAPER_RULE, SECONDARY_RULE, TIE_RULES, TIED,
                                    rule_method)
from alignstats.marts.frames import FLOAT, INT, STR, conform, require

HEADLINE_RULE = PAPER_RULE
T3_MEASURE = "definitely_or_probably"
STATED_FROM = ("t2", "t3")

T4_CONSISTENCY = {
    "study": STR, "model": STR, "context": STR, "value": STR, "story_id": STR,
    "mean_rank": FLOAT, "t2_share_extremely": FLOAT, "t2_share_very_or_extremely": FLOAT,
    "t4_rank": FLOAT, "implied_rank": FLOAT, "diff": FLOAT, "label": STR, "tie_rule": STR,
}

_COUNTS = {
    "n_comparisons": INT, "n_aligned": INT, "n_almost": INT, "n_misaligned": INT, "n_tied": INT,
    "share_aligned": FLOAT, "share_almost": FLOAT, "share_misaligned": FLOAT, "share_aligned_or_almost": FLOAT,
    "share_tied": FLOAT,
}

T4_CONSISTENCY_SUMMARY = {"study": STR, "model": STR, **_COUNTS, "tie_rule": STR}

T4_CONSISTENCY_RULES = {"study": STR, "model": STR, "stated_from": STR, "tie_rule": STR, **_COUNTS,
                        "is_headline": "bool"}

# summary row pooling every model of a study (the pooled consistency share a paper reports)
ALL_MODELS = "all"


def _t2_scores(selection_shares: pd.DataFrame, setting: str) -> pd.DataFrame:
    """(study, model, context, value) -> t2_share_extremely, t2_share_very_or_extremely."""
    require(selection_shares, ["study", "model", "task_kind", "setting", "context", "value", "measure", "share"],
            "selection_shares")
    rows = selection_shares[(selection_shares["task_kind"] == "rate") & (selection_shares["setting"] == setting)
                            & selection_shares["measure"].isin(["extremely", "very_or_extremely"])]
    wide = rows.pivot_table(index=["study", "model", "context", "value"], columns="measure", values="share",
                            aggfunc="first")
    wide = wide.reindex(columns=["extremely", "very_or_extremely"]).add_prefix("t2_share_")
    wide.columns.name = None
    return wide.reset_index()


def _t3_scores(tradeoff_shares: pd.DataFrame, setting: str) -> pd.DataFrame:
    """(study, model, context, value) -> t3_score (``alignstats.tradeoff_scores`` per context)."""
    columns = ["study", "model", "context", "value", "t3_score"]
    if tradeoff_shares is None or tradeoff_shares.empty:
        return pd.DataFrame(columns=columns)
    require(tradeoff_shares, ["study", "model", "setting", "context", "value_a", "value_b", "side", "measure",
                              "share"], "t3_tradeoff_shares")
    # every context's rows; the pooled one matches no T4 context and drops out at the join
    rows = tradeoff_shares[(tradeoff_shares["setting"] == setting) & (tradeoff_shares["measure"] == T3_MEASURE)]
    wide = rows.pivot_table(index=["study", "model", "context", "value_a", "value_b"], columns="side",
                            values="share", aggfunc="first").reindex(columns=["a", "b"]).reset_index()
    out = []
    for (study, model, context), group in wide.groupby(["study", "model", "context"], sort=True):
        scores = tradeoff_scores(zip(group["value_a"], group["value_b"], group["a"].astype(float),
                                     group["b"].astype(float)))
        out += [{"study": study, "model": model, "context": context, "value": v, "t3_score": s}
                for v, s in scores.items()]
    return pd.DataFrame(out, columns=columns)


# t4_story_ranks' column holding the T4 rank under each rankdata method (alignstats.rule_method)
T4_RANK_COLUMN = {"average": "rank", "min": "rank_min", "dense": "rank_dense", "ordinal": "rank_ordinal"}
_CONTEXT = ["study", "model", "context"]


def _story_ranks(story_ranks: pd.DataFrame, setting: str) -> pd.DataFrame:
    """The stories the model placed (a mean rank), with their T4 rank under every method."""
    columns = ["study", "model", "context", "story_id", "value", "mean_rank", *T4_RANK_COLUMN.values()]
    require(story_ranks, ["setting", *columns], "t4_story_ranks")
    rows = story_ranks[story_ranks["setting"] == setting]
    return rows[columns].dropna(subset=["mean_rank"])


def _with_stated(ranks: pd.DataFrame, stated: pd.DataFrame, column: str) -> pd.DataFrame:
    """``ranks`` joined with the stated figures, in the contexts where every placed story has one.

    The T4 ranks are over every story the model placed (t4_story_ranks); the implied ranks over
    the values with a stated figure.  Where the two sets differ the ranks are on different scales,
    so such a context is left out rather than compared.
    """
    joined = ranks.merge(stated, on=[*_CONTEXT, "value"], how="left")
    missing = joined[column].isna().groupby([joined[key] for key in _CONTEXT]).transform("any")
    return joined[~missing.astype(bool)]


def _compare(joined: pd.DataFrame, stated: str, secondary: str | None, rule: str) -> list[dict]:
    """Rows of ``joined`` (one per study, model, context, value) with t4_rank, implied_rank, diff, label."""
    t4_column = T4_RANK_COLUMN[rule_method(rule)]
    rows = []
    for _, group in joined.groupby(_CONTEXT, sort=True):
        group = group.set_index("value")
        labels = context_labels(group[t4_column].to_dict(), group[stated].to_dict(), rule,
                                secondary=group[secondary].to_dict() if secondary else None,
                                t4_tied=bool((group["rank_min"] == 1).all()))
        for value, row in group.drop(columns=list(T4_RANK_COLUMN.values())).iterrows():
            got = labels[value]
            rows.append({**row.to_dict(), "value": value, **got, "diff": got["t4_rank"] - got["implied_rank"]})
    return rows


def t4_consistency(story_ranks: pd.DataFrame, selection_shares: pd.DataFrame, t2_setting: str = "original",
                   t4_setting: str = "original", rule: str = HEADLINE_RULE) -> pd.DataFrame:
    """One row per (study, model, context, value) compared, under ``rule``; see the module docstring."""
    joined = _with_stated(_story_ranks(story_ranks, t4_setting), _t2_scores(selection_shares, t2_setting),
                          "t2_share_extremely")
    rows = _compare(joined, "t2_share_extremely", "t2_share_very_or_extremely", rule)
    return conform([{**row, "tie_rule": rule} for row in rows], T4_CONSISTENCY)


def _counts(labels: list[str]) -> dict:
    shares = summary_shares(labels)
    return {
        "n_comparisons": len(labels), "n_aligned": labels.count(ALIGNED), "n_almost": labels.count(ALMOST),
        "n_misaligned": labels.count(MISALIGNED), "n_tied": labels.count(TIED),
        "share_aligned": shares[ALIGNED], "share_almost": shares[ALMOST], "share_misaligned": shares[MISALIGNED],
        "share_aligned_or_almost": shares["aligned_or_almost"], "share_tied": shares[TIED],
    }


def _per_model_and_all(labelled: pd.DataFrame) -> list[tuple[str, str, list[str]]]:
    out = []
    for study, per_study in labelled.groupby("study", sort=True):
        for model, group in [*per_study.groupby("model", sort=True), (ALL_MODELS, per_study)]:
            out.append((study, model, list(group["label"])))
    return out


def t4_consistency_summary(consistency: pd.DataFrame) -> pd.DataFrame:
    """One row per (study, model) and one per study with model 'all' pooling its models' comparisons."""
    require(consistency, ["study", "model", "label"], "t4_consistency")
    labelled = consistency.dropna(subset=["label"])
    rules = consistency["tie_rule"].dropna().unique() if "tie_rule" in consistency else []
    rule = rules[0] if len(rules) == 1 else None
    rows = [{"study": study, "model": model, **_counts(labels), "tie_rule": rule}
            for study, model, labels in _per_model_and_all(labelled)]
    return conform(rows, T4_CONSISTENCY_SUMMARY)


def t4_consistency_rules(story_ranks: pd.DataFrame, selection_shares: pd.DataFrame,
                         tradeoff_shares: pd.DataFrame | None = None, t2_setting: str = "original",
                         t3_setting: str = "original", t4_setting: str = "original") -> pd.DataFrame:
    """Label counts per (study, model incl. 'all', stated_from t2 / t3, tie rule), side by side.

    ``very_then_average`` needs the T2 secondary figure, so it has T2 rows only.
    """
    ranks = _story_ranks(story_ranks, t4_setting)
    t2 = _with_stated(ranks, _t2_scores(selection_shares, t2_setting), "t2_share_extremely")
    t3 = _with_stated(ranks, _t3_scores(tradeoff_shares, t3_setting), "t3_score")
    rows = []
    for stated_from, joined, stated, secondary in (("t2", t2, "t2_share_extremely", "t2_share_very_or_extremely"),
                                                   ("t3", t3, "t3_score", None)):
        if joined.empty:
            continue
        for rule in TIE_RULES:
            if rule == SECONDARY_RULE and secondary is None:
                continue
            labelled = pd.DataFrame(_compare(joined, stated, secondary, rule))
            for study, model, labels in _per_model_and_all(labelled):
                rows.append({"study": study, "model": model, "stated_from": stated_from, "tie_rule": rule,
                             **_counts(labels), "is_headline": rule == HEADLINE_RULE})
    return conform(rows, T4_CONSISTENCY_RULES)
