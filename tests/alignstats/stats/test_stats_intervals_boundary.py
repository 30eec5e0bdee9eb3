"""BCa and Wilson intervals: equal to scipy's, the estimate inside, coverage at the boundary.

The BCa references are ``scipy.stats.bootstrap(method="BCa")`` given the
same generator: it draws ``integers(0, n, (B, n))``, the documented scheme
of ``alignstats.bootstrap``, so the two see the same resamples and must
agree to rounding.  Wilson is checked against ``scipy.stats.binomtest``.
"""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignstats import (bca_interval, bca_intervals, cluster_bootstrap, interval, jackknife_counts, share_ci,
                        spearman, spearman_ci, wilson_interval)

P_BOUNDARY = np.array([0.02, 0.05, 0.3, 5 / 12, 0.95, 0.98])


def _scipy_bca(n, statistic, n_resamples, seed):
    result = stats.bootstrap((np.arange(n),), statistic, vectorized=True, n_resamples=n_resamples,
                             method="BCa", rng=np.random.default_rng(seed))
    return result.confidence_interval.low, result.confidence_interval.high


def test_jackknife_counts_hand_worked():
    np.testing.assert_array_equal(jackknife_counts(3), [[0, 1, 1], [1, 0, 1], [1, 1, 0]])


def test_share_ci_bca_equals_scipy_bca():
    rng = np.random.default_rng(3)
    matrix = (rng.random((50, 5)) < [0.05, 0.2, 0.5, 0.8, 0.93]).astype(int)
    assert (0 < matrix.sum(axis=0)).all() and (matrix.sum(axis=0) < 50).all()  # scipy gives NaN when degenerate
    ours = share_ci(matrix, n_resamples=999, seed=4, method="bca")
    for j in range(5):
        expected = _scipy_bca(50, lambda i, axis=-1, j=j: matrix[i, j].mean(axis=-1), 999, 4)
        assert (ours.loc[j, "ci_low"], ours.loc[j, "ci_high"]) == pytest.approx(expected, abs=1e-12)


def test_spearman_ci_bca_equals_scipy_bca():
    rng = np.random.default_rng(5)
    matrix = (rng.random((40, 6)) < [0.1, 0.3, 0.2, 0.6, 0.5, 0.9]).astype(int)
    human = np.array([0.1, 0.3, 0.2, 0.6, 0.5, 0.9])

    def rho(i, axis=-1):
        rows = np.atleast_2d(i)
        # shares rounded to 12 decimals first, as alignstats ranks them (float noise must not break ties)
        return np.array([stats.spearmanr(np.round(matrix[r].mean(axis=0), 12), human).statistic
                         for r in rows]).reshape(
            np.shape(i)[:-1])

    ours = spearman_ci(matrix, human, n_resamples=600, seed=2, method="bca")
    assert (ours.ci_low, ours.ci_high) == pytest.approx(_scipy_bca(40, rho, 600, 2), abs=1e-12)
    assert ours.rho == pytest.approx(stats.spearmanr(matrix.mean(axis=0), human).statistic)


def test_cluster_bootstrap_bca_equals_share_ci_bca():
    # 10 rows per replicate: the jackknife must leave out whole clusters, as share_ci's does
    rng = np.random.default_rng(6)
    outcome = (rng.random(30) < 0.2).astype(int)
    frame = pd.DataFrame({"rep": np.repeat([f"r{i:02d}" for i in range(30)], 10), "y": np.repeat(outcome, 10)})
    frame = frame.sample(frac=1.0, random_state=1)
    got = cluster_bootstrap(frame, "rep", lambda s: s["y"].mean(), n_resamples=400, seed=3, method="bca")
    expected = share_ci(outcome[:, None], n_resamples=400, seed=3, method="bca").iloc[0]
    assert got == pytest.approx((expected["ci_low"], expected["ci_high"]), abs=1e-12)


def test_bca_degenerate_and_one_sided_distributions():
    # every resample equals the estimate: the interval is the estimate
    assert share_ci(np.ones((20, 1), dtype=int), method="bca").iloc[0].tolist() == [1.0, 1.0, 1.0]
    # every resample below the estimate (a discrete statistic): widened to reach it
    low, high = bca_interval(np.array([0.4, 0.5, 0.5, 0.6]), np.array([0.6, 0.6, 0.7]), 0.8)
    assert 0.4 <= low <= 0.6 and high == 0.8
    # NaN resamples and jackknife values are left out; a NaN estimate has no interval
    low, high = bca_intervals(np.array([[0.1, np.nan], [0.2, 0.3], [0.3, 0.5]]), np.array([[0.2, 0.3], [0.2, 0.4]]),
                              [0.2, np.nan])
    assert low[0] <= 0.2 <= high[0] and np.isnan(low[1]) and np.isnan(high[1])
    with pytest.raises(ValueError, match="jackknife"):
        interval(np.array([0.1, 0.2]), method="bca")
    with pytest.raises(ValueError, match="method"):
        share_ci(np.ones((3, 1), dtype=int), method="basic")


def test_wilson_equals_scipy_binomtest_and_edges():
    k = np.arange(0, 51)
    low, high = wilson_interval(k, np.full(51, 50), alpha=0.1)
    for x, lo, hi in zip(k, low, high):
        ci = stats.binomtest(int(x), 50).proportion_ci(confidence_level=0.9, method="wilson")
        assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert low[0] == 0.0 and high[-1] == 1.0 and high[0] > 0.0  # 0 of 50 still allows a small share
    assert all(np.isnan(v).all() for v in wilson_interval(np.array([0]), np.array([0])))  # no runs
    frame = share_ci(np.array([[1, 0], [1, 0], [0, 0]]), method="wilson")
    expected = stats.binomtest(2, 3).proportion_ci(method="wilson")
    assert frame.loc[0, ["ci_low", "ci_high"]].tolist() == pytest.approx([expected.low, expected.high])


def _share_coverage(method, n_sets=200):
    rng = np.random.default_rng(2025)
    covered = []
    for dataset in range(n_sets):
        matrix = (rng.random((50, P_BOUNDARY.size)) < P_BOUNDARY).astype(int)
        result = share_ci(matrix, n_resamples=500, seed=dataset, method=method)
        covered.append(((result["ci_low"] <= P_BOUNDARY) & (P_BOUNDARY <= result["ci_high"])).to_numpy())
    return np.mean(covered, axis=0)


def test_wilson_covers_shares_at_the_boundary_where_bootstraps_cannot():
    # at a true share of 2% of 50 runs, 0 selections happen 36% of the time; a bootstrap interval is then (0, 0)
    wilson = _share_coverage("wilson")
    percentile = _share_coverage("percentile")
    assert (wilson >= 0.88).all(), wilson
    assert 0.93 <= wilson.mean() <= 0.97, wilson
    assert percentile[0] < 0.75 and percentile[-1] < 0.75, percentile  # what Wilson fixes


def test_bca_rho_interval_holds_its_estimate_and_covers_better_than_percentile():
    # a model close to the humans: true rho .958, near the edge where percentile intervals slip
    probs = np.linspace(0.1, 0.9, 12)
    human = probs + np.tile([0.05, -0.05], 6)
    true_rho = spearman(probs, human)[0]
    rng = np.random.default_rng(11)
    inside = {"percentile": [], "bca": []}
    covered = {"percentile": [], "bca": []}
    for dataset in range(150):
        matrix = (rng.random((50, 12)) < probs).astype(int)
        for method in inside:
            ci = spearman_ci(matrix, human, n_resamples=500, seed=dataset, method=method)
            inside[method].append(ci.ci_low <= ci.rho <= ci.ci_high)
            covered[method].append(ci.ci_low <= true_rho <= ci.ci_high)
    assert all(inside["bca"])
    # measured: percentile .63, BCa .81 of 150 (rank statistics of 12 noisy shares stay below nominal)
    assert np.mean(covered["bca"]) >= 0.78, np.mean(covered["bca"])
    assert np.mean(covered["bca"]) >= np.mean(covered["percentile"]) + 0.1, covered
