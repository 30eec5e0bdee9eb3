"""Similarity of two answer distributions on a k-point ordinal scale.

Inputs are vectors of k non-negative weights (counts or probabilities) in
scale order, e.g. not at all important .. extremely important.  Each is
normalised to sum to 1 here; refusals and unparseable answers must be
left out by the caller.  Both measures are 1 for identical distributions
and 0 at their most different.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

__all__ = ["representativeness", "js_similarity"]


def _distribution(weights: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    w = np.asarray(weights, dtype=float).ravel()
    if w.size < 2:
        raise ValueError(f"{name} needs at least 2 scale points, got {w.size}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"{name} must be finite and non-negative: {w}")
    total = w.sum()
    if total <= 0:
        raise ValueError(f"{name} sums to 0")
    return w / total


def _pair(p: Sequence[float], q: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    pa, qa = _distribution(p, "p"), _distribution(q, "q")
    if pa.size != qa.size:
        raise ValueError(f"p and q have different scale lengths: {pa.size} != {qa.size}")
    return pa, qa


def representativeness(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> float:
    """1 - W1(p, q) / (k - 1), as in OpinionQA (Santurkar et al. 2023).

    W1 is the Wasserstein-1 (earth mover's) distance between p and q
    placed on the ordinal positions 0..k-1 (scipy.stats.wasserstein_distance);
    on such a grid it equals the sum over positions of |CDF_p - CDF_q|.
    Its largest possible value, k - 1, is all mass at one end versus all
    at the other.
    """
    pa, qa = _pair(p, q)
    positions = np.arange(pa.size)
    w1 = stats.wasserstein_distance(positions, positions, pa, qa)
    return float(1.0 - w1 / (pa.size - 1))


def js_similarity(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> float:
    """1 - Jensen-Shannon distance (base 2), as in GlobalOpinionQA (Durmus et al. 2023).

    The JS distance is the square root of the JS divergence
    (KL(p||m) + KL(q||m)) / 2 with m = (p + q) / 2; in base 2 it lies in
    [0, 1].  It ignores the order of the scale points.
    """
    pa, qa = _pair(p, q)
    distance = float(jensenshannon(pa, qa, base=2))
    if np.isnan(distance):  # sqrt of a rounding-error negative divergence
        distance = 0.0
    return 1.0 - distance
