"""The report end to end from a real `dbt build` (the 0.1.0 fixture study), with raw.* dropped first:
the marts (and the human reference seeds) are its only input. And `aligned status` agrees with the
response_status mart, because both run the warehouse's int_request_status."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from aligned.overview import status_rows
from aligned.report import write_report
from tests.aligned.warehouse import marts_snapshot

pytestmark = pytest.mark.slow  # runs dbt on 1,824 answers


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return marts_snapshot.build_fixture_copy(tmp_path_factory.mktemp("built"))


def test_status_command_and_response_status_mart_agree(built):
    con = duckdb.connect(str(built), read_only=True)
    try:
        mart = con.execute("select study, model, task, n_planned, n_ok, n_failed, n_pending from response_status "
                           "order by study, model, task").fetchall()
    finally:
        con.close()
    assert mart and status_rows(built) == mart


def test_report_renders_from_the_marts_alone(built, tmp_path):
    marts_only = tmp_path / "marts_only.duckdb"
    shutil.copyfile(built, marts_only)
    con = duckdb.connect(str(marts_only))
    try:
        con.execute("drop schema raw cascade")
        con.execute("drop schema staging cascade")
        con.execute("drop schema intermediate cascade")
        # views over what was dropped: the answers mart is a view of intermediate.int_answers
        kept = con.execute("select count(*) from information_schema.tables where table_schema = 'main'").fetchone()
    finally:
        con.close()
    assert kept[0] > 0
    page = write_report(built, tmp_path / "report_full").read_text()
    assert "No data for this task" not in page
    # without raw, staging and intermediate every section but the answers-based examples still reports
    out = write_report(marts_only, tmp_path / "report")
    html = out.read_text()
    tables = tmp_path / "report" / "tables"
    for name in ("models", "t1_alignment", "t2_alignment", "t3_alignment", "t4_consistency_summary",
                 "request_status", "usage_latency", "profile_fidelity"):
        assert (tables / f"{name}.csv").exists(), name
    models = pd.read_csv(tables / "models.csv")
    assert len(models) == 8 and set(models["kind"]) == {"simulated (synthetic respondents, not an LLM)"}
    status = pd.read_csv(tables / "request_status.csv")
    assert status["n_planned"].sum() == 1824 and status["n_ok"].sum() == 1824
    assert "1,824 response rows" in html
