"""The paper's Table I and 28-pair Table II, built by dbt from raw answers synthesised so that each
model's shares equal chosen inputs (our own figures: the paper's per-model shares are not public),
checked against scipy on those inputs and the study's human reference (experiments/
are_we_aligned.reference.csv, recorded as collect records it). Also the two denominators of
selection_shares (of mapped runs, of all runs) and a partial T1 answer shown as such; that the
reference CSV's figures reach the warehouse unchanged (int_reference_figures); the generic mart
human_alignment against scipy; and that a second study in the same file, without a reference but
with the same value names, gets no human figures and no alignment rows."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from scipy import stats

from collector import store
from collector.design import Design
from collector.plan import iter_plan
from tests.aligned.warehouse.conftest import dbt_build, make_db, query, response_row, shipped_design

pytestmark = pytest.mark.slow  # runs dbt

ROOT = Path(__file__).resolve().parents[3]
REPS = 10
MODELS = ["m1", "m2", "m3"]
T1_VALUES = ["Safety", "Performance", "Privacy", "Accountability", "Transparency", "Social Good", "Fairness",
             "Sustainability", "Human Autonomy", "Dignity", "Inclusiveness", "Solidarity"]
# T1: runs (of 10) selecting each value, 50 picks = 10 runs x 5, per model
T1_COUNTS = {
    "m1": [10, 4, 9, 8, 7, 2, 6, 1, 3, 0, 0, 0],
    "m2": [3, 10, 2, 5, 9, 8, 4, 0, 1, 7, 1, 0],
    "m3": [9, 1, 10, 6, 8, 0, 7, 2, 5, 1, 0, 1],
}
PARTIAL = ("m3", 10)  # m3's 10th run names only four of its five values: a partial answer
REFUSED = ("m2", "t2/banking/safety", REPS)  # a refusal: out of the mapped runs, in all runs


def _t2_extremely(model: str, context_index: int, value_index: int) -> int:
    """Runs (of 10) answering "extremely important": a fixed pattern per model, varied over pairs."""
    base = {"m1": (7 * value_index + 3 * context_index) % 11, "m2": (5 * value_index + context_index) % 11,
            "m3": (value_index * context_index + 2) % 11}[model]
    return min(base, REPS)


def _runs_of(counts: list[int]) -> list[list[str]]:
    """10 runs whose selections add up to ``counts``: value v fills counts[v] consecutive slots of a
    10-column grid, so no run gets a value twice (every count <= 10)."""
    flat = [v for v, c in zip(T1_VALUES, counts) for _ in range(c)]
    assert len(flat) == 5 * REPS
    return [flat[r::REPS] for r in range(REPS)]


REFERENCE_CSV = ROOT / "experiments" / "are_we_aligned.reference.csv"
SECOND = "second_study"  # the shipped design under another name, without `reference:`


def _reference(task: str, options: str = "") -> list[dict]:
    """The shipped reference CSV's rows of ``task`` with ``options`` (as written in the file)."""
    with open(REFERENCE_CSV, newline="") as f:
        return [r for r in csv.DictReader(f) if r["task"] == task and r["options"] == options]


class Synthesised:
    def __init__(self) -> None:
        self.design = shipped_design(REPS)
        self.rows: list[dict] = []
        self.t1_runs = {m: _runs_of(T1_COUNTS[m]) for m in MODELS}
        self.t2: dict[tuple[str, str, str], int] = {}  # (model, context, value) -> extremely runs
        for req in iter_plan(self.design, MODELS, REPS):
            item, setting, r = req.item, req.setting.setting, req.replicate
            if setting != "original" or item.task not in ("t1", "t2"):
                continue
            shown = req.options_shown()
            if item.kind == "select":
                labels = dict(zip([o.canonical for o in shown], req.labels_shown(shown)))
                picks = self.t1_runs[req.model][r - 1]
                if (req.model, r) == PARTIAL:
                    picks = picks[:4]
                text = "My five:\n" + "\n".join(f"{j}. {labels[v]}" for j, v in enumerate(picks, 1))
            else:
                c_i = list(self.design.exp.contexts).index(item.context)
                v_i = [v.name for v in self.design.exp.values].index(item.value)
                e = _t2_extremely(req.model, c_i, v_i)
                self.t2[(req.model, item.context, item.value)] = e
                if (req.model, item.item, r) == REFUSED:
                    assert r > e  # the refused run is not one of the "extremely" runs
                    text = "As an AI, I don't have personal opinions."
                else:
                    text = "Extremely important." if r <= e else "Important."
            self.rows.append(response_row(self.design, req.model, item.item, setting, r, text,
                                          [o.key for o in shown], seconds=r))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("paper")
    study = Synthesised()
    db = make_db(work / "paper.duckdb", study.design, MODELS, study.rows)
    # a second study sharing every value name, without a reference: m1's T1 answers only
    second = Design(study.design.exp.model_copy(update={"study": SECOND, "reference": None}))
    rows = [response_row(second, "m1", "t1", "original", r, "\n".join(study.t1_runs["m1"][r - 1]),
                         seconds=r) for r in range(1, REPS + 1)]
    con = store.connect(db)
    try:
        store.record_design(con, second, [{"model": "m1", "provider": "simulated"}])
        store.insert_responses(con, rows)
    finally:
        con.close()
    assert dbt_build(db, work, dbt_vars={"bootstrap_resamples": 50}, quiet=False) == 0
    return study, db


def _top5(shares: dict[str, float]) -> set[str]:
    return set(sorted(shares, key=lambda v: (-shares[v], v))[:5])


def test_table_1_from_raw_answers(built):
    study, db = built
    human = {}
    for row in _reference("t1"):
        human.setdefault(row["group"], {})[row["value"]] = float(row["share"])
    got = {(m, g): (rho, p, jac) for m, g, rho, p, jac in query(db, """
        select model, human_group, spearman_rho, p_value, jaccard_top5 from t1_human_alignment
        where setting = 'original' and study = 'are_we_aligned'""")}
    for model in ("m1", "m2"):  # shares equal the inputs exactly (m3 has a partial run, below)
        shares = {v: c / REPS for v, c in zip(T1_VALUES, T1_COUNTS[model])}
        for group, figures in human.items():
            x = [shares[v] for v in T1_VALUES]
            y = [figures[v] for v in T1_VALUES]
            expected = stats.spearmanr(x, y)
            jaccard = len(_top5(shares) & _top5(figures)) / len(_top5(shares) | _top5(figures))
            assert got[(model, group)] == pytest.approx((expected.statistic, expected.pvalue, jaccard)), (model, group)


def test_both_denominators_and_partial_t1_answers(built):
    study, db = built
    rows = {(m, v): (runs, runs_all, n_partial, sel, share, share_all) for m, v, runs, runs_all, n_partial, sel, share,
            share_all in query(db, """select model, value, runs, runs_all, n_partial, selections, share,
                                      share_of_all_runs from selection_shares where task = 't1'
                                      and setting = 'original'""")}
    assert rows[("m1", "Safety")] == (10, 10, 0, 10, 1.0, 1.0)
    dropped = study.t1_runs["m3"][PARTIAL[1] - 1][4]  # the value the partial run left out
    runs, runs_all, n_partial, sel, share, _ = rows[("m3", dropped)]
    assert (runs, runs_all, n_partial) == (10, 10, 1)  # a partial answer is still a run, shown as partial
    assert sel == T1_COUNTS["m3"][T1_VALUES.index(dropped)] - 1
    refused = query(db, """select runs, n_refusals, runs_all, selections, share, share_of_all_runs
                           from selection_shares where model = 'm2' and item = ? and measure = 'extremely'""",
                    [REFUSED[1]])[0]
    e = study.t2[("m2", "banking", "Safety")]
    assert refused == (9, 1, 10, e, pytest.approx(e / 9), pytest.approx(e / 10))


def test_table_2_is_one_spearman_over_the_28_pairs(built):
    study, db = built
    human = {}
    for row in _reference("t2", "extremely_important"):
        if row["context"]:
            human.setdefault(row["group"], {})[(row["context"], row["value"])] = float(row["share"])
    got = {(m, g): (rho, p, n) for m, g, rho, p, n in query(db, """
        select model, human_group, spearman_rho, p_value, n_values from t2_human_alignment
        where setting = 'original' and measure = 'extremely' and context = 'all_pairs'""")}
    for model in ("m1", "m3"):  # no refusals: shares of mapped runs = of all runs = the inputs
        for group, figures in human.items():
            pairs = sorted(figures)
            x = [study.t2[(model, c, v)] / REPS for c, v in pairs]
            expected = stats.spearmanr(x, [figures[p] for p in pairs])
            assert len(pairs) == 28
            assert got[(model, group)] == pytest.approx((expected.statistic, expected.pvalue, 28)), (model, group)
    # the per-context rows stay, 7 points each
    assert {n for (n,) in query(db, """select distinct n_values from t2_human_alignment
                                       where context not in ('all', 'all_pairs') and measure = 'extremely'""")} == {7}
    # across models: each model's all_pairs rho with one group against the other (3 models)
    across = query(db, """select group_x, group_y, n_models, spearman_rho, p_value from rho_across_models
                          where task = 't2' and context = 'all_pairs' and measure = 'extremely' and models = 'all'""")
    assert len(across) == 1
    group_x, group_y, n_models, rho, p = across[0]
    expected = stats.spearmanr([got[(m, group_x)][0] for m in MODELS], [got[(m, group_y)][0] for m in MODELS])
    assert (n_models, rho, p) == (3, pytest.approx(expected.statistic), pytest.approx(expected.pvalue))


def test_the_reference_csv_reaches_the_warehouse_unchanged(built):
    """int_reference_figures after a build holds exactly the shipped CSV's figures (for the study only)."""
    _, db = built
    order = ["definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"]
    expected = {}
    with open(REFERENCE_CSV, newline="") as f:
        for r in csv.DictReader(f):
            keys = sorted(r["options"].split("+"), key=lambda k: order.index(k) if k in order else 0)
            expected[(r["group"], r["task"], r["context"] or "all", r["value"], r["value_b"] or None,
                      "+".join(keys) if r["options"] else None)] = float(r["share"])
    got = {tuple(row[:6]): row[6] for row in query(db, """
        select human_group, task, context, value, value_b, options, share
        from intermediate.int_reference_figures where study = 'are_we_aligned'""")}
    assert got == expected
    mart = {tuple(row[:6]): row[6] for row in query(db, """
        select human_group, task, context, value, value_b, options, share from human_figures""")}
    assert mart == expected  # the mart the report reads: the same rows, and no other study's
    assert query(db, "select count(*) from intermediate.int_reference_figures where study = ?", [SECOND]) == [(0,)]
    groups = query(db, "select study, human_group, n_respondents from human_groups order by 2")
    assert groups == [("are_we_aligned", "ai_practitioners", 140), ("are_we_aligned", "us_representative", 607)]
    assert query(db, "select task, value, n from published_figures") == [("t4", 0.78, 192)]


def test_a_study_without_reference_has_no_alignment_rows_and_no_figures_of_another(built):
    """The second study answers T1 with the very value names of the first: no human figure reaches it."""
    _, db = built
    assert query(db, "select count(*) from selection_shares where study = ?", [SECOND])[0][0] > 0  # it was built
    for mart in ("t1_human_alignment", "t2_human_alignment", "t3_human_alignment", "profile_fidelity",
                 "human_alignment", "t3_distribution_similarity"):
        assert query(db, f"select count(*) from {mart} where study = ?", [SECOND]) == [(0,)], mart
    assert query(db, "select count(*) from t3_tradeoff_shares where study = ? and "
                     "coalesce(human_us_representative, human_ai_practitioners) is not null", [SECOND]) == [(0,)]


def test_generic_human_alignment_is_spearman_of_shares_of_all_runs(built):
    """human_alignment, T2 all_pairs at the top level: scipy over the 28 (context, value) points, the
    model's share of all runs asked (m2's refused run counts as a run that did not answer so)."""
    study, db = built
    human = {}
    for row in _reference("t2", "extremely_important"):
        if row["context"]:
            human.setdefault(row["group"], {})[(row["context"], row["value"])] = float(row["share"])
    got = {(m, g): (rho, p, n, mapped) for m, g, rho, p, n, mapped in query(db, """
        select model, human_group, spearman_rho, p_value, n_points, spearman_rho_mapped from human_alignment
        where study = 'are_we_aligned' and task = 't2' and setting = 'original'
            and options = 'extremely_important' and context = 'all_pairs'""")}
    for model in MODELS:
        for group, figures in human.items():
            pairs = sorted(figures)
            x = [study.t2[(model, c, v)] / REPS for c, v in pairs]  # of all 10 runs, refusal included
            expected = stats.spearmanr(x, [figures[p] for p in pairs])
            rho, p, n, _ = got[(model, group)]
            assert (rho, p, n) == pytest.approx((expected.statistic, expected.pvalue, 28)), (model, group)
    # t2_human_alignment correlates the same shares of all runs; m2's refusal moves its rho on mapped shares
    t2 = dict(((m, g), rho) for m, g, rho in query(db, """select model, human_group, spearman_rho
        from t2_human_alignment where context = 'all_pairs' and measure = 'extremely' and setting = 'original'"""))
    assert all(got[key][0] == pytest.approx(t2[key]) for key in t2) and len(t2) == 2 * len(MODELS)
    assert all(got[(m, g)][3] == pytest.approx(got[(m, g)][0]) for m in ("m1", "m3") for g in human)
    assert any(got[("m2", g)][3] != pytest.approx(got[("m2", g)][0]) for g in human)
