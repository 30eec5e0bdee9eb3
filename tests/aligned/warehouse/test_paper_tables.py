"""The paper's Table I and 28-pair Table II, built by dbt from raw answers synthesised so that each
model's shares equal chosen inputs (our own figures: the paper's per-model shares are not public),
checked against scipy on those inputs and the human seeds. Also the two denominators of
selection_shares (of mapped runs, of all runs) and a partial T1 answer shown as such."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from scipy import stats

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


def _seed(name: str) -> list[dict]:
    with open(ROOT / "seeds" / name, newline="") as f:
        return list(csv.DictReader(f))


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
    assert dbt_build(db, work, dbt_vars={"bootstrap_resamples": 50}, quiet=False) == 0
    return study, db


def _top5(shares: dict[str, float]) -> set[str]:
    return set(sorted(shares, key=lambda v: (-shares[v], v))[:5])


def test_table_1_from_raw_answers(built):
    study, db = built
    human = {}
    for row in _seed("human_t1_top5.csv"):
        human.setdefault(row["group"], {})[row["value"]] = float(row["share_selected"])
    got = {(m, g): (rho, p, jac) for m, g, rho, p, jac in query(db, """
        select model, human_group, spearman_rho, p_value, jaccard_top5 from t1_human_alignment
        where setting = 'original'""")}
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
    for row in _seed("human_t2_importance.csv"):
        if row["context"] != "all" and row["share_extremely_important"]:
            human.setdefault(row["group"], {})[(row["context"], row["value"])] = float(row["share_extremely_important"])
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
