"""Figures (shares) built from per-run hits, for every bootstrap resample at once.

A figure of the study can combine several items: a T2 ``all`` share is the
mean of a value's per-context shares, a T3 side's share pools its answers
over both question directions and every context. Given per-run hits
(runs x columns, 1/0, NaN where the run has no answer for the column) and
the resampling weights ``times`` (resamples x runs: how often each run is
drawn, ``alignstats.bootstrap.resample_counts``), every resample's
hit and answer counts are two matrix products, and its figures follow
without a loop over resamples.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MEAN_OF_SHARES", "POOLED", "column_counts", "combine_columns", "figures_from_counts"]

MEAN_OF_SHARES = "mean_of_shares"  # mean over the columns' shares (T2 'all')
POOLED = "pooled"  # hits summed over the columns / answers summed over them (T3)


def column_counts(times: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per resample and column: answers and hits (resamples x columns each).

    ``data`` is runs x columns of 0/1 hits, NaN where the run has no answer;
    ``times`` is resamples x runs. Every figure of the columns is then built
    by ``combine_columns`` without touching the runs again.
    """
    data = np.asarray(data, dtype=float)
    answered = ~np.isnan(data)
    times = np.asarray(times, dtype=float)
    return times @ answered.astype(float), times @ np.where(answered, data, 0.0)


def combine_columns(counts: np.ndarray, sums: np.ndarray, weights: np.ndarray, how: str) -> np.ndarray:
    """The figures (resamples x figures) from per-column answers and hits; NaN where a figure has no answer.

    ``weights`` is figures x columns, 1 where the column belongs to the
    figure. ``how``: ``mean_of_shares`` -- the mean over a figure's columns
    of their shares (columns without answers left out); ``pooled`` -- hits
    summed over its columns / answers summed over them.
    """
    if how == POOLED:
        numerator, denominator = sums @ weights.T, counts @ weights.T
    elif how == MEAN_OF_SHARES:
        has = counts > 0
        shares = np.divide(sums, counts, out=np.zeros_like(sums), where=has)
        numerator, denominator = shares @ weights.T, has.astype(float) @ weights.T
    else:
        raise ValueError(f"unknown way to combine columns: {how!r}")
    return np.divide(numerator, denominator, out=np.full(numerator.shape, np.nan), where=denominator > 0)


def figures_from_counts(times: np.ndarray, data: np.ndarray, weights: np.ndarray, how: str) -> np.ndarray:
    """The figures of each resample (rows of ``times``): ``combine_columns`` of ``column_counts``.

    ``times = ones((1, runs))`` gives the figures on all runs (the point
    estimates).
    """
    return combine_columns(*column_counts(times, data), weights, how)
