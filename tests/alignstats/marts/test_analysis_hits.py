import numpy as np
import pandas as pd
import pytest

from alignstats.marts.intervals import INTERVAL_METHOD

from alignstats.marts.frames import conform, FLOAT, INT, STR
from alignstats.marts.hits import hit_matrices
from alignstats.marts.intervals import POOLED, Figures, _order_pattern, figures_for, rho_interval
from collector.config import load_experiment
from collector.design import Design
from alignstats import cluster_bootstrap, spearman

from tests.alignstats.marts import builders as b
from tests.alignstats.marts.sql import measure_options  # int_measure_options, its SQL


@pytest.fixture(scope="module")
def design_frames():
    """raw.items / raw.options of the shipped design, as record_design writes them."""
    design = Design(load_experiment())
    study = design.exp.study
    items = pd.DataFrame([{"study": study, "item": i.item, "task": i.task, "task_kind": i.kind,
                           "context": i.context, "value": i.value, "value_a": i.value_a, "value_b": i.value_b,
                           "k": i.k, "n_options": len(i.options)} for i in design.items])
    options = pd.DataFrame([{"study": study, "item": i.item, "option_key": o.key, "label": o.label,
                             "canonical": o.canonical, "value": o.value, "ordinal": o.ordinal,
                             "is_synonym": o.is_synonym} for i in design.items for o in (*i.options, *i.synonyms)])
    return items, options


def _counted(measures, item, value, measure):
    rows = measures[(measures["item"] == item) & (measures["value"] == value) & (measures["measure"] == measure)]
    return set(rows["canonical"]), set(rows["opponent"].dropna())


def test_measure_options_of_the_shipped_scales(design_frames):
    measures = measure_options(*design_frames)
    item = "t2/medical/privacy"
    assert _counted(measures, item, "Privacy", "extremely") == ({"extremely_important"}, set())
    assert _counted(measures, item, "Privacy", "very_or_extremely") == (
        {"very_important", "extremely_important"}, set())
    item = "t3/banking/fairness-over-performance"  # ensuring Fairness may reduce Performance
    assert _counted(measures, item, "Fairness", "definitely") == ({"definitely_a"}, {"Performance"})
    assert _counted(measures, item, "Fairness", "definitely_or_probably") == (
        {"definitely_a", "probably_a"}, {"Performance"})
    assert _counted(measures, item, "Performance", "definitely") == ({"definitely_b"}, {"Fairness"})
    assert _counted(measures, "t1", "Safety", "selected") == ({"Safety"}, set())
    assert set(measures["measure"]) == {"selected", "extremely", "very_or_extremely", "definitely",
                                        "definitely_or_probably"}
    # 12 T1 values, 28 T2 items x 3 counted levels, 40 T3 items x 2 sides x 3
    assert len(measures) == 12 + 28 * 3 + 40 * 2 * 3


def test_measure_options_follow_an_edited_scale(design_frames):
    items, options = design_frames
    items = items[items["item"] == "t2/medical/safety"].assign(n_options=3)
    options = options[(options["item"] == "t2/medical/safety") & (options["ordinal"] <= 3)]
    measures = measure_options(items, options)
    assert _counted(measures, "t2/medical/safety", "Safety", "extremely")[0] == {"important"}
    assert _counted(measures, "t2/medical/safety", "Safety", "very_or_extremely")[0] == {"important",
                                                                                        "slightly_important"}


def test_hits_score_undecided_for_neither_side_and_skip_refusals():
    answers, shares = b.combine(b.t3("s", "m", {("medical", "Safety", "Transparency"): ["undecided", "probably_b",
                                                                                          None]}))
    matrices = hit_matrices(b.choices(answers), b.measures_for(shares), "tradeoff")
    hit = {}
    for measure in ("definitely", "definitely_or_probably"):
        hm = matrices[("s", "m", "original", measure)]
        assert list(hm.replicates) == [1, 2]  # the refusal (replicate 3) is no run of the matrix
        for j, (_, _, value, _) in enumerate(hm.keys):
            for i, replicate in enumerate(hm.replicates):
                hit[(int(replicate), value, measure)] = hm.data[i, j]
    first = [v for (r, _, _), v in hit.items() if r == 1]
    assert len(first) == 4 and all(v == 0 for v in first)
    assert hit[(2, "Transparency", "definitely_or_probably")] == 1
    assert hit[(2, "Transparency", "definitely")] == 0 and hit[(2, "Safety", "definitely_or_probably")] == 0


def test_hit_matrix_is_replicates_by_columns_with_nan_for_missing_answers():
    answers, shares = b.combine(b.t2("s", "m", {("medical", "Safety"): ["extremely_important", None, "important"],
                                                ("medical", "Privacy"): ["important", "extremely_important"]}))
    hm = hit_matrices(b.choices(answers), b.measures_for(shares), "rate")[("s", "m", "original", "extremely")]
    assert [key[2] for key in hm.keys] == ["Privacy", "Safety"]
    assert list(hm.replicates) == [1, 2, 3]
    np.testing.assert_array_equal(hm.data, [[0, 1], [1, np.nan], [np.nan, 0]])


def test_figures_mean_of_shares_and_pooled():
    runs = np.array([[1, 0, 1], [0, np.nan, 1], [1, 1, np.nan]], dtype=float)
    # column shares: 2/3, 1/2, 1
    mean = Figures(((0, 1), (2,), ()))
    np.testing.assert_allclose(mean.compute(runs), [(2 / 3 + 1 / 2) / 2, 1.0, np.nan])
    pooled = Figures(((0, 1), (1, 2)), how=POOLED)
    np.testing.assert_allclose(pooled.compute(runs), [3 / 5, 3 / 4])


def test_order_pattern_separates_orders_ties_and_missing():
    same = _order_pattern(np.array([0.1, 0.5, 0.3]))
    assert same == _order_pattern(np.array([0.2, 0.9, 0.4]))
    assert same != _order_pattern(np.array([0.1, 0.5, 0.5]))
    assert same != _order_pattern(np.array([0.1, np.nan, 0.3]))
    assert _order_pattern(np.array([0.1, 0.5, np.nan])) != _order_pattern(np.array([0.1, 0.5, 0.9]))


@pytest.mark.parametrize("missing", [False, True])
def test_rho_interval_equals_a_plain_cluster_bootstrap(missing):
    rng = np.random.default_rng(4)
    data = (rng.random((30, 5)) < np.linspace(0.2, 0.8, 5)).astype(float)
    if missing:
        data[3, 2] = np.nan  # forces the general path
    matrix = pd.DataFrame(data).rename_axis("replicate").reset_index()
    figures = figures_for([(i,) for i in range(5)], [[(i,)] for i in range(5)])
    human = [0.1, 0.3, 0.2, 0.5, 0.4]

    def statistic(sample):
        values = sample.drop(columns="replicate").to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            return spearman(np.nanmean(values, axis=0), human)[0]

    expected = cluster_bootstrap(matrix, "replicate", statistic, n_resamples=120, seed=9, method=INTERVAL_METHOD)
    assert rho_interval(matrix, figures, human, 120, 9) == pytest.approx(expected)


def test_conform_types_empty_frames_and_rejects_unknown_columns():
    schema = {"a": STR, "x": FLOAT, "n": INT}
    empty = conform([], schema)
    assert list(empty.columns) == ["a", "x", "n"] and str(empty["n"].dtype) == "Int64"
    partial = conform([{"a": "k", "n": 2}], schema)
    assert np.isnan(partial["x"].iloc[0])
    with pytest.raises(ValueError, match="not in the schema"):
        conform([{"a": "k", "typo": 1}], schema)
