import math
import warnings

import numpy as np
import pytest
from scipy import stats

from alignstats import calibration_slope, lins_ccc, spearman


def test_spearman_with_ties_matches_hand_computed_pearson_of_average_ranks():
    x = [1, 2, 2, 3]
    y = [1, 3, 2, 4]
    # average ranks: x -> [1, 2.5, 2.5, 4], y -> [1, 3, 2, 4]; both means 2.5
    # dx = [-1.5, 0, 0, 1.5], dy = [-1.5, 0.5, -0.5, 1.5]
    # sum dx*dy = 2.25 + 0 + 0 + 2.25 = 4.5; sum dx^2 = 4.5; sum dy^2 = 5
    expected = 4.5 / math.sqrt(4.5 * 5)  # 0.948683...
    rho, p = spearman(x, y)
    assert rho == pytest.approx(expected, abs=1e-12)
    # two-sided p from t = r sqrt((n - 2) / (1 - r^2)) with n - 2 = 2 df
    t = expected * math.sqrt(2 / (1 - expected**2))
    assert p == pytest.approx(2 * stats.t.sf(t, df=2), rel=1e-9)


def test_spearman_matches_numpy_pearson_of_ranks_on_random_tied_data():
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = rng.integers(0, 5, size=12)  # plenty of ties
        y = rng.integers(0, 5, size=12)
        if np.all(x == x[0]) or np.all(y == y[0]):
            continue
        expected = np.corrcoef(stats.rankdata(x), stats.rankdata(y))[0, 1]
        assert spearman(x, y)[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "x, y",
    [
        ([1, 1, 1, 1], [1, 2, 3, 4]),  # constant x
        ([1, 2, 3, 4], [5, 5, 5, 5]),  # constant y
        ([1, 2], [2, 1]),  # n < 3
        ([], []),
        ([1, 2, np.nan, 4], [1, np.nan, 3, 4]),  # only 2 complete pairs
    ],
)
def test_spearman_undefined_returns_nan_pair_without_warning(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rho, p = spearman(x, y)
    assert math.isnan(rho) and math.isnan(p)


def test_spearman_drops_nan_pairs():
    # after dropping the third pair: [1,2,3,4] vs [1,2,4,3]
    # d = [0,0,1,1] -> rho = 1 - 6*2 / (4*15) = 0.8
    rho, _ = spearman([1, 2, np.nan, 3, 4], [1, 2, 5, 4, 3])
    assert rho == pytest.approx(0.8)


def test_spearman_rejects_unequal_lengths():
    with pytest.raises(ValueError):
        spearman([1, 2, 3], [1, 2])


def test_lins_ccc_hand_worked_on_four_numbers():
    x = [1, 2, 3, 4]
    y = [2, 3, 5, 6]
    # mean_x = 2.5, mean_y = 4
    # var_x = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
    # var_y = (4 + 1 + 1 + 4) / 4 = 2.5
    # cov = (1.5*2 + 0.5*1 + 0.5*1 + 1.5*2) / 4 = 1.75
    # ccc = 2 * 1.75 / (1.25 + 2.5 + (2.5 - 4)^2) = 3.5 / 6
    assert lins_ccc(x, y) == pytest.approx(3.5 / 6)


def test_lins_ccc_penalises_shift_that_pearson_ignores():
    x = np.array([0.1, 0.4, 0.5, 0.9])
    assert lins_ccc(x, x) == pytest.approx(1.0)
    assert np.corrcoef(x, x + 0.2)[0, 1] == pytest.approx(1.0)
    assert lins_ccc(x, x + 0.2) < 0.9


def test_lins_ccc_undefined_is_nan():
    assert math.isnan(lins_ccc([3, 3, 3], [3, 3, 3]))
    assert math.isnan(lins_ccc([1], [2]))


def test_calibration_slope_hand_worked():
    human = [0.1, 0.2, 0.3]
    model = [0.2, 0.3, 0.7]
    # dx = [-0.1, 0, 0.1]; mean model 0.4, dy = [-0.2, -0.1, 0.3]
    # slope = sum(dx dy) / sum(dx^2) = (0.02 + 0 + 0.03) / 0.02 = 2.5
    assert calibration_slope(model, human) == pytest.approx(2.5)


def test_calibration_slope_is_model_on_human_not_reverse():
    human = np.array([0.1, 0.3, 0.5, 0.7])
    model = 2 * human + 0.05
    assert calibration_slope(model, human) == pytest.approx(2.0)
    assert calibration_slope(human, model) == pytest.approx(0.5)


def test_calibration_slope_constant_human_is_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(calibration_slope([0.1, 0.2, 0.3], [0.5, 0.5, 0.5]))


def test_spearman_ties_survive_floating_point_noise():
    # (0.2 + 0.4) / 2 == 0.30000000000000004 but (0.1 + 0.5) / 2 == 0.3: tied in exact arithmetic
    noisy = [(0.2 + 0.4) / 2, (0.1 + 0.5) / 2, 0.9, 0.1]
    exact = [0.3, 0.3, 0.9, 0.1]
    human = [0.5, 0.2, 0.6, 0.1]
    assert spearman(noisy, human) == pytest.approx(spearman(exact, human))
    assert spearman(exact, human)[0] == pytest.approx(stats.spearmanr(exact, human).statistic)


def test_spearman_n_counts_complete_pairs_and_equals_scipy():
    from alignstats import spearman_n

    with_us = [0.62, 0.41, 0.55, np.nan, 0.18, 0.73, 0.30]
    with_practitioners = [0.20, 0.66, 0.35, 0.50, 0.71, 0.12, np.nan]
    rho, p, n = spearman_n(with_us, with_practitioners)
    expected = stats.spearmanr([0.62, 0.41, 0.55, 0.18, 0.73], [0.20, 0.66, 0.35, 0.71, 0.12])
    assert n == 5
    assert (rho, p) == pytest.approx((expected.statistic, expected.pvalue))
    assert rho == pytest.approx(-1.0)  # hand: the two orders are exactly reversed
    assert spearman_n([1, 2], [2, 1])[2] == 2 and np.isnan(spearman_n([1, 2], [2, 1])[0])
