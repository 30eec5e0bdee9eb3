import math
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignstats import cluster_bootstrap, share_ci, spearman_ci

VALUES = [f"v{i:02d}" for i in range(12)]


def _t1_selection(n_replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Each replicate picks 5 of 12 values uniformly: true share 5/12 each."""
    matrix = np.zeros((n_replicates, len(VALUES)), dtype=int)
    for row in matrix:
        row[rng.choice(len(VALUES), size=5, replace=False)] = 1
    return matrix


def _long(matrix: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """replicate x value long table, rows shuffled, replicate ids as strings."""
    replicates, values = np.meshgrid(np.arange(matrix.shape[0]), np.arange(matrix.shape[1]), indexing="ij")
    frame = pd.DataFrame(
        {
            "replicate": [f"r{i:03d}" for i in replicates.ravel()],
            "value": [VALUES[j] for j in values.ravel()],
            "selected": matrix.ravel(),
        }
    )
    return frame.sample(frac=1.0, random_state=int(rng.integers(1 << 31))).reset_index(drop=True)


def _reference_draws(n: int, n_resamples: int, seed: int) -> np.ndarray:
    # the documented scheme, written out independently of the module
    return np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))


def test_share_ci_matches_loop_reference():
    rng = np.random.default_rng(1)
    matrix = _t1_selection(50, rng)
    result = share_ci(pd.DataFrame(matrix, columns=VALUES), n_resamples=400, seed=5)
    assert list(result.index) == VALUES
    assert list(result.columns) == ["share", "ci_low", "ci_high"]
    np.testing.assert_allclose(result["share"], matrix.mean(axis=0))
    draws = _reference_draws(50, 400, 5)
    boot = np.array([matrix[d].mean(axis=0) for d in draws])
    np.testing.assert_allclose(result["ci_low"], np.percentile(boot, 2.5, axis=0))
    np.testing.assert_allclose(result["ci_high"], np.percentile(boot, 97.5, axis=0))


def test_share_ci_same_seed_same_interval_other_seed_differs():
    matrix = _t1_selection(50, np.random.default_rng(2))
    first = share_ci(matrix, seed=3)
    pd.testing.assert_frame_equal(first, share_ci(matrix, seed=3))
    assert not first.equals(share_ci(matrix, seed=4))


def test_share_ci_covers_true_share_at_nominal_rate():
    # 200 simulated T1 tables of 50 replicates; true share of every value 5/12
    rng = np.random.default_rng(2025)
    covered = []
    for dataset in range(200):
        result = share_ci(_t1_selection(50, rng), n_resamples=1000, seed=dataset)
        covered.append(((result["ci_low"] <= 5 / 12) & (5 / 12 <= result["ci_high"])).to_numpy())
    coverage = np.mean(covered)
    assert 0.90 <= coverage <= 0.99, coverage


def test_share_ci_rejects_non_binary():
    with pytest.raises(ValueError):
        share_ci(np.array([[0, 1], [2, 0]]))
    with pytest.raises(ValueError):
        share_ci(np.array([[0, np.nan], [1, 0]]))


def test_cluster_bootstrap_agrees_with_share_ci():
    rng = np.random.default_rng(4)
    matrix = _t1_selection(50, rng)
    frame = _long(matrix, rng)

    def share_of_v03(sample: pd.DataFrame) -> float:
        return sample.loc[sample["value"] == "v03", "selected"].mean()

    low, high = cluster_bootstrap(frame, "replicate", share_of_v03, n_resamples=300, seed=9)
    expected = share_ci(matrix, n_resamples=300, seed=9).loc[3]
    assert (low, high) == pytest.approx((expected["ci_low"], expected["ci_high"]))
    assert (low, high) == cluster_bootstrap(frame, "replicate", share_of_v03, n_resamples=300, seed=9)


def test_cluster_bootstrap_resamples_whole_clusters():
    # every replicate contributes 10 identical rows; resampling whole clusters
    # gives exactly the interval of the one-row-per-replicate data, whereas
    # resampling rows would give a much narrower one
    rng = np.random.default_rng(5)
    outcome = rng.integers(0, 2, size=40)
    single = pd.DataFrame({"rep": np.arange(40), "y": outcome})
    repeated = pd.DataFrame({"rep": np.repeat(np.arange(40), 10), "y": np.repeat(outcome, 10)})
    repeated = repeated.sample(frac=1.0, random_state=0)

    def mean_y(sample: pd.DataFrame) -> float:
        return sample["y"].mean()

    interval = cluster_bootstrap(repeated, "rep", mean_y, n_resamples=500, seed=1)
    assert interval == pytest.approx(cluster_bootstrap(single, "rep", mean_y, n_resamples=500, seed=1))
    draws = _reference_draws(40, 500, 1)
    boot = outcome[draws].mean(axis=1)
    assert interval == pytest.approx(tuple(np.percentile(boot, [2.5, 97.5])))


def test_cluster_bootstrap_relabels_duplicated_clusters():
    frame = pd.DataFrame({"rep": np.repeat(["a", "b", "c", "d"], 3), "y": np.arange(12)})
    seen = []

    def check(sample: pd.DataFrame) -> float:
        seen.append(
            (sample["rep"].nunique(), sample.groupby("rep").size().tolist(), isinstance(sample.index, pd.RangeIndex))
        )
        return 0.0

    cluster_bootstrap(frame, "rep", check, n_resamples=50, seed=0)
    assert all(entry == (4, [3, 3, 3, 3], True) for entry in seen)


def test_cluster_bootstrap_handles_nan_statistics_and_bad_args():
    frame = pd.DataFrame({"rep": [0, 1, 2], "y": [1.0, 2.0, 3.0]})
    assert all(math.isnan(v) for v in cluster_bootstrap(frame, "rep", lambda s: np.nan, n_resamples=10))
    with pytest.raises(ValueError):
        cluster_bootstrap(frame, "rep", lambda s: 0.0, alpha=1.5)
    with pytest.raises(ValueError):
        cluster_bootstrap(frame, "rep", lambda s: 0.0, n_resamples=0)
    with pytest.raises(ValueError):
        cluster_bootstrap(frame.assign(rep=[0, None, 2]), "rep", lambda s: 0.0)


def test_spearman_ci_point_estimate_and_loop_reference():
    rng = np.random.default_rng(7)
    # replicate r picks value j with probability rising in j
    probs = np.linspace(0.1, 0.9, 12)
    matrix = (rng.random((50, 12)) < probs).astype(int)
    human = probs + rng.normal(0, 0.15, size=12)
    result = spearman_ci(pd.DataFrame(matrix, columns=VALUES), human, n_resamples=500, seed=2)
    expected = stats.spearmanr(matrix.mean(axis=0), human)
    assert result.rho == pytest.approx(expected.statistic)
    assert result.p == pytest.approx(expected.pvalue)
    boot = [stats.spearmanr(matrix[d].mean(axis=0), human).statistic for d in _reference_draws(50, 500, 2)]
    assert (result.ci_low, result.ci_high) == pytest.approx(tuple(np.percentile(boot, [2.5, 97.5])))
    assert result.ci_low <= result.rho <= result.ci_high


def test_spearman_ci_aligns_mapping_by_label_and_drops_nan():
    rng = np.random.default_rng(8)
    matrix = pd.DataFrame((rng.random((30, 12)) < 0.4).astype(int), columns=VALUES)
    human = dict(zip(VALUES, rng.random(12)))
    shuffled = dict(sorted(human.items(), key=lambda item: item[1]))
    assert spearman_ci(matrix, shuffled, seed=1) == spearman_ci(matrix, list(human.values()), seed=1)
    with_gap = dict(human, v00=np.nan)
    assert spearman_ci(matrix, with_gap, seed=1) == spearman_ci(matrix.drop(columns="v00"), human, seed=1)
    with pytest.raises(ValueError):
        spearman_ci(matrix, {"v00": 0.5})


def test_spearman_ci_constant_shares_gives_nan():
    result = spearman_ci(np.ones((10, 4), dtype=int), [0.1, 0.2, 0.3, 0.4])
    assert all(math.isnan(v) for v in result)
