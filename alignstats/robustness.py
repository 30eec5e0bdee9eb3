"""Robustness of one model's T1 answers to the order of the value list.

Input: a values x settings frame of selection counts -- how many of the
``n_runs`` runs of each setting (original, reversed, shuffled in the
study; any two or more columns work) put the value in the top 5.

Measures
--------
* ``count_stdev``: for each value the standard deviation of its counts
  across settings (sample stdev, ddof=1, as pandas' and Excel's STDEV),
  averaged over values.  In counts (runs), as the study reports it.
* ``top_k_jaccard``: mean over pairs of settings of the Jaccard similarity
  of their top-5 sets (``sets.top_k``: exactly 5 values, ties broken by
  value name).
* ``majority_jaccard``: the same for the sets of values selected in
  >= 70% of runs (``sets.at_least``).  A pair whose two sets are both
  empty has no Jaccard (NaN) and is left out of the mean; NaN if all are.

Grouping (``robustness_group``)
-------------------------------
    high   top-5 Jaccard >= 0.75 and count stdev <= 6% of n_runs (3 of 50)
    low    top-5 Jaccard <  0.5  or  count stdev >  16% of n_runs (8 of 50)
    medium otherwise

Why these numbers: two top-5 sets drawn from 12 values that differ in one
value have Jaccard 4/6 = 0.67, in two values 3/7 = 0.43.  With three
settings, a mean of >= 0.75 allows at most one setting to swap a single
value ((1 + 0.67 + 0.67) / 3 = 0.78); below 0.5 the sets typically differ
in two or more values.  For the stdev: sampling noise alone gives a count
a standard deviation of sqrt(n p (1 - p)) -- at most 3.5 of 50 runs
(p = 0.5) and about 2.1 at p = 0.1 or 0.9 -- so a mean of <= 3 of 50 is
what a model behaving identically in every setting shows, while > 8 of
50, more than twice that noise ceiling, means the order of the list
moves what the model picks.  The stdev thresholds are shares of n_runs so
that they carry over to other run counts.

Panel-relative grouping (``panel_groups``)
------------------------------------------
The study grouped its models relative to the panel it tested rather than
by fixed thresholds.  The rule here, for the models of one study: two
criteria --

    (a) perfect top-5 Jaccard: every setting's top 5 is the same set (1.0);
    (b) above-average robustness: count stdev at or below the panel's mean
        count stdev (the mean over the models with figures);

    Group 1 = both, Group 2 = one of the two, Group 3 = neither.

Group 1 is the paper's "perfect Jaccard and above-average robustness";
the paper names Groups 2 and 3 "moderate" and "low" without a rule, and
counting the criteria met is the reading used here.  Because it is
relative, a model's group can change when models are added to the
panel; the absolute ``robustness_group`` stays beside it.
"""

from __future__ import annotations

import itertools
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

from alignstats.sets import at_least, jaccard, top_k

__all__ = [
    "HIGH",
    "MEDIUM",
    "LOW",
    "TOP_K",
    "MAJORITY_THRESHOLD",
    "HIGH_MIN_TOP5_JACCARD",
    "LOW_TOP5_JACCARD_BELOW",
    "HIGH_MAX_STDEV_SHARE",
    "LOW_STDEV_SHARE_ABOVE",
    "RobustnessSummary",
    "count_stdev",
    "top_k_jaccard",
    "majority_jaccard",
    "robustness_group",
    "robustness_summary",
    "panel_groups",
]

HIGH = "high"
MEDIUM = "medium"
LOW = "low"

TOP_K = 5
MAJORITY_THRESHOLD = 0.7

HIGH_MIN_TOP5_JACCARD = 0.75
LOW_TOP5_JACCARD_BELOW = 0.5
HIGH_MAX_STDEV_SHARE = 0.06
LOW_STDEV_SHARE_ABOVE = 0.16


class RobustnessSummary(NamedTuple):
    count_stdev: float
    top5_jaccard: float
    majority_jaccard: float
    group: str


def _check_counts(counts: pd.DataFrame, n_runs: int | None = None) -> None:
    if counts.shape[1] < 2:
        raise ValueError("need counts for at least two settings (columns)")
    if counts.shape[0] == 0:
        raise ValueError("counts has no values (rows)")
    matrix = counts.to_numpy(dtype=float)
    if np.isnan(matrix).any() or (matrix < 0).any():
        raise ValueError("counts must be non-negative with no NaN")
    if n_runs is not None:
        if n_runs < 1:
            raise ValueError(f"n_runs must be >= 1, got {n_runs}")
        if (matrix > n_runs).any():
            raise ValueError(f"a count exceeds n_runs={n_runs}")


def _mean_pairwise_jaccard(sets: list[frozenset[str]]) -> float:
    scores = [jaccard(a, b) for a, b in itertools.combinations(sets, 2)]
    if all(np.isnan(scores)):
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(scores))


def count_stdev(counts: pd.DataFrame, ddof: int = 1) -> float:
    """Mean over values (rows) of the stdev of counts across settings (columns)."""
    _check_counts(counts)
    return float(counts.astype(float).std(axis=1, ddof=ddof).mean())


def top_k_jaccard(counts: pd.DataFrame, k: int = TOP_K) -> float:
    """Mean pairwise Jaccard of the settings' top-k sets."""
    _check_counts(counts)
    return _mean_pairwise_jaccard(
        [top_k(counts[setting].to_dict(), k) for setting in counts.columns]
    )


def majority_jaccard(
    counts: pd.DataFrame, n_runs: int, threshold: float = MAJORITY_THRESHOLD
) -> float:
    """Mean pairwise Jaccard of the sets selected in >= threshold of n_runs."""
    _check_counts(counts, n_runs)
    shares = counts.astype(float) / n_runs
    return _mean_pairwise_jaccard(
        [at_least(shares[setting].to_dict(), threshold) for setting in shares.columns]
    )


def robustness_group(top5_jaccard: float, count_stdev: float, n_runs: int) -> str:
    """'high', 'medium' or 'low' by the thresholds in the module docstring."""
    if np.isnan(top5_jaccard) or np.isnan(count_stdev):
        raise ValueError("top5_jaccard and count_stdev must not be NaN")
    if n_runs < 1:
        raise ValueError(f"n_runs must be >= 1, got {n_runs}")
    stdev_share = count_stdev / n_runs
    if top5_jaccard < LOW_TOP5_JACCARD_BELOW or stdev_share > LOW_STDEV_SHARE_ABOVE:
        return LOW
    if top5_jaccard >= HIGH_MIN_TOP5_JACCARD and stdev_share <= HIGH_MAX_STDEV_SHARE:
        return HIGH
    return MEDIUM


def robustness_summary(counts: pd.DataFrame, n_runs: int) -> RobustnessSummary:
    """All three measures and the group for one model."""
    _check_counts(counts, n_runs)
    stdev = count_stdev(counts)
    top5 = top_k_jaccard(counts)
    return RobustnessSummary(
        count_stdev=stdev,
        top5_jaccard=top5,
        majority_jaccard=majority_jaccard(counts, n_runs),
        group=robustness_group(top5, stdev, n_runs),
    )


def panel_groups(top5_jaccard: pd.Series, count_stdev: pd.Series) -> pd.Series:
    """Group 1, 2 or 3 of each model (the index) relative to the panel; see the module docstring.

    ``top5_jaccard`` and ``count_stdev`` are indexed by model.  A model
    missing either figure gets no group (<NA>) and does not count in the
    panel mean.
    """
    frame = pd.DataFrame({"jaccard": top5_jaccard, "stdev": count_stdev}).astype(float)
    complete = frame.dropna()
    groups = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if complete.empty:
        return groups
    perfect = np.isclose(complete["jaccard"], 1.0, rtol=0, atol=1e-12)
    robust = complete["stdev"] <= complete["stdev"].mean() + 1e-12
    groups[complete.index] = 3 - perfect.astype(int) - robust.astype(int).to_numpy()
    return groups
