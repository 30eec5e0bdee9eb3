"""Intervals of every share in ``selection_shares``.

A share is selections / mapped runs of one (study, model, task, item,
setting, value, measure). Each run gives the value one 0/1, so the share
is a binomial proportion and its interval (``method``, default
``SHARE_METHOD`` = ``wilson``) is the Wilson score interval
(``alignstats.wilson_interval``) of selections and runs: unlike a
bootstrap it does not collapse to (0, 0) or (1, 1) at a share of 0 or 1
(coverage simulated in ``alignstats.bootstrap``).

``method="percentile"`` or ``"bca"`` resample the item's runs instead (the
replicate is the cluster: a select run picks its k values together, so its
values are resampled together) with ``alignstats.share_ci`` over
resamples of as many runs as there are, drawn with replacement -- the
path described below.

Per-run hits are rebuilt from ``int_replicate_choices_counted`` (or
``answers``): for T1 the runs x values 0/1 selection matrix
(``t1.selection_matrices``), for rates and trade-offs the 0/1 hit of each
mapped run of the item for each (value, measure) (a column of
``hits.hit_matrices``, its answered runs only). That they rebuild the shares of
``selection_shares`` is held by the dbt test ``assert_runs_rebuild_shares``.

Speed: ``share_ci``'s draws depend only on the number of runs and the seed,
so all groups with the same number of runs are stacked side by side (row j
= each group's j-th run in replicate order) and go through one call -- the
same numbers as one call per group, in one matrix product.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from alignstats.marts.frames import FLOAT, INT, STR, conform, require
from alignstats.marts.hits import hit_matrices
from alignstats.marts.t1 import selection_matrices
from alignstats import share_ci, wilson_interval
from alignstats.bootstrap import WILSON

SHARE_METHOD = WILSON

KEYS = ["study", "model", "task", "item", "setting", "value", "measure"]

SELECTION_SHARE_INTERVALS = {
    "study": STR, "model": STR, "task": STR, "item": STR, "setting": STR, "value": STR, "measure": STR,
    "task_kind": STR, "context": STR, "runs": INT, "selections": INT,
    "share": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
}


def _t1_columns(choices: pd.DataFrame, shares: pd.DataFrame) -> list[tuple[tuple, np.ndarray]]:
    """(key, 0/1 vector over the group's runs in replicate order) for each T1 share row."""
    out = []
    rows = shares[shares["task_kind"] == "select"]
    if rows.empty:
        return out
    matrices = selection_matrices(choices)
    for (study, model, setting), group in rows.groupby(["study", "model", "setting"], sort=True):
        matrix = matrices.get((study, model, setting))
        if matrix is None or matrix.empty:
            continue
        matrix = matrix.reindex(columns=list(group["value"]), fill_value=0).sort_index()
        for row in group.itertuples(index=False):
            out.append((tuple(getattr(row, k) for k in KEYS), matrix[row.value].to_numpy(dtype=float)))
    return out


def _hit_columns(choices: pd.DataFrame, shares: pd.DataFrame, measures: pd.DataFrame,
                 task_kind: str) -> list[tuple[tuple, np.ndarray]]:
    rows = shares[shares["task_kind"] == task_kind]
    if rows.empty:
        return []
    vectors = {}
    for (study, model, setting, measure), hm in hit_matrices(choices, measures, task_kind).items():
        for j, (item, _, value, _) in enumerate(hm.keys):
            column = hm.data[:, j]
            vectors[(study, model, item, setting, value, measure)] = column[~np.isnan(column)]
    if not vectors:
        return []
    out = []
    for row in rows.itertuples(index=False):
        vector = vectors.get((row.study, row.model, row.item, row.setting, row.value, row.measure))
        if vector is None or vector.size == 0:
            continue
        key = tuple(getattr(row, k) for k in KEYS)
        out.append((key, vector))
    return out


def selection_share_intervals(selection_shares: pd.DataFrame, choices: pd.DataFrame | None = None,
                              measures: pd.DataFrame | None = None, n_resamples: int = 1000, seed: int = 0,
                              method: str = SHARE_METHOD) -> pd.DataFrame:
    """One row per selection_shares row: its share with ci_low, ci_high (null when runs = 0).

    ``choices`` is ``int_replicate_choices_counted``; ``measures`` is
    ``int_measure_options``: which choices each measure counts. Both (and
    the resampling arguments) are read only by the bootstrap methods.
    """
    require(selection_shares, [*KEYS, "task_kind", "context", "runs", "selections", "share"], "selection_shares")
    shares = selection_shares[[*KEYS, "task_kind", "context", "runs", "selections", "share"]].reset_index(drop=True)
    if method == WILSON:
        shares["ci_low"], shares["ci_high"] = wilson_interval(shares["selections"].to_numpy(dtype=float),
                                                              shares["runs"].to_numpy(dtype=float))
        return conform(shares, SELECTION_SHARE_INTERVALS)
    if choices is None or measures is None:
        raise ValueError(f"selection_share_intervals: method {method!r} resamples runs and needs choices and measures")
    columns = [*_t1_columns(choices, shares),
               *_hit_columns(choices, shares, measures, "rate"),
               *_hit_columns(choices, shares, measures, "tradeoff")]
    intervals: dict[tuple, tuple[float, float]] = {}
    by_length: dict[int, list[tuple[tuple, np.ndarray]]] = {}
    for key, vector in columns:
        by_length.setdefault(vector.size, []).append((key, vector))
    for n_runs, group in by_length.items():
        matrix = np.column_stack([vector for _, vector in group])
        ci = share_ci(matrix, n_resamples=n_resamples, seed=seed, method=method)
        for (key, _), low, high in zip(group, ci["ci_low"].to_numpy(), ci["ci_high"].to_numpy()):
            intervals[key] = (float(low), float(high))
    keys = list(zip(*(shares[k] for k in KEYS)))
    missing = [k for k, runs in zip(keys, shares["runs"]) if runs and runs > 0 and k not in intervals]
    if missing:
        raise ValueError(f"selection_share_intervals: no per-run hits in the runs' choices for {missing[:3]} "
                         f"({len(missing)} shares with runs); answers and selection_shares disagree")
    nan = (float("nan"), float("nan"))
    shares["ci_low"] = [intervals.get(k, nan)[0] for k in keys]
    shares["ci_high"] = [intervals.get(k, nan)[1] for k in keys]
    return conform(shares, SELECTION_SHARE_INTERVALS)
