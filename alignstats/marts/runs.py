"""What each run answered: ``int_replicate_choices_counted``, and its twin built from ``answers``.

The bootstrap marts need, per run (replicate) of each select / rate /
trade-off item, the options it chose -- not the million answer rows with
their texts. The warehouse model ``int_replicate_choices_counted`` is that
table: one row per (study, model, item, setting, replicate, status, choice),
null choice for a refusal or an invalid answer, with ``first_position``
(lowest answer position of the choice) and ``n_responses``.

* ``read_choices`` / ``from_arrow`` turn the model (the task kinds a mart
  needs), read as Arrow, into pandas with every string column categorical
  (reading a million strings as Python objects costs seconds; as
  dictionary codes, milliseconds);
* ``replicate_choices`` computes the same table from ``answers`` in pandas,
  and ``as_choices`` accepts either, so the builders (and their tests) can
  be handed the hand-built ``answers`` frames;
* ``first_choices`` keeps one row per mapped run of a task kind: its first
  choice, which rate and trade-off measures count.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from alignstats.marts.frames import require

CHOICE_KEYS = ["study", "model", "item", "setting", "replicate", "status", "choice"]
CHOICE_DIMENSIONS = ["task", "task_kind", "context", "value"]
CHOICE_COLUMNS = [*CHOICE_KEYS, *CHOICE_DIMENSIONS, "first_position", "n_responses"]
RUN_KEYS = ["study", "model", "item", "setting", "replicate"]
KINDS = ("select", "rate", "tradeoff")


def from_arrow(table) -> pd.DataFrame:
    """A pyarrow Table (or record batch reader) as pandas, string columns as categoricals."""
    import pyarrow as pa

    if hasattr(table, "read_all"):
        table = table.read_all()
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) or (
                hasattr(pa.types, "is_string_view") and pa.types.is_string_view(column.type)):
            column = column.cast(pa.string()).dictionary_encode()
        columns[name] = column
    frame = pa.table(columns).to_pandas()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):  # dictionary order is arrival order
            frame[name] = frame[name].cat.reorder_categories(sorted(frame[name].cat.categories))
    return frame


def read_choices(relation, task_kinds: tuple[str, ...] = KINDS) -> pd.DataFrame:
    """The rows of ``task_kinds`` of a DuckDB relation of ``int_replicate_choices_counted``, via ``from_arrow``.

    A mart about one task reads its task's runs only (T1 is a few percent
    of the rows).
    """
    unknown = set(task_kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown task kinds {sorted(unknown)}; the runs' choices hold {list(KINDS)}")
    if set(task_kinds) != set(KINDS):
        relation = relation.filter("task_kind in (" + ", ".join(f"'{k}'" for k in sorted(task_kinds)) + ")")
    return from_arrow(relation.arrow())


def replicate_choices(answers: pd.DataFrame) -> pd.DataFrame:
    """``int_replicate_choices_counted`` computed from ``answers`` (same grain and columns)."""
    require(answers, ["response_id", *CHOICE_KEYS, *CHOICE_DIMENSIONS, "position"], "answers")
    rows = answers[answers["task_kind"].isin(KINDS)]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=rows[c].dtype if c in rows else "Int64") for c in CHOICE_COLUMNS})
    grouped = rows.groupby([*CHOICE_KEYS, *CHOICE_DIMENSIONS], dropna=False, sort=True, observed=True)
    out = grouped.agg(first_position=("position", "min"), n_responses=("response_id", "nunique")).reset_index()
    return out[CHOICE_COLUMNS]


def as_choices(frame: pd.DataFrame) -> pd.DataFrame:
    """``int_replicate_choices_counted`` as is, or ``answers`` reduced to it."""
    if "first_position" in frame.columns:
        require(frame, CHOICE_COLUMNS, "int_replicate_choices_counted")
        return frame
    return replicate_choices(frame)


def first_choices(choices: pd.DataFrame, task_kind: str) -> pd.DataFrame:
    """One row per mapped run of ``task_kind``: its first choice (lowest position), in run-key order.

    A rate or trade-off answer maps to one option; should one name two,
    the first (lowest position) counts.
    """
    choices = as_choices(choices)
    rows = choices[(choices["task_kind"] == task_kind) & (choices["status"] == "mapped")
                   & choices["choice"].notna()]
    if rows.duplicated(RUN_KEYS).any():
        rows = rows.sort_values("first_position", kind="stable").drop_duplicates(RUN_KEYS)
    return rows.reset_index(drop=True)


def sorted_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, list]:
    """Codes of ``values`` numbered in sorted order of the distinct values (missing last), and those values.

    Factorising first and sorting only the distinct values keeps a
    categorical column at the cost of its codes, whatever its category order.
    """
    code, uniques = pd.factorize(values, use_na_sentinel=False)
    if isinstance(uniques, np.ndarray) and uniques.dtype.kind in "iu":  # replicate numbers
        order = np.argsort(uniques, kind="stable")
    else:
        order = sorted(range(len(uniques)),
                       key=lambda i: (pd.isna(uniques[i]), "" if pd.isna(uniques[i]) else uniques[i]))
    uniques = list(uniques)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[order] = np.arange(len(uniques))
    return rank[code], [uniques[i] for i in order]


def codes(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[tuple]]:
    """One int per row for its combination of ``columns``, numbered in sorted order of the combinations.

    Returns the codes and the combinations (tuples). Columns are factorised
    one by one (cheap for categoricals), so no per-row Python tuple is built.
    """
    if frame.empty:
        return np.zeros(0, dtype=np.int64), []
    per_column, levels = [], []
    for column in columns:
        code, uniques = sorted_codes(frame[column])
        per_column.append(code)
        levels.append(uniques)
    combined = np.ravel_multi_index(per_column, [len(u) for u in levels])
    distinct, inverse = np.unique(combined, return_inverse=True)
    parts = np.unravel_index(distinct, [len(u) for u in levels])
    keys = [tuple(levels[j][parts[j][i]] for j in range(len(columns))) for i in range(len(distinct))]
    return inverse.astype(np.int64).ravel(), keys
