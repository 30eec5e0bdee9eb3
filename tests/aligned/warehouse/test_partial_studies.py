"""Partial and growing studies (issue 14 item 6): short replicate groups are a warning with
counts and the build passes; over-full or duplicated groups still fail."""
from __future__ import annotations

import io

import pytest

from aligned import warehouse
from collector.plan import iter_plan
from tests.aligned.warehouse.conftest import make_db, query, response_row, shipped_design

pytestmark = pytest.mark.slow  # runs dbt

SELECT = "+assert_replicate_counts +assert_replicate_groups_complete"


def _rows(design, models, replicates, tasks=("t1", "t4")):
    rows = []
    for req in iter_plan(design, models, replicates):
        if req.item.task not in tasks:
            continue
        shown = [o.key for o in req.options_shown()]
        text = "Safety, Privacy, Fairness, Dignity, Transparency" if req.item.kind == "select" else \
            ", ".join(str(i) for i in range(1, len(shown) + 1))
        rows.append(response_row(design, req.model, req.item.item, req.setting.setting, req.replicate, text, shown))
    return rows


def _build(db, tmp_path):
    out = io.StringIO()
    code = warehouse.build(db, select=SELECT, indirect_selection="cautious", quiet=True, target_path=tmp_path / "target",
                           log_path=tmp_path / "logs", out=out)
    return code, out.getvalue()


def test_a_partial_import_warns_with_counts_and_builds(tmp_path):
    design = shipped_design(5)  # the study declares 5 replicates; 2 were collected (or imported)
    db = make_db(tmp_path / "partial.duckdb", design, ["m1"], _rows(design, ["m1"], 2))
    code, log = _build(db, tmp_path)
    assert code == 0, log
    assert "WARN" in log and "assert_replicate_groups_complete" in log
    n_settings = len(design.settings_of("t1"))
    warned = query(db, "select task, setting, n_short_items, n_answers, expected_answers "
                       "from audit.assert_replicate_groups_complete order by task, setting")
    t1 = [r for r in warned if r[0] == "t1"]
    assert len(t1) == n_settings and all(r[2:] == (1, 2, 5) for r in t1)
    assert [r[2:] for r in warned if r[0] == "t4" and r[1] == "original"] == [(4, 8, 20)]
    assert query(db, "select count(*) from audit.assert_replicate_counts") == [(0,)]


def test_an_over_full_group_still_fails(tmp_path):
    design = shipped_design(2)
    rows = _rows(design, ["m1"], 2, tasks=("t1",))
    rows.append(response_row(design, "m1", "t1", "original", 3, "Safety, Privacy, Fairness, Dignity, Transparency"))
    db = make_db(tmp_path / "over.duckdb", design, ["m1"], rows)
    code, log = _build(db, tmp_path)
    assert code == 1
    assert "assert_replicate_counts" in log and "over-full" in log
