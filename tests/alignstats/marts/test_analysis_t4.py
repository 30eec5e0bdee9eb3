import pandas as pd
import pytest

from alignstats.marts import t4_consistency, t4_consistency_summary
from alignstats.marts.t4 import T4_CONSISTENCY, T4_CONSISTENCY_SUMMARY

from tests.alignstats.marts import builders as b

E, V, I = "extremely_important", "very_important", "important"
T4_VALUES = ["Performance", "Safety", "Privacy", "Fairness", "Transparency", "Human Autonomy"]


def _story_ranks(model, context, mean_ranks):
    return pd.DataFrame({
        "study": "s", "model": model, "context": context, "setting": "original",
        "story_id": [v.split()[-1].lower() for v in T4_VALUES], "item": f"t4/{context}", "value": T4_VALUES,
        "n_runs": 10, "mean_rank": mean_ranks, "sd_rank": 0.5, "rank": None,
    })


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


def _run():
    _, shares = b.combine(b.t2("s", "m", RATINGS))
    return t4_consistency(_story_ranks("m", "medical", MEAN_RANKS), shares)


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


def test_values_without_t2_figures_are_left_out_and_ranks_use_the_common_values():
    ratings = {k: v for k, v in RATINGS.items() if k[1] not in ("Safety", "Human Autonomy")}
    _, shares = b.combine(b.t2("s", "m", ratings))
    out = t4_consistency(_story_ranks("m", "medical", MEAN_RANKS), shares).set_index("value")
    assert sorted(out.index) == ["Fairness", "Performance", "Privacy", "Transparency"]
    assert out["t4_rank"].to_dict() == {"Performance": 1, "Privacy": 2, "Fairness": 3, "Transparency": 4}


def test_summary_per_model_and_pooled_over_models():
    _, shares = b.combine(b.t2("s", "m", RATINGS), b.t2("s", "n", RATINGS))
    ranks = pd.concat([_story_ranks("m", "medical", MEAN_RANKS),
                       _story_ranks("n", "medical", [6, 5, 4, 3, 2, 1])])
    consistency = t4_consistency(ranks, shares)
    summary = t4_consistency_summary(consistency)
    assert list(summary.columns) == list(T4_CONSISTENCY_SUMMARY)
    out = summary.set_index("model")
    m = out.loc["m"]
    assert (m["n_comparisons"], m["n_aligned"], m["n_almost"]) == (6, 2, 4)
    assert m["share_aligned_or_almost"] == 1.0
    # n reverses the order: t4 ranks 6..1 against implied 1, 2, 3, 4.5, 4.5, 6
    # Perf 6 vs 3 -> mis; Safety 5 vs 1 -> mis; Privacy 4 vs 2 -> almost; Fairness 3 vs 5 -> almost;
    # Transparency 2 vs 5 -> mis; Autonomy 1 vs 6 -> mis
    n = out.loc["n"]
    assert (n["n_aligned"], n["n_almost"], n["n_misaligned"]) == (0, 2, 4)
    pooled = out.loc["all"]
    assert pooled["n_comparisons"] == 12
    assert pooled["share_aligned_or_almost"] == pytest.approx(8 / 12)
    assert pooled["share_misaligned"] == pytest.approx(4 / 12)


def test_partial_studies_give_empty_typed_frames():
    answers, shares = b.combine(b.t1("s", "m", "original", [["Safety"]]))
    empty_ranks = _story_ranks("m", "medical", MEAN_RANKS).iloc[:0]
    out = t4_consistency(empty_ranks, shares)
    assert out.empty and list(out.columns) == list(T4_CONSISTENCY)
    assert list(t4_consistency(_story_ranks("m", "medical", MEAN_RANKS), shares).columns) == list(T4_CONSISTENCY)
    summary = t4_consistency_summary(out)
    assert summary.empty and list(summary.columns) == list(T4_CONSISTENCY_SUMMARY)
    assert str(summary["share_aligned"].dtype) == "float64"
