"""`aligned validate` on a file holding several studies (issue 14 item 5), without a dbt build:
the raw tables come from the shipped design recorded under three study names, and the answers
mart is written by hand (one mapped answer per ok response, or an invalid one)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from aligned.validate import validate
from collector import store
from collector.config import Checks, load_experiment
from collector.design import Design
from collector.errors import UserError
from collector.plan import iter_plan
from tests.aligned.warehouse.conftest import response_row

pytestmark = pytest.mark.slow  # Great Expectations takes a few seconds per run

ROOT = Path(__file__).resolve().parents[3]


def _study(name: str, checks: Checks | None = None) -> Design:
    exp = load_experiment().model_copy(update={"study": name, "replicates": 1, "checks": checks or Checks()})
    return Design(exp)


def make_studies_db(path: Path, studies: dict[str, tuple[Design, float]]) -> Path:
    """Record each design with model m1 and one answer per request; the given share of each
    study's answers of every task is invalid in the hand-written answers mart."""
    con = store.connect(path)
    try:
        store.init_schema(con)
        for design, _ in studies.values():
            store.record_design(con, design, [{"model": "m1", "provider": "simulated"}])
            store.insert_responses(con, [response_row(design, "m1", r.item.item, r.setting.setting, r.replicate, "x")
                                         for r in iter_plan(design, ["m1"], 1)])
        invalid = " union all ".join(f"select '{s}' as study, {share} as share" for s, (_, share) in studies.items())
        con.execute(f"""
            create table main.answers as
            with numbered as (
                select r.*, i.task_kind,
                       row_number() over (partition by r.study, r.task order by r.response_id) as n,
                       count(*) over (partition by r.study, r.task) as n_task
                from raw.responses r join raw.items i using (study, item)
            ),
            first_option as (
                select study, item, min(canonical) as choice from raw.options where not is_synonym group by 1, 2
            )
            select response_id, numbered.study, model, task, task_kind, item, setting, replicate,
                   case when bad then null else 1 end as position,
                   case when bad then null else first_option.choice end as choice,
                   case when bad then 'invalid' else 'exact' end as match_method,
                   case when bad then 'invalid' else 'mapped' end as status,
                   case when bad then 'no option matched' end as invalid_reason
            from (select numbered.*, (n <= n_task * t.share) as bad
                  from numbered join ({invalid}) t using (study)) as numbered
            join first_option using (study, item)
        """)
    finally:
        con.close()
    return path


def run(db: Path, out: Path, **kwargs) -> tuple[int, list[str]]:
    buf = io.StringIO()
    rc = validate(db, out, out=buf, **kwargs)
    return rc, buf.getvalue().splitlines()


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("studies")
    return make_studies_db(folder / "studies.duckdb", {"alpha": (_study("alpha"), 0.0), "beta": (_study("beta"), 0.0)})


def test_several_clean_studies_pass(clean_db, tmp_path):
    # before: GX's column-pair expectations (task/setting, item/choice) counted missing values over
    # the whole frame, not the study's rows, and failed with "inconsistent cache values"
    rc, lines = run(clean_db, tmp_path / "v")
    assert rc == 0, "\n".join(lines)
    results = json.loads((tmp_path / "v" / "validation.json").read_text())["results"]
    pairs = [r for r in results if r["columns"] in ("task_setting", "item_choice")]
    assert {r["condition"] for r in pairs} == {"study == 'alpha'", "study == 'beta'"}
    assert all(r["success"] and r["error"] is None for r in results)


def test_study_flag_validates_only_that_study(clean_db, tmp_path):
    rc, lines = run(clean_db, tmp_path / "v", study="beta")
    assert rc == 0, lines
    assert "study beta" in lines[-1]
    frame = duckdb.sql(f"select distinct study from '{tmp_path / 'v' / 'frames' / 'answers.parquet'}'").fetchall()
    assert frame == [("beta",)]
    results = json.loads((tmp_path / "v" / "validation.json").read_text())["results"]
    assert not any("alpha" in r["condition"] for r in results)


def test_unknown_study_is_one_line_listing_the_known_ones(clean_db, tmp_path):
    with pytest.raises(UserError, match=r"--study 'gamma': no such study .*: alpha, beta$") as err:
        validate(clean_db, tmp_path / "v", study="gamma", out=io.StringIO())
    assert err.value.exit_code == 2
    proc = subprocess.run([sys.executable, "-m", "aligned.cli", "validate", "--db", str(clean_db), "--study", "gamma",
                           "--out", str(tmp_path / "v")], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [f"aligned validate: error: --study 'gamma': no such study in {clean_db}; "
                                        f"the studies there: alpha, beta"]


def test_each_study_is_held_to_its_own_max_invalid_share(tmp_path):
    # the same answers, half of them invalid, in two studies: one allows 60% (checks:), one the default
    db = make_studies_db(tmp_path / "thresholds.duckdb", {
        "lenient": (_study("lenient", Checks(max_invalid_share=0.6)), 0.5),
        "strict": (_study("strict"), 0.5)})
    con = duckdb.connect(str(db))  # and a wrong pair in each study, named with its study
    con.execute("update main.answers set choice = 'banana' where response_id = "
                "(select max(response_id) from main.answers where study = 'strict' and task = 't2' and "
                "status = 'mapped')")
    con.execute("update raw.responses set setting = 'sideways' where response_id = "
                "(select min(response_id) from raw.responses where study = 'lenient' and task = 't2')")
    con.close()
    rc, lines = run(db, tmp_path / "v")
    assert rc == 1
    fails = [ln for ln in lines if ln.startswith("FAIL")]
    coverage = [ln for ln in fails if ln.startswith("FAIL answers_coverage")]
    assert coverage and all("study == 'strict'" in ln for ln in coverage), lines
    assert any(ln.startswith("FAIL answers: item_choice expect_column_values_to_be_in_set where study == 'strict'")
               and '["t2/' in ln and '","banana"] x1' in ln for ln in fails), fails
    assert any(ln.startswith("FAIL raw_responses: task_setting expect_column_values_to_be_in_set where study == "
                             "'lenient'") and '["t2","sideways"] x1' in ln for ln in fails), fails
    # the changed setting no longer fits the request key: one line, no study
    assert len(fails) == len(coverage) + 3, fails
    summary = json.loads((tmp_path / "v" / "validation.json").read_text())
    assert summary["max_invalid_share"] == {"lenient": 0.6, "strict": 0.05}
