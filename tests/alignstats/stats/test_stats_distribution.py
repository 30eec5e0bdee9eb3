import math

import numpy as np
import pytest

from alignstats import js_similarity, representativeness


def test_representativeness_three_point_hand_worked():
    p = [0.5, 0.5, 0.0]
    q = [0.0, 0.5, 0.5]
    # CDF_p = [0.5, 1, 1], CDF_q = [0, 0.5, 1]; W1 = 0.5 + 0.5 + 0 = 1
    # W1_max = k - 1 = 2  ->  1 - 1/2
    assert representativeness(p, q) == pytest.approx(0.5)


def test_representativeness_four_point_hand_worked():
    p = [0.1, 0.2, 0.3, 0.4]
    q = [0.4, 0.3, 0.2, 0.1]
    # CDF_p = [.1, .3, .6, 1], CDF_q = [.4, .7, .9, 1]
    # |diff| = .3 + .4 + .3 + 0 = 1.0; W1_max = 3 -> 1 - 1/3
    assert representativeness(p, q) == pytest.approx(2 / 3)


def test_representativeness_extremes_and_normalisation():
    assert representativeness([1, 0, 0, 0, 0], [0, 0, 0, 0, 1]) == pytest.approx(0.0)
    assert representativeness([3, 1, 0, 2, 4], [3, 1, 0, 2, 4]) == pytest.approx(1.0)
    # counts are normalised: [2, 2, 0] is the same as [0.5, 0.5, 0]
    assert representativeness([2, 2, 0], [0, 5, 5]) == pytest.approx(0.5)


def test_representativeness_matches_cdf_formula_on_random_vectors():
    rng = np.random.default_rng(3)
    for _ in range(20):
        p, q = rng.random(5), rng.random(5)
        p, q = p / p.sum(), q / q.sum()
        w1 = np.abs(np.cumsum(p) - np.cumsum(q)).sum()
        assert representativeness(p, q) == pytest.approx(1 - w1 / 4)


def test_js_similarity_hand_worked():
    p = [1.0, 0.0]
    q = [0.5, 0.5]
    # m = [0.75, 0.25]
    # KL(p||m) = log2(1 / 0.75)                        = 0.4150375
    # KL(q||m) = 0.5 log2(0.5/0.75) + 0.5 log2(0.5/0.25)
    #          = 0.5 * -0.5849625 + 0.5 * 1             = 0.2075187
    # JSD = (0.4150375 + 0.2075187) / 2 = 0.3112781; distance = sqrt = 0.5579230
    assert js_similarity(p, q) == pytest.approx(1 - 0.5579230, abs=1e-6)


def _kl_base2(a: np.ndarray, b: np.ndarray) -> float:
    mask = a > 0
    return float(np.sum(a[mask] * np.log2(a[mask] / b[mask])))


def test_js_similarity_matches_by_hand_kl_on_random_vectors():
    rng = np.random.default_rng(11)
    for _ in range(20):
        p, q = rng.random(5), rng.random(5)
        p[rng.integers(5)] = 0.0  # exercise the 0 log 0 = 0 case
        p, q = p / p.sum(), q / q.sum()
        m = (p + q) / 2
        distance = math.sqrt((_kl_base2(p, m) + _kl_base2(q, m)) / 2)
        assert js_similarity(p, q) == pytest.approx(1 - distance, abs=1e-12)


def test_js_similarity_extremes():
    assert js_similarity([1, 0, 0], [0, 0, 1]) == pytest.approx(0.0)
    assert js_similarity([0.2, 0.3, 0.5], [2, 3, 5]) == pytest.approx(1.0)


@pytest.mark.parametrize("func", [representativeness, js_similarity])
@pytest.mark.parametrize(
    "p, q",
    [
        ([0, 0, 0], [1, 1, 1]),  # sums to zero
        ([-0.1, 0.6, 0.5], [1, 1, 1]),  # negative
        ([0.5, 0.5], [0.2, 0.3, 0.5]),  # different lengths
        ([np.nan, 1, 1], [1, 1, 1]),
        ([1], [1]),  # a one-point scale
    ],
)
def test_invalid_distributions_raise(func, p, q):
    with pytest.raises(ValueError):
        func(p, q)
