"""Profile fidelity: ordering and calibration of a model's priorities against a human group's.

Following Lau et al. (2025), agreement in *order* (Spearman's rho) says
nothing about whether a model spreads its priorities as widely as people
do, or sits at the same level. Per (study, model, task, context, human
group) the model's figures x_i and the group's figures y_i over the values
(points) i = 1..n both have give three numbers, all from ``alignstats``:

* ``spearman_rho``: Spearman's rho of x and y (ordering; ties averaged);
* ``slope``: OLS slope of x regressed on y,
  sum((y_i - ybar)(x_i - xbar)) / sum((y_i - ybar)^2)
  (calibration of the differences between priorities: 1 = the model
  separates values as much as people do, > 1 exaggerates, < 1 flattens);
* ``lins_ccc``: Lin's concordance correlation coefficient,
  2 s_xy / (s_x^2 + s_y^2 + (xbar - ybar)^2), population (1/n) moments
  (1 only when x = y: penalises a shift or a scale difference too).

Figures, one setting (``original`` by default) of each task:

* select: per value, the share of runs that selected it, against
  the group's share selecting it (context ``general``);
* rate: per value, the share at the scale's top level (measure
  ``extremely``), per context and pooled (mart ``t2_importance_shares``:
  the mean of the per-context shares), against the group's figure for
  that option;
* tradeoff: per (conflict, side), the share of answers favouring
  the side at any strength (measure ``definitely_or_probably``), pooled over
  both directions and every context (mart ``t3_tradeoff_shares``, its pooled
  context; the items of each point from ``int_tradeoff_sides``), against the
  group's pooled figure for those options.

The human figures are the study's own rows of ``int_reference_figures`` with
that measure (joined on study and task; a study without them has no rows).

Intervals: 95% BCa intervals (``intervals.INTERVAL_METHOD``; the
jackknife leaves out one replicate) from the clustered bootstrap over
replicates (run r of every item of the task is one cluster), drawn as
``alignstats.bootstrap`` draws them -- clusters numbered in replicate
order, ``default_rng(seed).integers(0, n, (n_resamples, n))`` -- so the
same seed resamples the same runs as the rho intervals of
``t1/t2/t3_human_alignment`` (and rho's interval here equals theirs). Each
resample rebuilds the figures from the per-run hits and recomputes the
three statistics with the human figures held fixed. Resamples whose
statistic is undefined are left out. Figures are rounded to 12 decimals
first, so that mathematically tied shares tie exactly. The statistics of complete resamples
are computed row-wise with numpy (``rowwise_statistics``, tested equal to
``alignstats``); a resample that loses a point (no answer for it in
the drawn runs) goes through ``alignstats`` itself.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from alignstats.marts.frames import FLOAT, INT, STR, conform, require
from alignstats.marts.hits import hit_matrices
from alignstats.marts.t1 import selection_matrices, t1_shares
from alignstats.marts.reference import rate_figures, select_figures, tradeoff_figures
from alignstats.marts.t2 import ALL_PAIRS, T2_SHARE_COLUMNS
from alignstats.marts.t3 import SIDE_COLUMNS, T3_SHARE_COLUMNS
from alignstats import (calibration_slope, figures_from_counts, interval, jackknife_counts, lins_ccc, resample_counts,
                             spearman)
from alignstats.figures import MEAN_OF_SHARES, POOLED
from alignstats.marts.intervals import INTERVAL_METHOD

STATISTICS = ("spearman_rho", "slope", "lins_ccc")

PROFILE_FIDELITY = {
    "study": STR, "model": STR, "task": STR, "context": STR, "human_group": STR,
    "task_kind": STR, "setting": STR, "measure": STR,
    "spearman_rho": FLOAT, "spearman_rho_ci_low": FLOAT, "spearman_rho_ci_high": FLOAT,
    "slope": FLOAT, "slope_ci_low": FLOAT, "slope_ci_high": FLOAT,
    "lins_ccc": FLOAT, "lins_ccc_ci_low": FLOAT, "lins_ccc_ci_high": FLOAT,
    "model_mean": FLOAT, "human_mean": FLOAT, "n_values": INT, "n_replicates": INT,
}

# the measure compared per task kind, and the human seed column it is compared with
T1_MEASURE = "selected"
T2_MEASURE = "extremely"
T3_MEASURE = "definitely_or_probably"

ALPHA = 0.05
# Figures are rounded to this many decimals before the statistics: two values whose shares
# are mathematically equal (a tie) can differ in the last bit depending on the order the
# runs were summed in, and a tie broken by rounding noise moves Spearman's rho.
FIGURE_DECIMALS = 12


# -- statistics of many resamples at once ---------------------------------------------------

def rowwise_statistics(x: np.ndarray, y: Sequence[float]) -> dict[str, np.ndarray]:
    """rho, slope and CCC of each row of ``x`` (resamples x points) against the fixed ``y``.

    Rows with no NaN are computed with numpy in one go; rows with a NaN go
    through ``alignstats`` (which drops the incomplete pairs). Each
    array equals ``[stat(row, y) for row in x]`` with the ``alignstats``
    function, NaN where that is NaN.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    y = np.asarray(y, dtype=float).ravel()
    if x.shape[1] != y.size:
        raise ValueError(f"{x.shape[1]} points per resample but {y.size} human figures")
    out = {name: np.full(x.shape[0], np.nan) for name in STATISTICS}
    if np.isnan(y).any():  # the caller passes complete human figures; be safe anyway
        return _scalar_statistics(x, y, out, np.arange(x.shape[0]))
    complete = ~np.isnan(x).any(axis=1)
    n = y.size
    if complete.any() and n >= 2:
        xc = x[complete]
        dx = xc - xc.mean(axis=1, keepdims=True)
        dy = y - y.mean()
        syy = (dy ** 2).sum()
        sxy = dx @ dy
        # CCC with population moments
        denominator = (dx ** 2).mean(axis=1) + (dy ** 2).mean() + (xc.mean(axis=1) - y.mean()) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            ccc = np.where(denominator > 0, 2 * (sxy / n) / denominator, np.nan)
            slope = np.full(len(xc), np.nan) if np.all(y == y[0]) else sxy / syy
        out["lins_ccc"][complete] = ccc
        out["slope"][complete] = slope
        if n >= 3 and not np.all(y == y[0]):
            rx = sps.rankdata(xc, axis=1)
            rx -= rx.mean(axis=1, keepdims=True)
            ry = sps.rankdata(y)
            ry -= ry.mean()
            num = rx @ ry
            den = np.sqrt((rx ** 2).sum(axis=1) * (ry ** 2).sum())
            constant = np.all(xc == xc[:, :1], axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                rho = np.where(~constant & (den > 0), num / den, np.nan)
            out["spearman_rho"][complete] = np.clip(rho, -1.0, 1.0)
    return _scalar_statistics(x, y, out, np.flatnonzero(~complete))


def _scalar_statistics(x: np.ndarray, y: np.ndarray, out: dict[str, np.ndarray],
                       rows: np.ndarray) -> dict[str, np.ndarray]:
    for i in rows:
        out["spearman_rho"][i] = spearman(x[i], y)[0]
        out["slope"][i] = calibration_slope(x[i], y)
        out["lins_ccc"][i] = lins_ccc(x[i], y)
    return out


# -- resampling the per-run hits ------------------------------------------------------------

def weights_for(keys: Sequence[tuple], wanted: Sequence[Sequence[tuple]]) -> np.ndarray:
    """figures x columns 0/1 matrix: figure i is made of the hit-matrix columns ``wanted[i]``."""
    position = {key: i for i, key in enumerate(keys)}
    weights = np.zeros((len(wanted), len(keys)))
    for i, group in enumerate(wanted):
        for key in group:
            if key in position:
                weights[i, position[key]] = 1.0
    return weights


class _Bootstrap:
    """Figures over all runs and over each resample of one (study, model, task)'s runs."""

    def __init__(self, data: np.ndarray, keys: Sequence[tuple], wanted: Sequence[Sequence[tuple]], how: str,
                 n_resamples: int, seed: int) -> None:
        weights = weights_for(keys, wanted)
        self.n_replicates = int(data.shape[0])
        self.point = figures_from_counts(np.ones((1, data.shape[0])), data, weights, how)[0]
        self.boot = (np.round(figures_from_counts(resample_counts(data.shape[0], n_resamples, seed), data, weights,
                                                  how), FIGURE_DECIMALS)
                     if data.shape[0] and n_resamples > 0 else np.empty((0, len(wanted))))
        # leave-one-replicate-out figures, for the BCa acceleration
        self.jack = (np.round(figures_from_counts(jackknife_counts(data.shape[0]), data, weights, how),
                              FIGURE_DECIMALS) if data.shape[0] > 1 else np.full((1, len(wanted)), np.nan))


# -- the rows -------------------------------------------------------------------------------

def _row(base: dict, model_figs: pd.Series, human_figs: pd.Series, boot: _Bootstrap | None,
         columns: list[int] | None) -> dict:
    """One mart row: statistics over the points both sides have, with intervals when ``boot`` is given.

    ``model_figs`` and ``human_figs`` share an index (the points); ``columns``
    are the points' positions in ``boot`` (resamples x figures).
    """
    keep = (model_figs.notna() & human_figs.notna()).to_numpy()
    x = np.round(model_figs.to_numpy(dtype=float)[keep], FIGURE_DECIMALS)
    y = human_figs.to_numpy(dtype=float)[keep]
    row = {**base, "spearman_rho": spearman(x, y)[0], "slope": calibration_slope(x, y), "lins_ccc": lins_ccc(x, y),
           "model_mean": float(x.mean()) if x.size else float("nan"),
           "human_mean": float(y.mean()) if y.size else float("nan"), "n_values": int(x.size)}
    if boot is not None and columns is not None and x.size and len(boot.boot):
        points = np.asarray(columns)[keep]
        jack = rowwise_statistics(boot.jack[:, points], y)
        for name, values in rowwise_statistics(boot.boot[:, points], y).items():
            row[f"{name}_ci_low"], row[f"{name}_ci_high"] = interval(values, ALPHA, INTERVAL_METHOD,
                                                                     jack=jack[name], point=row[name])
    return row


def _t1_rows(selection_shares: pd.DataFrame, choices: pd.DataFrame, reference: pd.DataFrame, setting: str,
             n_resamples: int, seed: int) -> list[dict]:
    shares = t1_shares(selection_shares)
    shares = shares[shares["setting"] == setting]
    if shares.empty:
        return []
    matrices = selection_matrices(choices, all_runs=True)
    human_rows = select_figures(reference)
    by_task = {key: {g: h.set_index("value")["human_share"] for g, h in rows.groupby("group", sort=False)}
               for key, rows in human_rows.groupby(["study", "task"], sort=False)}
    rows = []
    for (study, model, task, context), group in shares.groupby(["study", "model", "task", "context"], sort=True):
        humans = by_task.get((study, task))
        if not humans:
            continue
        model_shares = group.set_index("value")["share_of_all_runs"].astype(float)
        values = list(model_shares.index)
        boot, n_replicates = None, 0
        matrix = matrices.get((study, model, setting))
        if matrix is not None and len(matrix):
            data = matrix.reindex(columns=values, fill_value=0).to_numpy(dtype=float)
            bs = _Bootstrap(data, [(v,) for v in values], [[(v,)] for v in values], MEAN_OF_SHARES, n_resamples,
                            seed)
            boot, n_replicates = bs, bs.n_replicates
        base = {"study": study, "model": model, "task": task, "context": context, "task_kind": "select",
                "setting": setting, "measure": T1_MEASURE, "n_replicates": n_replicates}
        for human_group, human in humans.items():
            common = [v for v in values if v in human.index]
            rows.append(_row({**base, "human_group": human_group}, model_shares[common], human[common], boot,
                             [values.index(v) for v in common]))
    return rows


def _t2_rows(t2_shares: pd.DataFrame, choices: pd.DataFrame, reference: pd.DataFrame,
             measures: pd.DataFrame, setting: str, n_resamples: int, seed: int) -> list[dict]:
    require(t2_shares, T2_SHARE_COLUMNS, "t2_importance_shares")
    shares = t2_shares[(t2_shares["setting"] == setting) & (t2_shares["measure"] == T2_MEASURE)]
    shares = shares.sort_values(["study", "model", "task", "is_pooled", "context", "value"])
    if shares.empty:
        return []
    human_rows = rate_figures(reference)
    human_rows = human_rows[human_rows["measure"] == T2_MEASURE]
    by_task = {key: rows for key, rows in human_rows.groupby(["study", "task"], sort=False)}
    matrices = hit_matrices(choices, measures, "rate", all_runs=True)
    rows = []
    for (study, model, task), model_rows in shares.groupby(["study", "model", "task"], sort=True):
        human = by_task.get((study, task))
        if human is None:
            continue
        is_pooled = model_rows["is_pooled"].astype(bool)
        contexts = sorted(set(model_rows.loc[~is_pooled, "context"]))
        pooled = set(model_rows.loc[is_pooled, "context"])
        figures = [(c, v) for c, v in zip(model_rows["context"], model_rows["value"])]
        own = matrices.get((study, model, setting, T2_MEASURE))
        boot, n_replicates = None, 0
        if own is not None:
            keys = [(ctx, v) for _, ctx, v, _ in own.keys]
            wanted = [[(ctx, v) for ctx in contexts] if c in pooled else [(c, v)] for c, v in figures]
            bs = _Bootstrap(own.data, keys, wanted, MEAN_OF_SHARES, n_resamples, seed)
            boot, n_replicates = bs, bs.n_replicates
        position = {f: i for i, f in enumerate(figures)}
        for (group, context), ref in human.groupby(["group", "context"], sort=False):
            point = model_rows[model_rows["context"] == context]
            if point.empty:
                continue
            point = point.set_index("value")["share_of_all_runs"].astype(float)
            ref = ref.set_index("value")["human_share"]
            common = [v for v in point.index if v in ref.index]
            base = {"study": study, "model": model, "task": task, "context": context, "human_group": group,
                    "task_kind": "rate", "setting": setting, "measure": T2_MEASURE, "n_replicates": n_replicates}
            rows.append(_row(base, point[common], ref[common], boot, [position[(context, v)] for v in common]))
        # all_pairs: every (context, value) figure at once against the group's per-context figures
        per_context = model_rows[~is_pooled].set_index(["context", "value"])["share_of_all_runs"].astype(float)
        for group, ref in human[human["context"].isin(contexts)].groupby("group", sort=False):
            ref = ref.set_index(["context", "value"])["human_share"]
            common = [pair for pair in per_context.index if pair in ref.index]
            base = {"study": study, "model": model, "task": task, "context": ALL_PAIRS, "human_group": group,
                    "task_kind": "rate", "setting": setting, "measure": T2_MEASURE, "n_replicates": n_replicates}
            rows.append(_row(base, per_context[common], ref[common], boot, [position[pair] for pair in common]))
    return rows


def _t3_rows(tradeoff_shares: pd.DataFrame, tradeoff_sides: pd.DataFrame, choices: pd.DataFrame,
             reference: pd.DataFrame, measures: pd.DataFrame, pooled_context: str, setting: str, n_resamples: int,
             seed: int) -> list[dict]:
    require(tradeoff_shares, T3_SHARE_COLUMNS, "t3_tradeoff_shares")
    require(tradeoff_sides, SIDE_COLUMNS, "int_tradeoff_sides")
    shares = tradeoff_shares[(tradeoff_shares["setting"] == setting) & (tradeoff_shares["context"] == pooled_context)
                             & (tradeoff_shares["measure"] == T3_MEASURE)]
    if shares.empty:
        return []
    shares = shares.sort_values(["study", "model", "value_a", "value_b", "side"])
    human = tradeoff_figures(reference, tradeoff_sides)
    human = human[(human["measure"] == T3_MEASURE) & (human["context"] == pooled_context)]
    matrices = hit_matrices(choices, measures, "tradeoff", all_runs=True)
    rows = []
    for (study, model), model_points in shares.groupby(["study", "model"], sort=True):
        points = model_points.set_index(["value_a", "value_b", "side"])
        figures = list(points.index)
        own = matrices.get((study, model, setting, T3_MEASURE))
        for task, items in tradeoff_sides[tradeoff_sides["study"] == study].groupby("task", sort=True):
            task_items = set(items["item"])
            columns = [j for j, key in enumerate(own.keys) if key[0] in task_items] if own is not None else []
            boot, n_replicates = None, 0
            if columns:
                matrix = own.frame(columns)
                keys = [(own.keys[j][0], own.keys[j][2]) for j in columns]
                wanted = [[(i, v) for i, v in zip(sel["item"], sel["value"])]
                          for sel in (items[(items["value_a"] == a) & (items["value_b"] == b) & (items["side"] == s)]
                                      for a, b, s in figures)]
                bs = _Bootstrap(matrix.drop(columns="replicate").to_numpy(dtype=float), keys, wanted, POOLED,
                                n_resamples, seed)
                boot, n_replicates = bs, bs.n_replicates
            base = {"study": study, "model": model, "task": task, "context": pooled_context,
                    "task_kind": "tradeoff", "setting": setting, "measure": T3_MEASURE, "n_replicates": n_replicates}
            own_human = human[(human["study"] == study) & (human["task"] == task)]
            for group, ref in own_human.groupby("group", sort=False):
                ref = ref.set_index(["value_a", "value_b", "side"])["human_share"]
                common = [f for f in figures if f in ref.index]
                rows.append(_row({**base, "human_group": group}, points["share_of_all_runs"].astype(float).reindex(common),
                                 ref.reindex(common), boot, [figures.index(f) for f in common]))
    return rows


def profile_fidelity(selection_shares: pd.DataFrame, choices: pd.DataFrame, reference: pd.DataFrame,
                     measures: pd.DataFrame,
                     n_resamples: int = 1000, seed: int = 0, setting: str = "original", *,
                     t2_shares: pd.DataFrame, tradeoff_shares: pd.DataFrame, tradeoff_sides: pd.DataFrame,
                     pooled_context: str) -> pd.DataFrame:
    """One row per (study, model, task, context, human group); see the module docstring.

    ``selection_shares`` gives the T1 figures, ``t2_shares`` (mart t2_importance_shares) the T2
    ones, ``tradeoff_shares`` (mart t3_tradeoff_shares, its ``pooled_context`` rows) the T3 ones
    with ``tradeoff_sides`` (int_tradeoff_sides) naming each point's items; ``choices`` is
    ``int_replicate_choices_counted``; ``reference`` is ``int_reference_figures`` (the study's
    own figures, joined on study and task: a study without them has no rows); ``measures`` is
    ``int_measure_options``: which choices each measure counts. ``n_resamples=0`` skips the
    intervals (null).
    """
    rows = [
        *_t1_rows(selection_shares, choices, reference, setting, n_resamples, seed),
        *_t2_rows(t2_shares, choices, reference, measures, setting, n_resamples, seed),
        *_t3_rows(tradeoff_shares, tradeoff_sides, choices, reference, measures, pooled_context, setting,
                  n_resamples, seed),
    ]
    out = conform(rows, PROFILE_FIDELITY)
    return out.sort_values(["study", "model", "task", "context", "human_group"], kind="stable").reset_index(drop=True)
