"""T3 (trade-offs): shares favouring each side, and their alignment with the human groups.

A conflict is an unordered pair of values, asked in both directions
("ensuring A may reduce B" and "ensuring B may reduce A") in every context.
Orientation (``int_tradeoff_sides``) and the pooled shares
(``t3_tradeoff_shares``: answers favouring the side at the measure's
strength / mapped answers of the conflict, summed over both directions and,
for the pooled context, over every context) are SQL models; this module
correlates the pooled shares with the human groups' (one point per
(conflict, side)) and bootstraps the interval, re-pooling each resample
over the items ``int_tradeoff_sides`` lists for each point.
"""
from __future__ import annotations

import pandas as pd

from alignstats.marts.frames import FLOAT, INT, STR, conform, require
from alignstats.marts.hits import hit_matrices
from alignstats.marts.intervals import POOLED, ResampledHits, figures_for, rho_interval
from alignstats import spearman

#: The columns of the t3_tradeoff_shares mart and of int_tradeoff_sides these builders read.
T3_SHARE_COLUMNS = ["study", "model", "setting", "context", "value_a", "value_b", "side", "measure", "share"]
SIDE_COLUMNS = ["study", "task", "item", "value", "value_a", "value_b", "side"]

T3_HUMAN_ALIGNMENT = {
    "study": STR, "model": STR, "setting": STR, "human_group": STR, "measure": STR,
    "spearman_rho": FLOAT, "p_value": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT, "n_points": INT,
}

MEASURES = ("definitely", "definitely_or_probably")


def human_t3_long(human_t3: pd.DataFrame) -> pd.DataFrame:
    """The seed as (group, value_a, value_b, side, measure, human_share)."""
    require(human_t3, ["group", "value_a", "value_b", *(f"share_{m}_{s}" for m in MEASURES for s in "ab")],
            "human_t3_tradeoffs")
    parts = []
    for measure in MEASURES:
        for side in "ab":
            part = human_t3[["group", "value_a", "value_b"]].assign(
                side=side, measure=measure, human_share=human_t3[f"share_{measure}_{side}"].astype(float))
            parts.append(part)
    return pd.concat(parts, ignore_index=True)


def t3_human_alignment(tradeoff_shares: pd.DataFrame, choices: pd.DataFrame, human_t3: pd.DataFrame,
                       measures: pd.DataFrame, n_resamples: int = 1000, seed: int = 0, *,
                       tradeoff_sides: pd.DataFrame, pooled_context: str) -> pd.DataFrame:
    """One row per (study, model, setting, human group, measure): rho over the (conflict, side) points.

    ``tradeoff_shares`` is the t3_tradeoff_shares mart (its ``pooled_context`` rows are the
    points), ``tradeoff_sides`` is int_tradeoff_sides, ``choices`` is
    ``int_replicate_choices_counted``; ``measures`` is ``int_measure_options``: which choices
    each measure counts.
    """
    require(tradeoff_shares, T3_SHARE_COLUMNS, "t3_tradeoff_shares")
    require(tradeoff_sides, SIDE_COLUMNS, "int_tradeoff_sides")
    shares = tradeoff_shares[tradeoff_shares["context"] == pooled_context].sort_values(
        ["study", "model", "setting", "measure", "value_a", "value_b", "side"])
    if shares.empty:
        return conform([], T3_HUMAN_ALIGNMENT)
    human = human_t3_long(human_t3)
    matrices = hit_matrices(choices, measures, "tradeoff")
    out = []
    for (study, model, setting, measure), points in shares.groupby(["study", "model", "setting", "measure"],
                                                                    sort=True):
        points = points.set_index(["value_a", "value_b", "side"])["share"]
        hm = matrices.get((study, model, setting, measure))
        matrix, keys = (hm.frame(), [(i, v) for i, _, v, _ in hm.keys]) if hm is not None else (pd.DataFrame(), [])
        items = tradeoff_sides[tradeoff_sides["study"] == study]
        resampled = ResampledHits.of(matrix, n_resamples, seed) if keys else None
        side_columns = {point: list(zip(side_rows["item"], side_rows["value"]))
                        for point, side_rows in items.groupby(["value_a", "value_b", "side"], sort=False)}
        for group, ref in human[human["measure"] == measure].groupby("group", sort=False):
            ref = ref.set_index(["value_a", "value_b", "side"])["human_share"]
            index = points.index.intersection(ref.index)
            complete = points[index].notna().to_numpy() & ref[index].notna().to_numpy()
            index = index[complete]
            rho, p = spearman(points[index].to_numpy(), ref[index].to_numpy())
            row = {"study": study, "model": model, "setting": setting, "human_group": group, "measure": measure,
                   "spearman_rho": rho, "p_value": p, "n_points": len(index)}
            if keys and len(index):
                # each point's columns: its side in every item of the conflict (directions x contexts)
                wanted = [side_columns.get(point, []) for point in index]
                figures = figures_for(keys, wanted, how=POOLED)
                row["ci_low"], row["ci_high"] = rho_interval(matrix, figures, ref[index].to_numpy(),
                                                             n_resamples, seed, resampled=resampled)
            out.append(row)
    return conform(out, T3_HUMAN_ALIGNMENT)
