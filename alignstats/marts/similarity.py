"""Model x model agreement: Spearman's rho between two models' share vectors.

For each (study, task, setting, context, measure): T1 selection shares
(measure ``selected``, context as selection_shares labels T1: ``general``)
and T2 shares of "extremely important" per context and for ``all`` (the
mean over contexts: mart ``t2_importance_shares``). Every ordered pair of models is a row, the diagonal
included, so the mart pivots straight into a heatmap; rho runs over the
values both models have a share for (``n_values``). A model whose shares
are all equal has no rank order, so its rho is null, the diagonal too.

T2 also has context ``all_pairs`` (``t2.ALL_PAIRS``): the vector of every
(context, value) share at once -- 28 points in the shipped design -- the
reading of the paper's Table II and of its Figure 7.
"""
from __future__ import annotations

import pandas as pd

from alignstats.marts.frames import FLOAT, INT, STR, conform
from alignstats.marts.t1 import t1_shares
from alignstats.marts.frames import require
from alignstats.marts.t2 import ALL_PAIRS, T2_SHARE_COLUMNS
from alignstats import spearman

MODEL_SIMILARITY = {
    "study": STR, "task": STR, "setting": STR, "context": STR, "measure": STR,
    "model_a": STR, "model_b": STR, "spearman_rho": FLOAT, "p_value": FLOAT, "n_values": INT,
}

T2_MEASURE = "extremely"


def share_vectors(selection_shares: pd.DataFrame, t2_shares: pd.DataFrame) -> pd.DataFrame:
    """(study, task, setting, context, measure, model, value, share) of the compared figures."""
    t1 = t1_shares(selection_shares).assign(measure="selected")
    require(t2_shares, T2_SHARE_COLUMNS, "t2_importance_shares")
    t2 = t2_shares[t2_shares["measure"] == T2_MEASURE]
    per_context = t2[~t2["is_pooled"].astype(bool)]
    all_pairs = per_context.assign(value=per_context["context"] + " / " + per_context["value"], context=ALL_PAIRS)
    columns = ["study", "task", "setting", "context", "measure", "model", "value", "share"]
    return pd.concat([t1[columns], t2[columns], all_pairs[columns]], ignore_index=True)


def model_similarity(selection_shares: pd.DataFrame, t2_shares: pd.DataFrame) -> pd.DataFrame:
    """One row per (study, task, setting, context, measure, model_a, model_b); T1 figures from
    ``selection_shares``, T2 from ``t2_shares`` (mart t2_importance_shares)."""
    vectors = share_vectors(selection_shares, t2_shares)
    rows = []
    keys = ["study", "task", "setting", "context", "measure"]
    for key, group in vectors.groupby(keys, sort=True):
        wide = group.pivot_table(index="value", columns="model", values="share", aggfunc="first")
        for model_a in wide.columns:
            for model_b in wide.columns:
                pair = wide[[model_a, model_b]].dropna() if model_a != model_b else wide[[model_a]].dropna()
                x = pair[model_a].to_numpy()
                y = pair[model_b].to_numpy() if model_a != model_b else x
                rho, p = spearman(x, y)
                rows.append({**dict(zip(keys, key)), "model_a": model_a, "model_b": model_b,
                             "spearman_rho": rho, "p_value": p, "n_values": len(pair)})
    return conform(rows, MODEL_SIMILARITY)
