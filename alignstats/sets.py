"""Set comparisons: Jaccard similarity, top-k sets, threshold sets.

Conventions
-----------
* ``jaccard(set(), set())`` is NaN: there is nothing to compare, and
  averaging NaN away (np.nanmean) is safer than silently counting two
  empty sets as a perfect match.
* ``top_k`` always returns exactly ``min(k, number of scored keys)`` keys.
  Scores are ordered high to low and ties are broken by key name
  (ascending, i.e. alphabetical), so the result is deterministic.  NaN
  scores rank below every number.  Note that a tie at the boundary is
  thereby resolved arbitrarily (but reproducibly): a top-k comparison
  compares the k highest-share values, and a set of exactly k keeps
  the Jaccard of two top-k sets on the same scale for every model.
* ``at_least`` keeps keys whose score is >= threshold, allowing for float
  rounding (a share of 35/50 counts as >= 0.7).  NaN scores never qualify.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Set

__all__ = ["jaccard", "top_k", "at_least"]

_REL_TOL = 1e-9
_ABS_TOL = 1e-12


def jaccard(a: Set[str] | set[str], b: Set[str] | set[str]) -> float:
    """|a & b| / |a | b|; NaN when both sets are empty."""
    union = set(a) | set(b)
    if not union:
        return float("nan")
    return len(set(a) & set(b)) / len(union)


def _sort_key(item: tuple[str, float]) -> tuple[int, float, str]:
    key, score = item
    score = float(score)
    if math.isnan(score):
        return (1, 0.0, key)
    return (0, -score, key)


def top_k(scores: Mapping[str, float], k: int) -> frozenset[str]:
    """The k highest-scoring keys; ties broken by key name (ascending)."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    ordered = sorted(scores.items(), key=_sort_key)
    return frozenset(key for key, _ in ordered[:k])


def at_least(scores: Mapping[str, float], threshold: float) -> frozenset[str]:
    """Keys whose score is >= threshold (up to float rounding)."""
    return frozenset(
        key
        for key, score in scores.items()
        if not math.isnan(float(score))
        and (
            float(score) >= threshold
            or math.isclose(float(score), threshold, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)
        )
    )
