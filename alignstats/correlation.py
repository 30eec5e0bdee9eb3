"""Correlation between a model's figures and the human figures.

All three functions take two equal-length sequences of numbers, drop the
pairs where either side is NaN, and return NaN (never raise, never warn)
when the statistic is undefined for what is left.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["spearman", "spearman_n", "lins_ccc", "calibration_slope"]

ArrayLike = Sequence[float] | np.ndarray


#: figures are rounded to this many decimals first, so that values that are tied in exact
#: arithmetic ((0.2 + 0.4) / 2 and (0.1 + 0.5) / 2) are tied for the ranks too
DECIMALS = 12


def _paired(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Return x and y as float arrays (rounded to DECIMALS) with NaN pairs removed."""
    xa = np.round(np.asarray(x, dtype=float).ravel(), DECIMALS)
    ya = np.round(np.asarray(y, dtype=float).ravel(), DECIMALS)
    if xa.shape != ya.shape:
        raise ValueError(f"x and y differ in length: {xa.size} != {ya.size}")
    keep = ~(np.isnan(xa) | np.isnan(ya))
    return xa[keep], ya[keep]


def _is_constant(a: np.ndarray) -> bool:
    return bool(np.all(a == a[0]))


def spearman(x: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """Spearman's rho and its two-sided p-value, via scipy.stats.spearmanr.

    Ties get the average of the ranks they span (as scipy does), so rho is
    the Pearson correlation of the average ranks.  Returns (nan, nan) when
    fewer than 3 complete pairs remain or either side is constant.
    """
    xa, ya = _paired(x, y)
    if xa.size < 3 or _is_constant(xa) or _is_constant(ya):
        return (float("nan"), float("nan"))
    result = stats.spearmanr(xa, ya)
    return (float(result.statistic), float(result.pvalue))


def spearman_n(x: ArrayLike, y: ArrayLike) -> tuple[float, float, int]:
    """``spearman(x, y)`` and the number of complete pairs it used.

    For correlations across models -- e.g. each model's rho with one human
    group against its rho with the other, one pair per model -- where the
    number of models with both figures is part of the result.
    """
    xa, ya = _paired(x, y)
    rho, p = spearman(xa, ya)
    return (rho, p, int(xa.size))


def lins_ccc(x: ArrayLike, y: ArrayLike) -> float:
    """Lin's concordance correlation coefficient.

        ccc = 2 * s_xy / (s_x^2 + s_y^2 + (mean_x - mean_y)^2)

    with population (divide-by-n) variances s_x^2, s_y^2 and covariance
    s_xy.  It is 1 only when y == x, and unlike Pearson's r it is pulled
    down by any shift or scale difference between the two.  Returns nan
    for fewer than 2 complete pairs or a zero denominator (both sides the
    same constant).
    """
    xa, ya = _paired(x, y)
    if xa.size < 2:
        return float("nan")
    mx, my = xa.mean(), ya.mean()
    sxy = np.mean((xa - mx) * (ya - my))
    denominator = xa.var() + ya.var() + (mx - my) ** 2
    if denominator == 0:
        return float("nan")
    return float(2 * sxy / denominator)


def calibration_slope(model_shares: ArrayLike, human_shares: ArrayLike) -> float:
    """OLS slope of the model's shares regressed on the human shares.

    1 means the model spreads its shares across values as widely as
    people do; above 1 it exaggerates the differences, below 1 it flattens
    them.  Uses scipy.stats.linregress(x=human, y=model).  Returns nan for
    fewer than 2 complete pairs or constant human shares.
    """
    model, human = _paired(model_shares, human_shares)
    if human.size < 2 or _is_constant(human):
        return float("nan")
    return float(stats.linregress(human, model).slope)
