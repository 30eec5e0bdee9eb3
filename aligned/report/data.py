"""Reading the warehouse for the report: the marts, nothing else.

The report's only inputs are the dbt marts (schema ``main``, each with a
documented schema; the SQL marts' contracts are enforced), human reference
included (marts human_groups, human_figures, published_figures). It never reads ``raw.*``,
never guesses a schema or a column name and keeps no copy of a mart's SQL.
A mart may still be missing (not built yet) or have no rows for the study
(a partial study): every read returns a :class:`Result`, a DataFrame or
``None`` with a one-line note, which the report turns into "no data for
this task" instead of crashing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import duckdb
import pandas as pd

from collector import store
from collector.errors import UserError

#: Where dbt writes the marts (the target schema, macros/generate_schema_name.sql).
MARTS = "main"
#: The per-study record of the last build's data tests and failed models (written by ``aligned build``,
#: aligned.warehouse.BUILD_CHECKS) and the statuses that do not flag a study (every other one does:
#: fail, error = could not run, skipped = a model not built and its mart dropped).
BUILD_CHECKS = "build_checks"
PASSING = {"pass", "warn"}


@dataclass
class Result:
    """A table read for the report, or why there is none."""

    df: pd.DataFrame | None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.df is not None and not self.df.empty


class Warehouse:
    """A read-only view of the experiment database, scoped to one study."""

    def __init__(self, con: duckdb.DuckDBPyConnection, study: str | None = None) -> None:
        self.con = con
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables where table_schema = ?",
            [MARTS]).fetchall()
        self._where = {(schema, name.lower()): f'"{schema}"."{name}"' for schema, name in rows}
        self.study = self._resolve_study(study)

    @classmethod
    def open(cls, db_path: str | Path, study: str | None = None) -> tuple["Warehouse", duckdb.DuckDBPyConnection]:
        con = store.connect(db_path, read_only=True)
        try:
            return cls(con, study), con
        except BaseException:
            con.close()
            raise

    # -- lookup -----------------------------------------------------------------------------------

    def has(self, name: str, schema: str = MARTS) -> bool:
        return (schema, name.lower()) in self._where

    def qualified(self, name: str, schema: str = MARTS) -> str | None:
        return self._where.get((schema, name.lower()))

    def columns(self, name: str, schema: str = MARTS) -> list[str]:
        q = self.qualified(name, schema)
        if q is None:
            return []
        return [r[0] for r in self.con.execute(f"describe select * from {q}").fetchall()]

    def table(self, name: str, required: Sequence[str] = (), study_scoped: bool = True,
              where: str | None = None, schema: str = MARTS) -> Result:
        """Rows of ``name`` for the report's study, checked for the columns a section needs.

        ``where`` is an extra SQL condition (our own text, never user input), so a large mart
        such as ``answers`` is filtered in DuckDB rather than loaded whole.
        """
        q = self.qualified(name, schema)
        if q is None:
            return Result(None, f"table {name} is not in the database (not built yet: run `aligned build`)")
        try:
            cols = self.columns(name, schema)
        except duckdb.Error as exc:  # e.g. a view whose table is gone
            return Result(None, f"table {name} could not be read: {str(exc).splitlines()[0]}")
        missing = [c for c in required if c not in cols]
        if missing:  # a database built by another version of the warehouse
            return Result(None, f"table {name} lacks column(s) {', '.join(missing)} (rebuild: `aligned build`)")
        sql, args, conds = f"select * from {q}", [], []
        if study_scoped and "study" in cols and self.study is not None:
            conds.append("study = ?")
            args.append(self.study)
        if where:
            conds.append(f"({where})")
        if conds:
            sql += " where " + " and ".join(conds)
        try:
            df = self.con.execute(sql, args).df()
        except duckdb.Error as exc:
            return Result(None, f"table {name} could not be read: {str(exc).splitlines()[0]}")
        if df.empty:
            what = " matching" if where else ""
            return Result(df, f"table {name} has no{what} rows for study {self.study}")
        return Result(df)

    # -- the study ----------------------------------------------------------------------------------

    def _resolve_study(self, study: str | None) -> str | None:
        known = self._studies()
        if study is not None:
            if known and study not in known:
                raise UserError(f"--study: no study {study!r} in the database; studies: {', '.join(known)}")
            return study
        return known[-1] if known else None

    def _studies(self) -> list[str]:
        """Studies in the file (mart study_summary), most recently recorded last."""
        if not self.has("study_summary"):
            return []
        return [r[0] for r in self.con.execute(
            f"select study from {self.qualified('study_summary')} order by recorded_at, study").fetchall()]

    @property
    def studies(self) -> list[str]:
        return self._studies()

    def summary(self) -> pd.Series | None:
        """The study's row of study_summary (design, collection span, context labels), if built."""
        res = self.table("study_summary", ["study"])
        return res.df.iloc[0] if res.ok else None

    def failing_checks(self) -> pd.DataFrame | None:
        """The study's data tests that failed in the last ``aligned build`` (mart ``build_checks``:
        study, test, status, failing_rows), or None when none failed or the mart is not built."""
        res = self.table(BUILD_CHECKS, ["test", "status"])
        if not res.ok:
            return None
        df = res.df[~res.df["status"].astype(str).str.lower().isin(PASSING)]
        return df.reset_index(drop=True) if not df.empty else None

    def models(self) -> pd.DataFrame:
        """One row per model of the study (mart study_models), in the order they were added."""
        res = self.table("study_models", ["model", "provider", "provider_model", "is_simulated", "added_at"])
        if res.df is None:
            return pd.DataFrame({"model": pd.Series(dtype=str), "provider": pd.Series(dtype=str),
                                 "provider_model": pd.Series(dtype=str), "is_simulated": pd.Series(dtype=bool)})
        df = res.df.sort_values(["added_at", "model"], kind="stable").reset_index(drop=True)
        df["is_simulated"] = df["is_simulated"].fillna(False).astype(bool)
        return df


def pick(df: pd.DataFrame, column: str, preferred: Sequence[str]) -> str | None:
    """The first of ``preferred`` that occurs in ``df[column]``, else the most common value."""
    if column not in df or df.empty:
        return None
    present = [v for v in df[column].dropna().unique()]
    for p in preferred:
        if p in present:
            return p
    lowered = {str(v).lower(): v for v in present}
    for p in preferred:
        for low, original in lowered.items():
            if p.lower() in low:
                return original
    return df[column].mode().iloc[0] if len(present) else None
