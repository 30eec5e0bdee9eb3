"""The second shipped study end to end: collected from the simulated panel, built, reported.

Its themes are multi-word names joined by "and", its rating a 7-point scale and its ranking has
one context: nothing of the first study's shape. Its marts hold its own rows; it declares no
human reference, so nothing of people's is compared with it (issue 14, items 1 and 8)."""
from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from aligned import warehouse
from collector.collect import CollectOptions, collect, with_overrides
from collector.config import load_experiment
from simulator import SimulatorThread
from simulator.formatting import OFF_FORMAT

pytestmark = pytest.mark.slow  # collects and runs dbt

STUDY = Path(__file__).resolve().parents[2] / "experiments" / "optimal_ai_functioning.yaml"
REPLICATES = 4


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("second")
    db = work / "second.duckdb"
    exp = with_overrides(load_experiment(STUDY), REPLICATES)
    with SimulatorThread() as url:
        result = collect(exp, db, CollectOptions(models=tuple(m.name for m in exp.models), progress=False), {},
                         simulator_url=url, console=Console(file=io.StringIO()))
    out = io.StringIO()
    code = warehouse.build(db, quiet=True, target_path=work / "target", log_path=work / "logs", out=out)
    return exp, db, work, result, code, out.getvalue()


def _q(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_collected_from_the_simulator(built):
    exp, db, _, result, _, _ = built
    per_replicate = 1 + 6 + 1  # top3, six ratings in one context, one ranking
    assert result.counters.ok == len(exp.models) * per_replicate * REPLICATES and result.counters.failed == 0


def test_every_answer_is_read(built):
    _, db, _, _, _, log = built
    # refusals and the panel's off-format replies aside, every answer maps to the study's options
    assert _q(db, "select count(*) from audit.assert_mapping_coverage") == [(0,)], log
    invalid = _q(db, "select raw_text from unmapped_answers where study = 'optimal_ai_functioning'")
    # the panel's off-format texts (simulator.formatting.OFF_FORMAT) and its clarifying questions
    off_format = tuple(text.lower() for text in OFF_FORMAT) + ("could you tell me",)
    assert all(any(s in t.lower() for s in off_format) for (t,) in invalid), invalid


def test_its_marts_hold_its_own_options(built):
    exp, db, _, _, _, _ = built
    themes = {v.name for v in exp.values}
    picked = _q(db, "select value, sum(selections), sum(runs) from selection_shares "
                    "where study = 'optimal_ai_functioning' and task = 'top3' group by 1")
    assert {v for v, _, _ in picked} == themes
    # three picks per mapped run
    assert sum(s for _, s, _ in picked) == 3 * _q(db, "select sum(n_mapped) from response_status where task = 'top3'")[0][0]
    levels = {k for (k,) in _q(db, "select distinct choice from answers where task = 'rating' and status = 'mapped'")}
    assert levels <= {lv.key for lv in exp.scales["importance7"]} and len(levels) >= 5
    ranks = _q(db, "select count(distinct story_id) from t4_story_ranks where study = 'optimal_ai_functioning'")
    assert ranks == [(6,)]


def test_the_build_passes(built):
    *_, code, log = built
    assert code == 0, log


def test_its_report_renders(built, tmp_path):
    from aligned.report import write_report
    exp, db, _, _, _, _ = built
    path = write_report(db, tmp_path / "report", study=exp.study)
    html = path.read_text()
    assert exp.study in html and "Accuracy and Reliability" in html


# --- the generic measure marts (issue 14 item 2), against pandas on the `answers` mart ------------

def _frame(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def _answers(db: Path, exp, kind: str):
    return _frame(db, f"select * from answers where study = '{exp.study}' and task_kind = '{kind}'")


def _task(exp, kind: str):
    (name, task), = [(n, t) for n, t in exp.tasks.items() if t.kind == kind]
    return name, task


def test_rating_level_shares_and_positions_equal_pandas(built):
    exp, db, *_ = built
    name, task = _task(exp, "rate")
    keys = [lv.key for lv in exp.scales[task.scale]]  # the design's scale, in order: position = index + 1
    answers = _answers(db, exp, "rate")
    value_of = answers.dropna(subset=["value"]).groupby("item")["value"].first()
    answers["value"] = answers["item"].map(value_of)
    mart = _frame(db, f"select * from rating_level_shares where study = '{exp.study}'")
    positions = _frame(db, f"select * from rating_positions where study = '{exp.study}'")
    assert set(mart["n_levels"]) == {len(keys)} and set(mart["level"]) <= set(keys)
    pooled_label = _q(db, f"select pooled_context_label from study_summary where study = '{exp.study}'")[0][0]
    groups = ["model", "setting", "context", "value"]
    checked = 0
    for pooled in (False, True):
        frame = answers.assign(context=pooled_label) if pooled else answers
        for key, own in frame.groupby(groups):
            mapped = own[own["status"] == "mapped"]
            rows = mart[(mart[groups] == list(key)).all(axis=1)].set_index("level")
            assert len(rows) == len(keys) and rows["is_pooled"].all() == pooled
            assert (rows["runs"] == len(mapped)).all() and (rows["runs_all"] == len(own)).all()
            for level in keys:
                count = int((mapped["choice"] == level).sum())
                assert rows.loc[level, "selections"] == count
                assert rows.loc[level, "share"] == pytest.approx(count / len(mapped))
                assert rows.loc[level, "share_of_all_runs"] == pytest.approx(count / len(own))
            assert rows["share"].sum() == pytest.approx(1.0)  # every level of the scale, once
            scores = mapped["choice"].map({k: i + 1 for i, k in enumerate(keys)})
            pos = positions[(positions[groups] == list(key)).all(axis=1)].iloc[0]
            assert pos["n"] == len(mapped) and pos["mean_position"] == pytest.approx(scores.mean())
            assert pos["sd_position"] == pytest.approx(scores.std(ddof=1))
            checked += 1
    assert checked == len(mart) // len(keys) and checked > 0


def test_ranking_positions_and_mean_ranks_equal_pandas(built):
    exp, db, *_ = built
    name, task = _task(exp, "rank")
    answers = _answers(db, exp, "rank")
    mapped = answers[answers["status"] == "mapped"].copy()
    story_value = {s.id: s.value for system in task.systems.values() for s in system.stories}
    mapped["value"] = mapped["choice"].map(story_value)
    mart = _frame(db, f"select * from ranking_positions where study = '{exp.study}' and not is_pooled")
    means = _frame(db, f"select * from ranking_mean_ranks where study = '{exp.study}' and not is_pooled")
    groups = ["model", "setting", "context"]
    for key, own in answers.groupby(groups):
        runs = own.loc[own["status"] == "mapped", "response_id"].nunique()
        placed = mapped[(mapped[groups] == list(key)).all(axis=1)]
        rows = mart[(mart[groups] == list(key)).all(axis=1)]
        n_stories = len(task.systems[key[2]].stories)
        assert len(rows) == n_stories * n_stories  # every (value, position) of the design
        for row in rows.itertuples():
            count = int(((placed["value"] == row.value) & (placed["position"] == row.position)).sum())
            assert row.placements == count and row.runs == runs
            assert row.share == pytest.approx(count / runs)
        # complete orderings, one story per value: a distribution over values and over positions
        assert rows.groupby("position")["share"].sum().to_numpy() == pytest.approx(1.0)
        assert rows.groupby("value")["share"].sum().to_numpy() == pytest.approx(1.0)
        own_means = means[(means[groups] == list(key)).all(axis=1)].set_index("value")
        expected = placed.groupby("value")["position"].agg(["mean", "std", "count"])
        assert own_means.loc[expected.index, "mean_rank"].to_numpy() == pytest.approx(expected["mean"].to_numpy())
        assert own_means.loc[expected.index, "sd_rank"].to_numpy() == pytest.approx(expected["std"].to_numpy())
        assert (own_means.loc[expected.index, "n_placed"].to_numpy() == expected["count"].to_numpy()).all()
        assert sorted(own_means["rank"]) == pytest.approx(sorted(expected["mean"].rank(method="average")))
