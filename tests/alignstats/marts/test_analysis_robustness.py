import numpy as np
import pytest

from alignstats.marts import t1_robustness
from alignstats.marts.robustness import T1_ROBUSTNESS

from tests.alignstats.marts import builders as b

TOP = ["Safety", "Privacy", "Performance", "Fairness", "Accountability"]


def test_identical_settings_are_perfectly_robust():
    runs = [TOP] * 4
    _, shares = b.combine(*(b.t1("s", "m", setting, runs) for setting in ("original", "reversed", "shuffled")))
    row = t1_robustness(shares).iloc[0]
    assert (row["count_stdev"], row["top5_jaccard"], row["majority_jaccard"]) == (0.0, 1.0, 1.0)
    assert row["group"] == "high"
    assert (row["settings_compared"], row["n_settings"], row["n_runs"]) == ("original,reversed,shuffled", 3, 4)


def test_hand_worked_counts_and_sets():
    # original: TOP in all 4 runs; reversed: Accountability swapped for Dignity in every run
    other = ["Safety", "Privacy", "Performance", "Fairness", "Dignity"]
    _, shares = b.combine(b.t1("s", "m", "original", [TOP] * 4), b.t1("s", "m", "reversed", [other] * 4),
                          b.t1("s", "m", "synonyms", [other] * 4))  # synonyms is not an order setting
    row = t1_robustness(shares).iloc[0]
    # per value counts (original, reversed): Accountability (4, 0), Dignity (0, 4), the other 4 equal,
    # the 6 never-picked (0, 0): stdev of (4, 0) with ddof=1 is sqrt(8)
    assert row["count_stdev"] == pytest.approx(2 * np.sqrt(8) / 12)
    assert row["top5_jaccard"] == pytest.approx(4 / 6)
    assert row["majority_jaccard"] == pytest.approx(4 / 6)
    assert row["settings_compared"] == "original,reversed"
    # Jaccard 0.67 is below 0.75 -> not high; >= 0.5 and stdev 0.47 of 4 runs (12%) -> medium
    assert row["group"] == "medium"


def test_unequal_runs_are_compared_as_shares():
    # the same behaviour, one refusal in reversed: shares are equal, so nothing moved
    _, shares = b.combine(b.t1("s", "m", "original", [TOP] * 4), b.t1("s", "m", "reversed", [TOP] * 3 + [None]))
    row = t1_robustness(shares).iloc[0]
    assert (row["count_stdev"], row["top5_jaccard"], row["n_runs"]) == (0.0, 1.0, 4)


def test_fewer_than_two_settings_gives_null_measures():
    _, shares = b.combine(b.t1("s", "m", "original", [TOP]), b.t1("s", "n", "original", [TOP]),
                          b.t1("s", "n", "shuffled", [None]))
    out = t1_robustness(shares)
    assert list(out["model"]) == ["m", "n"]
    assert out["count_stdev"].isna().all() and out["group"].isna().all()
    assert list(out["settings_compared"]) == ["original", "original"]
    empty = t1_robustness(shares.iloc[:0])
    assert empty.empty and list(empty.columns) == list(T1_ROBUSTNESS)
