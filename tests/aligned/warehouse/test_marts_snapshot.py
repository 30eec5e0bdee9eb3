"""No figure changes by accident: the marts of the fixture study, built with the current code, equal
the committed snapshot (tests/fixtures/marts-snapshot/, one CSV per mart; floats within 2e-9).

To change figures on purpose, rewrite the snapshot (see marts_snapshot.py) and commit it with the
change:  .venv/bin/python -m tests.aligned.warehouse.marts_snapshot
"""
from __future__ import annotations

import pytest

from tests.aligned.warehouse import marts_snapshot as snap

pytestmark = pytest.mark.slow  # runs dbt on 1,824 answers


def test_cells_are_written_so_equal_figures_compare_equal():
    assert snap.cell(None) == ""
    assert snap.cell(-0.0) == snap.cell(1e-12) == "0.0"
    assert snap.cell(0.1 + 0.2) == snap.cell(0.3)
    assert snap.cell(["a", "b"]) == '["a", "b"]'
    assert snap._same("0.123456789", "0.123456791")
    assert not snap._same("0.12345679", "0.12345689")
    assert not snap._same("a", "b")


def test_differences_name_the_mart_column_and_cell():
    expected = {"m": (["k", "x"], [["a", "0.5"], ["b", "0.25"]])}
    assert snap.differences(expected, expected) == []
    assert snap.differences(expected, {}) == ["m: mart missing"]
    assert "rows" in snap.differences(expected, {"m": (["k", "x"], [["a", "0.5"]])})[0]
    assert "columns" in snap.differences(expected, {"m": (["k", "y"], [["a", "0.5"], ["b", "0.25"]])})[0]
    changed = {"m": (["k", "x"], [["a", "0.5"], ["b", "0.26"]])}
    assert snap.differences(expected, changed) == ["m row 1 column x: '0.26' != snapshot '0.25'"]


def test_every_snapshotted_mart_is_unchanged(release_built):
    expected = snap.read_snapshot()
    assert expected, f"no snapshot in {snap.SNAPSHOT_DIR}"
    # the fixture built as build_fixture_copy builds it, once for the session (tests/conftest.py)
    actual = snap.read_marts(release_built.db)
    diffs = snap.differences(expected, actual)
    assert not diffs, "marts differ from the snapshot (if intended, rewrite it: python -m " \
                      "tests.aligned.warehouse.marts_snapshot):\n" + "\n".join(diffs)
