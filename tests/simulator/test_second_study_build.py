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
    off_format = ("depends", "complex question", "arguments on every side", "could you tell me")
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
