import numpy as np
import pandas as pd
import pytest

from alignstats.marts import t1_robustness
from alignstats.marts.robustness import T1_ROBUSTNESS

from tests.alignstats.marts import builders as b

TOP = ["Safety", "Privacy", "Performance", "Fairness", "Accountability"]


def items(k: int = len(TOP), study: str = "s") -> pd.DataFrame:
    """stg_raw__items as the marts read it: the select task's k (the design)."""
    return pd.DataFrame([{"study": study, "item": "t1", "task": "t1", "task_kind": "select", "k": k},
                         {"study": study, "item": "t2/x/y", "task": "t2", "task_kind": "rate", "k": None}])


def test_identical_settings_are_perfectly_robust():
    runs = [TOP] * 4
    _, shares = b.combine(*(b.t1("s", "m", setting, runs) for setting in ("original", "reversed", "shuffled")))
    row = t1_robustness(shares, items()).iloc[0]
    assert (row["count_stdev"], row["top5_jaccard"], row["majority_jaccard"]) == (0.0, 1.0, 1.0)
    assert row["group"] == "high"
    assert (row["settings_compared"], row["n_settings"], row["n_runs"]) == ("original,reversed,shuffled", 3, 4)


def test_hand_worked_counts_and_sets():
    # original: TOP in all 4 runs; reversed: Accountability swapped for Dignity in every run
    other = ["Safety", "Privacy", "Performance", "Fairness", "Dignity"]
    _, shares = b.combine(b.t1("s", "m", "original", [TOP] * 4), b.t1("s", "m", "reversed", [other] * 4),
                          b.t1("s", "m", "synonyms", [other] * 4))  # synonyms is not an order setting
    row = t1_robustness(shares, items()).iloc[0]
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
    row = t1_robustness(shares, items()).iloc[0]
    assert (row["count_stdev"], row["top5_jaccard"], row["n_runs"]) == (0.0, 1.0, 4)


def test_fewer_than_two_settings_gives_null_measures():
    _, shares = b.combine(b.t1("s", "m", "original", [TOP]), b.t1("s", "n", "original", [TOP]),
                          b.t1("s", "n", "shuffled", [None]))
    out = t1_robustness(shares, items())
    assert list(out["model"]) == ["m", "n"]
    assert out["count_stdev"].isna().all() and out["group"].isna().all()
    assert list(out["settings_compared"]) == ["original", "original"]
    empty = t1_robustness(shares.iloc[:0], items())
    assert empty.empty and list(empty.columns) == list(T1_ROBUSTNESS)


def test_panel_group_is_relative_to_the_studys_models():
    other = ["Safety", "Privacy", "Performance", "Fairness", "Dignity"]
    frames = []
    # m: identical settings (Jaccard 1, stdev 0); n: one value swapped (Jaccard 4/6, stdev > 0);
    # o: Accountability in 2 of 4 reversed runs only, Dignity in the other 2: the tie at 2 goes to
    # Accountability by name, so the top 5 stays (Jaccard 1) though the counts move
    for setting in ("original", "reversed"):
        frames.append(b.t1("s", "m", setting, [TOP] * 4))
        frames.append(b.t1("s", "n", setting, [TOP] * 4 if setting == "original" else [other] * 4))
        half = [TOP] * 2 + [other] * 2
        frames.append(b.t1("s", "o", setting, [TOP] * 4 if setting == "original" else half))
    _, shares = b.combine(*frames)
    out = t1_robustness(shares, items()).set_index("model")
    stdev = out["count_stdev"]
    # by hand: m 0; n: Accountability (4, 0), Dignity (0, 4) -> 2 sqrt(8) / 12; o: Accountability (4, 2),
    # Dignity (0, 2) -> 2 sqrt(2) / 12; panel mean (0 + .471 + .236) / 3 = .236 -> o is at the mean
    assert stdev.to_dict() == pytest.approx({"m": 0.0, "n": 2 * np.sqrt(8) / 12, "o": 2 * np.sqrt(2) / 12})
    assert out["panel_group"].to_dict() == {"m": 1, "n": 3, "o": 1}
    assert out["group"].to_dict() == {"m": "high", "n": "medium", "o": "high"}  # the absolute grouping beside it


def test_synonyms_mart_hand_worked():
    from alignstats.marts import t1_synonyms

    other = ["Safety", "Privacy", "Performance", "Fairness", "Dignity"]
    _, shares = b.combine(b.t1("s", "m", "original", [TOP] * 4),
                          b.t1("s", "m", "synonyms", [TOP] * 3 + [other]),
                          b.t1("s", "n", "original", [TOP] * 2))  # n has no synonyms runs: no rows
    out = t1_synonyms(shares, items()).set_index("value")
    assert set(out["model"]) == {"m"} and len(out) == 12
    assert out.loc["Accountability", ["share_original", "share_synonyms", "shift"]].tolist() == [1.0, 0.75, -0.25]
    assert out.loc["Dignity", "shift"] == 0.25 and out.loc["Solidarity", "shift"] == 0.0
    assert (out["top5_jaccard"] == 1.0).all()  # Accountability .75 still beats Dignity .25
    assert (out["runs_original"] == 4).all() and (out["runs_synonyms"] == 4).all()


def test_k_comes_from_the_design():
    # three picks per run; reversed swaps the third pick. Read with the design's k = 3 the top-3 sets
    # share 2 of 4 values; a fixed k = 5 would see two identical top-5 sets (picks + ties by name)
    first, other = ["Safety", "Privacy", "Performance"], ["Safety", "Privacy", "Dignity"]
    _, shares = b.combine(b.t1("s", "m", "original", [first] * 4), b.t1("s", "m", "reversed", [other] * 4))
    row = t1_robustness(shares, items(k=3)).iloc[0]
    assert row["top5_jaccard"] == pytest.approx(2 / 4) and row["group"] == "medium"
    assert t1_robustness(shares, items(k=5)).iloc[0]["top5_jaccard"] != pytest.approx(2 / 4)
    with pytest.raises(ValueError, match="k"):
        t1_robustness(shares, items(study="another"))  # no k for the study: refused, not assumed
