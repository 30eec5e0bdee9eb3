"""The runs' choices (int_replicate_choices_counted) and what the bootstrap marts build from them.

The marts now read one row per (run, choice) instead of every answer, and
compute every resample at once; these tests pin both changes to the slow,
obvious computation: the runs' choices from the model's own SQL, the same intervals
as ``cluster_bootstrap`` with a per-resample statistic, for the same seed.
"""
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from alignstats.marts import (profile_fidelity, selection_share_intervals, t1_human_alignment, t2_human_alignment,
                                t3_distribution_similarity, t3_human_alignment)
from alignstats.marts.hits import hit_matrices
from alignstats.marts.runs import CHOICE_COLUMNS, first_choices, from_arrow, read_choices
from alignstats.marts.t1 import _jaccard_interval
from alignstats import cluster_bootstrap, jaccard, top_k

from tests.alignstats.marts import builders as b
from tests.alignstats.marts.sql import ROOT, replicate_choices, run_model
from tests.alignstats.marts.test_distribution import answers_for, design

E, V, I = "extremely_important", "very_important", "important"
DA, PA, U, PB, DB = "definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"


def _random_study(seed: int, n_runs: int = 30):
    """T1, T2 and T3 answers of two models with refusals, random choices."""
    rng = np.random.default_rng(seed)
    parts = []
    for model in ("m", "n"):
        runs = [None if rng.random() < 0.1 else list(rng.choice(b.T1_VALUES, 5, replace=False))
                for _ in range(n_runs)]
        parts.append(b.t1("s", model, "original", runs))
        ratings = {(c, v): [None if rng.random() < 0.1 else str(rng.choice([E, V, I])) for _ in range(n_runs)]
                   for c in ("medical", "banking") for v in b.T2_VALUES[:5]}
        parts.append(b.t2("s", model, ratings))
        pairs = [("Performance", "Privacy"), ("Human Autonomy", "Safety"), ("Fairness", "Transparency")]
        choices = {(c, x, y): [None if rng.random() < 0.1 else str(rng.choice([DA, PA, U, PB, DB]))
                               for _ in range(n_runs)]
                   for c in ("medical", "banking") for a, bb in pairs for x, y in ((a, bb), (bb, a))}
        parts.append(b.t3("s", model, choices))
    return b.combine(*parts)


def _categorical(choices: pd.DataFrame) -> pd.DataFrame:
    """The choices as the dbt models hand them over: through Arrow, strings as categoricals."""
    return from_arrow(pa.Table.from_pandas(choices, preserve_index=False))


def test_replicate_choices_hand_worked():
    """int_replicate_choices_counted (its SQL, run on hand-built answers)."""
    answers, _ = b.combine(b.t1("s", "m", "original", [["Safety", "Privacy", "Dignity"], None]),
                           b.t2("s", "m", {("medical", "Safety"): [E, None]}))
    choices = replicate_choices(answers)
    assert sorted(choices.columns) == sorted(CHOICE_COLUMNS)
    t1 = choices[choices["task_kind"] == "select"].set_index(["replicate", "choice"], drop=False)
    assert t1.loc[(1, "Safety"), "first_position"] == 1 and t1.loc[(1, "Dignity"), "first_position"] == 3
    assert (t1["n_responses"] == 1).all() and len(t1) == 4  # three choices and the refusal
    refusal = choices[(choices["task_kind"] == "select") & (choices["replicate"] == 2)].iloc[0]
    assert refusal["status"] == "refusal" and pd.isna(refusal["choice"]) and pd.isna(refusal["first_position"])
    assert len(choices[choices["task_kind"] == "rate"]) == 2


def _runs_check(shares, choices):
    return run_model(ROOT / "data-tests" / "assert_runs_rebuild_shares.sql", selection_shares=shares,
                     int_replicate_choices_counted=choices)


def test_the_runs_check_names_items_whose_runs_disagree_with_selection_shares():
    """data test assert_runs_rebuild_shares: what the removed runtime guard checked, in dbt."""
    answers, shares = _random_study(2, n_runs=6)
    choices = replicate_choices(answers)
    assert _runs_check(shares, choices).empty
    item = shares["item"].str.startswith("t2/").idxmax()
    off = shares.copy()
    off.loc[(off["item"] == shares.loc[item, "item"]) & (off["model"] == shares.loc[item, "model"]), "runs"] += 1
    bad = _runs_check(off, choices)
    assert list(zip(bad["item"], bad["model"])) == [(shares.loc[item, "item"], shares.loc[item, "model"])]
    # a rate run that chose two levels: its first choice would be counted, every choice in the share
    rate = answers[(answers["task_kind"] == "rate") & (answers["status"] == "mapped")].iloc[0]
    second = rate.to_dict() | {"position": 2, "choice": V if rate["choice"] != V else I}
    doubled = replicate_choices(pd.concat([answers, pd.DataFrame([second])], ignore_index=True))
    bad = _runs_check(shares, doubled)
    assert list(bad["item"]) == [rate["item"]] and bad["n_runs_with_two_choices"].iloc[0] == 1


def test_from_arrow_gives_sorted_categoricals_and_first_choices_pick_the_first_position():
    choices = pd.DataFrame({
        "study": ["s"] * 3, "model": ["m"] * 3, "item": ["t2/x"] * 3, "setting": ["original"] * 3,
        "replicate": [1, 1, 2], "status": ["mapped"] * 3, "choice": [V, E, I], "task": ["t2"] * 3,
        "task_kind": ["rate"] * 3, "context": ["x"] * 3, "value": ["Safety"] * 3,
        "first_position": [2, 1, 1], "n_responses": [1, 1, 1]})
    converted = _categorical(choices)
    assert list(converted["choice"].cat.categories) == sorted([V, E, I])
    first = first_choices(converted, "rate")
    assert list(zip(first["replicate"], first["choice"])) == [(1, E), (2, I)]


@pytest.mark.parametrize("kind", ["rate", "tradeoff"])
def test_hit_matrices_equal_hits_pivoted_from_the_answers(kind):
    answers, shares = _random_study(1)
    measures = b.measures_for(shares)
    matrices = hit_matrices(_categorical(replicate_choices(answers)), measures, kind)
    mapped = answers[(answers["task_kind"] == kind) & (answers["status"] == "mapped")]
    assert matrices
    for (study, model, setting, measure), hm in matrices.items():
        own = mapped[(mapped["model"] == model) & (mapped["setting"] == setting)]
        np.testing.assert_array_equal(hm.replicates, sorted(set(own["replicate"])))
        for j, (item, context, value, _) in enumerate(hm.keys):
            counted = set(measures[(measures["item"] == item) & (measures["value"] == value)
                                   & (measures["measure"] == measure)]["canonical"])
            by_run = own[own["item"] == item].set_index("replicate")["choice"]
            expected = [float(by_run[r] in counted) if r in by_run.index else np.nan for r in hm.replicates]
            np.testing.assert_array_equal(hm.data[:, j], expected)
            assert context == own[own["item"] == item]["context"].iloc[0]


@pytest.mark.parametrize("seed", [0, 5])
def test_jaccard_interval_equals_a_cluster_bootstrap_of_top_k(seed):
    rng = np.random.default_rng(seed)
    matrix = pd.DataFrame((rng.random((40, 9)) < 0.45).astype(int), columns=[f"v{i}" for i in rng.permutation(9)],
                          index=pd.Index(np.arange(40) * 2 + 1, name="replicate"))
    human_top = frozenset(["v1", "v2", "v4", "v6", "v8"])
    data = matrix.to_numpy(dtype=float)
    frame = pd.DataFrame({"replicate": matrix.index, "row": np.arange(40)})

    def statistic(sample):  # the per-resample statistic the interval used to call
        shares = data[sample["row"].to_numpy()].mean(axis=0)
        return jaccard(top_k(dict(zip(matrix.columns, shares)), 5), human_top)

    expected = cluster_bootstrap(frame, "replicate", statistic, n_resamples=300, seed=seed, method="bca")
    assert _jaccard_interval(matrix, human_top, 300, seed) == pytest.approx(expected, abs=1e-12)


def test_marts_read_the_same_from_plain_and_from_categorical_choices():
    """The dbt models hand the choices over through Arrow (categoricals); the figures do not depend on it."""
    answers, shares = _random_study(3)
    measures = b.measures_for(shares)
    plain = replicate_choices(answers)
    choices = _categorical(plain)
    for build in (
        lambda x: t1_human_alignment(shares, x, b.shipped_reference(), n_resamples=60, seed=2),
        lambda x: b.t2_alignment(shares, x, b.shipped_reference(), measures, n_resamples=60, seed=2),
        lambda x: b.t3_alignment(shares, x, b.shipped_reference(), measures, n_resamples=60, seed=2),
        lambda x: selection_share_intervals(shares, x, measures, n_resamples=60, seed=2),
        lambda x: b.fidelity(shares, x, b.shipped_reference(), None, None, measures, n_resamples=60, seed=2),
    ):
        from_plain, from_choices = build(plain), build(choices)
        low = [c for c in from_plain.columns if c.endswith("ci_low")][0]
        assert len(from_plain) and from_plain[low].notna().any()
        pd.testing.assert_frame_equal(from_plain, from_choices)


def test_distribution_counts_runs_not_rows():
    choices_by_item = {("medical", "Fairness", "Performance"): [DA, DA, PA, None, U],
                       ("medical", "Performance", "Fairness"): [DA, PB, "junk"]}
    items, options = design(choices_by_item)
    human = pd.DataFrame({"group": ["g"], "value_a": ["Fairness"], "value_b": ["Performance"],
                          "share_definitely_a": [0.1], "share_definitely_or_probably_a": [0.4],
                          "share_definitely_b": [0.2], "share_definitely_or_probably_b": [0.5]})
    plain = replicate_choices(answers_for(choices_by_item))
    from_plain = t3_distribution_similarity(plain, items, options, b.ref(human))
    from_choices = t3_distribution_similarity(_categorical(plain), items, options, b.ref(human))
    pd.testing.assert_frame_equal(from_plain, from_choices)
    assert tuple(from_choices.iloc[0][["n_answers", "n_mapped", "n_refusals", "n_invalid"]]) == (8, 6, 1, 1)


def test_read_choices_reads_the_task_kinds_asked_for():
    import duckdb

    answers, _ = _random_study(4, n_runs=5)
    choices = replicate_choices(answers)
    con = duckdb.connect()
    con.register("choices_frame", choices)
    relation = con.sql("select * from choices_frame")
    rate = read_choices(relation, ("rate",))
    assert set(rate["task_kind"]) == {"rate"} and len(rate) == (choices["task_kind"] == "rate").sum()
    assert len(read_choices(relation)) == len(choices)
    with pytest.raises(ValueError, match="unknown task kinds"):
        read_choices(relation, ("rank",))
