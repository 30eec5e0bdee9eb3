"""Column schemas of the alignment marts, and the few helpers every builder shares.

Every builder returns ``conform(rows, SCHEMA)``: exactly the schema's
columns, in order, with fixed dtypes, so that an empty result (a partial
study, a task not collected yet) still becomes a table with the right
column types in DuckDB rather than an error or a column of type NULL.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

STR = "str"
FLOAT = "float64"
INT = "Int64"  # nullable, so a missing count is NULL rather than NaN-as-float

Schema = Mapping[str, str]


def conform(rows: pd.DataFrame | Iterable[Mapping[str, Any]], schema: Schema) -> pd.DataFrame:
    """``rows`` as a frame with exactly the schema's columns and dtypes (may be empty).

    A column the rows do not have is null (e.g. no interval was computed); a
    column the schema does not know is a bug in the builder and raises.
    """
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    unknown = [c for c in frame.columns if c not in schema]
    if unknown:
        raise ValueError(f"columns {unknown} are not in the schema")
    frame = frame.reindex(columns=list(schema))
    return frame.astype(dict(schema)).reset_index(drop=True)


def require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """One-line error when an input model lacks a column this package relies on."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}; it has {list(frame.columns)}")
