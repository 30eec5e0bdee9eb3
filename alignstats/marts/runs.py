"""What each run answered: ``int_replicate_choices_counted``, read for the bootstrap marts.

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


def first_choices(choices: pd.DataFrame, task_kind: str) -> pd.DataFrame:
    """One row per mapped run of ``task_kind``: its first choice (lowest position), in run-key order.

    A rate or trade-off answer maps to one option; should one name two,
    the first (lowest position) counts.
    """
    require(choices, CHOICE_COLUMNS, "int_replicate_choices_counted")
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
