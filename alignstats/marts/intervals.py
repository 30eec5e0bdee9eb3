"""Bootstrap intervals of Spearman's rho for figures built from several items.

A T2 or T3 figure can combine items: T2 ``all`` is the mean of a value's
per-context shares, a T3 side's share pools both question directions (and
every context) as answers favouring the side / mapped answers. ``Figures``
says which hit-matrix columns make up each figure and how; ``rho_interval``
resamples replicates, rebuilds the figures and recomputes Spearman's rho
against the fixed human figures.

It draws the resamples of ``alignstats.cluster_bootstrap`` (clusters in
replicate order, the same seed gives the same draws) but never stacks a
resample: ``alignstats.resample_counts`` gives how often each run is
drawn, each column's answers and hits in every resample are two matrix
products (``ResampledHits``, once per matrix), the figures follow from
those (``alignstats.figures``) and rho is computed row-wise
(``alignstats.rowwise_spearman``), so the cost no longer grows with
runs x resamples in Python.

The interval is ``INTERVAL_METHOD``, BCa (``alignstats.bootstrap``): its
acceleration needs rho with each replicate left out, which the same
matrix products give from ``alignstats.jackknife_counts``; so does the
point estimate (every run once). BCa, unlike the percentile interval,
always holds its point estimate and is corrected for the skew of rho near
+-1.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alignstats import (figures_from_counts, interval, jackknife_counts, percentile_interval, resample_counts,
                        rowwise_spearman)
from alignstats.bootstrap import BCA
from alignstats.bootstrap import _order_pattern  # noqa: F401  (re-exported: what makes two rhos equal)
from alignstats.figures import MEAN_OF_SHARES, POOLED, column_counts, combine_columns


# every interval of a statistic of several shares in the marts (rho, Jaccard, fidelity)
INTERVAL_METHOD = BCA

__all__ = ["INTERVAL_METHOD", "Figures", "figures_for", "rebuilt_figures", "ResampledHits", "rho_interval",
           "percentile_interval"]


@dataclass(frozen=True)
class Figures:
    """For each figure, the positions of its columns in the hit matrix (after ``replicate``)."""

    columns: tuple[tuple[int, ...], ...]
    how: str = MEAN_OF_SHARES
    n_columns: int = 0
    _weights: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        width = max([self.n_columns, *(c + 1 for cols in self.columns for c in cols)])
        weights = np.zeros((len(self.columns), width))
        for i, cols in enumerate(self.columns):
            weights[i, list(cols)] = 1.0
        object.__setattr__(self, "_weights", weights)

    @property
    def weights(self) -> np.ndarray:
        """figures x columns, 1 where the column belongs to the figure."""
        return self._weights

    def compute(self, hits: np.ndarray) -> np.ndarray:
        """The figures from a runs x columns hit array (NaN = no answer); NaN where no answers."""
        hits = np.asarray(hits, dtype=float)
        return figures_from_counts(np.ones((1, hits.shape[0])), hits, self._weights[:, : hits.shape[1]],
                                   self.how)[0]


def figures_for(keys: Sequence[tuple], wanted: Sequence[Sequence[tuple]], how: str = MEAN_OF_SHARES) -> Figures:
    """Figures whose columns are the hit-matrix ``keys`` listed in each entry of ``wanted``."""
    position = {key: i for i, key in enumerate(keys)}
    return Figures(tuple(tuple(position[k] for k in group if k in position) for group in wanted), how,
                   n_columns=len(keys))


@dataclass(frozen=True)
class ResampledHits:
    """Answers and hits per (resample, hit-matrix column): every figure of every resample follows.

    A T2 matrix serves a figure per context and the pooled one, for each
    human group: drawing and summing its runs once serves them all.
    """

    counts: np.ndarray
    sums: np.ndarray
    jack_counts: np.ndarray | None = None  # the same per leave-one-replicate-out sample
    jack_sums: np.ndarray | None = None
    full_counts: np.ndarray | None = None  # and for every run once (the point estimate)
    full_sums: np.ndarray | None = None

    @classmethod
    def of(cls, matrix: pd.DataFrame, n_resamples: int, seed: int) -> ResampledHits:
        """Resample the replicates of a ``hit_matrix``-layout frame (rows sharing a replicate are one cluster)."""
        if list(matrix.columns[:1]) != ["replicate"]:
            raise ValueError("the hit matrix must start with its replicate column")
        cluster, replicates = pd.factorize(matrix["replicate"], sort=True)
        if (cluster < 0).any():
            raise ValueError("'replicate' has missing cluster ids")
        n = len(replicates)
        times, jack = resample_counts(n, n_resamples, seed), jackknife_counts(n)
        if len(cluster) != n or (cluster != np.arange(len(cluster))).any():
            # rows not one per replicate in order: weight each row by its cluster
            times, jack = times[:, cluster], jack[:, cluster]
        data = matrix.drop(columns="replicate").to_numpy(dtype=float)
        return cls(*column_counts(times, data), *column_counts(jack, data),
                   *column_counts(np.ones((1, len(cluster))), data))


def rho_interval(matrix: pd.DataFrame, figures: Figures, human: Sequence[float], n_resamples: int,
                 seed: int, alpha: float = 0.05, resampled: ResampledHits | None = None,
                 minus: Figures | None = None) -> tuple[float, float]:
    """``INTERVAL_METHOD`` interval of rho(figures, human), resampling the matrix's replicates.

    ``matrix`` is a ``replicate`` column and then the hit columns (the
    ``hit_matrix`` layout). Rows sharing a replicate are one cluster.
    Equal, for the same seed, to ``cluster_bootstrap`` of
    ``spearman(figures.compute(resample), human)`` (minus ``minus.compute(resample)``
    when given: a figure that is a difference of two). ``resampled``
    (``ResampledHits.of`` the same matrix, resamples and seed) saves
    redoing the draws for another figure set of the matrix.
    """
    if matrix.empty:
        return (float("nan"), float("nan"))
    if resampled is None:
        resampled = ResampledHits.of(matrix, n_resamples, seed)
    width = resampled.counts.shape[1]
    human = np.asarray(human, dtype=float)

    def weights_of(these: Figures) -> np.ndarray:
        weights = np.zeros((len(these.columns), width))
        weights[:, : min(width, these.weights.shape[1])] = these.weights[:, :width]
        return weights

    weights = weights_of(figures)
    minus_weights = weights_of(minus) if minus is not None else None

    def rho(counts: np.ndarray, sums: np.ndarray) -> np.ndarray:
        values = combine_columns(counts, sums, weights, figures.how)
        if minus is not None:
            values = values - combine_columns(counts, sums, minus_weights, minus.how)
        return rowwise_spearman(values, human)

    boot = rho(resampled.counts, resampled.sums)
    if INTERVAL_METHOD == BCA:
        jack, point = rho(resampled.jack_counts, resampled.jack_sums), rho(resampled.full_counts,
                                                                          resampled.full_sums)[0]
        if np.isnan(point):
            return (float("nan"), float("nan"))
        return interval(boot, alpha, BCA, jack=jack, point=point)
    return percentile_interval(boot, alpha)
