"""T4 consistency: does a model's requirement ranking follow its stated values?

For one (model, context): ``implied_ranks`` turns the model's T2 shares
(e.g. share of "extremely important") into ranks, rank 1 = most
important.  The T4 rank of a value is its story's position when the
stories are ordered by their mean T4 rank; it is computed once, in SQL
(the mart ``t4_story_ranks``: ``rank``, ``rank_min``, ``rank_dense``,
``rank_ordinal``, one per ``rankdata`` method) and passed in, so both
sides are ranks 1..6.  Each value is then
classified with ``classify`` and ``summary_shares`` gives the shares.

Tie rules (``TIE_RULES``, ``context_labels``)
---------------------------------------------
How ties in the T2 figures become ranks moves the "aligned" count, so
every rule is available side by side:

* ``average``, ``min``, ``dense``, ``ordinal``: ``scipy.stats.rankdata``'s
  methods, on both sides (T2 figure, high = rank 1, here; T4 mean story
  rank, low = rank 1, in ``t4_story_ranks``).  ``ordinal`` breaks ties by
  value name (the values are sorted first), so it is deterministic but
  arbitrary.  ``rule_method`` names the method of each rule.
* ``paper``: the reading of "Are We Aligned?" used here -- ranks from the
  "extremely important" share alone, ties sharing the best rank they span
  (a spreadsheet's RANK / RANK.EQ, the same numbers as ``min``), no
  secondary tie-break, no rounding.  The paper does not state its tie
  rule; this is the rule a spreadsheet applies by default.
* ``very_then_average``: the pipeline's former rule -- ties in the primary
  figure broken by a secondary one (the "very or extremely" share), then
  ``average``.

Ranks are then compared with ``classify`` (x.5 ranks of ``average`` round
half up).  A context whose ranking figures are all equal (every value
tied, or all T4 mean ranks equal) has no order to agree with: every value
in it is labelled ``tied``, never "aligned" for free (under ``average``,
six tied values all get 3.5 -> 4, and the value T4 puts 4th would match).
``tied`` labels count in the number of comparisons but in none of the
aligned / almost / misaligned shares.

T3-implied order (``tradeoff_scores``)
--------------------------------------
A trade-off question pits value a against value b; ``tradeoff_scores``
scores each value by the mean, over the conflicts it appears in, of the
share of answers favouring it (answers favouring either side or
undecided are in the denominator of each share).  Its ranks (high score
= rank 1) are compared with T4 like the T2-implied ones.  Values in no
conflict get no score, and conflicts that do not connect all values (two
separate groups of conflicts) still put them on one scale: a caveat of
the comparison, which the paper discusses only qualitatively.

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

from alignstats.correlation import DECIMALS

__all__ = [
    "ALIGNED",
    "ALMOST",
    "MISALIGNED",
    "TIED",
    "TIE_RULES",
    "PAPER_RULE",
    "context_labels",
    "rule_method",
    "tradeoff_scores",
    "ALMOST_MAX_DIFF",
    "implied_ranks",
    "classify",
    "classify_all",
    "summary_shares",
]

ALIGNED = "aligned"
ALMOST = "almost"
MISALIGNED = "misaligned"

TIED = "tied"

# Largest |rank difference| that still counts as almost aligned.
ALMOST_MAX_DIFF = 2

PAPER_RULE = "paper"
SECONDARY_RULE = "very_then_average"
RANKDATA_METHODS = ("average", "min", "dense", "ordinal")
TIE_RULES = (*RANKDATA_METHODS, PAPER_RULE, SECONDARY_RULE)
_PAPER_METHOD = "min"  # spreadsheet RANK / RANK.EQ


def implied_ranks(scores: Mapping[str, float], descending: bool = True,
                  method: str = "average") -> dict[str, float]:
    """Rank of each key, 1 = highest score (lowest if descending=False); ties by ``method``.

    Scores are rounded to ``correlation.DECIMALS`` first, as for Spearman.

    ``method`` is a ``scipy.stats.rankdata`` method; for ``ordinal`` the
    keys are ranked in name order, so tied keys get their ranks by name.
    """
    if not scores:
        return {}
    if method not in RANKDATA_METHODS:
        raise ValueError(f"method must be one of {RANKDATA_METHODS}, got {method!r}")
    keys = sorted(scores) if method == "ordinal" else list(scores)
    values = np.array([scores[key] for key in keys], dtype=float)
    if np.isnan(values).any():
        raise ValueError("scores contain NaN")
    values = np.round(values, DECIMALS)  # float noise ((.7 + .9) / 2 vs .8) must not break ties
    ranks = stats.rankdata(-values if descending else values, method=method)
    return {key: float(rank) for key, rank in zip(keys, ranks)}


def _lexicographic(primary: Mapping[str, float], secondary: Mapping[str, float]) -> dict[str, float]:
    """Scores ordered by primary, then secondary (a missing or NaN secondary sorts lowest)."""
    pairs = {key: (primary[key], secondary.get(key, float("nan"))) for key in primary}
    pairs = {key: (p, -math.inf if s is None or math.isnan(s) else s) for key, (p, s) in pairs.items()}
    order = {pair: float(i) for i, pair in enumerate(sorted(set(pairs.values())))}
    return {key: order[pair] for key, pair in pairs.items()}


def _all_equal(scores: Mapping[str, float]) -> bool:
    values = np.round(np.array(list(scores.values()), dtype=float), DECIMALS)
    return len(values) > 1 and bool(np.all(values == values[0]))


def rule_method(rule: str) -> str:
    """The ``scipy.stats.rankdata`` method ``rule`` ranks both sides with (``paper``: min)."""
    if rule not in TIE_RULES:
        raise ValueError(f"rule must be one of {TIE_RULES}, got {rule!r}")
    return {PAPER_RULE: _PAPER_METHOD, SECONDARY_RULE: "average"}.get(rule, rule)


def context_labels(t4_ranks: Mapping[str, float], stated: Mapping[str, float], rule: str = "average",
                   secondary: Mapping[str, float] | None = None,
                   t4_tied: bool = False) -> dict[str, dict[str, float | str]]:
    """Per value of one (model, context): its T4 rank, implied rank and label under ``rule``.

    ``t4_ranks``: the T4 rank per value under ``rule_method(rule)`` -- computed
    once, in SQL (``t4_story_ranks``' rank columns), never here; ``t4_tied``:
    every story of the context has the same mean T4 rank.  ``stated``: the
    stated figure per value (high = more important; the T2 "extremely" share,
    or ``tradeoff_scores``); ``secondary``: the tie-break figure of
    ``very_then_average``.  The caller passes the same values on both sides
    (``alignstats.marts.t4`` leaves out a context where a story has no stated
    figure); values in both mappings are compared.
    Returns {value: {"t4_rank", "implied_rank", "label"}}; every label is
    ``tied`` when the stated figures are all equal or ``t4_tied``.
    """
    method = rule_method(rule)
    common = [value for value in t4_ranks if value in stated]
    scores = {value: float(stated[value]) for value in common}
    if rule == SECONDARY_RULE:
        scores = _lexicographic(scores, dict(secondary or {}))
    implied = implied_ranks(scores, method=method)
    tied = _all_equal(scores) or (t4_tied and len(common) > 1)
    return {value: {"t4_rank": float(t4_ranks[value]), "implied_rank": implied[value],
                    "label": TIED if tied else classify(t4_ranks[value], implied[value])} for value in common}


def tradeoff_scores(conflicts: Iterable[tuple[str, str, float, float]]) -> dict[str, float]:
    """Per value, the mean share of answers favouring it over the conflicts it is in.

    ``conflicts``: (value_a, value_b, share favouring a, share favouring b);
    a conflict with a NaN share is left out.  See the module docstring.
    """
    favour: dict[str, list[float]] = {}
    for value_a, value_b, share_a, share_b in conflicts:
        if math.isnan(share_a) or math.isnan(share_b):
            continue
        favour.setdefault(value_a, []).append(float(share_a))
        favour.setdefault(value_b, []).append(float(share_b))
    return {value: float(np.mean(shares)) for value, shares in favour.items()}


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
    """Share of each label and of 'aligned_or_almost'; NaN shares when empty.

    ``tied`` labels count in the denominator (they are comparisons) and
    have their own share.
    """
    labels = list(labels)
    unknown = set(labels) - {ALIGNED, ALMOST, MISALIGNED, TIED}
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
        TIED: share(labels.count(TIED)),
    }
