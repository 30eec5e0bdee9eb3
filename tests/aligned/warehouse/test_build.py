"""End-to-end dbt build on a small synthetic study (2 models x 3 replicates of the shipped
design) whose answers are decided here, so the marts can be checked against figures computed
independently in Python; plus the run-count test on a broken copy and a partial (T1-only) study."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.stats import rankdata

from aligned import warehouse
from collector.errors import LockedError, UserError
from collector.plan import iter_plan
from tests.aligned.warehouse.conftest import dbt_build, make_db, query, response_row, shipped_design

pytestmark = pytest.mark.slow  # runs dbt

MODELS = ["m1", "m2"]
REPS = 3
LEVELS_T2 = ["not at all important", "slightly important", "important", "very important", "extremely important"]
KEYS_T2 = ["not_at_all_important", "slightly_important", "important", "very_important", "extremely_important"]
KEYS_T3 = ["definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"]
STORY_PREFERENCE = {"m1": ["safety", "privacy", "fairness", "performance", "transparency", "autonomy"],
                    "m2": ["performance", "transparency", "autonomy", "safety", "fairness", "privacy"]}
REFUSAL_AT = ("m2", "t2/medical/privacy", 3)           # a refusal: out of runs, counted in n_refusals
INVALID_AT = ("m1", "t3/banking/fairness-over-privacy", 2)  # an invalid answer
PARTIAL_T4_AT = ("m1", "t4/medical", 3)                # five stories only


class Study:
    """The synthetic study: raw rows plus the decisions they encode (the expected truth)."""

    def __init__(self, tasks: set[str] | None = None, design=None) -> None:
        self.design = design or shipped_design(REPS)
        self.rows: list[dict] = []
        self.decided: dict[tuple, list[str] | str | None] = {}  # (model, item, setting, rep) -> choice(s)
        self.status: dict[tuple, str] = {}
        for req in iter_plan(self.design, MODELS, REPS):
            if tasks is not None and req.item.task not in tasks:
                continue
            m_i = MODELS.index(req.model)
            shown = [o.key for o in req.options_shown()]
            labels = req.labels_shown(req.options_shown())
            key = (req.model, req.item.item, req.setting.setting, req.replicate)
            text, decided, status = self._answer(req, m_i, shown, labels)
            self.decided[key] = decided
            self.status[key] = status
            self.rows.append(response_row(self.design, req.model, req.item.item, req.setting.setting,
                                          req.replicate, text, shown, seconds=10))
        # history: a failed attempt later recovered, and an older ok row superseded by a newer one
        first = self.rows[0]
        self.rows.append({**response_row(self.design, first["model"], first["item"], first["setting"],
                                         first["replicate"], None, first["options_shown"], status="failed",
                                         seconds=1)})
        self.rows.append({**response_row(self.design, first["model"], first["item"], first["setting"],
                                         first["replicate"], "Dignity, Solidarity", first["options_shown"],
                                         seconds=5)})
        # and a second ok row at the same instant as the one of record: the greater response_id wins
        second = self.rows[1]
        self.rows.append({**response_row(self.design, second["model"], second["item"], second["setting"],
                                         second["replicate"], "Dignity, Solidarity", second["options_shown"],
                                         seconds=10), "response_id": "0" * 32})

    def _answer(self, req, m_i: int, shown: list[str], labels: list[str]):
        kind, item, r = req.item.kind, req.item.item, req.replicate
        where = (req.model, item, r)
        if kind == "select":
            # value names (or the synonyms shown) at deterministic positions of the list shown
            picks = [(r + m_i + 2 * j) % len(shown) for j in range(5)]
            canon = {o.key: o.canonical for o in req.item.options}
            chosen = [canon[shown[p]] for p in picks]
            text = "Here are my five:\n" + "\n".join(f"{j}. **{labels[p]}** - because it matters"
                                                       for j, p in enumerate(picks, 1))
            return text, chosen, "mapped"
        if kind == "rate":
            if where == REFUSAL_AT:
                return "As an AI, I don't have personal opinions.", None, "refusal"
            v = [o.key for o in req.item.options].index  # noqa: F841 (scale is in file order)
            level = (r + m_i + len(item)) % 5
            return f"{LEVELS_T2[level].capitalize()}.", KEYS_T2[level], "mapped"
        if kind == "tradeoff":
            if where == INVALID_AT:
                return "Both are important to me.", None, "invalid"
            level = (r * 2 + m_i + len(item)) % 5
            label = {o.key: o.label for o in req.item.options}[KEYS_T3[level]]
            return f"{label} - on balance.", KEYS_T3[level], "mapped"
        # rank: the model's preference, with replicate 2 swapping the first two
        pref = list(STORY_PREFERENCE[req.model])
        if r == 2:
            pref[0], pref[1] = pref[1], pref[0]
        if where == PARTIAL_T4_AT:
            pref = pref[:5]
        numbers = [shown.index(s) + 1 for s in pref]
        return ", ".join(map(str, numbers)), pref, "mapped"


def expected_selection_shares(study: Study) -> dict[tuple, tuple]:
    """(model, item, setting, value, measure) -> (runs, n_refusals, n_invalid, selections, share)."""
    groups: dict[tuple, list] = defaultdict(list)
    for (model, item, setting, rep), choice in study.decided.items():
        groups[(model, item, setting)].append((study.status[(model, item, setting, rep)], choice))
    out = {}
    for (model, item, setting), answers in groups.items():
        it = study.design.item(item)
        if it.kind == "rank":
            continue
        runs = sum(s == "mapped" for s, _ in answers)
        n_ref = sum(s == "refusal" for s, _ in answers)
        n_inv = sum(s == "invalid" for s, _ in answers)
        mapped = [c for s, c in answers if s == "mapped"]
        if it.kind == "select":
            measures = {(o.canonical, "selected"): {o.canonical} for o in it.options}
        elif it.kind == "rate":
            measures = {(it.value, "extremely"): {"extremely_important"},
                        (it.value, "very_or_extremely"): {"very_important", "extremely_important"}}
        else:
            measures = {(it.value_a, "definitely"): {"definitely_a"},
                        (it.value_a, "definitely_or_probably"): {"definitely_a", "probably_a"},
                        (it.value_b, "definitely"): {"definitely_b"},
                        (it.value_b, "definitely_or_probably"): {"definitely_b", "probably_b"}}
        for (value, measure), keys in measures.items():
            sel = sum(1 for c in mapped if (set(c) if isinstance(c, list) else {c}) & keys)
            out[(model, item, setting, value, measure)] = (runs, n_ref, n_inv, sel, sel / runs if runs else None)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("study")
    study = Study()
    db = make_db(work / "study.duckdb", study.design, MODELS, study.rows)
    t0 = time.perf_counter()
    code = dbt_build(db, work)
    seconds = time.perf_counter() - t0
    print(f"\nfull dbt build of the test study ({len(study.rows)} raw rows): {seconds:.1f} s")
    assert code == 0, "dbt build failed on the synthetic study"
    return study, db, work


def test_selection_shares_match_independent_figures(built):
    study, db, _ = built
    expected = expected_selection_shares(study)
    rows = query(db, """select model, item, setting, value, measure, runs, n_refusals, n_invalid, selections, share
                        from selection_shares""")
    got = {r[:5]: r[5:] for r in rows}
    assert set(got) == set(expected)
    for key, exp in expected.items():
        runs, n_ref, n_inv, sel, share = got[key]
        assert (runs, n_ref, n_inv, sel) == exp[:4], key
        assert share == pytest.approx(exp[4]) if exp[4] is not None else share is None, key


def test_selection_share_ranks_are_scipy_average_ranks(built):
    _, db, _ = built
    rows = query(db, """select model, task, context, setting, measure, value, share, rank from selection_shares
                        where task_kind in ('select', 'rate') order by all""")
    groups = defaultdict(list)
    for r in rows:
        groups[r[:5]].append(r)
    assert groups
    for key, members in groups.items():
        shares = np.array([m[6] for m in members])
        expect = rankdata(-shares, method="average")
        assert [m[7] for m in members] == pytest.approx(list(expect)), key
    assert not query(db, "select * from selection_shares where task_kind = 'tradeoff' and rank is not null")
    assert {r[0] for r in query(db, "select distinct context from selection_shares where task = 't1'")} == {"general"}


def test_t4_story_ranks_match_independent_figures(built):
    study, db, _ = built
    positions = defaultdict(list)
    for (model, item, setting, rep), choice in study.decided.items():
        if item.startswith("t4/"):
            for pos, story in enumerate(choice, 1):
                positions[(model, item.split("/")[1], story)].append(pos)
    rows = query(db, "select model, context, story_id, n_runs, mean_rank, sd_rank, rank, value from t4_story_ranks")
    got = {r[:3]: r[3:] for r in rows}
    assert set(got) == set(positions)
    for key, pos in positions.items():
        n_runs, mean_rank, sd_rank, _, _ = got[key]
        assert n_runs == len(pos)
        assert mean_rank == pytest.approx(np.mean(pos))
        assert sd_rank == pytest.approx(np.std(pos, ddof=1))
    for model in MODELS:
        for ctx in ("medical", "banking", "marketing", "streaming"):
            stories = [k for k in positions if k[0] == model and k[1] == ctx]
            means = [np.mean(positions[k]) for k in stories]
            expect = rankdata(means, method="average")
            assert [got[k][3] for k in stories] == pytest.approx(list(expect))
    # the T4 rank under every tie method, computed once here for t4_consistency(_rules): scipy's
    # rankdata of the mean ranks, ordinal ties by value name
    methods = {"rank": "average", "rank_min": "min", "rank_dense": "dense", "rank_ordinal": "ordinal"}
    rows = query(db, f"select model, context, story_id, {', '.join(methods)} from t4_story_ranks "
                     "where mean_rank is not null order by model, context, value")
    groups = defaultdict(list)
    for row in rows:
        groups[row[:2]].append(row)
    assert len(groups) == len(MODELS) * 4
    for key, members in groups.items():
        means = [np.mean(positions[(*key, row[2])]) for row in members]  # in value-name order
        for i, method in enumerate(methods.values()):
            assert [m[3 + i] for m in members] == pytest.approx(list(rankdata(means, method=method))), (key, method)
    assert got[("m1", "medical", "autonomy")][0] == REPS - 1  # left out of the partial ordering
    assert got[("m1", "banking", "autonomy")][4] == "Human Autonomy"


def test_answers_contract(built):
    _, db, _ = built
    cols = [r[0] for r in query(db, "select column_name from information_schema.columns "
                                    "where table_schema = 'main' and table_name = 'answers' order by ordinal_position")]
    for c in ["response_id", "study", "model", "task", "item", "context", "setting", "replicate", "external_id",
              "position", "choice", "match_method", "status", "value", "task_kind", "n_choices", "invalid_reason"]:
        assert c in cols
    # the latest ok row of a request key wins over an older ok row, a failed one and a tie with a
    # smaller response_id
    assert not query(db, "select * from answers join staging.stg_raw__responses r using (response_id) "
                         "where r.response_text = 'Dignity, Solidarity'")
    statuses = dict(query(db, "select status, count(distinct response_id) from answers group by 1"))
    assert statuses["refusal"] == 1 and statuses["invalid"] == 1
    inv = query(db, "select model, item, replicate, invalid_reason from unmapped_answers")
    assert inv == [("m1", "t3/banking/fairness-over-privacy", 2, "no_match")]
    # T3 value: the favoured side, null for undecided
    assert not query(db, "select * from answers where task = 't3' and status = 'mapped' and "
                         "((choice = 'undecided') <> (value is null))")


def test_response_status(built):
    study, db, _ = built
    rows = {r[:3]: r[3:] for r in query(db, """select study, model, task, n_planned, n_ok, n_failed, n_pending,
                                               n_recovered, n_mapped, n_refusal, n_invalid from response_status""")}
    per_task = defaultdict(int)
    for item, setting in study.design.item_settings:
        per_task[item.task] += REPS
    assert len(rows) == 2 * 4
    for (st, model, task), (planned, ok, failed, pending, recovered, mapped, refusal, invalid) in rows.items():
        assert planned == per_task[task] == ok
        assert failed == 0 and pending == 0
        assert mapped + refusal + invalid == ok
    assert rows[("are_we_aligned", "m1", "t1")][4] == 1  # the failed-then-ok request
    assert rows[("are_we_aligned", "m2", "t2")][6] == 1


def test_run_count_test_names_short_and_overfull_groups(built, tmp_path):
    study, db, _ = built
    copy = tmp_path / "broken.duckdb"
    shutil.copy(db, copy)
    con = duckdb.connect(str(copy))
    # short: a replicate removed (only possible in a copy: raw tables are append-only)
    con.execute("delete from raw.responses where model = 'm1' and item = 't2/medical/privacy' and replicate = 2")
    con.close()
    extra = response_row(study.design, "m2", "t1", "original", REPS + 1, "Safety, Privacy")  # over-full
    dup = response_row(study.design, "m1", "t4/banking", "original", 1, "1, 2, 3, 4, 5, 6",
                       request_key_override="0" * 32)  # the same replicate again under another key
    from collector import store
    con = store.connect(copy)
    store.insert_responses(con, [extra, dup])
    con.close()
    out = tmp_path / "out.txt"
    with out.open("w") as fh:
        code = warehouse.build(copy, select="replicate_counts+", quiet=True,
                               target_path=tmp_path / "target", log_path=tmp_path / "logs", out=fh)
    text = out.read_text()
    print(text)
    assert code == 1
    assert "assert_replicate_counts" in text and "assert_request_keys_match" in text
    # a short group is a warning with its counts, not a failure
    assert "assert_replicate_groups_complete" in text and "t2/medical/privacy" in text and "short" in text
    assert "'m2'" in text or "m2" in text
    assert "t4/banking" in text and "over-full" in text
    # ... and the marts still built (the tests read a leaf mart)
    assert query(copy, "select count(*) from replicate_counts where problem is not null") == [(3,)]


def design_with_new_value():
    """The shipped experiment plus a thirteenth T1 value (with a synonym), as a user would add it."""
    from collector.config import Value, load_experiment
    from collector.design import Design

    exp = load_experiment()
    t1 = exp.tasks["t1"].model_copy(update={"values": exp.tasks["t1"].values + ("Honesty",)})
    exp = exp.model_copy(update={"values": exp.values + (Value(name="Honesty", synonyms=("Truthfulness",)),),
                                 "tasks": {**exp.tasks, "t1": t1}, "replicates": REPS})
    return Design(exp)


@pytest.fixture(scope="module")
def partial(tmp_path_factory):
    """Only T1 collected, of a study whose experiment file gained a value."""
    work = tmp_path_factory.mktemp("partial")
    study = Study(tasks={"t1"}, design=design_with_new_value())
    db = make_db(work / "partial.duckdb", study.design, MODELS, study.rows)
    code = dbt_build(db, work)
    return study, db, work, code


def test_partial_study_builds_cleanly(partial):
    study, db, _, code = partial
    assert code == 0
    assert {r[0] for r in query(db, "select distinct task from selection_shares")} == {"t1"}
    assert query(db, "select count(*) from t4_story_ranks") == [(0,)]
    status = dict(query(db, "select task, n_ok from response_status where model = 'm1'"))
    assert status["t1"] > 0 and status["t2"] == 0


def test_a_value_added_to_the_experiment_reaches_the_marts(partial):
    """No code change: the new value and its synonym come through raw.items / raw.options."""
    study, db, _, _ = partial
    expected = expected_selection_shares(study)
    got = {r[:5]: r[5:] for r in query(db, """select model, item, setting, value, measure, runs, n_refusals,
                                              n_invalid, selections, share from selection_shares""")}
    assert set(got) == set(expected)
    assert any(k[3] == "Honesty" for k in got)
    for key, exp in expected.items():
        assert got[key][:4] == exp[:4], key
    # the synonym setting shows "Truthfulness" and answers with it map to Honesty
    assert query(db, "select count(*) from answers a join staging.stg_raw__responses r using (response_id) "
                     "where a.choice = 'Honesty' and a.match_method = 'synonym' "
                     "and r.response_text like '%Truthfulness%'")[0][0] > 0


def test_docs_generate(partial, tmp_path):
    _, db, _, _ = partial
    assert warehouse.docs(db, tmp_path / "docs") == 0
    assert (tmp_path / "docs" / "index.html").exists()
    assert (tmp_path / "docs" / "catalog.json").exists()


def test_locked_database_is_one_clear_error(partial, tmp_path):
    _, db, _, _ = partial
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                               "time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(LockedError, match="locked"):
            warehouse.build(db, quiet=True, target_path=tmp_path / "t", log_path=tmp_path / "l")
    finally:
        holder.kill()
        holder.wait()


def test_missing_database_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match="no such database"):
        warehouse.build(tmp_path / "nope.duckdb", quiet=True)


def test_mapping_coverage_test_names_the_worst_answers(built, tmp_path):
    _, db, _ = built
    copy = tmp_path / "strict.duckdb"
    shutil.copy(db, copy)
    out = tmp_path / "out.txt"
    with out.open("w") as fh:  # one invalid T3 answer of 120: fails only where no invalid answer is allowed
        code = warehouse.build(copy, select="assert_mapping_coverage", quiet=True,
                               dbt_vars={"max_invalid_share": 0.0},
                               target_path=tmp_path / "target", log_path=tmp_path / "logs", out=fh)
    text = out.read_text()
    print(text)
    assert code == 1
    assert "assert_mapping_coverage" in text and "model=m1" in text and "task=t3" in text
    assert "Both are important to me." in text


def test_tradeoff_option_and_side_shares_match_independent_figures(built):
    """The generic trade-off marts (issue 14): each option's share of a conflict with both question
    directions pooled ("A may reduce B" read from B's side mirrored), per context and pooled over
    contexts, tallied here from the synthetic answers and the design's own options."""
    study, db, _ = built
    pooled = query(db, "select distinct pooled_context_label from study_summary")[0][0]
    tally: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])  # key -> [selections, runs]
    options = set()
    for (model, item, setting, rep), choice in study.decided.items():
        it = study.design.item(item)
        if it.kind != "tradeoff" or study.status[(model, item, setting, rep)] != "mapped":
            continue
        conflict = frozenset((it.value_a, it.value_b))
        for o in it.options:  # (favoured value, strength): the same option from either direction
            option = (o.value, o.key.split("_")[0])
            options.add((conflict, option))
            for context in (it.context, pooled):
                cell = tally[(model, setting, context, conflict, option)]
                cell[0] += choice == o.key
                cell[1] += 1
    rows = query(db, """select model, setting, context, value_a, value_b, option_key, favoured_value, side,
                               selections, runs, share, is_pooled from tradeoff_option_shares""")
    got = {}
    for model, setting, context, a, b, key, favoured, side, sel, runs, share, is_pooled in rows:
        assert (side, favoured) == ("neutral", None) or (favoured, key[-1]) in ((a, "a"), (b, "b")) and key[-1] == side
        assert is_pooled == (context == pooled)
        if runs == 0:  # a group of refusals and invalid answers only: no mapped answer to tally
            continue
        got[(model, setting, context, frozenset((a, b)), (favoured, key.split("_")[0]))] = (sel, runs, share)
    assert set(got) == set(tally) and len(options) > 0
    for key, (sel, runs) in tally.items():
        assert got[key][:2] == (sel, runs), key
        assert got[key][2] == pytest.approx(sel / runs)
    sides = query(db, """select model, setting, context, value_a, value_b, sum(share), count(*), sum(selections),
                                max(runs) from tradeoff_side_shares where runs > 0 group by all""")
    assert sides and all(n == 3 and total == pytest.approx(1.0) and sel == runs
                         for *_, total, n, sel, runs in sides)
