"""`aligned demo`: a failing data test no longer stops the demo before its report (every study's
marts are built, and the report flags the study); a build dbt could not run still stops it."""
from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace as NS

import pytest
from rich.console import Console

from aligned import demo, warehouse
import aligned.report


@pytest.mark.parametrize("build_rc, reported", [(0, True), (1, True), (2, False)])
def test_report_written_unless_the_build_could_not_run(monkeypatch, tmp_path: Path, build_rc, reported):
    written = []
    monkeypatch.setattr(warehouse, "build", lambda *a, **k: build_rc)
    monkeypatch.setattr(aligned.report, "write_report", lambda db, out, **k: written.append(db) or out / "report.html")
    result = NS(counters=NS(done=1, ok=1, failed=0), seconds=0.1, interrupted=False)
    buf = io.StringIO()
    rc = demo._finish(result, tmp_path / "db.duckdb", tmp_path, Console(file=buf), build=True, report=True)
    assert rc == build_rc
    assert bool(written) is reported
    if build_rc == 1:
        assert "failing checks" in buf.getvalue() and "report:" in buf.getvalue()
