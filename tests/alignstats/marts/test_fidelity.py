"""profile_fidelity against hand-worked figures and independent bootstrap computations."""
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from alignstats.marts.intervals import INTERVAL_METHOD
from scipy import stats

from alignstats.marts import profile_fidelity, t1_human_alignment, t2_human_alignment, t3_human_alignment
from alignstats.marts.fidelity import PROFILE_FIDELITY, rowwise_statistics
from alignstats import calibration_slope, cluster_bootstrap, lins_ccc, spearman

from tests.alignstats.marts import builders as b

VALUES = ["Safety", "Privacy", "Fairness", "Dignity"]

# T1, 10 runs: Safety picked in 1, Privacy in 5, Fairness in 4, Dignity in 9 -> shares .1 .5 .4 .9
T1_RUNS = [[v for v, picked in zip(VALUES, (r < 1, r < 5, r >= 6, r < 9)) if picked] for r in range(10)]
HUMAN_T1 = pd.DataFrame({"group": ["g"] * 4, "value": VALUES, "share_selected": [0.2, 0.4, 0.6, 0.8]})

EMPTY_T2 = pd.DataFrame(columns=["group", "context", "value", "share_extremely_important",
                                 "share_very_or_extremely_important"])
EMPTY_T3 = pd.DataFrame(columns=["group", "value_a", "value_b", "share_definitely_a",
                                 "share_definitely_or_probably_a", "share_definitely_b",
                                 "share_definitely_or_probably_b"])


def _t1(runs=T1_RUNS, human=HUMAN_T1, **kw):
    answers, shares = b.combine(b.t1("s", "m", "original", runs, values=VALUES),
                                b.t1("s", "m", "reversed", [VALUES[:1]] * 3, values=VALUES))
    kw.setdefault("n_resamples", 200)
    return b.fidelity(shares, b.choices(answers), human, EMPTY_T2, EMPTY_T3, b.measures_for(shares), **kw), answers, shares


def test_t1_figures_match_the_hand_worked_example():
    out, _, _ = _t1()
    assert len(out) == 1  # setting original only
    row = out.iloc[0]
    assert (row["task"], row["context"], row["setting"], row["measure"]) == ("t1", "general", "original", "selected")
    # x = model .1 .5 .4 .9, y = human .2 .4 .6 .8; xbar = .475, ybar = .5
    # dx = -.375 .025 -.075 .425, dy = -.3 -.1 .1 .3
    # sum dx dy = .1125 - .0025 - .0075 + .1275 = .23; sum dy^2 = .2 -> slope = .23 / .2 = 1.15
    assert row["slope"] == pytest.approx(1.15)
    # s_xy = .23/4 = .0575; s_y^2 = .2/4 = .05; s_x^2 = (.140625 + .000625 + .005625 + .180625)/4 = .081875
    # (xbar - ybar)^2 = .000625 -> ccc = 2 * .0575 / (.081875 + .05 + .000625) = .115 / .1325 = 46/53
    assert row["lins_ccc"] == pytest.approx(46 / 53)
    # ranks 1 3 2 4 vs 1 2 3 4: sum d^2 = 2 -> rho = 1 - 6 * 2 / (4 * 15) = .8
    assert row["spearman_rho"] == pytest.approx(0.8)
    assert row["spearman_rho"] == pytest.approx(stats.spearmanr([.1, .5, .4, .9], [.2, .4, .6, .8]).statistic)
    assert (row["model_mean"], row["human_mean"]) == pytest.approx((0.475, 0.5))
    assert (row["n_values"], row["n_replicates"]) == (4, 10)


def test_t1_intervals_are_a_plain_cluster_bootstrap_of_the_runs():
    out, answers, _ = _t1(n_resamples=60, seed=7)
    row = out.iloc[0]
    mapped = answers[(answers["status"] == "mapped") & (answers["setting"] == "original")]
    human = HUMAN_T1.set_index("value")["share_selected"]

    def shares(sample):
        runs = sample["replicate"].nunique()
        return [(sample["value"] == v).sum() / runs for v in VALUES]

    for name, fn in (("lins_ccc", lins_ccc), ("slope", calibration_slope),
                     ("spearman_rho", lambda x, y: spearman(x, y)[0])):
        expected = cluster_bootstrap(mapped, "replicate", lambda s: fn(shares(s), human[VALUES].to_numpy()),
                                     n_resamples=60, seed=7, method=INTERVAL_METHOD)
        assert np.isfinite(expected).all() and expected[0] < expected[1]
        assert (row[f"{name}_ci_low"], row[f"{name}_ci_high"]) == pytest.approx(expected, abs=1e-12), name


def test_rho_and_its_interval_equal_t1_human_alignment():
    out, answers, shares = _t1(n_resamples=100, seed=4)
    t1 = t1_human_alignment(shares, b.choices(answers), b.ref(HUMAN_T1), n_resamples=100, seed=4)
    t1 = t1[t1["setting"] == "original"].iloc[0]
    row = out.iloc[0]
    assert (row["spearman_rho"], row["spearman_rho_ci_low"], row["spearman_rho_ci_high"]) == pytest.approx(
        (t1["spearman_rho"], t1["ci_low"], t1["ci_high"]))


def test_identical_runs_give_point_intervals_and_no_resamples_no_intervals():
    runs = [["Safety", "Privacy"]] * 6  # shares 1 1 0 0
    out, _, _ = _t1(runs=runs)
    row = out.iloc[0]
    assert row["lins_ccc_ci_low"] == row["lins_ccc_ci_high"] == pytest.approx(row["lins_ccc"])
    assert row["slope_ci_low"] == row["slope_ci_high"] == pytest.approx(row["slope"])
    out, _, _ = _t1(n_resamples=0)
    assert out[["lins_ccc_ci_low", "slope_ci_high", "spearman_rho_ci_low"]].isna().all().all()
    assert out.iloc[0]["lins_ccc"] == pytest.approx(46 / 53)


E, V, I = "extremely_important", "very_important", "important"
# 4 replicates; shares of "extremely" of all runs: medical .75 .25 .5 .0, banking .5 .25 (1 refusal: a run
# that did not answer "extremely") .75 1
RATINGS = {
    ("medical", "Safety"): [E, E, E, V], ("medical", "Privacy"): [E, V, I, V],
    ("medical", "Fairness"): [E, E, V, I], ("medical", "Dignity"): [V, V, I, I],
    ("banking", "Safety"): [E, V, E, I], ("banking", "Privacy"): [E, V, V, None],
    ("banking", "Fairness"): [E, E, E, V], ("banking", "Dignity"): [E, E, E, E],
}
T2_MODEL = {"medical": [0.75, 0.25, 0.5, 0.0], "banking": [0.5, 0.25, 0.75, 1.0]}
T2_HUMAN = {"medical": [0.7, 0.5, 0.6, 0.3], "banking": [0.6, 0.5, 0.7, 0.4], "all": [0.65, 0.5, 0.65, 0.35]}
HUMAN_T2 = pd.DataFrame([("g", c, v, s, None) for c, shares in T2_HUMAN.items() for v, s in zip(VALUES, shares)],
                        columns=EMPTY_T2.columns)


def _by_formula(x, y):
    """rho, slope and CCC written out (independent of alignstats)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    dx, dy = x - x.mean(), y - y.mean()
    slope = (dx * dy).sum() / (dy ** 2).sum()
    ccc = 2 * (dx * dy).mean() / ((dx ** 2).mean() + (dy ** 2).mean() + (x.mean() - y.mean()) ** 2)
    return stats.spearmanr(x, y).statistic, slope, ccc


def test_t2_per_context_and_pooled_figures():
    answers, shares = b.combine(b.t2("s", "m", RATINGS))
    out = b.fidelity(shares, b.choices(answers), pd.DataFrame(columns=HUMAN_T1.columns), HUMAN_T2, EMPTY_T3,
                           b.measures_for(shares), n_resamples=100, seed=1)
    assert sorted(out["context"]) == ["all", "all_pairs", "banking", "medical"]
    model = {**T2_MODEL, "all": [(m + k) / 2 for m, k in zip(T2_MODEL["medical"], T2_MODEL["banking"])]}
    # all_pairs: the 8 (context, value) figures at once against the per-context human figures
    pairs = out[out["context"] == "all_pairs"].iloc[0]
    rho, slope, ccc = _by_formula(T2_MODEL["medical"] + T2_MODEL["banking"], T2_HUMAN["medical"] + T2_HUMAN["banking"])
    assert (pairs["spearman_rho"], pairs["slope"], pairs["lins_ccc"], pairs["n_values"]) == pytest.approx(
        (rho, slope, ccc, 8))
    for context in ("medical", "banking", "all"):
        row = out[out["context"] == context].iloc[0]
        rho, slope, ccc = _by_formula(model[context], T2_HUMAN[context])
        assert (row["spearman_rho"], row["slope"], row["lins_ccc"]) == pytest.approx((rho, slope, ccc)), context
        assert (row["measure"], row["task_kind"], row["n_values"], row["n_replicates"]) == ("extremely", "rate", 4, 4)
        for name in ("spearman_rho", "slope", "lins_ccc"):
            assert row[f"{name}_ci_low"] <= row[f"{name}_ci_high"]
    # rho and its interval are t2_human_alignment's (same draws)
    t2 = b.t2_alignment(shares, b.choices(answers), HUMAN_T2, b.measures_for(shares), n_resamples=100, seed=1)
    for context in ("medical", "banking", "all", "all_pairs"):
        mine = out[out["context"] == context].iloc[0]
        theirs = t2[(t2["context"] == context) & (t2["measure"] == "extremely")].iloc[0]
        assert (mine["spearman_rho_ci_low"], mine["spearman_rho_ci_high"]) == pytest.approx(
            (theirs["ci_low"], theirs["ci_high"]))


def test_t2_pooled_interval_rebuilds_the_mean_of_context_shares_per_resample():
    answers, shares = b.combine(b.t2("s", "m", RATINGS))
    out = b.fidelity(shares, b.choices(answers), pd.DataFrame(columns=HUMAN_T1.columns), HUMAN_T2, EMPTY_T3,
                           b.measures_for(shares), n_resamples=40, seed=9)
    row = out[out["context"] == "all"].iloc[0]
    # every run (a refusal is a run that did not answer "extremely"), with the value its item asks about
    mapped = answers.assign(value=answers["item"].map({f"t2/{c}/{v.lower()}": v for c, v in RATINGS}))

    def statistic(sample):
        figures = []
        for v in VALUES:
            per_context = []
            for c in ("medical", "banking"):
                rated = sample[(sample["context"] == c) & (sample["value"] == v)]
                if len(rated):
                    per_context.append((rated["choice"] == E).mean())
            figures.append(np.mean(per_context) if per_context else np.nan)
        return lins_ccc(figures, T2_HUMAN["all"])

    expected = cluster_bootstrap(mapped, "replicate", statistic, n_resamples=40, seed=9, method=INTERVAL_METHOD)
    assert (row["lins_ccc_ci_low"], row["lins_ccc_ci_high"]) == pytest.approx(expected, abs=1e-12)


def test_mathematically_tied_figures_tie_despite_rounding_noise():
    # 'all' = mean of two contexts: (.1 + .5) / 2 == 0.3 but (.2 + .4) / 2 == 0.30000000000000004
    ten = {"Safety": (1, 5), "Privacy": (2, 4), "Fairness": (7, 7), "Dignity": (0, 2)}
    ratings = {}
    for v, (med, bank) in ten.items():
        ratings[("medical", v)] = [E] * med + [I] * (10 - med)
        ratings[("banking", v)] = [E] * bank + [I] * (10 - bank)
    answers, shares = b.combine(b.t2("s", "m", ratings))
    human = pd.DataFrame([("g", "all", v, s, None) for v, s in zip(VALUES, [0.2, 0.4, 0.6, 0.8])],
                         columns=EMPTY_T2.columns)
    out = b.fidelity(shares, b.choices(answers), pd.DataFrame(columns=HUMAN_T1.columns), human, EMPTY_T3,
                           b.measures_for(shares), n_resamples=0)
    exact = [float((Fraction(m, 10) + Fraction(k, 10)) / 2) for m, k in ten.values()]  # .3 .3 .7 .1
    assert exact[0] == exact[1]
    row = out[out["context"] == "all"].iloc[0]
    assert row["spearman_rho"] == pytest.approx(stats.spearmanr(exact, [0.2, 0.4, 0.6, 0.8]).statistic)


DA, PA, U, PB, DB = "definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"
CHOICES = {  # a_/b_ refer to the question's own value_a / value_b
    ("medical", "Privacy", "Performance"): [DA, PA, U, PB],       # Privacy d-or-p 2, Performance 1 (4 answers)
    ("medical", "Performance", "Privacy"): [DB, DA, None, U],     # Privacy 1, Performance 1 (4 runs, 1 refused)
    ("banking", "Privacy", "Performance"): [PB, DB, DB, DA],      # Privacy 1, Performance 3 (4 answers)
    ("medical", "Safety", "Human Autonomy"): [DA, DA, PA, DB],    # Safety 3, Human Autonomy 1
    ("medical", "Human Autonomy", "Safety"): [PB, U, PA, DA],     # Safety 1, Human Autonomy 2
}
HUMAN_T3 = pd.DataFrame({
    "group": ["g", "g"], "value_a": ["Performance", "Human Autonomy"], "value_b": ["Privacy", "Safety"],
    "share_definitely_a": [0.1, 0.2], "share_definitely_or_probably_a": [0.3, 0.4],
    "share_definitely_b": [0.3, 0.2], "share_definitely_or_probably_b": [0.6, 0.5],
})


def test_t3_points_pool_both_directions_and_contexts():
    answers, shares = b.combine(b.t3("s", "m", CHOICES))
    out = b.fidelity(shares, b.choices(answers), pd.DataFrame(columns=HUMAN_T1.columns), EMPTY_T2, HUMAN_T3,
                           b.measures_for(shares), n_resamples=100, seed=3)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["context"], row["measure"], row["n_values"]) == ("all", "definitely_or_probably", 4)
    # points (Performance a, Privacy b, Human Autonomy a, Safety b), counted from CHOICES by hand, of all
    # 12 / 8 runs of the conflict (the refusal is a run)
    model = [(1 + 1 + 3) / 12, (2 + 1 + 1) / 12, (1 + 2) / 8, (3 + 1) / 8]
    human = [0.3, 0.6, 0.4, 0.5]
    rho, slope, ccc = _by_formula(model, human)
    assert (row["spearman_rho"], row["slope"], row["lins_ccc"]) == pytest.approx((rho, slope, ccc))
    t3 = b.t3_alignment(shares, b.choices(answers), HUMAN_T3, b.measures_for(shares), n_resamples=100, seed=3)
    theirs = t3[t3["measure"] == "definitely_or_probably"].iloc[0]
    assert (row["spearman_rho"], row["spearman_rho_ci_low"], row["spearman_rho_ci_high"]) == pytest.approx(
        (theirs["spearman_rho"], theirs["ci_low"], theirs["ci_high"]))
    assert row["slope_ci_low"] <= row["slope_ci_high"] and row["lins_ccc_ci_low"] <= row["lins_ccc_ci_high"]


def test_rowwise_statistics_equal_collector_stats():
    rng = np.random.default_rng(0)
    y = np.array([0.1, 0.4, 0.4, 0.7, 0.9])
    x = rng.integers(0, 4, size=(300, 5)) / 4  # plenty of ties and some constant rows
    x[5] = 0.5
    x[7, 2] = np.nan
    x[8, :4] = np.nan  # one point left
    got = rowwise_statistics(x, y)
    for i, row in enumerate(x):
        assert got["lins_ccc"][i] == pytest.approx(lins_ccc(row, y), abs=1e-12, nan_ok=True)
        assert got["slope"][i] == pytest.approx(calibration_slope(row, y), abs=1e-12, nan_ok=True)
        assert got["spearman_rho"][i] == pytest.approx(spearman(row, y)[0], abs=1e-12, nan_ok=True)
    assert math.isnan(got["spearman_rho"][5]) and math.isnan(got["slope"][8])


def test_partial_and_empty_studies_give_typed_frames():
    answers, shares = b.combine(b.t1("s", "m", "original", T1_RUNS, values=VALUES))
    out = b.fidelity(shares, b.choices(answers), HUMAN_T1, HUMAN_T2, HUMAN_T3, b.measures_for(shares), n_resamples=20)
    assert list(out.columns) == list(PROFILE_FIDELITY) and set(out["task"]) == {"t1"}
    empty = b.fidelity(shares.iloc[:0], b.choices(answers.iloc[:0]), HUMAN_T1, HUMAN_T2, HUMAN_T3,
                             b.measures_for(shares.iloc[:0]))
    assert empty.empty and list(empty.columns) == list(PROFILE_FIDELITY)
    assert str(empty["n_values"].dtype) == "Int64" and str(empty["lins_ccc"].dtype) == "float64"
