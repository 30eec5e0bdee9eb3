"""Run a warehouse SQL model on hand-built frames, without dbt.

The Python marts read intermediate models (int_measure_options, int_replicate_choices_counted)
that exist only in SQL. Their tests hand-build the models' inputs and get the models' rows from
the models' own SQL, rendered with a minimal stand-in for dbt's Jinja context (ref() -> the
frame registered under that name, dbt.type_*()) and run in an in-memory DuckDB: the rules are
tested where they are written, and the Python side is never given a second copy of them.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb
import jinja2
import pandas as pd

ROOT = Path(__file__).resolve().parents[3]
MODELS = ROOT / "dbt_project" / "models"


def _environment() -> tuple[jinja2.Environment, dict]:
    import yaml

    env = jinja2.Environment()
    macros = env.from_string((ROOT / "macros" / "ranking.sql").read_text()).module
    variables = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    return env, dict(
        ref=lambda name: name, config=lambda **_: "", safe_share=macros.safe_share,
        average_rank=macros.average_rank, var=lambda name, default=None: variables.get(name, default),
        adapter=SimpleNamespace(quote=lambda name: f'"{name}"'),
        dbt=SimpleNamespace(type_string=lambda: "varchar", type_bigint=lambda: "bigint"))


def run_model(path: str | Path, **inputs: pd.DataFrame) -> pd.DataFrame:
    """Rows of the model at ``dbt_project/models/<path>`` (or any path under the repository) with each
    ``ref('name')`` read from ``inputs`` and ``var()`` from dbt_project.yml."""
    path = MODELS / path if not Path(path).is_absolute() else Path(path)
    env, context = _environment()
    sql = env.from_string(path.read_text()).render(**context)
    con = duckdb.connect(":memory:")
    try:
        for name, frame in inputs.items():
            con.register(name, frame)
        return con.execute(sql).df()
    finally:
        con.close()


def measure_options(items: pd.DataFrame, options: pd.DataFrame) -> pd.DataFrame:
    """int_measure_options of the given stg_raw__items / stg_raw__options rows."""
    return run_model("intermediate/int_measure_options.sql", stg_raw__items=items, stg_raw__options=options)


def replicate_choices(answers: pd.DataFrame) -> pd.DataFrame:
    """int_replicate_choices_counted of the given int_answers rows (the answers mart's columns)."""
    frame = answers.copy()
    for column in ("context", "value", "choice"):  # all-null columns: give DuckDB a type
        frame[column] = frame[column].astype(object)
    return run_model("intermediate/int_replicate_choices_counted.sql", int_answers=frame)
