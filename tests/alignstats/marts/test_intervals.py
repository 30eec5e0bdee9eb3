"""selection_share_intervals against a naive per-share bootstrap written out here."""

import numpy as np
import pandas as pd
import pytest

from alignstats.marts import selection_share_intervals
from alignstats.marts.share_intervals import SELECTION_SHARE_INTERVALS

from tests.alignstats.marts import builders as b

VALUES = ["Safety", "Privacy", "Fairness", "Dignity"]
T1_RUNS = [["Safety", "Privacy"], ["Safety", "Fairness"], ["Privacy", "Dignity"], None, ["Safety"],
           ["Safety", "Privacy", "Fairness"]]
E, V, I = "extremely_important", "very_important", "important"
RATINGS = {("medical", "Safety"): [E, E, V, I, E, None], ("medical", "Privacy"): [None, None, None, None, None, None],
           ("banking", "Safety"): [E, V, V, E, E, E]}
DA, PA, U, PB, DB = "definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"
CHOICES = {("medical", "Privacy", "Performance"): [DA, DA, PB, U, PA, DB, DB]}


def _frames():
    return b.combine(b.t1("s", "m", "original", T1_RUNS, values=VALUES), b.t2("s", "m", RATINGS),
                     b.t3("s", "m", CHOICES))


def naive_interval(hits, n_resamples, seed):
    """Resample the runs (in replicate order) with replacement; 2.5% and 97.5% quantiles of the share."""
    hits = np.asarray(hits, dtype=float)
    draws = np.random.default_rng(seed).integers(0, len(hits), size=(n_resamples, len(hits)))
    shares = [hits[d].mean() for d in draws]
    return tuple(np.quantile(shares, [0.025, 0.975]))


def test_one_row_per_selection_share_with_its_keys_and_share():
    answers, shares = _frames()
    out = selection_share_intervals(shares, b.choices(answers), b.measures_for(shares), n_resamples=50)
    keys = ["study", "model", "task", "item", "setting", "value", "measure"]
    assert list(out.columns) == list(SELECTION_SHARE_INTERVALS)
    assert sorted(map(tuple, out[keys].to_numpy())) == sorted(map(tuple, shares[keys].to_numpy()))
    merged = out.merge(shares, on=keys, suffixes=("", "_ss"))
    assert (merged["runs"] == merged["runs_ss"]).all()
    assert np.allclose(merged["share"].astype(float), merged["share_ss"].astype(float), equal_nan=True)


def test_t1_intervals_resample_runs():
    answers, shares = _frames()
    out = selection_share_intervals(shares, b.choices(answers), b.measures_for(shares), n_resamples=300, seed=5, method="percentile")
    runs = [r for r in T1_RUNS if r is not None]  # the refusal is not a run
    for value in VALUES:
        row = out[(out["task"] == "t1") & (out["value"] == value)].iloc[0]
        hits = [value in r for r in runs]
        assert row["share"] == pytest.approx(np.mean(hits))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(naive_interval(hits, 300, 5)), value


def test_rate_and_tradeoff_intervals_resample_the_items_answers():
    answers, shares = _frames()
    out = selection_share_intervals(shares, b.choices(answers), b.measures_for(shares), n_resamples=300, seed=2, method="percentile")
    safety = out[(out["item"] == "t2/medical/safety") & (out["measure"] == "extremely")].iloc[0]
    hits = [1, 1, 0, 0, 1]  # E E V I E, the refusal left out
    assert (safety["runs"], safety["selections"], safety["share"]) == (5, 3, pytest.approx(0.6))
    assert (safety["ci_low"], safety["ci_high"]) == pytest.approx(naive_interval(hits, 300, 2))
    very = out[(out["item"] == "t2/medical/safety") & (out["measure"] == "very_or_extremely")].iloc[0]
    assert (very["ci_low"], very["ci_high"]) == pytest.approx(naive_interval([1, 1, 1, 0, 1], 300, 2))
    # trade-off: Performance (side b) definitely in DB DB of 7 answers
    perf = out[(out["task"] == "t3") & (out["value"] == "Performance") & (out["measure"] == "definitely")].iloc[0]
    assert perf["share"] == pytest.approx(2 / 7)
    assert (perf["ci_low"], perf["ci_high"]) == pytest.approx(naive_interval([0, 0, 0, 0, 0, 1, 1], 300, 2))
    privacy = out[(out["task"] == "t3") & (out["value"] == "Privacy")
                  & (out["measure"] == "definitely_or_probably")].iloc[0]
    assert (privacy["ci_low"], privacy["ci_high"]) == pytest.approx(naive_interval([1, 1, 0, 0, 1, 0, 0], 300, 2))


def test_all_refused_item_has_null_share_and_interval_and_certain_shares_collapse():
    answers, shares = _frames()
    out = selection_share_intervals(shares, b.choices(answers), b.measures_for(shares), n_resamples=100,
                                    method="percentile")
    refused = out[out["item"] == "t2/medical/privacy"]
    assert len(refused) == 2 and (refused["runs"] == 0).all()
    assert refused[["share", "ci_low", "ci_high"]].isna().all().all()
    banking = out[(out["item"] == "t2/banking/safety") & (out["measure"] == "very_or_extremely")].iloc[0]
    assert (banking["share"], banking["ci_low"], banking["ci_high"]) == (1.0, 1.0, 1.0)


def test_empty_input_is_typed():
    answers, shares = _frames()
    empty = selection_share_intervals(shares.iloc[:0], b.choices(answers.iloc[:0]), b.measures_for(shares.iloc[:0]))
    assert empty.empty and list(empty.columns) == list(SELECTION_SHARE_INTERVALS)
    assert str(empty["runs"].dtype) == "Int64" and str(empty["ci_low"].dtype) == "float64"


def test_default_is_the_wilson_interval_of_selections_and_runs():
    from scipy import stats

    answers, shares = _frames()
    out = selection_share_intervals(shares)  # the runs are not read: the interval is a binomial one
    assert out[["share", "runs"]].equals(selection_share_intervals(shares, b.choices(answers),
                                                                   b.measures_for(shares))[["share", "runs"]])
    for row in out[out["runs"] > 0].itertuples():
        ci = stats.binomtest(int(row.selections), int(row.runs)).proportion_ci(method="wilson")
        assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-12)
        assert row.ci_low <= row.share <= row.ci_high
    certain = out[(out["item"] == "t2/banking/safety") & (out["measure"] == "very_or_extremely")].iloc[0]
    assert certain["share"] == 1.0 and certain["ci_high"] == 1.0 and certain["ci_low"] < 1.0  # not (1, 1)
    assert out[out["runs"] == 0][["ci_low", "ci_high"]].isna().all().all()
    with pytest.raises(ValueError, match="needs choices"):
        selection_share_intervals(shares, method="bca")
