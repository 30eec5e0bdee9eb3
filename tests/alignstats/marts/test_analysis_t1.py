import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignstats.marts import t1_human_alignment
from alignstats.marts.t1 import T1_HUMAN_ALIGNMENT, selection_matrices
from alignstats import spearman_ci

from tests.alignstats.marts import builders as b

V = b.T1_VALUES
# 4 runs; shares: Safety 1, Privacy 1, Performance .75, Fairness .75, Accountability .5,
# Transparency .5, Dignity .25, Social Good .25, the rest 0
RUNS = [
    ["Safety", "Privacy", "Performance", "Fairness", "Accountability"],
    ["Safety", "Privacy", "Performance", "Fairness", "Transparency"],
    ["Safety", "Privacy", "Performance", "Accountability", "Dignity"],
    ["Safety", "Privacy", "Fairness", "Transparency", "Social Good"],
]
HUMAN = pd.DataFrame({
    "group": ["g"] * 12,
    "value": V,
    # top 5: Safety, Performance, Privacy, Accountability, Transparency
    "share_selected": [0.73, 0.69, 0.63, 0.60, 0.43, 0.36, 0.35, 0.34, 0.23, 0.18, 0.13, 0.09],
    "n_respondents": 100,
})


def _model_shares():
    return np.array([sum(v in r for r in RUNS) / len(RUNS) for v in V])


def test_rho_and_jaccard_match_an_independent_computation():
    answers, shares = b.combine(b.t1("s", "m", "original", RUNS))
    out = t1_human_alignment(shares, b.choices(answers), b.ref(HUMAN), n_resamples=50, seed=1)
    assert len(out) == 1
    row = out.iloc[0]
    expected = stats.spearmanr(_model_shares(), HUMAN["share_selected"])
    assert row["spearman_rho"] == pytest.approx(expected.statistic)
    assert row["p_value"] == pytest.approx(expected.pvalue)
    # model top 5: Safety, Privacy (1.0), Fairness, Performance (.75), then Accountability vs
    # Transparency tie at .5 -> Accountability (alphabetical); human top 5 shares all five but
    # swaps Fairness for Transparency: |{Safety, Privacy, Performance, Accountability}| = 4 of 6
    assert row["jaccard_top5"] == pytest.approx(4 / 6)
    assert (row["n_values"], row["n_runs"]) == (12, 4)
    assert (row["study"], row["model"], row["setting"], row["human_group"]) == ("s", "m", "original", "g")


def test_rho_interval_is_spearman_ci_over_the_run_matrix():
    answers, shares = b.combine(b.t1("s", "m", "original", RUNS))
    out = t1_human_alignment(shares, b.choices(answers), b.ref(HUMAN), n_resamples=150, seed=7).iloc[0]
    matrix = pd.DataFrame([[int(v in r) for v in V] for r in RUNS], columns=V)
    ci = spearman_ci(matrix, HUMAN.set_index("value")["share_selected"], n_resamples=150, seed=7, method="bca")
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((ci.ci_low, ci.ci_high))
    assert out["ci_low"] <= out["spearman_rho"] <= out["ci_high"]  # BCa holds its estimate
    assert out["jaccard_ci_low"] <= out["jaccard_top5"] <= out["jaccard_ci_high"]
    assert 0 <= out["jaccard_ci_low"] <= out["jaccard_ci_high"] <= 1


def test_refusals_are_not_runs_and_settings_models_groups_are_rows():
    human = pd.concat([HUMAN, HUMAN.assign(group="h", share_selected=HUMAN["share_selected"][::-1].to_numpy())])
    answers, shares = b.combine(
        b.t1("s", "m", "original", [*RUNS, None]),
        b.t1("s", "m", "reversed", RUNS[:2]),
        b.t1("s", "n", "original", RUNS[1:]),
    )
    out = t1_human_alignment(shares, b.choices(answers), b.ref(human), n_resamples=50)
    assert len(out) == 6
    first = out[(out["model"] == "m") & (out["setting"] == "original") & (out["human_group"] == "h")].iloc[0]
    assert first["n_runs"] == 4  # the refusal is not a run
    reversed_human = HUMAN["share_selected"][::-1].to_numpy()
    assert first["spearman_rho"] == pytest.approx(stats.spearmanr(_model_shares(), reversed_human).statistic)


def test_selection_matrix_counts_a_value_named_twice_once():
    answers, _ = b.combine(b.t1("s", "m", "original", [["Safety", "Safety", "Privacy"], ["Dignity"]]))
    matrix = selection_matrices(b.choices(answers))[("s", "m", "original")]
    assert matrix.loc[1].to_dict() == {"Dignity": 0, "Privacy": 1, "Safety": 1}
    assert list(matrix.index) == [1, 2]


def test_no_t1_gives_an_empty_typed_frame():
    answers, shares = b.combine(b.t2("s", "m", {("medical", "Safety"): ["important"]}))
    out = t1_human_alignment(shares, b.choices(answers), b.ref(HUMAN))
    assert out.empty
    assert list(out.columns) == list(T1_HUMAN_ALIGNMENT)
    assert str(out["spearman_rho"].dtype) == "float64" and str(out["n_runs"].dtype) == "Int64"


def test_all_runs_refused_gives_null_figures_not_an_error():
    answers, shares = b.combine(b.t1("s", "m", "original", [None, None]))
    row = t1_human_alignment(shares, b.choices(answers), b.ref(HUMAN)).iloc[0]
    assert np.isnan(row["spearman_rho"]) and np.isnan(row["ci_low"]) and row["n_runs"] == 0
