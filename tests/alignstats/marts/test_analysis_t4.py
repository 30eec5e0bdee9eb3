import pandas as pd
import pytest
from scipy.stats import rankdata

from alignstats.marts import t4_consistency, t4_consistency_rules, t4_consistency_summary
from alignstats.marts.t4 import T4_CONSISTENCY, T4_CONSISTENCY_RULES, T4_CONSISTENCY_SUMMARY, T4_RANK_COLUMN

from tests.alignstats.marts import builders as b

E, V, I = "extremely_important", "very_important", "important"
T4_VALUES = ["Performance", "Safety", "Privacy", "Fairness", "Transparency", "Human Autonomy"]


def _story_ranks(model, context, mean_ranks, values=T4_VALUES):
    """t4_story_ranks rows; the rank columns as scipy computes them (the mart's own SQL is checked
    against scipy in tests/aligned/warehouse/test_build.py)."""
    frame = pd.DataFrame({
        "study": "s", "model": model, "context": context, "setting": "original",
        "story_id": [v.split()[-1].lower() for v in values], "item": f"t4/{context}", "value": values,
        "n_runs": 10, "mean_rank": mean_ranks, "sd_rank": 0.5,
    })
    by_name = frame.sort_values("value")  # ordinal breaks ties by value name
    for method, column in T4_RANK_COLUMN.items():
        frame[column] = pd.Series(rankdata(by_name["mean_rank"], method=method), index=by_name.index)
    return frame


# T2 in medical, 4 runs each:   extremely  very_or_extremely  -> implied rank
#   Safety         E E E E      1.0        1.0                 1
#   Privacy        E E V V      0.5        1.0                 2  (beats Performance on v_or_e)
#   Performance    E E I I      0.5        0.5                 3
#   Fairness       E V I I      0.25       0.5                 4.5 (tie with Transparency)
#   Transparency   E I V I      0.25       0.5                 4.5
#   Human Autonomy I I I I      0.0        0.0                 6
RATINGS = {
    ("medical", "Safety"): [E, E, E, E],
    ("medical", "Privacy"): [E, E, V, V],
    ("medical", "Performance"): [E, E, I, I],
    ("medical", "Fairness"): [E, V, I, I],
    ("medical", "Transparency"): [E, I, V, I],
    ("medical", "Human Autonomy"): [I, I, I, I],
}
# mean T4 ranks -> t4 rank: Performance 1, Safety 2, Privacy 3, Fairness 4, Transparency 5, Autonomy 6
MEAN_RANKS = [1.2, 2.0, 3.1, 3.9, 5.0, 5.8]


def _run(rule="very_then_average"):
    _, shares = b.combine(b.t2("s", "m", RATINGS))
    return t4_consistency(_story_ranks("m", "medical", MEAN_RANKS), shares, rule=rule)


def test_headline_rule_is_the_papers_hand_worked():
    out = _run(rule="paper").set_index("value")
    assert set(out["tie_rule"]) == {"paper"}
    assert out.equals(t4_consistency(_story_ranks("m", "medical", MEAN_RANKS),
                                     b.combine(b.t2("s", "m", RATINGS))[1]).set_index("value"))  # the default
    # "extremely" alone, ties share the best rank: Privacy and Performance 2, Fairness and Transparency 4
    assert out["implied_rank"].to_dict() == {"Safety": 1, "Privacy": 2, "Performance": 2, "Fairness": 4,
                                             "Transparency": 4, "Human Autonomy": 6}
    assert out["label"].to_dict() == {"Performance": "almost", "Safety": "almost", "Privacy": "almost",
                                      "Fairness": "aligned", "Transparency": "almost", "Human Autonomy": "aligned"}


def test_fully_tied_context_is_tied_not_a_free_aligned():
    flat = {key: [E, V, I, I] for key in RATINGS}  # every value the same T2 figures
    _, shares = b.combine(b.t2("s", "m", flat))
    for rule in ("paper", "average", "very_then_average"):
        out = t4_consistency(_story_ranks("m", "medical", MEAN_RANKS), shares, rule=rule)
        assert set(out["label"]) == {"tied"}, rule
    summary = t4_consistency_summary(t4_consistency(_story_ranks("m", "medical", MEAN_RANKS), shares))
    row = summary.set_index("model").loc["m"]
    assert (row["n_comparisons"], row["n_tied"], row["n_aligned"], row["share_tied"]) == (6, 6, 0, 1.0)


def test_ranks_diff_and_labels_are_hand_worked():
    out = _run().set_index("value")
    assert out["t4_rank"].to_dict() == {"Performance": 1, "Safety": 2, "Privacy": 3, "Fairness": 4,
                                        "Transparency": 5, "Human Autonomy": 6}
    assert out["implied_rank"].to_dict() == {"Safety": 1, "Privacy": 2, "Performance": 3, "Fairness": 4.5,
                                             "Transparency": 4.5, "Human Autonomy": 6}
    assert out.loc["Performance", "diff"] == -2 and out.loc["Fairness", "diff"] == -0.5
    # rounding half up: Fairness 4 vs 4.5 -> 5 is almost; Transparency 5 vs 5 aligned
    assert out["label"].to_dict() == {"Performance": "almost", "Safety": "almost", "Privacy": "almost",
                                      "Fairness": "almost", "Transparency": "aligned", "Human Autonomy": "aligned"}
    assert out.loc["Privacy", "t2_share_very_or_extremely"] == 1.0
    assert out.loc["Privacy", "mean_rank"] == 3.1


def test_a_context_with_a_story_without_a_t2_figure_is_left_out():
    # the T4 ranks are over every story placed (1..6); implied ranks over 4 values would be on
    # another scale, so the context is not compared; a complete context beside it is
    ratings = {k: v for k, v in RATINGS.items() if k[1] not in ("Safety", "Human Autonomy")}
    ratings.update({("banking", value): answers for (_, value), answers in RATINGS.items()})
    _, shares = b.combine(b.t2("s", "m", ratings))
    ranks = pd.concat([_story_ranks("m", "medical", MEAN_RANKS), _story_ranks("m", "banking", MEAN_RANKS)])
    out = t4_consistency(ranks, shares)
    assert set(out["context"]) == {"banking"} and len(out) == 6
    rules = t4_consistency_rules(ranks, shares).set_index(["model", "stated_from", "tie_rule"])
    assert rules.loc[("m", "t2", "paper"), "n_comparisons"] == 6


def test_t4_rank_is_read_from_t4_story_ranks_never_recomputed():
    # t4_story_ranks is the one place the T4 rank is computed: the marts take its column of the
    # rule's method as it stands, whatever mean_rank says
    ranks = _story_ranks("m", "medical", MEAN_RANKS)
    reversed_ranks = ranks.copy()
    for column in T4_RANK_COLUMN.values():
        reversed_ranks[column] = 7 - ranks[column]
    _, shares = b.combine(b.t2("s", "m", RATINGS))
    for rule, column in (("paper", "rank_min"), ("average", "rank"), ("dense", "rank_dense"),
                         ("ordinal", "rank_ordinal"), ("very_then_average", "rank")):
        out = t4_consistency(reversed_ranks, shares, rule=rule).set_index("value")
        assert out["t4_rank"].to_dict() == reversed_ranks.set_index("value")[column].to_dict(), rule
    # a context whose stories all share rank_min 1 (every mean rank equal) is tied
    flat = ranks.assign(mean_rank=3.5, rank=3.5, rank_min=1, rank_dense=1, rank_ordinal=range(1, 7))
    assert set(t4_consistency(flat, shares)["label"]) == {"tied"}


def test_summary_per_model_and_pooled_over_models():
    _, shares = b.combine(b.t2("s", "m", RATINGS), b.t2("s", "n", RATINGS))
    ranks = pd.concat([_story_ranks("m", "medical", MEAN_RANKS),
                       _story_ranks("n", "medical", [6, 5, 4, 3, 2, 1])])
    consistency = t4_consistency(ranks, shares, rule="very_then_average")
    summary = t4_consistency_summary(consistency)
    assert list(summary.columns) == list(T4_CONSISTENCY_SUMMARY)
    out = summary.set_index("model")
    m = out.loc["m"]
    assert (m["n_comparisons"], m["n_aligned"], m["n_almost"]) == (6, 2, 4)
    assert m["share_aligned_or_almost"] == 1.0
    assert m["tie_rule"] == "very_then_average"
    # n reverses the order: t4 ranks 6..1 against implied 1, 2, 3, 4.5, 4.5, 6
    # Perf 6 vs 3 -> mis; Safety 5 vs 1 -> mis; Privacy 4 vs 2 -> almost; Fairness 3 vs 5 -> almost;
    # Transparency 2 vs 5 -> mis; Autonomy 1 vs 6 -> mis
    n = out.loc["n"]
    assert (n["n_aligned"], n["n_almost"], n["n_misaligned"]) == (0, 2, 4)
    pooled = out.loc["all"]
    assert pooled["n_comparisons"] == 12
    assert pooled["share_aligned_or_almost"] == pytest.approx(8 / 12)
    assert pooled["share_misaligned"] == pytest.approx(4 / 12)


def _tradeoffs(model, context, conflicts):
    rows = []
    for value_a, value_b, share_a, share_b in conflicts:
        for side, share in (("a", share_a), ("b", share_b)):
            rows.append({"study": "s", "model": model, "setting": "original", "context": context,
                         "value_a": value_a, "value_b": value_b, "side": side,
                         "measure": "definitely_or_probably", "share": share})
    rows.append({**rows[0], "measure": "definitely", "share": 0.99})  # another measure: not read
    rows.append({**rows[0], "context": "all", "share": 0.01})  # the pooled row: not read
    return pd.DataFrame(rows)


def test_rules_side_by_side_against_t2_and_t3_hand_worked():
    _, shares = b.combine(b.t2("s", "m", RATINGS), b.t2("s", "n", RATINGS))
    ranks = pd.concat([_story_ranks("m", "medical", MEAN_RANKS), _story_ranks("n", "medical", [6, 5, 4, 3, 2, 1])])
    # T3 for m: Performance .8 (vs Fairness .2), Safety .7/.9 -> .8, Privacy .6, Fairness (.2 + .4) / 2 = .3,
    # Transparency .3, Autonomy .1 -> Perf 1.5 / Safety 1.5, Privacy 3, Fairness/Transparency 4.5, Autonomy 6
    t3 = _tradeoffs("m", "medical", [("Fairness", "Performance", 0.2, 0.8), ("Fairness", "Privacy", 0.4, 0.6),
                                     ("Safety", "Human Autonomy", 0.7, 0.1), ("Safety", "Transparency", 0.9, 0.3)])
    out = t4_consistency_rules(ranks, shares, t3)
    assert list(out.columns) == list(T4_CONSISTENCY_RULES)
    key = out.set_index(["model", "stated_from", "tie_rule"])
    # each T2 rule equals t4_consistency under that rule
    for rule in ("average", "min", "dense", "ordinal", "paper", "very_then_average"):
        expected = t4_consistency_summary(t4_consistency(ranks, shares, rule=rule)).set_index("model")
        for model in ("m", "n", "all"):
            got = key.loc[(model, "t2", rule)]
            assert (got["n_aligned"], got["n_almost"], got["n_misaligned"]) == tuple(
                expected.loc[model, ["n_aligned", "n_almost", "n_misaligned"]]), (rule, model)
    assert key.loc[("m", "t2", "paper"), "is_headline"] and not key.loc[("m", "t2", "min"), "is_headline"]
    # T3, min rule: implied Perf 1, Safety 1, Privacy 3, Fairness 4, Transparency 4, Autonomy 6
    # vs T4 Perf 1, Safety 2, Privacy 3, Fairness 4, Transparency 5, Autonomy 6 -> 4 aligned, 2 almost
    m3 = key.loc[("m", "t3", "min")]
    assert (m3["n_comparisons"], m3["n_aligned"], m3["n_almost"], m3["n_misaligned"]) == (6, 4, 2, 0)
    # average: Perf 1.5 -> 2 vs 1 almost, Safety 2 vs 2 aligned, Privacy aligned, Fairness 4 vs 4.5 -> 5 almost,
    # Transparency 5 vs 5 aligned, Autonomy aligned
    m3 = key.loc[("m", "t3", "average")]
    assert (m3["n_aligned"], m3["n_almost"]) == (4, 2)
    assert ("m", "t3", "very_then_average") not in key.index  # no secondary figure for T3
    assert ("n", "t3", "min") not in key.index  # n has no T3 answers
    assert key.loc[("all", "t3", "min"), "n_comparisons"] == 6


def test_partial_studies_give_empty_typed_frames():
    answers, shares = b.combine(b.t1("s", "m", "original", [["Safety"]]))
    empty_ranks = _story_ranks("m", "medical", MEAN_RANKS).iloc[:0]
    out = t4_consistency(empty_ranks, shares)
    assert out.empty and list(out.columns) == list(T4_CONSISTENCY)
    assert list(t4_consistency(_story_ranks("m", "medical", MEAN_RANKS), shares).columns) == list(T4_CONSISTENCY)
    summary = t4_consistency_summary(out)
    assert summary.empty and list(summary.columns) == list(T4_CONSISTENCY_SUMMARY)
    rules = t4_consistency_rules(empty_ranks, shares, None)
    assert rules.empty and list(rules.columns) == list(T4_CONSISTENCY_RULES)
    assert str(summary["share_aligned"].dtype) == "float64"
