"""Reading the warehouse for the report, defensively.

The marts are built by dbt and may be missing, empty or still changing
shape while a study is partial or the project evolves. Every read here
returns a :class:`Result`: a DataFrame, or ``None`` with a one-line note
saying why (table not built, a column missing, no rows for this study).
The report turns that note into "no data for this task" instead of
crashing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import duckdb
import pandas as pd

from collector import store
from collector.errors import UserError

#: Where a table may live, in order of preference: dbt marts land in ``main``; seeds with
#: ``+schema: reference`` land in ``main_reference`` (dbt's default schema naming) or
#: ``reference`` (a custom generate_schema_name); the collector writes ``raw``.
SCHEMAS = ("main", "main_reference", "reference", "raw", "main_marts", "marts")


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
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        self._where: dict[str, str] = {}
        for schema, name in sorted(rows, key=lambda r: _schema_rank(r[0])):
            self._where.setdefault(name.lower(), f'"{schema}"."{name}"')
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

    def has(self, name: str) -> bool:
        return name.lower() in self._where

    def qualified(self, name: str) -> str | None:
        return self._where.get(name.lower())

    def columns(self, name: str) -> list[str]:
        q = self.qualified(name)
        if q is None:
            return []
        return [r[0] for r in self.con.execute(f"describe select * from {q}").fetchall()]

    def table(self, name: str, required: Sequence[str] = (), study_scoped: bool = True,
              where: str | None = None) -> Result:
        """Rows of ``name`` for the report's study, checked for the columns a section needs.

        ``where`` is an extra SQL condition (our own text, never user input), so a large mart
        such as ``answers`` is filtered in DuckDB rather than loaded whole.
        """
        q = self.qualified(name)
        if q is None:
            return Result(None, f"table {name} is not in the database (not built yet: run `aligned build`)")
        cols = self.columns(name)
        missing = [c for c in required if c not in cols]
        if missing:
            return Result(None, f"table {name} lacks column(s) {', '.join(missing)}")
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

    def query(self, sql: str, args: Sequence[object] = (), tables: Sequence[str] = ()) -> Result:
        """A custom query over ``tables`` (named ``{name}`` in ``sql``), or a note if one is missing."""
        names = {}
        for t in tables:
            q = self.qualified(t)
            if q is None:
                return Result(None, f"table {t} is not in the database")
            names[t] = q
        try:
            df = self.con.execute(sql.format(**names), list(args)).df()
        except duckdb.Error as exc:
            return Result(None, f"query over {', '.join(tables)} failed: {str(exc).splitlines()[0]}")
        return Result(df, "" if not df.empty else f"no rows in {', '.join(tables)} for study {self.study}")

    # -- the study ----------------------------------------------------------------------------------

    def _resolve_study(self, study: str | None) -> str | None:
        known = self._studies()
        if study is not None:
            if known and study not in known:
                raise UserError(f"--study: no study {study!r} in the database; studies: {', '.join(known)}")
            return study
        return known[-1] if known else None

    def _studies(self) -> list[str]:
        """Studies in the file, most recently recorded last."""
        if self.has("studies"):
            q = self.qualified("studies")
            try:
                return [r[0] for r in self.con.execute(
                    f"select study from {q} group by study order by max(recorded_at), study").fetchall()]
            except duckdb.Error:
                pass
        for name in ("selection_shares", "answers"):
            if self.has(name) and "study" in self.columns(name):
                return [r[0] for r in self.con.execute(
                    f"select distinct study from {self.qualified(name)} order by study").fetchall()]
        return []

    @property
    def studies(self) -> list[str]:
        return self._studies()

    def models(self) -> pd.DataFrame:
        """One row per model of the study: model, provider, provider_model, is_simulated, in file order."""
        res = self.table("models", ["model"])
        if res.df is not None and not res.df.empty:
            df = res.df.copy()
            if "is_simulated" not in df:
                df["is_simulated"] = df.get("provider", pd.Series(index=df.index, dtype=object)) == "simulated"
            if "added_at" in df:
                df = df.sort_values("added_at", kind="stable")
            df = df.drop_duplicates("model")
            df["is_simulated"] = df["is_simulated"].fillna(False).astype(bool)
            return df.reset_index(drop=True)
        # No raw.models (e.g. a file holding only marts): models from the shares, none simulated.
        seen = self.table("selection_shares", ["model"])
        names = sorted(seen.df["model"].dropna().unique()) if seen.ok else []
        return pd.DataFrame({"model": names, "provider": None, "provider_model": None, "is_simulated": False})


def _schema_rank(schema: str) -> int:
    try:
        return SCHEMAS.index(schema)
    except ValueError:
        return len(SCHEMAS)


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
