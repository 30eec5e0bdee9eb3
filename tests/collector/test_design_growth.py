"""A study's replicate count may grow; every other design change still needs a new study name."""
from __future__ import annotations

import duckdb
import pytest
from rich.console import Console

from collector.collect import CollectOptions, collect, with_overrides
from collector.design import Design
from collector.errors import UserError
from simulator import SimulatorThread
from tests.collector.conftest import small_experiment

MODELS = [{"name": "sim-us-public", "provider": "simulated", "model": "sim-us-public"}]


@pytest.fixture(scope="module")
def sim_url():
    with SimulatorThread() as url:
        yield url


def _collect(exp, db, url):
    return collect(exp, db, CollectOptions(models=("sim-us-public",), progress=False), {}, simulator_url=url,
                   console=Console(quiet=True))


def _rows(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0]: r[1:] for r in con.execute(
            "select response_id, request_key, replicate, response_text, run_id from raw.responses").fetchall()}


def test_raising_replicates_asks_only_the_new_ones_and_keeps_the_old_answers(tmp_path, sim_url):
    db = tmp_path / "g.duckdb"
    exp = small_experiment(MODELS, tasks=("t1", "t4"), replicates=2)
    per_replicate = sum(len(Design(exp).settings_of(i.task)) for i in Design(exp).items)
    first = _collect(exp, db, sim_url)
    assert first.counters.ok == 2 * per_replicate
    before = _rows(db)

    second = _collect(with_overrides(exp, 3), db, sim_url)
    assert second.counters.done == per_replicate  # only replicate 3 was asked
    after = _rows(db)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing rewritten
    new = [v for k, v in after.items() if k not in before]
    assert len(new) == per_replicate and {v[1] for v in new} == {3}
    with duckdb.connect(str(db), read_only=True) as con:
        studies = con.execute("select replicates, design_hash from raw.studies order by recorded_at").fetchall()
        planned = con.execute("select count(*), max(replicate) from raw.planned_requests").fetchone()
    assert [r[0] for r in studies] == [2, 3]
    assert studies[0][1] == Design(exp).design_hash and studies[1][1] == Design(with_overrides(exp, 3)).design_hash
    assert planned == (3 * per_replicate, 3)

    # the store reads the raised row as the study's design, whatever order the rows come in
    from collector import store
    with duckdb.connect(str(db), read_only=True) as con:
        models = [{"model": "sim-us-public", "provider": "simulated"}]
        assert store.design_recorded(con, Design(with_overrides(exp, 3)), models)
        assert not store.design_recorded(con, Design(exp), models)
    # a rerun at the raised count has nothing left to ask and records nothing new
    assert _collect(with_overrides(exp, 3), db, sim_url).counters.done == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from raw.studies").fetchone()[0] == 2


def test_lowering_replicates_or_changing_anything_else_is_refused(tmp_path, sim_url):
    db = tmp_path / "g.duckdb"
    exp = small_experiment(MODELS, tasks=("t1",), replicates=2)
    _collect(exp, db, sim_url)
    before = _rows(db)
    with pytest.raises(UserError, match=r"already has 2 replicates in the database and a study's replicate count "
                                        r"only grows"):
        _collect(with_overrides(exp, 1), db, sim_url)
    changed = exp.model_copy(update={"generation": {"temperature": 0.5}, "replicates": 3})
    with pytest.raises(UserError, match=r"different design \(items, options, settings or generation parameters\)"):
        _collect(changed, db, sim_url)
    assert _rows(db) == before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from raw.studies").fetchone()[0] == 1


def test_design_hash_at_tells_a_replicate_change_from_any_other():
    exp = small_experiment(MODELS, tasks=("t1",), replicates=2)
    d2, d5 = Design(exp), Design(with_overrides(exp, 5))
    assert d2.design_hash != d5.design_hash
    assert d5.design_hash_at(2) == d2.design_hash
    other = Design(exp.model_copy(update={"generation": {"temperature": 0.5}}))
    assert other.design_hash_at(2) != d2.design_hash
