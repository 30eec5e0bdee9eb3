"""The vectorised bootstrap helpers equal the per-resample computation they replace.

Each reference below is the straightforward loop: draw the documented
resamples (``default_rng(seed).integers(0, n, (B, n))``), stack the drawn
runs, compute the statistic with ``alignstats`` one resample at a time.
"""
import numpy as np
import pandas as pd
import pytest

from alignstats import (cluster_bootstrap, figures_from_counts, jaccard, percentile_interval, resample_counts,
                             rowwise_spearman, rowwise_top_k_jaccard, spearman, top_k)
from alignstats.figures import MEAN_OF_SHARES, POOLED


def _draws(n, n_resamples, seed):
    return np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))


def test_resample_counts_count_the_documented_draws():
    times = resample_counts(7, 50, 3)
    expected = np.array([np.bincount(row, minlength=7) for row in _draws(7, 50, 3)])
    np.testing.assert_array_equal(times, expected)
    assert (times.sum(axis=1) == 7).all()


def test_resample_counts_hand_worked():
    # default_rng(0).integers(0, 3, (2, 3)) draws [[2, 1, 1], [0, 0, 0]]
    np.testing.assert_array_equal(_draws(3, 2, 0), [[2, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(resample_counts(3, 2, 0), [[0, 2, 1], [3, 0, 0]])


@pytest.mark.parametrize("seed", range(4))
def test_rowwise_spearman_equals_spearman_row_by_row(seed):
    rng = np.random.default_rng(seed)
    boot = rng.integers(0, 6, size=(300, 8)) / 5  # coarse shares: many ties
    boot[rng.random(boot.shape) < 0.02] = np.nan  # some points without answers
    boot[5] = 0.4  # a constant row
    boot[6, :6] = np.nan  # too few points left
    boot[7] = boot[8] + 1e-15  # rounding noise must not break ties
    human = rng.random(8)
    got = rowwise_spearman(boot, human)
    expected = np.array([spearman(row, human)[0] for row in boot])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))


def test_rowwise_spearman_undefined_cases():
    boot = np.array([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]])
    assert np.isnan(rowwise_spearman(boot, [0.5, 0.5, 0.5])).all()  # constant human figures
    assert np.isnan(rowwise_spearman(boot[:, :2], [0.1, 0.2])).all()  # fewer than 3 points
    # a NaN human figure drops that point for every row, as spearman does
    got = rowwise_spearman(np.array([[0.1, 0.2, 0.3, 0.9]]), [0.1, 0.3, 0.2, np.nan])
    assert got[0] == pytest.approx(spearman([0.1, 0.2, 0.3], [0.1, 0.3, 0.2])[0])
    np.testing.assert_allclose(rowwise_spearman(boot, [1.0, 2.0, 3.0]), [1.0, -1.0])
    with pytest.raises(ValueError, match="points per resample"):
        rowwise_spearman(boot, [1.0, 2.0])


@pytest.mark.parametrize("seed", range(4))
def test_rowwise_top_k_jaccard_equals_top_k_and_jaccard_row_by_row(seed):
    rng = np.random.default_rng(seed)
    labels = [f"v{i}" for i in rng.permutation(9)]  # not in name order
    scores = rng.integers(0, 4, size=(400, 9)) / 3  # heavy ties: names break them
    scores[rng.random(scores.shape) < 0.05] = np.nan
    reference = frozenset(["v0", "v3", "v5", "v7", "elsewhere"])  # one the rows do not score
    for k in (0, 3, 5, 12):
        got = rowwise_top_k_jaccard(scores, labels, reference, k)
        expected = [jaccard(top_k(dict(zip(labels, row)), k), reference) for row in scores]
        np.testing.assert_allclose(got, expected, rtol=0, atol=0)


def test_rowwise_top_k_jaccard_hand_worked():
    # top 2 of (a .5, b .9, c .5): b, then a (beats c by name) -> {a, b} vs {b, c}: 1 / 3
    assert rowwise_top_k_jaccard(np.array([[0.5, 0.9, 0.5]]), ["a", "b", "c"], {"b", "c"}, 2) == pytest.approx([1 / 3])
    assert np.isnan(rowwise_top_k_jaccard(np.zeros((2, 0)), [], set(), 5)).all()


def _stacked_figures(data, weights, how, draws):
    """Reference: stack the drawn runs and compute the figures from them."""
    out = []
    for row in draws:
        sample = data[row]
        answered = ~np.isnan(sample)
        counts, sums = answered.sum(axis=0), np.where(answered, sample, 0.0).sum(axis=0)
        if how == POOLED:
            num, den = weights @ sums, weights @ counts
        else:
            has = counts > 0
            shares = np.where(has, sums / np.where(has, counts, 1), 0.0)
            num, den = weights @ shares, weights @ has
        out.append(np.where(den > 0, num / np.where(den > 0, den, 1), np.nan))
    return np.array(out)


@pytest.mark.parametrize("how", [MEAN_OF_SHARES, POOLED])
def test_figures_from_counts_equal_the_stacked_resamples(how):
    rng = np.random.default_rng(11)
    data = (rng.random((25, 6)) < 0.4).astype(float)
    data[rng.random(data.shape) < 0.3] = np.nan
    data[:, 5] = np.nan  # a column nobody answered
    weights = np.array([[1, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 1]], float)
    got = figures_from_counts(resample_counts(25, 200, 5), data, weights, how)
    expected = _stacked_figures(data, weights, how, _draws(25, 200, 5))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)
    assert np.isnan(got[:, 3]).all()
    with pytest.raises(ValueError, match="unknown way"):
        figures_from_counts(np.ones((1, 25)), data, weights, "median")


def test_vectorised_rho_interval_equals_cluster_bootstrap():
    """The whole chain (counts -> figures -> rowwise rho -> interval) against cluster_bootstrap."""
    rng = np.random.default_rng(2)
    data = (rng.random((40, 6)) < np.linspace(0.1, 0.9, 6)).astype(float)
    data[rng.random(data.shape) < 0.1] = np.nan
    weights = np.array([[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1]], float)
    human = [0.2, 0.5, 0.4, 0.8]
    frame = pd.DataFrame({"replicate": np.arange(40) * 3, "row": np.arange(40)})

    def statistic(sample):
        figures = _stacked_figures(data, weights, MEAN_OF_SHARES, [sample["row"].to_numpy()])[0]
        return spearman(figures, human)[0]

    expected = cluster_bootstrap(frame, "replicate", statistic, n_resamples=300, seed=8)
    boot = figures_from_counts(resample_counts(40, 300, 8), data, weights, MEAN_OF_SHARES)
    assert percentile_interval(rowwise_spearman(boot, human)) == pytest.approx(expected, abs=1e-12)


def test_percentile_interval_ignores_nan():
    assert percentile_interval(np.array([np.nan, 1.0, 2.0, 3.0]), 0.5) == pytest.approx((1.5, 2.5))
    assert all(np.isnan(percentile_interval(np.array([np.nan]))))
