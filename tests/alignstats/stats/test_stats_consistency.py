import math

import pytest

from alignstats import classify, classify_all, implied_ranks, summary_shares


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
    }
    # the study's figure: 150 of 192 comparisons -> 0.78
    study = ["aligned"] * 90 + ["almost"] * 60 + ["misaligned"] * 42
    assert summary_shares(study)["aligned_or_almost"] == pytest.approx(150 / 192)


def test_summary_shares_empty_and_unknown():
    assert all(math.isnan(v) for v in summary_shares([]).values())
    with pytest.raises(ValueError):
        summary_shares(["aligned", "nearly"])
