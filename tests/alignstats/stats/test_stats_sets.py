import math

import pytest

from alignstats import at_least, jaccard, top_k


def test_jaccard_hand_worked():
    # intersection {b, c} = 2, union {a, b, c, d} = 4
    assert jaccard({"a", "b", "c"}, {"b", "c", "d"}) == pytest.approx(0.5)
    assert jaccard({"a"}, {"a"}) == 1.0
    assert jaccard({"a"}, set()) == 0.0


def test_jaccard_of_two_empty_sets_is_nan():
    assert math.isnan(jaccard(set(), set()))


def test_top_k_picks_highest_scores():
    scores = {"Safety": 0.9, "Privacy": 0.8, "Fairness": 0.7, "Dignity": 0.1}
    assert top_k(scores, 2) == {"Safety", "Privacy"}


def test_top_k_breaks_boundary_ties_by_key_name():
    scores = {"c": 0.9, "b": 0.5, "a": 0.5, "d": 0.5, "e": 0.1}
    # 'c' first, then the three-way tie at 0.5 is resolved a < b < d
    assert top_k(scores, 2) == {"c", "a"}
    assert top_k(scores, 3) == {"c", "a", "b"}
    assert len(top_k(scores, 3)) == 3
    # insertion order does not matter
    assert top_k(dict(reversed(list(scores.items()))), 2) == {"c", "a"}


def test_top_k_ranks_nan_last_and_caps_at_size():
    scores = {"a": float("nan"), "b": 0.0, "c": 0.2}
    assert top_k(scores, 2) == {"b", "c"}
    assert top_k(scores, 10) == {"a", "b", "c"}
    assert top_k(scores, 0) == frozenset()
    with pytest.raises(ValueError):
        top_k(scores, -1)


def test_at_least_includes_boundary_and_tolerates_rounding():
    scores = {
        "exact": 35 / 50,  # 0.7
        "rounded_below": 0.7 - 1e-15,
        "below": 0.69,
        "above": 0.9,
        "missing": float("nan"),
    }
    assert at_least(scores, 0.7) == {"exact", "rounded_below", "above"}
    assert at_least(scores, 0.95) == frozenset()
