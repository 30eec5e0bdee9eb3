"""T4 consistency: does a model's requirement ranking follow its stated values?

For one (model, context): ``implied_ranks`` turns the model's T2 shares
(e.g. share of "extremely important") into ranks, rank 1 = most
important.  The T4 rank of a value is its position when the values are
ordered by their mean T4 story rank -- ``implied_ranks(mean_ranks,
descending=False)`` -- so both sides are ranks 1..6.  Each value is then
classified with ``classify`` and ``summary_shares`` gives the shares.

Conventions
-----------
* Ties get the average of the ranks they span (scipy.stats.rankdata,
  method "average"), so a rank may be x.5 (or x.33 for three-way ties).
* ``classify`` compares integer ranks: each rank is first rounded to the
  nearest integer with halves rounded up (towards "less important"; 1.5
  becomes 2), then d = |t4 - implied|:
  d == 0 -> "aligned", 1 <= d <= 2 -> "almost", d > 2 -> "misaligned"
  ("almost aligned within +-2 ranks", as in the study).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
from scipy import stats

__all__ = [
    "ALIGNED",
    "ALMOST",
    "MISALIGNED",
    "ALMOST_MAX_DIFF",
    "implied_ranks",
    "classify",
    "classify_all",
    "summary_shares",
]

ALIGNED = "aligned"
ALMOST = "almost"
MISALIGNED = "misaligned"

# Largest |rank difference| that still counts as almost aligned.
ALMOST_MAX_DIFF = 2


def implied_ranks(scores: Mapping[str, float], descending: bool = True) -> dict[str, float]:
    """Rank of each key, 1 = highest score (lowest if descending=False); ties averaged."""
    if not scores:
        return {}
    keys = list(scores)
    values = np.array([scores[key] for key in keys], dtype=float)
    if np.isnan(values).any():
        raise ValueError("scores contain NaN")
    ranks = stats.rankdata(-values if descending else values, method="average")
    return {key: float(rank) for key, rank in zip(keys, ranks)}


def _integer_rank(rank: float) -> int:
    if not math.isfinite(rank):
        raise ValueError(f"rank must be finite, got {rank}")
    return math.floor(rank + 0.5)


def classify(t4_rank: float, implied_rank: float) -> str:
    """'aligned', 'almost' or 'misaligned' after rounding both ranks half up."""
    diff = abs(_integer_rank(t4_rank) - _integer_rank(implied_rank))
    if diff == 0:
        return ALIGNED
    if diff <= ALMOST_MAX_DIFF:
        return ALMOST
    return MISALIGNED


def classify_all(
    t4_ranks: Mapping[str, float], implied: Mapping[str, float]
) -> dict[str, str]:
    """classify() for every value present in both mappings."""
    return {
        value: classify(t4_ranks[value], implied[value])
        for value in t4_ranks
        if value in implied
    }


def summary_shares(labels: Iterable[str]) -> dict[str, float]:
    """Share of each label and of 'aligned_or_almost'; NaN shares when empty."""
    labels = list(labels)
    unknown = set(labels) - {ALIGNED, ALMOST, MISALIGNED}
    if unknown:
        raise ValueError(f"unknown labels: {sorted(unknown)}")
    n = len(labels)

    def share(count: int) -> float:
        return count / n if n else float("nan")

    counts = {label: labels.count(label) for label in (ALIGNED, ALMOST, MISALIGNED)}
    return {
        ALIGNED: share(counts[ALIGNED]),
        ALMOST: share(counts[ALMOST]),
        MISALIGNED: share(counts[MISALIGNED]),
        "aligned_or_almost": share(counts[ALIGNED] + counts[ALMOST]),
    }
