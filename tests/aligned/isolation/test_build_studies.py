"""Studies are isolated in `aligned build` (issue 14 item 5): three studies in one database, one
built once. `clean` answers well; `broken` answers every t1 prompt of model m1 with nonsense, so
its mapping-coverage test fails (and one of its response ids is stored twice); `lenient` has
broken's answers but its experiment file allows 90% invalid answers (`checks:`). Every study's marts are built; only broken is named and flagged."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aligned import warehouse
from collector.config import Checks, load_experiment
from collector.design import Design
from tests.aligned.warehouse.conftest import make_db, query
from tests.aligned.warehouse.test_build import MODELS, REPS, Study

pytestmark = pytest.mark.slow  # runs dbt

ROOT = Path(__file__).resolve().parents[3]
NONSENSE = "I like turtles."


def _design(study: str, checks: Checks | None = None) -> Design:
    return Design(load_experiment().model_copy(update={"study": study, "replicates": REPS,
                                                       "checks": checks or Checks()}))


def _rows(design: Design, broken: bool, duplicate_id: bool = False) -> list[dict]:
    rows = Study(design=design).rows
    # Study pins one response id (a tie-break case); each study needs its own
    rows = [{**r, "response_id": r["response_id"] if r["response_id"] != "0" * 32 else design.exp.study.ljust(32, "0")}
            for r in rows]
    if broken:
        rows = [{**r, "response_text": NONSENSE} if r["task"] == "t1" and r["model"] == "m1" else r for r in rows]
    if duplicate_id:  # one response id used twice: a generic unique test fails, its rows name the id only
        t2 = [i for i, r in enumerate(rows) if r["task"] == "t2"]
        rows[t2[1]] = {**rows[t2[1]], "response_id": rows[t2[0]]["response_id"]}
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, int, str]:
    work = tmp_path_factory.mktemp("isolation")
    db = work / "studies.duckdb"
    designs = {"clean": (_design("clean"), False), "broken": (_design("broken"), True),
               "lenient": (_design("lenient", Checks(max_invalid_share=0.9)), True)}
    for name, (design, broken) in designs.items():
        make_db(db, design, MODELS, _rows(design, broken, duplicate_id=name == "broken"))
    out = io.StringIO()
    rc = warehouse.build(db, quiet=True, dbt_vars={"bootstrap_resamples": 20}, target_path=work / "target",
                         log_path=work / "logs", out=out)
    return db, work, rc, out.getvalue()


def test_a_failing_study_is_named_and_stops_no_other_study(built):
    db, _, rc, log = built
    assert rc == 1, log
    failing = [ln for ln in log.splitlines() if ln.startswith(("FAIL", "ERROR"))]
    assert failing and all(ln.startswith("FAIL study broken: test ") for ln in failing), log
    assert any(ln.startswith("FAIL study broken: test assert_mapping_coverage: ") for ln in failing), log
    # dbt's own unique test returns only the duplicated id: traced back to broken's rows, no other study
    assert any(ln.startswith("FAIL study broken: test unique_stg_raw__responses_response_id: ") for ln in failing), log
    # the offending rows shown are broken's
    assert f"raw_text={NONSENSE}" in log and "study=broken" in log and "study=clean" not in log
    assert "failing checks in 1 of 3 studies (broken); the marts of every study are built" in log
    # every study's marts are built, the failing one's too
    # (no human reference is recorded here, so the alignment marts hold no rows for any study)
    for mart in ("selection_shares", "t2_importance_shares", "t4_story_ranks", "model_similarity", "response_status"):
        assert {r[0] for r in query(db, f"select distinct study from main.{mart}")} == {"clean", "broken", "lenient"}, mart


def test_build_checks_record_each_study(built):
    db, work, _, _ = built
    # dbt's run_results.json holds both invocations, as one `dbt build` would (bench/ reads it)
    ids = [r["unique_id"] for r in json.loads((work / "target" / "run_results.json").read_text())["results"]]
    assert {i.split(".")[0] for i in ids} >= {"model", "test", "seed", "unit_test"}
    assert "model.aligned.selection_shares" in ids and "test.aligned.assert_mapping_coverage" in ids
    rows = query(db, "select study, test, status, failing_rows, attributed, built_at from main.build_checks")
    by = {(s, t): (st, n, a) for s, t, st, n, a, _ in rows}
    assert len({r[5] for r in rows}) == 1  # one build
    assert {s for s, _ in by} == {"clean", "broken", "lenient"}
    assert {t for _, t in by} == {t for s, t in by if s == "clean"}  # every test judged for every study
    assert not [k for k, v in by.items() if k[0] == "clean" and v[0] != "pass"]
    # the same answers: broken fails coverage, lenient (max_invalid_share 0.9) passes it
    assert by[("broken", "unique_stg_raw__responses_response_id")] == ("fail", 2, True)
    assert by[("clean", "unique_stg_raw__responses_response_id")] == ("pass", 0, True)
    status, n, attributed = by[("broken", "assert_mapping_coverage")]
    assert status == "fail" and attributed and n >= 1
    m1_t1 = query(db, "select n_ok, n_invalid from main.response_status where study = 'broken' and model = 'm1' "
                      "and task = 't1'")
    assert m1_t1 == [(len(_design("x").settings_of("t1")) * REPS,) * 2]  # every one of them invalid
    assert by[("lenient", "assert_mapping_coverage")] == ("pass", 0, True)
    assert query(db, "select study, max_invalid_share, coverage_alpha, is_declared from intermediate.int_study_checks "
                     "order by study") == [("broken", None, None, False), ("clean", None, None, False),
                                           ("lenient", 0.9, None, True)]
    failing = warehouse.failing_checks(db)
    assert set(failing) == {"broken"} and ("assert_mapping_coverage", "fail", n) in failing["broken"]


def test_study_flag_judges_only_that_study(built, tmp_path):
    db, _, _, _ = built
    out = io.StringIO()
    # only the coverage test runs again (its models are built): every study judged, clean's printed
    rc = warehouse.build(db, select="assert_mapping_coverage", study="clean", quiet=True,
                         target_path=tmp_path / "target", log_path=tmp_path / "logs", out=out)
    log = out.getvalue()
    assert rc == 0, log
    assert "FAIL" not in log and "(not judged: 1 other study with failing checks: broken)" in log
    # every study was built and judged all the same: broken stays flagged
    assert ("assert_mapping_coverage", "fail") in [c[:2] for c in warehouse.failing_checks(db)["broken"]]


def test_unknown_study_is_one_line_listing_the_known_ones(built):
    db, _, _, _ = built
    proc = subprocess.run([sys.executable, "-m", "aligned.cli", "build", "--db", str(db), "--study", "nowhere"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [f"aligned build: error: --study 'nowhere': no such study in {db}; "
                                        "the studies there: broken, clean, lenient"]


def test_validate_holds_each_study_to_its_own_threshold(built, tmp_path):
    from aligned.validate import validate

    db, _, _, _ = built
    buf = io.StringIO()
    rc = validate(db, tmp_path / "v", out=buf)
    lines = buf.getvalue().splitlines()
    assert rc == 1
    # (Study's raw rows include a duplicated ok row per study on purpose: raw_responses_ok says so)
    coverage = [ln for ln in lines if ln.startswith("FAIL answers_coverage")]
    assert coverage and all(ln.startswith("FAIL answers_coverage: status expect_column_values_to_be_in_set where "
                                          "study == 'broken' and model == 'm1'") for ln in coverage), lines
    assert not any("lenient" in ln or "clean" in ln for ln in lines if ln.startswith("FAIL answers"))


def test_the_report_flags_only_the_failing_study(built, tmp_path):
    import html

    from aligned.report import write_report

    db, _, _, _ = built
    pages = {s: html.unescape(write_report(db, tmp_path / s, study=s).read_text(encoding="utf-8"))
             for s in ("broken", "clean")}
    banner = pages["broken"].split("data test(s) of study broken failing (", 1)[1].split(")", 1)[0]
    assert "assert_mapping_coverage" in banner and "unique_stg_raw__responses_response_id" in banner
    assert "failing (" not in pages["clean"] and "assert_mapping_coverage" not in pages["clean"]
