"""human_alignment (the generic mart) against scipy on hand-counted shares of all runs."""
import math

import pandas as pd
import pytest
from scipy import stats

from alignstats.marts.generic import ALL_PAIRS, HUMAN_ALIGNMENT, human_alignment

from tests.alignstats.marts import builders as b

E, V, I = "extremely_important", "very_important", "important"
LEVELS = ["not_at_all_important", "slightly_important", I, V, E]
TRADE = ["definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"]
VALUES = ["Privacy", "Safety", "Performance", "Fairness"]
CONTEXTS = ["medical", "banking"]


def _slug(v):
    return v.lower().replace(" ", "_")


def design(study="s", t1_values=(), k=2, rate=(), trade=()):
    """stg_raw__items / stg_raw__options: a select task t1, a rate task t2 per (context, value), a
    trade-off task t3 per (context, a, b) item (ordinal 1 = definitely the item's value_a)."""
    items, options = [], []
    if t1_values:
        items.append({"study": study, "item": "t1", "task": "t1", "task_kind": "select", "context": None,
                      "value": None, "value_a": None, "value_b": None, "k": k})
        for o, v in enumerate(t1_values, 1):
            options.append({"study": study, "item": "t1", "option_key": _slug(v), "canonical": v, "value": v,
                            "ordinal": o, "is_synonym": False})
    for context, value in rate:
        item = f"t2/{context}/{_slug(value)}"
        items.append({"study": study, "item": item, "task": "t2", "task_kind": "rate", "context": context,
                      "value": value, "value_a": None, "value_b": None, "k": None})
        for o, key in enumerate(LEVELS, 1):
            options.append({"study": study, "item": item, "option_key": key, "canonical": key, "value": value,
                            "ordinal": o, "is_synonym": False})
    for context, a, c in trade:
        item = f"t3/{context}/{_slug(a)}-over-{_slug(c)}"
        items.append({"study": study, "item": item, "task": "t3", "task_kind": "tradeoff", "context": context,
                      "value": None, "value_a": a, "value_b": c, "k": None})
        for o, (key, value) in enumerate(zip(TRADE, [a, a, None, c, c]), 1):
            options.append({"study": study, "item": item, "option_key": key, "canonical": key, "value": value,
                            "ordinal": o, "is_synonym": False})
    return pd.DataFrame(items), pd.DataFrame(options)


def reference(rows, study="s"):
    """int_reference_figures rows from (group, task, kind, context, value, value_b, options, share)."""
    out = [{"study": study, "human_group": g, "group_label": g, "task": t, "task_kind": kind, "context": c,
            "value": v, "value_b": vb, "options": o, "share": s, "n_respondents": 100, "measure": None, "side": None}
           for g, t, kind, c, v, vb, o, s in rows]
    return pd.DataFrame(out, columns=b.REFERENCE_COLUMNS).astype(
        {c: object for c in b.REFERENCE_COLUMNS if c not in ("share", "n_respondents")})


# T2: per (context, value) four runs; None = refusal
RATINGS = {
    ("medical", "Privacy"): [E, E, V, None], ("medical", "Safety"): [E, I, I, I],
    ("medical", "Performance"): [V, V, E, E], ("medical", "Fairness"): [I, None, None, E],
    ("banking", "Privacy"): [E, E, E, V], ("banking", "Safety"): [V, V, I, E],
    ("banking", "Performance"): [I, I, I, E], ("banking", "Fairness"): [E, E, None, V],
}
HUMAN_E = {("medical", "Privacy"): .7, ("medical", "Safety"): .6, ("medical", "Performance"): .5,
           ("medical", "Fairness"): .2, ("banking", "Privacy"): .3, ("banking", "Safety"): .8,
           ("banking", "Performance"): .1, ("banking", "Fairness"): .4}


def _t2_case(study="s"):
    answers, _ = b.combine(b.t2(study, "m", RATINGS))
    items, options = design(study, rate=list(RATINGS))
    ref = reference([("g", "t2", "rate", c, v, None, E, s) for (c, v), s in HUMAN_E.items()], study)
    return answers, items, options, ref


def test_rho_over_all_pairs_equals_scipy_on_shares_of_all_runs():
    answers, items, options, ref = _t2_case()
    out = human_alignment(ref, b.choices(answers), items, options, n_resamples=100, seed=1, pooled_context="all")
    pairs = sorted(HUMAN_E)
    all_runs = [sum(r == E for r in RATINGS[p]) / len(RATINGS[p]) for p in pairs]  # a refusal is a run
    mapped = [sum(r == E for r in RATINGS[p]) / sum(r is not None for r in RATINGS[p]) for p in pairs]
    human = [HUMAN_E[p] for p in pairs]
    row = out[out["context"] == ALL_PAIRS].iloc[0]
    expected = stats.spearmanr(all_runs, human)
    assert (row["spearman_rho"], row["p_value"], row["n_points"]) == pytest.approx(
        (expected.statistic, expected.pvalue, 8))
    assert row["spearman_rho_mapped"] == pytest.approx(stats.spearmanr(mapped, human).statistic)
    assert row["ci_low"] <= row["spearman_rho"] <= row["ci_high"]
    medical = out[out["context"] == "medical"].iloc[0]
    points = [p for p in pairs if p[0] == "medical"]
    assert medical["spearman_rho"] == pytest.approx(stats.spearmanr(
        [sum(r == E for r in RATINGS[p]) / 4 for p in points], [HUMAN_E[p] for p in points]).statistic)
    assert list(out.columns) == list(HUMAN_ALIGNMENT)


def test_a_top_two_box_and_a_pooled_figure_count_their_own_options():
    answers, items, options, _ = _t2_case()
    box = f"{V}+{E}"
    human = {"Privacy": .9, "Safety": .5, "Performance": .8, "Fairness": .1}
    ref = reference([("g", "t2", "rate", "all", v, None, box, s) for v, s in human.items()])
    row = human_alignment(ref, b.choices(answers), items, options, n_resamples=0, pooled_context="all")
    row = row[row["context"] == "all"].iloc[0]
    # pooled over both contexts: runs answering very or extremely / all 8 runs
    model = [sum(r in (V, E) for c in CONTEXTS for r in RATINGS[(c, v)]) / 8 for v in human]
    assert row["spearman_rho"] == pytest.approx(stats.spearmanr(model, list(human.values())).statistic)
    assert row["options"] == box and math.isnan(row["ci_low"])


def test_a_study_without_reference_and_a_second_study_sharing_value_names_get_nothing():
    answers, items, options, ref = _t2_case("first")
    answers2, _ = b.combine(b.t2("second", "m", RATINGS))  # the same value and context names
    items2, options2 = design("second", rate=list(RATINGS))
    out = human_alignment(ref, b.choices(pd.concat([answers, answers2], ignore_index=True)),
                          pd.concat([items, items2]), pd.concat([options, options2]), n_resamples=0,
                          pooled_context="all")
    assert set(out["study"]) == {"first"}
    assert human_alignment(ref.iloc[:0], b.choices(answers2), items2, options2, pooled_context="all").empty


def test_tradeoff_keys_are_read_from_the_reference_side_in_both_directions():
    # the reference's value is Fairness: "definitely_a" means definitely Fairness; the item asked the
    # other way round (Performance over Fairness) shows Fairness as its b side
    trade = {("medical", "Fairness", "Performance"): ["definitely_a", "probably_a", "definitely_b", None],
             ("medical", "Performance", "Fairness"): ["definitely_b", "definitely_b", "definitely_a", "undecided"],
             ("medical", "Privacy", "Safety"): ["definitely_a", "probably_b", "undecided", "undecided"],
             ("medical", "Safety", "Privacy"): ["definitely_a", "definitely_a", "definitely_b", "probably_a"],
             ("medical", "Fairness", "Safety"): ["undecided", "undecided", "undecided", "definitely_a"],
             ("medical", "Safety", "Fairness"): ["probably_b", "definitely_a", "definitely_a", "definitely_a"]}
    answers, _ = b.combine(b.t3("s", "m", trade))
    items, options = design(trade=list(trade))
    human = {("Fairness", "Performance"): .5, ("Privacy", "Safety"): .1, ("Fairness", "Safety"): .3}
    ref = reference([("g", "t3", "tradeoff", "all", a, c, "definitely_a", s) for (a, c), s in human.items()])
    row = human_alignment(ref, b.choices(answers), items, options, n_resamples=0, pooled_context="all").iloc[0]
    # definitely the reference's value_a, over both items of the conflict, of all 8 runs
    model = [(trade[("medical", a, c)].count("definitely_a") + trade[("medical", c, a)].count("definitely_b")) / 8
             for a, c in human]
    assert model == [3 / 8, 2 / 8, 1 / 8]
    assert row["spearman_rho"] == pytest.approx(stats.spearmanr(model, list(human.values())).statistic)


def test_select_tasks_get_the_top_k_jaccard_with_the_designs_k():
    runs = [["Safety", "Privacy"], ["Safety", "Fairness"], ["Privacy", "Safety"], None]
    answers, _ = b.combine(b.t1("s", "m", "original", runs, values=VALUES))
    items, options = design(t1_values=VALUES, k=2)
    human = {"Safety": .9, "Privacy": .2, "Performance": .5, "Fairness": .1}
    ref = reference([("g", "t1", "select", "all", v, None, None, s) for v, s in human.items()])
    out = human_alignment(ref, b.choices(answers), items, options, n_resamples=50, pooled_context="all")
    row = out[out["context"] == ALL_PAIRS].iloc[0]
    model = [sum(r is not None and v in r for r in runs) / 4 for v in human]  # the refusal is a run
    assert row["spearman_rho"] == pytest.approx(stats.spearmanr(model, list(human.values())).statistic)
    # model top 2: Safety 3/4, Privacy 2/4; the group's: Safety, Performance -> 1 of 3
    assert (row["k"], row["jaccard_top_k"]) == (2, pytest.approx(1 / 3))
