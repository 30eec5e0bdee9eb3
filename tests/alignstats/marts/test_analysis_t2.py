import functools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignstats.marts import t2_human_alignment  # noqa: F401  (called through builders.t2_alignment)
from alignstats.marts.intervals import INTERVAL_METHOD as METHOD
from alignstats.marts.t2 import T2_HUMAN_ALIGNMENT
from alignstats import cluster_bootstrap, spearman

from tests.alignstats.marts import builders as b

E, V, I, S = "extremely_important", "very_important", "important", "slightly_important"
VALUES = ["Privacy", "Safety", "Fairness", "Performance"]
# per context, per value: 4 replicates of answers
RATINGS = {
    ("medical", "Privacy"): [E, E, E, V],      # extremely .75, very_or_extremely 1
    ("medical", "Safety"): [E, E, E, E],       # 1, 1
    ("medical", "Fairness"): [V, V, E, I],     # .25, .75
    ("medical", "Performance"): [I, S, V, E],  # .25, .5
    ("banking", "Privacy"): [E, V, V, V],      # .25, 1
    ("banking", "Safety"): [E, E, V, None],    # .5, .75 (one refusal: a run that chose neither)
    ("banking", "Fairness"): [E, E, E, V],     # .75, 1
    ("banking", "Performance"): [S, S, I, I],  # 0, 0
}
# shares of all runs (the denominator the marts correlate: a refusal is a run)
EXTREMELY = {"medical": [0.75, 1.0, 0.25, 0.25], "banking": [0.25, 0.5, 0.75, 0.0]}
VERY_OR_EXTREMELY = {"medical": [1.0, 1.0, 0.75, 0.5], "banking": [1.0, 0.75, 1.0, 0.0]}


def _every_run(answers):
    """Every answer with its hit (a refusal: 0) and the value its item asks about."""
    value_of = {f"t2/{c}/{v.lower()}": v for c, v in RATINGS}
    return answers.assign(hit=(answers["choice"] == E).astype(float), value=answers["item"].map(value_of))

HUMAN = pd.DataFrame(
    [("g", "medical", v, e, None) for v, e in zip(VALUES, [0.7, 0.6, 0.5, 0.4])]
    + [("g", "banking", v, e, None) for v, e in zip(VALUES, [0.4, 0.5, 0.6, 0.7])]
    + [("g", "all", v, e, ve) for v, e, ve in zip(VALUES, [0.55, 0.55, 0.5, 0.45], [0.9, 0.8, 0.85, 0.7])]
    + [("g", "streaming", v, 0.5, None) for v in VALUES],  # a context the model was not asked in
    columns=["group", "context", "value", "share_extremely_important", "share_very_or_extremely_important"],
)


@functools.cache
def _run():
    answers, shares = b.combine(b.t2("s", "m", RATINGS))
    out = b.t2_alignment(shares, b.choices(answers), HUMAN, b.measures_for(shares), n_resamples=100, seed=3)
    return out, answers, shares


def test_pooled_context_is_the_mean_of_the_context_shares():
    _, shares = b.combine(b.t2("s", "m", RATINGS))
    pooled = b.t2_shares(shares).query("context == 'all' and measure == 'extremely'").set_index("value")
    for i, value in enumerate(VALUES):
        assert pooled.loc[value, "share_of_all_runs"] == pytest.approx(
            (EXTREMELY["medical"][i] + EXTREMELY["banking"][i]) / 2)
    assert pooled.loc["Safety", "share"] == pytest.approx((1 + 2 / 3) / 2)  # of mapped answers, beside it
    assert pooled.loc["Safety", "runs"] == 7


def test_rows_exist_where_the_reference_has_figures_and_the_model_has_answers():
    out, _, _ = _run()
    got = sorted(zip(out["context"], out["measure"]))
    assert got == [("all", "extremely"), ("all", "very_or_extremely"), ("all_pairs", "extremely"),
                   ("banking", "extremely"), ("medical", "extremely")]
    assert set(out[out["context"] != "all_pairs"]["n_values"]) == {4}


def test_all_pairs_row_is_one_spearman_over_every_context_value_pair():
    # the paper's Table II: medical and banking pairs together (8 points), the streaming
    # figures of the reference have no model answers and drop out
    out, answers, _ = _run()
    row = out[out["context"] == "all_pairs"].iloc[0]
    model = EXTREMELY["medical"] + EXTREMELY["banking"]
    human = [0.7, 0.6, 0.5, 0.4] + [0.4, 0.5, 0.6, 0.7]
    expected = stats.spearmanr(model, human)
    assert row["n_values"] == 8
    assert (row["spearman_rho"], row["p_value"]) == pytest.approx((expected.statistic, expected.pvalue))
    long = _every_run(answers)
    reference = HUMAN[HUMAN["context"].isin(["medical", "banking"])].set_index(["context", "value"])[
        "share_extremely_important"]

    def statistic(sample):
        shares = sample.groupby(["context", "value"])["hit"].mean().reindex(reference.index)
        return spearman(shares.to_numpy(), reference.to_numpy())[0]

    expected_ci = cluster_bootstrap(long, "replicate", statistic, n_resamples=100, seed=3, method=METHOD)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(expected_ci)
    assert row["ci_low"] <= row["spearman_rho"] <= row["ci_high"]


@pytest.mark.parametrize("context", ["medical", "banking"])
def test_per_context_rho_matches_scipy(context):
    out, _, _ = _run()
    row = out[(out["context"] == context)].iloc[0]
    human = HUMAN[HUMAN["context"] == context]["share_extremely_important"]
    expected = stats.spearmanr(EXTREMELY[context], human)
    assert (row["spearman_rho"], row["p_value"]) == pytest.approx((expected.statistic, expected.pvalue))


def test_pooled_rho_matches_scipy_for_both_measures():
    out, _, _ = _run()
    human_all = HUMAN[HUMAN["context"] == "all"]
    for measure, model, column in (("extremely", EXTREMELY, "share_extremely_important"),
                                   ("very_or_extremely", VERY_OR_EXTREMELY, "share_very_or_extremely_important")):
        pooled = np.mean([model["medical"], model["banking"]], axis=0)
        row = out[(out["context"] == "all") & (out["measure"] == measure)].iloc[0]
        assert row["spearman_rho"] == pytest.approx(stats.spearmanr(pooled, human_all[column]).statistic)


def test_pooled_interval_resamples_replicates_across_contexts():
    out, answers, _ = _run()
    row = out[(out["context"] == "all") & (out["measure"] == "extremely")].iloc[0]
    # independent statistic on the long answers: per-replicate cluster, shares rebuilt per resample
    long = _every_run(answers)
    human = HUMAN[HUMAN["context"] == "all"].set_index("value")["share_extremely_important"]

    def statistic(sample):
        per_context = sample.groupby(["context", "value"])["hit"].mean()
        pooled = per_context.groupby("value").mean().reindex(VALUES)
        return spearman(pooled.to_numpy(), human[VALUES].to_numpy())[0]

    # the package lays replicates out wide; the same seed draws the same replicates
    expected = cluster_bootstrap(long, "replicate", statistic, n_resamples=100, seed=3, method=METHOD)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(expected)


def test_no_t2_gives_an_empty_typed_frame():
    answers, shares = b.combine(b.t1("s", "m", "original", [["Safety"]]))
    out = b.t2_alignment(shares, b.choices(answers), HUMAN, b.measures_for(shares))
    assert out.empty and list(out.columns) == list(T2_HUMAN_ALIGNMENT)


def test_studies_are_kept_apart():
    one = {k: v for k, v in RATINGS.items() if k[0] == "medical"}
    flipped = {k: list(reversed(v)) if k[1] == "Safety" else [I] * 4 for k, v in one.items()}
    answers, shares = b.combine(b.t2("s1", "m", one), b.t2("s2", "m", flipped))
    out = b.t2_alignment(shares, b.choices(answers), HUMAN, b.measures_for(shares), n_resamples=50)
    medical = out[out["context"] == "medical"].set_index("study")["spearman_rho"]
    human = HUMAN[HUMAN["context"] == "medical"]["share_extremely_important"]
    assert medical["s1"] == pytest.approx(stats.spearmanr(EXTREMELY["medical"], human).statistic)
    # s2: only Safety has "extremely" answers (1.0), the rest 0
    assert medical["s2"] == pytest.approx(stats.spearmanr([0, 1, 0, 0], human).statistic)
