"""Bootstrap intervals of Spearman's rho for figures built from several items.

A T2 or T3 figure can combine items: T2 ``all`` is the mean of a value's
per-context shares, a T3 side's share pools both question directions (and
every context) as answers favouring the side / mapped answers. ``Figures``
says which hit-matrix columns make up each figure and how; ``rho_interval``
resamples replicates with ``collector.stats.cluster_bootstrap``, rebuilds
the figures and recomputes ``collector.stats.spearman`` against the fixed
human figures.

Speed: scipy's spearmanr costs over a millisecond per call, and 1000
resamples per interval add up. Two shortcuts, both exact:

* when every figure is one column with an answer in every run (a T2
  context with no refusals), the figures are plain shares of a 0/1 matrix
  and ``collector.stats.spearman_ci`` does the whole bootstrap vectorised;
  it draws the same resamples as ``cluster_bootstrap`` for the same seed
  (runs in replicate order), so the interval is the same;
* otherwise rho depends on the figures only through their order (ties
  included), so ``spearman`` runs once per distinct order pattern and a
  resample with a pattern seen before reuses that rho.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collector.stats import cluster_bootstrap, spearman, spearman_ci

MEAN_OF_SHARES = "mean_of_shares"  # mean over the columns' shares (T2 'all')
POOLED = "pooled"  # hits summed over the columns / answers summed over them (T3)


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

    def compute(self, hits: np.ndarray) -> np.ndarray:
        """The figures from a runs x columns hit array (NaN = no answer); NaN where no answers."""
        answered = ~np.isnan(hits)
        weights = self._weights[:, : hits.shape[1]]
        if self.how == POOLED:
            numerator = weights @ np.where(answered, hits, 0.0).sum(axis=0)
            denominator = weights @ answered.sum(axis=0)
        else:
            counts = answered.sum(axis=0)
            sums = np.where(answered, hits, 0.0).sum(axis=0)
            has_share = counts > 0
            shares = np.divide(sums, counts, out=np.zeros_like(sums), where=has_share)
            numerator = weights @ shares
            denominator = weights @ has_share
        return np.divide(numerator, denominator, out=np.full(len(numerator), np.nan), where=denominator > 0)


def _narrowed(data: np.ndarray, figures: Figures) -> tuple[np.ndarray, Figures]:
    """Only the columns the figures use (a per-context figure reads 7 of 28), renumbered."""
    used = sorted({c for cols in figures.columns for c in cols})
    position = {c: i for i, c in enumerate(used)}
    narrowed = Figures(tuple(tuple(position[c] for c in cols) for cols in figures.columns), figures.how,
                       n_columns=len(used))
    return data[:, used], narrowed


def figures_for(keys: Sequence[tuple], wanted: Sequence[Sequence[tuple]], how: str = MEAN_OF_SHARES) -> Figures:
    """Figures whose columns are the hit-matrix ``keys`` listed in each entry of ``wanted``."""
    position = {key: i for i, key in enumerate(keys)}
    return Figures(tuple(tuple(position[k] for k in group if k in position) for group in wanted), how,
                   n_columns=len(keys))


def rebuilt_figures(matrix: pd.DataFrame, figures: Figures) -> np.ndarray:
    """The figures on all runs: must equal the point estimates (see frames.check_same_shares)."""
    return figures.compute(matrix.drop(columns="replicate").to_numpy(dtype=float))


def _order_pattern(values: np.ndarray) -> bytes:
    """Order, ties and gaps of ``values``: vectors with the same pattern have the same rho.

    Each entry becomes the number of entries below it (equal values get the
    same number), with NaN marked separately; the figures are shares in
    [0, 1], so NaN is first put above them all.
    """
    missing = np.isnan(values)
    filled = np.where(missing, 2.0, values)
    below = np.searchsorted(np.sort(filled), filled)
    return below.tobytes() + missing.tobytes()


def _single_complete_columns(matrix: pd.DataFrame, figures: Figures) -> list[int] | None:
    """The column of each figure when each has exactly one, fully answered, 0/1 column."""
    if any(len(cols) != 1 for cols in figures.columns):
        return None
    positions = [cols[0] for cols in figures.columns]
    hits = matrix.to_numpy(dtype=float)[:, 1:][:, positions]
    if len(set(positions)) != len(positions) or not np.isin(hits, (0.0, 1.0)).all():
        return None
    return positions


def rho_interval(matrix: pd.DataFrame, figures: Figures, human: Sequence[float], n_resamples: int,
                 seed: int) -> tuple[float, float]:
    """Percentile interval of rho(figures, human), resampling the matrix's replicates."""
    if matrix.empty:
        return (float("nan"), float("nan"))
    human = np.asarray(human, dtype=float)
    if list(matrix.columns[:1]) != ["replicate"]:
        raise ValueError("the hit matrix must start with its replicate column")
    single = _single_complete_columns(matrix, figures)
    if single is not None:
        ordered = matrix.sort_values("replicate", kind="stable")  # cluster_bootstrap's cluster order
        selection = ordered.iloc[:, [p + 1 for p in single]]
        ci = spearman_ci(selection.to_numpy(), human, n_resamples=n_resamples, seed=seed)
        return (ci.ci_low, ci.ci_high)
    seen: dict[bytes, float] = {}
    frame, data = run_index(matrix)
    data, figures = _narrowed(data, figures)

    def statistic(sample: pd.DataFrame) -> float:
        values = figures.compute(data[sample.to_numpy()[:, 1]])
        pattern = _order_pattern(values)
        if pattern not in seen:
            seen[pattern] = spearman(values, human)[0]
        return seen[pattern]

    return cluster_bootstrap(frame, "replicate", statistic, n_resamples=n_resamples, seed=seed)


def run_index(matrix: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """A two-column (replicate, row) frame for ``cluster_bootstrap`` and the matrix's data as an array.

    ``cluster_bootstrap`` stacks the rows of each resample; handing it only
    the row numbers and looking the data up in a numpy array keeps each
    resample to microseconds instead of slicing a wide frame.
    """
    data = matrix.drop(columns="replicate").to_numpy(dtype=float)
    frame = pd.DataFrame({"replicate": matrix["replicate"].to_numpy(), "row": np.arange(len(matrix))})
    return frame, data
