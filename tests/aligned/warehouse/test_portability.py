"""Portability: every compiled SQL model transpiles from DuckDB to Spark SQL with sqlglot, and
the only functions Spark would not know come from macros dispatched per engine.

Models must stay portable (engine-specific SQL lives only in adapter.dispatch macros), so a
user can move the warehouse to Spark through dbt-spark. This compiles the project against an
empty experiment database and asks sqlglot to transpile each model, raising on anything it
cannot express in Spark.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from collector import store
from collector.config import load_experiment
from collector.design import Design
from aligned.warehouse import PROJECT_DIR

_MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\(.*?%}(.*?){%-?\s*endmacro", re.S)
_CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(", re.I)


def dispatched_duckdb_functions() -> set[str]:
    """Function names used in the DuckDB (default__) side of macros that also have a spark__ side.

    Engine-specific SQL is allowed there and only there."""
    bodies: dict[str, str] = {}
    for path in (PROJECT_DIR / "macros").rglob("*.sql"):
        for name, body in _MACRO.findall(path.read_text()):
            bodies[name] = body
    allowed: set[str] = set()
    for name, body in bodies.items():
        for prefix in ("default__", "duckdb__"):
            if name.startswith(prefix) and f"spark__{name[len(prefix):]}" in bodies:
                allowed |= {f.upper() for f in _CALL.findall(body)}
    return allowed

pytestmark = pytest.mark.slow


def test_every_sql_model_transpiles_to_spark(tmp_path: Path, monkeypatch):
    from dbt.cli.main import dbtRunner

    db = tmp_path / "empty.duckdb"
    con = store.connect(db)
    store.init_schema(con)
    store.record_design(con, Design(load_experiment()), [{"model": "m", "provider": "simulated"}])
    con.close()
    monkeypatch.setenv("ALIGNED_DB", str(db))
    target = tmp_path / "target"
    res = dbtRunner().invoke(["compile", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
                              "--target-path", str(target), "--log-path", str(tmp_path / "logs"),
                              "--log-level", "none", "--select", "resource_type:model"])
    assert res.success, res.exception
    manifest = json.loads((target / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["language"] == "sql"]
    assert len(models) >= 15
    allowed = dispatched_duckdb_functions()
    assert "GENERATE_SUBSCRIPTS" in allowed  # the test sees the dispatched macros
    problems = []
    for node in models:
        sql = node["compiled_code"]
        try:
            out = sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)
        except sqlglot.errors.SqlglotError as exc:
            problems.append(f"{node['name']}: {str(exc).splitlines()[0]}")
            continue
        assert out and out[0].strip()
        # functions sqlglot does not know in Spark stay "anonymous": name them as problems
        unknown = {f.name.upper() for f in sqlglot.parse_one(out[0], read="spark").find_all(sqlglot.exp.Anonymous)}
        unknown -= allowed
        if unknown:
            problems.append(f"{node['name']}: functions unknown to Spark: {', '.join(sorted(unknown))}")
    assert not problems, "\n".join(problems)
