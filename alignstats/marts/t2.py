"""T2 (importance ratings) against the human groups.

The model's figure per (context, value) is its share of mapped answers at
the measure (``extremely``: "extremely important"; ``very_or_extremely``:
"very" or "extremely important"), from the ``t2_importance_shares`` mart,
whose pooled row (``is_pooled``; context var('pooled_context_label')) is the
mean of the per-context shares, as the reference averages its contexts.

The human figures are the study's own rate rows of ``int_reference_figures``
whose options are a measure's (``extremely``: the scale's top level,
``very_or_extremely``: the top two), joined on study and task; a study
without them has no rows. Rows exist where the human group has a figure for
(context, measure): in the shipped study every context for ``extremely``,
only ``all`` for ``very_or_extremely``. Spearman
runs over the values both sides have (``n_values``); the interval resamples
replicates (run r of every T2 item together) and rebuilds the shares.

The headline row, context ``all_pairs`` (``ALL_PAIRS``), is the paper's
Table II: ONE Spearman over every (context, value) pair at once -- the
model's per-context shares against the group's per-context figures, 28
points in the shipped design (7 values x 4 contexts), so its p-value fits
n = 28. The ``all`` row (the mean over contexts, 7 points) and the
per-context rows (7 points each) stay as detail.
"""
from __future__ import annotations

import pandas as pd

from alignstats.marts.frames import FLOAT, INT, STR, conform, require
from alignstats.marts.hits import hit_matrices
from alignstats.marts.intervals import ResampledHits, figures_for, rho_interval
from alignstats.marts.reference import rate_figures
from alignstats import spearman

#: The columns of the t2_importance_shares mart these builders read.
T2_SHARE_COLUMNS = ["study", "model", "task", "setting", "context", "value", "measure", "share", "runs", "is_pooled",
                    "share_of_all_runs"]
#: the share the alignment marts correlate: of all runs asked, as the paper (issue 15, "Denominators")
SHARE = "share_of_all_runs"

T2_HUMAN_ALIGNMENT = {
    "study": STR, "model": STR, "setting": STR, "context": STR, "human_group": STR, "measure": STR,
    "spearman_rho": FLOAT, "p_value": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT, "n_values": INT,
}

# context label of the headline row: one Spearman over every (context, value) pair
ALL_PAIRS = "all_pairs"

def t2_human_alignment(t2_shares: pd.DataFrame, choices: pd.DataFrame, reference: pd.DataFrame,
                       measures: pd.DataFrame, n_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per (study, model, setting, context, human group, measure); see the module docstring.

    ``choices`` is ``int_replicate_choices_counted``; ``reference`` is ``int_reference_figures``
    (its rate rows with a measure, joined on study and task); ``measures`` is
    ``int_measure_options``: which choices each measure counts.
    """
    require(t2_shares, T2_SHARE_COLUMNS, "t2_importance_shares")
    shares = t2_shares
    human_rows = rate_figures(reference)
    humans = {key: rows for key, rows in human_rows.groupby(["study", "task"], sort=False)}
    matrices = hit_matrices(choices, measures, "rate", all_runs=True)
    rows = []
    for (study, task, model, setting, measure), model_rows in shares.groupby(
            ["study", "task", "model", "setting", "measure"], sort=True):
        human = humans.get((study, task))
        if human is None:
            continue
        contexts = sorted(set(model_rows.loc[~model_rows["is_pooled"].astype(bool), "context"]))
        pooled = set(model_rows.loc[model_rows["is_pooled"].astype(bool), "context"])
        hm = matrices.get((study, model, setting, measure))
        matrix, keys = (hm.frame(), [(c, v) for _, c, v, _ in hm.keys]) if hm is not None else (pd.DataFrame(), [])
        resampled = ResampledHits.of(matrix, n_resamples, seed) if keys else None
        for (group, context), ref in human[human["measure"] == measure].groupby(["group", "context"], sort=False):
            point = model_rows[model_rows["context"] == context].set_index("value")[SHARE]
            if point.empty:
                continue
            ref = ref.set_index("value")["human_share"]
            values = point.index.intersection(ref.index)
            complete = point[values].notna() & ref[values].notna()
            values = values[complete.to_numpy()]
            rho, p = spearman(point[values].to_numpy(), ref[values].to_numpy())
            row = {"study": study, "model": model, "setting": setting, "context": context,
                   "human_group": group, "measure": measure, "spearman_rho": rho, "p_value": p,
                   "n_values": len(values)}
            if keys and len(values):
                use = contexts if context in pooled else [context]
                figures = figures_for(keys, [[(c, v) for c in use] for v in values])
                row["ci_low"], row["ci_high"] = rho_interval(matrix, figures, ref[values].to_numpy(),
                                                             n_resamples, seed, resampled=resampled)
            rows.append(row)
        rows += _all_pairs_rows(study, model, setting, measure, model_rows, human, matrix, keys, n_resamples, seed,
                                resampled)
    return conform(rows, T2_HUMAN_ALIGNMENT)


def _all_pairs_rows(study, model, setting, measure, model_rows, human, matrix, keys, n_resamples, seed,
                    resampled) -> list[dict]:
    """The ``all_pairs`` row per human group: rho over every (context, value) pair both sides have."""
    is_pooled = model_rows["is_pooled"].astype(bool)
    point = model_rows[~is_pooled].set_index(["context", "value"])[SHARE]
    rows = []
    # the model's contexts pick the human per-context figures (the human pooled rows match none)
    per_context = human[(human["measure"] == measure) & human["context"].isin(set(model_rows.loc[~is_pooled,
                                                                                              "context"]))]
    for group, ref in per_context.groupby("group", sort=False):
        ref = ref.set_index(["context", "value"])["human_share"]
        pairs = point.index.intersection(ref.index)
        pairs = pairs[(point[pairs].notna() & ref[pairs].notna()).to_numpy()]
        if len(pairs) == 0:
            continue
        rho, p = spearman(point[pairs].to_numpy(), ref[pairs].to_numpy())
        row = {"study": study, "model": model, "setting": setting, "context": ALL_PAIRS, "human_group": group,
               "measure": measure, "spearman_rho": rho, "p_value": p, "n_values": len(pairs)}
        if keys:
            figures = figures_for(keys, [[pair] for pair in pairs])
            row["ci_low"], row["ci_high"] = rho_interval(matrix, figures, ref[pairs].to_numpy(), n_resamples, seed,
                                                         resampled=resampled)
        rows.append(row)
    return rows
