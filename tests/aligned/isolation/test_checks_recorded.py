"""The experiment file's `checks:` (per-study thresholds): validated by the loader with one-line
errors, recorded with the study in raw.study_checks whenever it changes (never a design change),
and read back per study as int_study_checks (its SQL run on raw.*, as `aligned validate` does)."""
from __future__ import annotations

from pathlib import Path

import pytest

from aligned.warehouse import model_sql
from collector import store
from collector.config import Checks, load_experiment, parse_experiment
from collector.design import Design
from collector.errors import UserError

SHIPPED = load_experiment()


def _design(study: str = "s", **checks) -> Design:
    return Design(SHIPPED.model_copy(update={"study": study, "replicates": 1, "checks": Checks(**checks)}))


def _checks(con) -> list[tuple]:
    return con.execute("select study, max_invalid_share, coverage_alpha from raw.study_checks "
                       "order by recorded_at, study").fetchall()


def test_changes_append_a_row_and_the_latest_is_current(tmp_path: Path):
    con = store.connect(tmp_path / "db.duckdb")
    store.init_schema(con)
    models = [{"model": "m1", "provider": "simulated"}]
    store.record_design(con, _design("plain"), models)
    assert _checks(con) == []  # no checks: nothing to record, the defaults hold
    store.record_design(con, _design(max_invalid_share=0.2), models)
    store.record_design(con, _design(max_invalid_share=0.2), models)  # unchanged: nothing new
    assert _checks(con) == [("s", 0.2, None)]
    # a changed threshold is not a design change: recorded, never refused
    store.record_design(con, _design(max_invalid_share=0.3, coverage_alpha=0.01), models)
    store.record_design(con, _design(), models)  # checks: removed -> back to the defaults
    assert _checks(con) == [("s", 0.2, None), ("s", 0.3, 0.01), ("s", None, None)]
    assert con.execute("select count(*) from raw.studies where study = 's'").fetchone() == (1,)
    current = con.execute(f"select * from ({model_sql('int_study_checks')}) order by study").fetchall()
    assert current == [("plain", None, None, False), ("s", None, None, False)]  # null: the default
    store.record_design(con, _design(coverage_alpha=0.05), models)
    current = con.execute(f"select * from ({model_sql('int_study_checks')}) where study = 's'").fetchall()
    assert current == [("s", None, 0.05, True)]


@pytest.mark.parametrize("block, message", [
    ("checks: {max_invalid_share: 1.5}", "x.yaml: checks.max_invalid_share: Input should be less than or equal to 1"),
    ("checks: {max_invalid_share: -0.1}",
     "x.yaml: checks.max_invalid_share: Input should be greater than or equal to 0"),
    ("checks: {coverage_alpha: 0}", "x.yaml: checks.coverage_alpha: Input should be greater than 0"),
    ("checks: {coverage_alpha: 1}", "x.yaml: checks.coverage_alpha: Input should be less than 1"),
    ("checks: {max_invalid_share: yes}", "x.yaml: checks.max_invalid_share: must be a number, got True"),
    ("checks: {max_invalid_share: '5%'}", "x.yaml: checks.max_invalid_share: must be a number, got '5%'"),
    ("checks: {max_invalid_shar: 0.1}", "x.yaml: checks.max_invalid_shar: unknown key"),
])
def test_loader_errors_are_one_line_naming_the_field(block, message):
    with pytest.raises(UserError) as err:
        parse_experiment(block + "\n" + SHIPPED.source_text, "x.yaml")
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    assert err.value.exit_code == 2


def test_a_valid_block_is_read():
    exp = parse_experiment("checks:\n  max_invalid_share: 0.1\n" + SHIPPED.source_text, "x.yaml")
    assert exp.checks == Checks(max_invalid_share=0.1, coverage_alpha=None)
    assert Design(exp).design_hash == Design(SHIPPED).design_hash  # not part of the design
