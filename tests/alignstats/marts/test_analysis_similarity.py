import numpy as np
import pytest
from scipy import stats

from alignstats.marts import model_similarity
from alignstats.marts.similarity import MODEL_SIMILARITY

from tests.alignstats.marts import builders as b

E, I = "extremely_important", "important"
A = [["Safety", "Privacy", "Performance", "Fairness", "Accountability"],
     ["Safety", "Privacy", "Dignity", "Fairness", "Transparency"]]
B = [["Solidarity", "Dignity", "Performance", "Fairness", "Accountability"],
     ["Safety", "Inclusiveness", "Dignity", "Fairness", "Transparency"]]


def _shares(runs):
    return np.array([sum(v in r for r in runs) / len(runs) for v in b.T1_VALUES])


def test_t1_pairs_both_orders_and_diagonal():
    _, shares = b.combine(b.t1("s", "a", "original", A), b.t1("s", "b", "original", B),
                          b.t1("s", "a", "reversed", A))
    out = b.similarity(shares)
    t1 = out[(out["task"] == "t1") & (out["setting"] == "original")]
    assert len(t1) == 4 and set(t1["context"]) == {"general"} and set(t1["measure"]) == {"selected"}
    pairs = t1.set_index(["model_a", "model_b"])["spearman_rho"]
    expected = stats.spearmanr(_shares(A), _shares(B)).statistic
    assert pairs[("a", "b")] == pytest.approx(expected) and pairs[("b", "a")] == pytest.approx(expected)
    assert pairs[("a", "a")] == pytest.approx(1.0) and pairs[("b", "b")] == pytest.approx(1.0)
    assert set(t1["n_values"]) == {12}
    assert len(out[out["setting"] == "reversed"]) == 1  # one model: only the diagonal


def test_t2_per_context_and_pooled():
    x = {("medical", "Safety"): [E, E], ("medical", "Privacy"): [E, I], ("medical", "Fairness"): [I, I],
         ("banking", "Safety"): [I, I], ("banking", "Privacy"): [E, E], ("banking", "Fairness"): [E, I]}
    y = {("medical", "Safety"): [E, I], ("medical", "Privacy"): [E, E], ("medical", "Fairness"): [I, I],
         ("banking", "Safety"): [E, E], ("banking", "Privacy"): [I, I], ("banking", "Fairness"): [E, I]}
    _, shares = b.combine(b.t2("s", "x", x), b.t2("s", "y", y))
    out = b.similarity(shares)
    assert set(out["context"]) == {"medical", "banking", "all", "all_pairs"} and set(out["measure"]) == {"extremely"}
    # all_pairs: the six (context, value) shares at once, banking then medical in value order
    pairs = out[(out["context"] == "all_pairs") & (out["model_a"] == "x") & (out["model_b"] == "y")].iloc[0]
    x6, y6 = [.5, 1, 0] + [0, .5, 1], [.5, 0, 1] + [0, 1, .5]  # banking Fairness, Privacy, Safety; medical ...
    assert (pairs["spearman_rho"], pairs["n_values"]) == (pytest.approx(stats.spearmanr(x6, y6).statistic), 6)
    row = out[(out["context"] == "all") & (out["model_a"] == "x") & (out["model_b"] == "y")].iloc[0]
    # pooled (Safety, Privacy, Fairness): x (.5, .75, .25), y (.75, .5, .25)
    assert row["spearman_rho"] == pytest.approx(stats.spearmanr([.5, .75, .25], [.75, .5, .25]).statistic)
    assert row["n_values"] == 3
    # medical x: (1, .5, 0), y (.5, 1, 0)
    med = out[(out["context"] == "medical") & (out["model_a"] == "y") & (out["model_b"] == "x")].iloc[0]
    assert med["spearman_rho"] == pytest.approx(stats.spearmanr([1, .5, 0], [.5, 1, 0]).statistic)


def test_constant_shares_give_null_rho_and_empty_input_a_typed_frame():
    flat = {("medical", v): [E, E] for v in ("Safety", "Privacy", "Fairness")}
    varied = {("medical", "Safety"): [E, E], ("medical", "Privacy"): [E, I], ("medical", "Fairness"): [I, I]}
    _, shares = b.combine(b.t2("s", "flat", flat), b.t2("s", "varied", varied))
    out = b.similarity(shares)
    medical = out[out["context"] == "medical"].set_index(["model_a", "model_b"])["spearman_rho"]
    assert np.isnan(medical[("flat", "varied")]) and np.isnan(medical[("flat", "flat")])
    assert medical[("varied", "varied")] == 1.0
    empty = b.similarity(shares.iloc[:0])
    assert empty.empty and list(empty.columns) == list(MODEL_SIMILARITY)


def test_a_model_without_runs_has_no_rows():
    _, shares = b.combine(b.t1("s", "a", "original", A), b.t1("s", "none", "original", [None]))
    out = b.similarity(shares)
    assert set(out["model_a"]) == {"a"} and set(out["model_b"]) == {"a"}
