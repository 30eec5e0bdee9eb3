"""How `aligned build` judges dbt's results per study, on dbt-shaped result objects and a DuckDB
connection (no dbt run): failing rows count against the studies they name; rows that name no
study, tests that could not run and models that did not build count against every study; a
model that did not build leaves no old table behind."""
from __future__ import annotations

from types import SimpleNamespace as NS

import duckdb
import pytest

from aligned import warehouse


def _test(name: str, status: str, sql: str | None = None, failures: int | None = None, relation: str | None = None):
    return NS(status=status, failures=failures, message=f"Got {failures} results" if failures else "boom",
              node=NS(name=name, resource_type="test", relation_name=relation, compiled_code=sql))


STUDIES = ["alpha", "beta", "gamma"]


def test_failing_rows_count_against_the_studies_they_name():
    con = duckdb.connect()
    rows = "select * from (values ('alpha', 1), ('alpha', 2), ('gamma', 3)) t(study, x)"
    checks = warehouse.judge([_test("assert_x", "fail", rows, failures=3)], [], STUDIES, con)
    got = {c.study: (c.status, c.failing_rows, c.attributed) for c in checks}
    assert got == {"alpha": ("fail", 2, True), "beta": ("pass", 0, True), "gamma": ("fail", 1, True)}
    alpha = next(c for c in checks if c.study == "alpha")
    assert alpha.rows == ["    study=alpha, x=1", "    study=alpha, x=2"]
    assert alpha.line() == "FAIL study alpha: test assert_x: 2 offending row(s)"


def test_a_stored_failure_table_is_read_first():
    con = duckdb.connect()
    con.execute("create schema audit")
    con.execute("create table audit.assert_y as select 'beta' as STUDY, 7 as n")
    checks = warehouse.judge([_test("assert_y", "warn", "select 'alpha' as study", 1, "audit.assert_y")], [],
                             STUDIES, con)
    assert {c.study: c.status for c in checks} == {"alpha": "pass", "beta": "warn", "gamma": "pass"}


def test_rows_without_a_study_and_errors_flag_every_study():
    con = duckdb.connect()
    checks = warehouse.judge([_test("unique_x", "fail", "select 'k' as unique_field, 2 as n_records", 1),
                              _test("broken_sql", "error", "select nonsense from nowhere")], [], STUDIES, con)
    unique = [c for c in checks if c.test == "unique_x"]
    assert [(c.study, c.status, c.attributed) for c in unique] == [(s, "fail", False) for s in STUDIES]
    assert unique[0].line() == "FAIL study alpha (the rows name no study): test unique_x: 1 offending row(s)"
    assert {(c.study, c.status) for c in checks if c.test == "broken_sql"} == {(s, "error") for s in STUDIES}
    assert not any(c.status == "pass" for c in checks)


def test_passing_tests_are_recorded_for_every_study():
    con = duckdb.connect()
    checks = warehouse.judge([_test("ok", "pass")], [], STUDIES, con)
    assert [(c.study, c.status, c.failing_rows) for c in checks] == [(s, "pass", 0) for s in STUDIES]


def test_a_model_that_did_not_build_is_dropped_and_flags_every_study(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create table main.old_mart as select 1 as x")
    con.execute("create view main.old_view as select 1 as x")
    con.execute("create table main.fine as select 1 as x")
    models = [NS(status="error", message="Python model raised", node=NS(name="old_mart", alias="old_mart",
                                                                        schema="main", resource_type="model")),
              NS(status="skipped", message="", node=NS(name="old_view", alias="old_view", schema="main",
                                                       resource_type="model")),
              NS(status="success", message="", node=NS(name="fine", alias="fine", schema="main",
                                                       resource_type="model"))]
    assert sorted(warehouse._drop_unbuilt(con, models)) == ["old_mart", "old_view"]
    left = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert left == {"fine"}
    checks = warehouse.judge([], models, STUDIES, con)
    assert sorted((c.study, c.test, c.status) for c in checks) == sorted(
        [(s, "old_mart", "error") for s in STUDIES] + [(s, "old_view", "skipped") for s in STUDIES])
    warehouse._record_checks(con, checks, "2026-01-01 00:00:00")
    assert warehouse.failing_checks(con) == {s: [("old_mart", "error", None), ("old_view", "skipped", None)]
                                             for s in STUDIES}
    assert warehouse.failing_checks(con, "beta") == {"beta": [("old_mart", "error", None),
                                                              ("old_view", "skipped", None)]}
    # the next build that runs old_mart clears its row; old_view (not run: a --select) stays flagged
    warehouse._record_checks(con, [], "2026-01-02 00:00:00", ran={"old_mart"})
    assert warehouse.failing_checks(con, "beta") == {"beta": [("old_view", "skipped", None)]}


def test_a_build_that_could_not_run_flags_every_study_until_one_runs(tmp_path):
    import io
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    warehouse._record_checks(con, warehouse.judge([_test("ok", "pass")], [], STUDIES, con), "2026-01-01")
    con.close()
    out = io.StringIO()
    assert warehouse._could_not_run(RuntimeError("Compilation Error in model x"), db, STUDIES, out) == 2
    assert out.getvalue() == "dbt: Compilation Error in model x\n"
    assert warehouse.failing_checks(db) == {s: [("dbt", "error", None)] for s in STUDIES}
    con = duckdb.connect(str(db))
    warehouse._record_checks(con, [], "2026-01-02", ran={"ok"})
    assert warehouse.failing_checks(con) == {}


@pytest.mark.parametrize("study, known", [("nope", ["a", "b"]), ("x", [])])
def test_unknown_study_names_the_known_ones(tmp_path, study, known):
    from collector.errors import UserError
    with pytest.raises(UserError) as err:
        warehouse.check_study(study, known, tmp_path / "db.duckdb")
    assert str(err.value) == (f"--study {study!r}: no such study in {tmp_path / 'db.duckdb'}; the studies there: "
                              f"{', '.join(known) if known else 'none yet'}")
    assert err.value.exit_code == 2
    warehouse.check_study(None, known, tmp_path)  # no --study: nothing to check


def _generic(name: str, kind: str, column: str, model: str, sql: str, failures: int):
    return NS(status="fail", failures=failures, message="", node=NS(
        name=name, resource_type="test", relation_name=None, compiled_code=sql, column_name=column,
        attached_node=f"model.aligned.{model}", test_metadata=NS(name=kind)))


def test_generic_column_tests_are_traced_back_to_the_tested_rows():
    con = duckdb.connect()
    con.execute("create schema intermediate")
    con.execute("create table intermediate.int_things as select * from (values "
                "('alpha', 'k1', 'ok'), ('beta', 'k1', 'ok'), ('beta', 'k2', null), ('gamma', 'k3', 'weird')) "
                "t(study, key, status)")
    results = [
        _generic("unique_key", "unique", "key", "int_things",
                 "select key as unique_field, count(*) as n_records from intermediate.int_things group by key "
                 "having count(*) > 1", 1),
        _generic("not_null_status", "not_null", "status", "int_things",
                 "select status from intermediate.int_things where status is null", 1),
        _generic("accepted_status", "accepted_values", "status", "int_things",
                 "select status as value_field, count(*) as n_records from intermediate.int_things "
                 "where status not in ('ok') group by status", 1),
    ]
    checks = warehouse.judge(results, [], STUDIES, con)
    got = {(c.test, c.study): (c.status, c.failing_rows, c.attributed) for c in checks}
    assert got[("unique_key", "alpha")] == got[("unique_key", "beta")] == ("fail", 1, True)
    assert got[("unique_key", "gamma")] == ("pass", 0, True)
    assert {s for (t, s), v in got.items() if t == "not_null_status" and v[0] == "fail"} == {"beta"}
    assert {s for (t, s), v in got.items() if t == "accepted_status" and v[0] == "fail"} == {"gamma"}
    # a null study is itself what failed: no study to name, so every study is flagged
    con.execute("insert into intermediate.int_things values (null, 'k9', 'ok')")
    checks = warehouse.judge([_generic("not_null_study", "not_null", "study", "int_things",
                                       "select study from intermediate.int_things where study is null", 1)],
                             [], STUDIES, con)
    assert [(c.study, c.status, c.attributed) for c in checks] == [(s, "fail", False) for s in STUDIES]


def test_a_grain_test_without_study_is_traced_back_too():
    con = duckdb.connect()
    con.execute("create table main.answers as select * from (values ('alpha', 'r1', 1), ('beta', 'r2', 1), "
                "('beta', 'r2', 1), ('gamma', 'r3', 1)) t(study, response_id, position)")
    node = NS(name="unique_combination_answers", resource_type="test", relation_name=None, column_name=None,
              attached_node="model.aligned.answers",
              test_metadata=NS(name="unique_combination", kwargs={"columns": ["response_id", "position"]}),
              compiled_code="select response_id, position, count(*) as n_rows from main.answers "
                            "group by response_id, position having count(*) > 1")
    checks = warehouse.judge([NS(status="fail", failures=1, message="", node=node)], [], STUDIES, con)
    assert {c.study: (c.status, c.failing_rows) for c in checks} == {
        "alpha": ("pass", 0), "beta": ("fail", 2), "gamma": ("pass", 0)}
