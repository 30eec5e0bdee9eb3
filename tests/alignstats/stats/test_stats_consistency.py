import math

import pytest

from alignstats import classify, classify_all, implied_ranks, summary_shares
from alignstats.consistency import TIE_RULES, context_labels, rule_method, tradeoff_scores
from scipy import stats


def test_implied_ranks_highest_score_is_rank_one_ties_averaged():
    scores = {"Safety": 0.9, "Privacy": 0.5, "Fairness": 0.5, "Performance": 0.1}
    # Privacy and Fairness share ranks 2 and 3 -> 2.5 each
    assert implied_ranks(scores) == {
        "Safety": 1.0,
        "Privacy": 2.5,
        "Fairness": 2.5,
        "Performance": 4.0,
    }


def test_implied_ranks_ascending_for_mean_ranks():
    mean_t4_ranks = {"Safety": 1.4, "Privacy": 3.1, "Performance": 2.2}
    assert implied_ranks(mean_t4_ranks, descending=False) == {
        "Safety": 1.0,
        "Performance": 2.0,
        "Privacy": 3.0,
    }
    assert implied_ranks({}) == {}
    with pytest.raises(ValueError):
        implied_ranks({"a": float("nan")})


@pytest.mark.parametrize(
    "t4, implied, expected",
    [
        (3, 3, "aligned"),
        (3, 4, "almost"),  # |diff| = 1
        (1, 3, "almost"),  # |diff| = 2, the edge of "almost"
        (3, 1, "almost"),
        (1, 4, "misaligned"),  # |diff| = 3
        (6, 1, "misaligned"),
        (2.5, 3, "aligned"),  # 2.5 rounds half up to 3
        (1.5, 1, "almost"),  # 1.5 -> 2 vs 1
        (2.49, 2, "aligned"),  # 2.49 -> 2
        (3.5, 2, "almost"),  # 3.5 -> 4 vs 2
        (4.5, 2, "misaligned"),  # 4.5 -> 5 vs 2
    ],
)
def test_classify_boundaries(t4, implied, expected):
    assert classify(t4, implied) == expected


def test_classify_rejects_nan():
    with pytest.raises(ValueError):
        classify(float("nan"), 1)


def test_classify_all_uses_common_values():
    t4 = {"Safety": 1, "Privacy": 2, "Performance": 6}
    implied = {"Safety": 1, "Privacy": 4, "Performance": 1, "Fairness": 2}
    assert classify_all(t4, implied) == {
        "Safety": "aligned",
        "Privacy": "almost",
        "Performance": "misaligned",
    }


def test_summary_shares():
    labels = ["aligned", "almost", "misaligned", "aligned"]
    assert summary_shares(labels) == {
        "aligned": 0.5,
        "almost": 0.25,
        "misaligned": 0.25,
        "aligned_or_almost": 0.75,
        "tied": 0.0,
    }
    # the study's figure: 150 of 192 comparisons -> 0.78
    study = ["aligned"] * 90 + ["almost"] * 60 + ["misaligned"] * 42
    assert summary_shares(study)["aligned_or_almost"] == pytest.approx(150 / 192)


def test_summary_shares_empty_and_unknown():
    assert all(math.isnan(v) for v in summary_shares([]).values())
    with pytest.raises(ValueError):
        summary_shares(["aligned", "nearly"])


def test_implied_ranks_each_rankdata_method_hand_worked():
    scores = {"b": 0.5, "a": 0.9, "c": 0.5, "d": 0.1}
    assert implied_ranks(scores, method="average") == {"a": 1, "b": 2.5, "c": 2.5, "d": 4}
    assert implied_ranks(scores, method="min") == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert implied_ranks(scores, method="dense") == {"a": 1, "b": 2, "c": 2, "d": 3}
    # ordinal: tied b and c take ranks 2 and 3 in name order, whatever order they come in
    assert implied_ranks(scores, method="ordinal") == {"a": 1, "b": 2, "c": 3, "d": 4}
    assert implied_ranks(dict(reversed(scores.items())), method="ordinal") == {"a": 1, "b": 2, "c": 3, "d": 4}
    with pytest.raises(ValueError):
        implied_ranks(scores, method="max_then_min")


def test_implied_ranks_agree_with_scipy_on_random_ties():
    rng = __import__("numpy").random.default_rng(0)
    for _ in range(50):
        values = rng.integers(0, 4, size=6) / 4
        scores = {f"v{i}": float(x) for i, x in enumerate(values)}
        for method in ("average", "min", "dense", "ordinal"):
            expected = stats.rankdata(-values, method=method)
            assert list(implied_ranks(scores, method=method).values()) == list(expected)


# one context worked by hand: T4 mean ranks and T2 "extremely" shares with a tie
T4_MEAN = {"Safety": 1.2, "Privacy": 2.9, "Fairness": 2.1, "Performance": 4.4, "Transparency": 4.0, "Autonomy": 5.6}
EXTREMELY = {"Safety": 0.9, "Privacy": 0.7, "Fairness": 0.7, "Performance": 0.2, "Transparency": 0.5, "Autonomy": 0.1}
def _t4(mean_ranks, rule):
    """The T4 ranks t4_story_ranks holds (1 = lowest mean rank; ordinal ties by name), by scipy."""
    names = sorted(mean_ranks)
    return dict(zip(names, (float(r) for r in stats.rankdata([mean_ranks[n] for n in names],
                                                              method=rule_method(rule)))))


VERY = {"Safety": 1.0, "Privacy": 0.9, "Fairness": 1.0, "Performance": 0.6, "Transparency": 0.8, "Autonomy": 0.3}


@pytest.mark.parametrize("rule, fairness, privacy, n_aligned", [
    # T4 ranks: Safety 1, Fairness 2, Privacy 3, Transparency 4, Performance 5, Autonomy 6
    ("average", (2, 2.5, "almost"), (3, 2.5, "aligned"), 5),  # 2.5 rounds half up to 3
    ("min", (2, 2, "aligned"), (3, 2, "almost"), 5),
    ("paper", (2, 2, "aligned"), (3, 2, "almost"), 5),
    ("dense", (2, 2, "aligned"), (3, 2, "almost"), 2),  # dense: Transparency 3 vs 4, Performance 4 vs 5 ...
    ("ordinal", (2, 1 + 1, "aligned"), (3, 3, "aligned"), 6),  # Fairness before Privacy by name
    ("very_then_average", (2, 2, "aligned"), (3, 3, "aligned"), 6),  # Fairness wins on "very"
])
def test_context_labels_under_each_tie_rule(rule, fairness, privacy, n_aligned):
    got = context_labels(_t4(T4_MEAN, rule), EXTREMELY, rule, secondary=VERY)
    assert (got["Fairness"]["t4_rank"], got["Fairness"]["implied_rank"], got["Fairness"]["label"]) == fairness
    assert (got["Privacy"]["t4_rank"], got["Privacy"]["implied_rank"], got["Privacy"]["label"]) == privacy
    assert [v["label"] for v in got.values()].count("aligned") == n_aligned


def test_dense_ranks_hand_worked():
    got = context_labels(_t4(T4_MEAN, "dense"), EXTREMELY, "dense")
    # dense T2: Safety 1, Fairness/Privacy 2, Transparency 3, Performance 4, Autonomy 5
    assert {v: (r["t4_rank"], r["implied_rank"]) for v, r in got.items()} == {
        "Safety": (1, 1), "Privacy": (3, 2), "Fairness": (2, 2), "Performance": (5, 4),
        "Transparency": (4, 3), "Autonomy": (6, 5)}


def test_fully_tied_context_is_tied_not_aligned():
    flat = dict.fromkeys(EXTREMELY, 0.4)
    for rule in TIE_RULES:
        labels = {v["label"] for v in context_labels(_t4(T4_MEAN, rule), flat, rule, secondary=dict.fromkeys(VERY, 1.0)).values()}
        assert labels == {"tied"}, rule
    # the old trap: average gives every value 3.5 -> 4, and the value T4 puts 4th "matched"
    assert classify(4, 3.5) == "aligned"
    assert summary_shares(["tied"] * 6 + ["aligned"] * 2)["aligned"] == pytest.approx(0.25)
    # a context with a secondary that separates the values is not tied under very_then_average
    assert "tied" not in {v["label"] for v in context_labels(_t4(T4_MEAN, "very_then_average"), flat, "very_then_average", VERY).values()}
    # tied on the T4 side: every story the same mean rank (the caller knows it from rank_min)
    for rule in TIE_RULES:
        got = context_labels(_t4(dict.fromkeys(T4_MEAN, 2.0), rule), EXTREMELY, rule, VERY, t4_tied=True)
        assert {v["label"] for v in got.values()} == {"tied"}, rule
    with pytest.raises(ValueError):
        context_labels(T4_MEAN, EXTREMELY, "max")


def test_tradeoff_scores_hand_worked():
    conflicts = [
        ("Fairness", "Performance", 0.6, 0.3),
        ("Fairness", "Privacy", 0.2, 0.7),
        ("Privacy", "Performance", 0.5, 0.5),
        ("Safety", "Autonomy", 0.8, 0.1),
        ("Safety", "Transparency", float("nan"), 0.3),  # not answered: left out
    ]
    assert tradeoff_scores(conflicts) == pytest.approx({
        "Fairness": 0.4, "Performance": 0.4, "Privacy": 0.6, "Safety": 0.8, "Autonomy": 0.1})
    got = context_labels(_t4({"Privacy": 1.1, "Fairness": 2.0, "Performance": 3.0, "Safety": 4.0, "Autonomy": 5.0},
                             "min"), tradeoff_scores(conflicts), "min")
    # T3 order: Safety 1, Privacy 2, Fairness/Performance 3 (min), Autonomy 5
    assert {v: r["implied_rank"] for v, r in got.items()} == {
        "Privacy": 2, "Fairness": 3, "Performance": 3, "Safety": 1, "Autonomy": 5}
    assert got["Safety"]["label"] == "misaligned" and got["Privacy"]["label"] == "almost"


def test_implied_ranks_tie_values_equal_up_to_float_noise():
    assert implied_ranks({"a": (0.7 + 0.9) / 2, "b": 0.8, "c": 0.1}, method="min") == {"a": 1, "b": 1, "c": 3}
