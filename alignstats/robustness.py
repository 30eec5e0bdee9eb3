"""Robustness of one model's answers to a select task (pick k of n values) to the order of the list.

Input: a values x settings frame of selection counts -- how many of the
``n_runs`` runs of each setting (original, reversed, shuffled in the
study; any two or more columns work) put the value among their k picks.
k is the task's own (``k`` in the experiment file, ``stg_raw__items.k``):
every function that needs it takes it as an argument, none assumes one.

Measures
--------
* ``count_stdev``: for each value the standard deviation of its counts
  across settings (sample stdev, ddof=1, as pandas' and Excel's STDEV),
  averaged over values.  In counts (runs), as the study reports it.
* ``top_k_jaccard``: mean over pairs of settings of the Jaccard similarity
  of their top-k sets (``sets.top_k``: exactly k values, ties broken by
  value name).  The mart column keeps the name ``top5_jaccard``.
* ``majority_jaccard``: the same for the sets of values selected in
  >= 70% of runs (``sets.at_least``).  A pair whose two sets are both
  empty has no Jaccard (NaN) and is left out of the mean; NaN if all are.

Grouping (``robustness_group``)
-------------------------------
    high   top-k Jaccard >= 0.75 and count stdev <= 6% of n_runs
    low    top-k Jaccard <  0.5  or  count stdev >  16% of n_runs
    medium otherwise

The rule, in terms of k, the number of values and the runs per setting:

* Jaccard.  Two top-k sets that differ in d of their k values have
  Jaccard (k - d) / (k + d), whatever the number of values offered.  Below
  0.5 means d > k / 3: on average a pair of settings disagrees on more
  than a third of the picks, for any k.  At least 0.75 means d <= k / 7
  per pair; with three settings, one setting swapping a single value
  gives a mean of 1 - 4 / (3 (k + 1)), which reaches 0.75 only for k >= 5,
  so with fewer picks (k = 3, say) "high" needs the same set in every
  setting.  Two sets drawn at random from n values share k^2 / n values
  on average, so the Jaccard a model shows by chance rises with k / n:
  compare models of one study (same k and n), as ``panel_groups`` does.
* Count stdev, as a share of n_runs (the runs per setting, i.e. the
  study's replicates).  A model whose chance p of picking a value is the
  same in every setting still shows a count stdev of sqrt(n_runs p (1 - p))
  from sampling alone, i.e. a share of at most 0.5 / sqrt(n_runs) (p = 0.5)
  and about 0.3 / sqrt(n_runs) at p = 0.1 or 0.9.  The thresholds sit
  below (6%) and above twice (16%) that noise for the runs the rule was
  set for (0.5 / sqrt(n_runs) = 7% at 50 runs).  With fewer runs the noise
  share grows (11% at 20 runs, 29% at 3): a model with no order effect can
  miss "high", and below 10 runs (0.5 / sqrt(10) = 16%) land in "low", by
  chance -- read the groups of a small study with that in mind, or use
  ``panel_groups``, which is relative to the study's own panel.

Panel-relative grouping (``panel_groups``)
------------------------------------------
The study grouped its models relative to the panel it tested rather than
by fixed thresholds.  The rule here, for the models of one study: two
criteria --

    (a) perfect top-k Jaccard: every setting's top k is the same set (1.0);
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


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k (the task's number of picks) must be an integer >= 1, got {k!r}")


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


def top_k_jaccard(counts: pd.DataFrame, k: int) -> float:
    """Mean pairwise Jaccard of the settings' top-k sets (k: the task's number of picks)."""
    _check_counts(counts)
    _check_k(k)
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


def robustness_summary(counts: pd.DataFrame, n_runs: int, k: int) -> RobustnessSummary:
    """All three measures and the group for one model; k is the task's number of picks."""
    _check_counts(counts, n_runs)
    stdev = count_stdev(counts)
    top5 = top_k_jaccard(counts, k)
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
