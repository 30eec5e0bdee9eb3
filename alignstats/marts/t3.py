"""T3 (trade-offs): shares favouring each side, and their alignment with the human groups.

A conflict is an unordered pair of values, asked in both directions
("ensuring A may reduce B" and "ensuring B may reduce A") in every context.
Orientation (``int_tradeoff_sides``) and the pooled shares
(``t3_tradeoff_shares``: answers favouring the side at the measure's
strength / mapped answers of the conflict, summed over both directions and,
for the pooled context, over every context) are SQL models; this module
correlates the pooled shares with the human groups' (the study's own pooled
trade-off rows of ``int_reference_figures`` whose options are a measure's;
one point per (conflict, side)) and bootstraps the interval, re-pooling each resample
over the items ``int_tradeoff_sides`` lists for each point.

Which points make up the correlation is a reading of the paper's Table III
(its single stars fit no one n), so it is the column ``reading``:

* ``sides`` (the headline): one point per (conflict, side) -- 10 in the
  shipped design. It uses every published figure; both sides of a
  conflict are kept because "undecided" answers make them not simply
  complementary.
* ``side_a``: one point per conflict, the share favouring the reference's
  first value (5 points).
* ``net``: one point per conflict, share favouring a - share favouring b
  (5 points): the direction and strength of the preference.
"""
from __future__ import annotations

import pandas as pd

from alignstats.marts.frames import FLOAT, INT, STR, conform, require
from alignstats.marts.hits import hit_matrices
from alignstats.marts.intervals import POOLED, ResampledHits, figures_for, rho_interval
from alignstats.marts.reference import tradeoff_figures
from alignstats import spearman

#: The columns of the t3_tradeoff_shares mart and of int_tradeoff_sides these builders read.
T3_SHARE_COLUMNS = ["study", "model", "setting", "context", "value_a", "value_b", "side", "measure", "share",
                    "share_of_all_runs"]
SIDE_COLUMNS = ["study", "task", "item", "value", "value_a", "value_b", "side"]

T3_HUMAN_ALIGNMENT = {
    "study": STR, "model": STR, "setting": STR, "human_group": STR, "measure": STR, "reading": STR,
    "spearman_rho": FLOAT, "p_value": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT, "n_points": INT,
}

MEASURES = ("definitely", "definitely_or_probably")

SIDES, SIDE_A, NET = "sides", "side_a", "net"
READINGS = (SIDES, SIDE_A, NET)  # the first is the headline


def t3_human_alignment(tradeoff_shares: pd.DataFrame, choices: pd.DataFrame, reference: pd.DataFrame,
                       measures: pd.DataFrame, n_resamples: int = 1000, seed: int = 0, *,
                       tradeoff_sides: pd.DataFrame, pooled_context: str) -> pd.DataFrame:
    """One row per (study, model, setting, human group, measure): rho over the (conflict, side) points.

    ``tradeoff_shares`` is the t3_tradeoff_shares mart (its ``pooled_context`` rows are the
    points), ``tradeoff_sides`` is int_tradeoff_sides, ``choices`` is
    ``int_replicate_choices_counted``; ``reference`` is ``int_reference_figures`` (its pooled
    trade-off rows with a measure, joined on study); ``measures`` is ``int_measure_options``:
    which choices each measure counts.
    """
    require(tradeoff_shares, T3_SHARE_COLUMNS, "t3_tradeoff_shares")
    require(tradeoff_sides, SIDE_COLUMNS, "int_tradeoff_sides")
    shares = tradeoff_shares[tradeoff_shares["context"] == pooled_context].sort_values(
        ["study", "model", "setting", "measure", "value_a", "value_b", "side"])
    if shares.empty:
        return conform([], T3_HUMAN_ALIGNMENT)
    human = tradeoff_figures(reference, tradeoff_sides)
    human = human[human["context"] == pooled_context]
    matrices = hit_matrices(choices, measures, "tradeoff", all_runs=True)
    out = []
    for (study, model, setting, measure), points in shares.groupby(["study", "model", "setting", "measure"],
                                                                    sort=True):
        points = points.set_index(["value_a", "value_b", "side"])["share_of_all_runs"]
        hm = matrices.get((study, model, setting, measure))
        matrix, keys = (hm.frame(), [(i, v) for i, _, v, _ in hm.keys]) if hm is not None else (pd.DataFrame(), [])
        items = tradeoff_sides[tradeoff_sides["study"] == study]
        resampled = ResampledHits.of(matrix, n_resamples, seed) if keys else None
        side_columns = {point: list(zip(side_rows["item"], side_rows["value"]))
                        for point, side_rows in items.groupby(["value_a", "value_b", "side"], sort=False)}
        own = human[(human["study"] == study) & (human["measure"] == measure)]
        for group, ref in own.groupby("group", sort=False):
            ref = ref.set_index(["value_a", "value_b", "side"])["human_share"]
            index = points.index.intersection(ref.index)
            complete = points[index].notna().to_numpy() & ref[index].notna().to_numpy()
            index = index[complete]
            base = {"study": study, "model": model, "setting": setting, "human_group": group, "measure": measure}
            for reading in READINGS:
                out.append(_reading_row(base, reading, points, ref, index, side_columns, matrix, keys, n_resamples,
                                        seed, resampled))
    return conform(out, T3_HUMAN_ALIGNMENT)


def _reading_row(base, reading, points, ref, index, side_columns, matrix, keys, n_resamples, seed,
                 resampled) -> dict:
    """One row of ``reading`` over the complete (conflict, side) points ``index``."""
    if reading == SIDES:
        first, second = index, None
    else:  # one point per conflict with both sides complete
        both = {(a, b_) for a, b_, side in index if side == "a"} & {(a, b_) for a, b_, side in index if side == "b"}
        conflicts = sorted(both) if reading == NET else sorted({(a, b_) for a, b_, side in index if side == "a"})
        def sides_of(side: str) -> pd.Index:
            if not conflicts:
                return index[:0]
            return pd.MultiIndex.from_tuples([(a, b_, side) for a, b_ in conflicts], names=index.names)

        first, second = sides_of("a"), (sides_of("b") if reading == NET else None)
    model_figs, human_figs = points[first].to_numpy(dtype=float), ref[first].to_numpy(dtype=float)
    if second is not None:
        model_figs = model_figs - points[second].to_numpy(dtype=float)
        human_figs = human_figs - ref[second].to_numpy(dtype=float)
    rho, p = spearman(model_figs, human_figs)
    row = {**base, "reading": reading, "spearman_rho": rho, "p_value": p, "n_points": len(first)}
    if keys and len(first):
        # each point's columns: its side in every item of the conflict (directions x contexts)
        figures = figures_for(keys, [side_columns.get(point, []) for point in first], how=POOLED)
        minus = (figures_for(keys, [side_columns.get(point, []) for point in second], how=POOLED)
                 if second is not None else None)
        row["ci_low"], row["ci_high"] = rho_interval(matrix, figures, human_figs, n_resamples, seed,
                                                     resampled=resampled, minus=minus)
    return row
