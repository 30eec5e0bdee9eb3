"""Clustered (replicate-level) bootstrap confidence intervals.

A model's answers to one prompt are replicated (the study's replicates).
Answers within a run are not independent -- a select run picks exactly k
values, so picking one makes picking another less likely -- so the unit
that is resampled is the whole run (the cluster), never a single row.

Resampling scheme (shared by every function here, so that the same seed
gives the same draws everywhere): clusters are numbered 0..n-1 (in sorted
order of their ids for ``cluster_bootstrap``, in row order for a selection
matrix), then

    draws = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))

and row b of ``draws`` lists the clusters that make up resample b.

Two intervals (``method``):

* ``"percentile"``: the alpha/2 and 1 - alpha/2 quantiles (numpy's default
  linear interpolation) of the resampled statistic.
* ``"bca"``: bias-corrected and accelerated (Efron & Tibshirani 1993, 14.3;
  the formula of ``scipy.stats.bootstrap(method="BCa")``, which gives the
  same interval for the same draws -- tested).  The quantile levels are
  moved by the bias z0 = Phi^-1(share of resamples below the estimate,
  ties counted half) and the acceleration a from the jackknife that leaves
  out one cluster at a time (``jackknife_counts``): a = sum(d^3) / (6
  (sum d^2)^1.5), d = mean(jackknife) - jackknife.  scipy's own
  ``bootstrap`` is not called: its statistic would be rebuilt per resample,
  whereas here every resample's figures are matrix products of the counts.

Why BCa: the figures here sit at the edge of their range (a share of 0 or
1, rho near +-1, a top-k Jaccard of 1) and rank statistics are discrete;
there the percentile interval can miss its own point estimate or sit on
it.  BCa corrects for the shift (z0) and skew (a) of the bootstrap
distribution.  Guards, documented because they are choices: the share of
resamples below the estimate is kept within [1/(2B), 1 - 1/(2B)] (B
resamples) so that z0 is finite; a jackknife without spread gives a = 0;
and the interval is widened to reach the point estimate when it would
miss it (a bootstrap distribution wholly on one side of a discrete
statistic), so the estimate always lies inside its interval.

Resamples whose statistic is NaN are left out; if all are NaN, or the
point estimate is NaN for BCa, the interval is (nan, nan).

A single share (``share_ci``) is a binomial proportion -- each run gives
the value one 0/1, so the run-clustering does not matter for it -- and
has a third method, ``"wilson"``: the Wilson score interval (as
``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``, computed
in closed form for all values at once).  A bootstrap of a share of 0 of
50 is (0, 0): it cannot cover a true share of 2%.  Simulated at n = 50
(300 data sets each), the coverage of the nominal 95% at true shares .02
/ .05 / .95 / .98 was .68 / .93 / .91 / .64 for the percentile interval,
.63 / .91 / .90 / .61 for BCa and .92 / .95 / .97 / .90 for Wilson.  It is
the method for share intervals; BCa is the one for statistics of several
shares (rho, Jaccard), where no closed form exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import special, stats

from alignstats.correlation import spearman, DECIMALS
from alignstats.sets import jaccard

__all__ = [
    "cluster_bootstrap",
    "share_ci",
    "spearman_ci",
    "SpearmanCI",
    "resample_counts",
    "percentile_interval",
    "bca_interval",
    "bca_intervals",
    "interval",
    "jackknife_counts",
    "PERCENTILE",
    "BCA",
    "WILSON",
    "wilson_interval",
    "rowwise_spearman",
    "rowwise_top_k_jaccard",
]


class SpearmanCI(NamedTuple):
    """Spearman's rho with its p-value and bootstrap percentile interval."""

    rho: float
    p: float
    ci_low: float
    ci_high: float


# Upper bound on rows materialised at once by cluster_bootstrap.
_CHUNK_ROWS = 500_000

PERCENTILE = "percentile"
BCA = "bca"
WILSON = "wilson"  # share_ci only
METHODS = (PERCENTILE, BCA)


def _check_args(n_resamples: int, alpha: float, method: str = PERCENTILE) -> None:
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def _draws(n_clusters: int, n_resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_clusters, size=(n_resamples, n_clusters))


def resample_counts(n_clusters: int, n_resamples: int, seed: int) -> np.ndarray:
    """n_resamples x n_clusters: ``times[b, r]`` = how often cluster r is drawn in resample b.

    The draws of every function here (clusters numbered in sorted id order),
    as weights: a statistic that is a sum over runs is ``times @ per_run``
    for all resamples at once, instead of one stacked frame per resample.
    The counts are floats (exact), ready for matrix products, and the array
    is read-only and shared: the intervals with the same number of runs and
    seed resample the same way, so the draws are made once.
    """
    return _resample_counts(int(n_clusters), int(n_resamples), int(seed))


@lru_cache(maxsize=8)
def _resample_counts(n_clusters: int, n_resamples: int, seed: int) -> np.ndarray:
    draws = _draws(n_clusters, n_resamples, seed)
    times = np.empty((n_resamples, n_clusters))
    for b, row in enumerate(draws):  # a bincount per row beats one over all offsets (cache-sized)
        times[b] = np.bincount(row, minlength=n_clusters)
    times.setflags(write=False)
    return times


def jackknife_counts(n_clusters: int) -> np.ndarray:
    """n_clusters x n_clusters weights: row i counts every cluster once except cluster i.

    The leave-one-cluster-out samples of the BCa acceleration, in the
    layout of ``resample_counts``, so that the same matrix products give
    every jackknife figure.  Read-only and shared.
    """
    return _jackknife_counts(int(n_clusters))


@lru_cache(maxsize=8)
def _jackknife_counts(n_clusters: int) -> np.ndarray:
    times = np.ones((n_clusters, n_clusters)) - np.eye(n_clusters)
    times.setflags(write=False)
    return times


def _linear_quantiles(ordered: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """numpy's linear quantile of each column of the sorted ``ordered`` at that column's level."""
    n = ordered.shape[0]
    h = (n - 1) * np.clip(levels, 0.0, 1.0)
    lo = np.floor(h).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    columns = np.arange(ordered.shape[1])
    below, above = ordered[lo, columns], ordered[hi, columns]
    return below + (h - lo) * (above - below)


def bca_intervals(boot: np.ndarray, jack: np.ndarray, point: np.ndarray,
                  alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """BCa interval of each column: ``boot`` resamples x k, ``jack`` clusters x k, ``point`` k.

    See the module docstring for the formula and its guards.  NaN entries
    of ``boot`` and ``jack`` are left out column by column.
    """
    boot = np.atleast_2d(np.asarray(boot, dtype=float))
    jack = np.atleast_2d(np.asarray(jack, dtype=float))
    point = np.atleast_1d(np.asarray(point, dtype=float))
    if boot.shape[1] != point.size or jack.shape[1] != point.size:
        raise ValueError(f"boot, jack and point disagree on the number of figures: "
                         f"{boot.shape[1]}, {jack.shape[1]}, {point.size}")
    low, high = np.full(point.size, np.nan), np.full(point.size, np.nan)
    complete = ~np.isnan(boot).any(axis=0) & ~np.isnan(jack).any(axis=0) & ~np.isnan(point)
    if complete.any():
        low[complete], high[complete] = _bca_complete(boot[:, complete], jack[:, complete], point[complete], alpha)
    for j in np.flatnonzero(~complete & ~np.isnan(point)):
        b, jk = boot[:, j], jack[:, j]
        b, jk = b[~np.isnan(b)], jk[~np.isnan(jk)]
        if b.size:
            (l,), (h,) = _bca_complete(b[:, None], jk[:, None] if jk.size else np.zeros((1, 1)), point[[j]], alpha)
            low[j], high[j] = l, h
    return low, high


def _bca_complete(boot: np.ndarray, jack: np.ndarray, point: np.ndarray,
                  alpha: float) -> tuple[np.ndarray, np.ndarray]:
    n_boot = boot.shape[0]
    # resamples within float noise of the estimate are ties (rho from scipy and from numpy differ by 1e-16)
    offset = np.round(boot - point, DECIMALS)
    below = (np.count_nonzero(offset < 0, axis=0) + np.count_nonzero(offset <= 0, axis=0)) / (2 * n_boot)
    below = np.clip(below, 0.5 / n_boot, 1 - 0.5 / n_boot)
    z0 = special.ndtri(below)
    d = jack.mean(axis=0) - jack
    spread = (d**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        accel = np.where(spread > 0, (d**3).sum(axis=0) / (6 * spread**1.5), 0.0)
    levels = []
    for z_alpha in (special.ndtri(alpha / 2), -special.ndtri(alpha / 2)):
        shifted = z0 + z_alpha
        levels.append(special.ndtr(z0 + shifted / (1 - accel * shifted)))
    ordered = np.sort(boot, axis=0)
    low = _linear_quantiles(ordered, levels[0])
    high = _linear_quantiles(ordered, levels[1])
    return np.minimum(low, point), np.maximum(high, point)


def wilson_interval(selections: np.ndarray, runs: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of selections / runs, elementwise; NaN where runs = 0.

    The formula of ``scipy.stats.binomtest(k, n).proportion_ci(
    method="wilson")``: centre (k + z^2/2) / (n + z^2), half-width
    z sqrt(k (n - k) / n + z^2 / 4) / (n + z^2), z = Phi^-1(1 - alpha/2),
    and exactly 0 (1) at k = 0 (k = n).
    """
    k = np.asarray(selections, dtype=float)
    n = np.asarray(runs, dtype=float)
    z = -special.ndtri(alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denominator = 2 * (n + z**2)
        centre = (2 * n * p + z**2) / denominator
        delta = z * np.sqrt(z**2 + 4 * n * p * (1 - p)) / denominator
    low = np.where(k == 0, 0.0, centre - delta)
    high = np.where(k == n, 1.0, centre + delta)
    empty = ~(n > 0)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def bca_interval(boot: np.ndarray, jack: np.ndarray, point: float, alpha: float = 0.05) -> tuple[float, float]:
    """BCa interval of one statistic from its resampled and jackknife values (NaN ones left out)."""
    low, high = bca_intervals(np.asarray(boot, dtype=float).reshape(-1, 1),
                              np.asarray(jack, dtype=float).reshape(-1, 1), [point], alpha)
    return (float(low[0]), float(high[0]))


def interval(boot: np.ndarray, alpha: float = 0.05, method: str = PERCENTILE,
             jack: np.ndarray | None = None, point: float | None = None) -> tuple[float, float]:
    """The ``method`` interval of one statistic; ``bca`` also needs ``jack`` and ``point``."""
    if method == PERCENTILE:
        return percentile_interval(boot, alpha)
    if method == BCA:
        if jack is None or point is None:
            raise ValueError("the bca interval needs the jackknife values and the point estimate")
        return bca_interval(boot, jack, point, alpha)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def percentile_interval(values: np.ndarray, alpha: float = 0.05) -> tuple[float, float]:
    """alpha/2 and 1 - alpha/2 quantiles (numpy linear) of the non-NaN values; NaN if none."""
    return _percentile_interval(np.asarray(values, dtype=float), alpha)


def _percentile_interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    """alpha/2 and 1 - alpha/2 quantiles of the non-NaN values."""
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return (float(low), float(high))


def cluster_bootstrap(
    frame: pd.DataFrame,
    cluster_col: str,
    statistic: Callable[[pd.DataFrame], float],
    n_resamples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    method: str = PERCENTILE,
) -> tuple[float, float]:
    """Bootstrap interval (``method``) of ``statistic(frame)``, resampling clusters.

    Each resample draws as many clusters as the frame has, with
    replacement, and stacks their rows.  In the resampled frame the
    cluster column is relabelled 0..n-1 by draw position, so a cluster
    drawn twice counts as two clusters (e.g. for a per-replicate
    groupby); the index is a fresh RangeIndex.  ``statistic`` gets that
    frame and returns one number.  For ``bca`` it is also computed on the
    frame itself and on each leave-one-cluster-out frame (clusters
    relabelled 0..n-1 in sorted id order, likewise).
    """
    _check_args(n_resamples, alpha, method)
    codes, uniques = pd.factorize(frame[cluster_col], sort=True)
    if (codes < 0).any():
        raise ValueError(f"{cluster_col!r} has missing cluster ids")
    n_clusters = len(uniques)
    if n_clusters == 0:
        return (float("nan"), float("nan"))
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=n_clusters)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    draws = _draws(n_clusters, n_resamples, seed)
    label_col = frame.columns.get_loc(cluster_col)

    # Rather than one small take() per resample, stack a chunk of
    # resamples with one take() and hand the statistic row slices of it.
    per_chunk = max(1, _CHUNK_ROWS // len(frame))
    values = np.empty(n_resamples)
    for first in range(0, n_resamples, per_chunk):
        chunk = draws[first : first + per_chunk]
        lengths = sizes[chunk]  # rows contributed by each drawn cluster
        flat_clusters = chunk.ravel()
        flat_lengths = lengths.ravel()
        # positions (in sorted order) of every row of every drawn cluster
        within = np.arange(flat_lengths.sum()) - np.repeat(
            np.cumsum(flat_lengths) - flat_lengths, flat_lengths
        )
        positions = order[np.repeat(starts[flat_clusters], flat_lengths) + within]
        labels = np.repeat(np.tile(np.arange(n_clusters), len(chunk)), flat_lengths)
        stacked = frame.take(positions)
        stacked.isetitem(label_col, labels)
        bounds = np.concatenate(([0], np.cumsum(lengths.sum(axis=1))))
        for i in range(len(chunk)):
            sample = stacked.iloc[bounds[i] : bounds[i + 1]]
            sample.index = pd.RangeIndex(bounds[i + 1] - bounds[i])
            values[first + i] = statistic(sample)
    if method == PERCENTILE:
        return _percentile_interval(values, alpha)
    relabelled = frame.take(order)
    relabelled.isetitem(label_col, codes[order])
    relabelled.index = pd.RangeIndex(len(relabelled))
    point = statistic(relabelled)
    sorted_codes = codes[order]
    jack = np.empty(n_clusters)
    for left_out in range(n_clusters):
        keep = sorted_codes != left_out
        sample = relabelled[keep]
        sample.isetitem(label_col, np.where(sorted_codes[keep] > left_out, sorted_codes[keep] - 1,
                                            sorted_codes[keep]))
        sample.index = pd.RangeIndex(len(sample))
        jack[left_out] = statistic(sample)
    return bca_interval(values, jack, point, alpha)


def _selection_array(selection: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """A replicates x values 0/1 matrix as floats, plus the value labels."""
    if isinstance(selection, pd.DataFrame):
        labels = selection.columns
        matrix = selection.to_numpy(dtype=float)
    else:
        matrix = np.asarray(selection, dtype=float)
        if matrix.ndim != 2:
            raise ValueError("selection must be a 2-d replicates x values matrix")
        labels = pd.RangeIndex(matrix.shape[1])
    if matrix.shape[0] == 0:
        raise ValueError("selection has no replicates")
    if not np.isin(matrix, (0.0, 1.0)).all():
        raise ValueError("selection must hold only 0/1 (or booleans), no NaN")
    return matrix, labels


def _bootstrap_shares(matrix: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """n_resamples x values array of shares over resampled replicates."""
    n_rep = matrix.shape[0]
    return resample_counts(n_rep, n_resamples, seed) @ matrix / n_rep


def _jackknife_shares(matrix: np.ndarray) -> np.ndarray:
    """replicates x values array of shares, leaving out one replicate per row (NaN with one replicate)."""
    n_rep = matrix.shape[0]
    if n_rep < 2:
        return np.full((1, matrix.shape[1]), np.nan)
    return jackknife_counts(n_rep) @ matrix / (n_rep - 1)


def share_ci(
    selection: pd.DataFrame | np.ndarray,
    n_resamples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    method: str = PERCENTILE,
) -> pd.DataFrame:
    """Per-value share of replicates selecting it, with an interval (``method``: percentile, bca or wilson).

    ``selection`` is a replicates x values matrix of 0/1 (one row per run,
    1 when the run selected the value).  Returns a frame indexed by value
    (the columns of ``selection``; 0..k-1 for an array) with columns
    share, ci_low, ci_high.
    """
    _check_args(n_resamples, alpha, PERCENTILE if method == WILSON else method)
    matrix, labels = _selection_array(selection)
    share = matrix.mean(axis=0)
    if method == WILSON:
        low, high = wilson_interval(matrix.sum(axis=0), np.full(share.size, matrix.shape[0]), alpha)
        return pd.DataFrame({"share": share, "ci_low": low, "ci_high": high}, index=labels)
    boot = _bootstrap_shares(matrix, n_resamples, seed)
    if method == BCA:
        low, high = bca_intervals(boot, _jackknife_shares(matrix), share, alpha)
    else:
        low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
    return pd.DataFrame(
        {"share": share, "ci_low": low, "ci_high": high},
        index=labels,
    )


def _human_vector(
    human_shares: Mapping[str, float] | pd.Series | Sequence[float] | np.ndarray,
    labels: pd.Index,
) -> np.ndarray:
    if isinstance(human_shares, (Mapping, pd.Series)):
        series = pd.Series(human_shares, dtype=float)
        missing = [label for label in labels if label not in series.index]
        if missing:
            raise ValueError(f"human shares missing for {missing}")
        return series.reindex(labels).to_numpy(dtype=float)
    vector = np.asarray(human_shares, dtype=float).ravel()
    if vector.size != len(labels):
        raise ValueError(f"{vector.size} human shares for {len(labels)} values")
    return vector


def _rowwise_spearman(boot: np.ndarray, human: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row of boot against human (average ranks)."""
    ranks = stats.rankdata(np.round(boot, DECIMALS), axis=1)  # float noise must not break ties
    ranks -= ranks.mean(axis=1, keepdims=True)
    human_ranks = stats.rankdata(np.round(human, DECIMALS))
    human_ranks -= human_ranks.mean()
    numerator = ranks @ human_ranks
    denominator = np.sqrt((ranks**2).sum(axis=1) * (human_ranks**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(denominator > 0, numerator / denominator, np.nan)
    return np.clip(rho, -1.0, 1.0)


def spearman_ci(
    selection: pd.DataFrame | np.ndarray,
    human_shares: Mapping[str, float] | pd.Series | Sequence[float] | np.ndarray,
    n_resamples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    method: str = PERCENTILE,
) -> SpearmanCI:
    """Spearman's rho between the model's shares and the human shares, with CI.

    The point estimate and p-value are ``spearman(shares, human)``.  The
    interval resamples replicates (rows of ``selection``), recomputes the
    shares and recomputes rho each time; the human shares are held fixed
    (they are published figures, not data we can resample).  A Mapping
    or Series of human shares is matched to the columns of ``selection``
    by label; a plain sequence by position.  Values whose human share is
    NaN are left out.
    """
    _check_args(n_resamples, alpha, method)
    matrix, labels = _selection_array(selection)
    human = _human_vector(human_shares, labels)
    keep = ~np.isnan(human)
    matrix, human = matrix[:, keep], human[keep]
    rho, p = spearman(matrix.mean(axis=0), human)
    if np.isnan(rho):
        return SpearmanCI(rho, p, float("nan"), float("nan"))
    boot = _rowwise_spearman(_bootstrap_shares(matrix, n_resamples, seed), human)
    if method == BCA:
        low, high = bca_interval(boot, _rowwise_spearman(_jackknife_shares(matrix), human), rho, alpha)
    else:
        low, high = _percentile_interval(boot, alpha)
    return SpearmanCI(rho, p, low, high)


def _order_pattern(values: np.ndarray) -> bytes:
    """Order, ties and gaps of ``values``: vectors with the same pattern have the same rho.

    Each entry becomes the number of entries below it (equal values get the
    same number), with NaN marked separately (NaN is first put above every
    number).
    """
    missing = np.isnan(values)
    filled = np.where(missing, np.inf, values)
    below = np.searchsorted(np.sort(filled), filled)
    return below.tobytes() + missing.tobytes()


def rowwise_spearman(boot: np.ndarray, human: Sequence[float] | np.ndarray) -> np.ndarray:
    """``spearman(row, human)[0]`` for every row of ``boot`` (resamples x points), at once.

    Rows without NaN are ranked and correlated with numpy in one go; a row
    with a NaN (a point without answers in that resample) loses that pair,
    as ``spearman`` drops it, and goes through ``spearman`` itself -- once
    per distinct order pattern, since rho depends on nothing else.
    """
    boot = np.atleast_2d(np.asarray(boot, dtype=float))
    human = np.asarray(human, dtype=float).ravel()
    if boot.shape[1] != human.size:
        raise ValueError(f"{boot.shape[1]} points per resample but {human.size} human figures")
    keep = ~np.isnan(np.round(human, DECIMALS))
    boot, human = boot[:, keep], human[keep]
    out = np.full(boot.shape[0], np.nan)
    rounded = np.round(human, DECIMALS)
    if human.size < 3 or np.all(rounded == rounded[0]):
        return out  # too few points, or constant human figures: rho is undefined for every row
    complete = ~np.isnan(boot).any(axis=1)
    if complete.any():
        out[complete] = _rowwise_spearman(boot[complete], human)
    seen: dict[bytes, float] = {}
    for i in np.flatnonzero(~complete):
        pattern = _order_pattern(np.round(boot[i], DECIMALS))
        if pattern not in seen:
            seen[pattern] = spearman(boot[i], human)[0]
        out[i] = seen[pattern]
    return out


def rowwise_top_k_jaccard(scores: np.ndarray, labels: Sequence[str], reference: frozenset[str] | set[str],
                          k: int) -> np.ndarray:
    """``jaccard(top_k(dict(zip(labels, row)), k), reference)`` for every row of ``scores``.

    The top k of each row are found with one lexsort over all rows, ordered
    as ``alignstats.top_k`` orders them: NaN last, then score high to
    low, then label name ascending.
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    labels = list(labels)
    if scores.shape[1] != len(labels):
        raise ValueError(f"{scores.shape[1]} scores per row but {len(labels)} labels")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    size = min(k, len(labels))
    reference = set(reference)
    if size == 0:
        return np.full(scores.shape[0], jaccard(set(), reference))
    name_rank = np.broadcast_to(np.argsort(np.argsort(np.array(labels, dtype=object), kind="stable")),
                                scores.shape)
    missing = np.isnan(scores)
    order = np.lexsort((name_rank, np.where(missing, 0.0, -scores), missing), axis=1)[:, :size]
    in_reference = np.array([label in reference for label in labels])
    inter = in_reference[order].sum(axis=1)
    return inter / (size + len(reference) - inter)
