"""The study's human figures (``int_reference_figures``), read for the measure-named alignment marts.

``int_reference_figures`` holds one row per (study, human_group, task, context, value, value_b,
options) of each study's latest reference load, with the ``measure`` of ``int_measure_options``
whose options equal the row's (and, for trade-offs, the ``side`` they favour). The marts that
are written in measures (t1/t2/t3_human_alignment, profile_fidelity, t3_distribution_similarity)
take the rows that have a measure, per task kind, through the functions here. Every frame keeps
``study`` (and ``task``): a mart joins figures on study, so a study without reference rows gets no
human-alignment rows, and two studies sharing a value name never share a figure.
"""
from __future__ import annotations

import pandas as pd

from alignstats.marts.frames import require

REFERENCE_COLUMNS = ["study", "human_group", "task", "task_kind", "context", "value", "value_b", "options",
                     "share", "n_respondents", "measure", "side"]


def _rows(reference: pd.DataFrame, task_kind: str) -> pd.DataFrame:
    require(reference, REFERENCE_COLUMNS, "int_reference_figures")
    rows = reference[(reference["task_kind"] == task_kind) & reference["measure"].notna()]
    return rows.astype({c: object for c in ("study", "human_group", "task", "context", "value", "value_b",
                                            "measure", "side")}).reset_index(drop=True)


def select_figures(reference: pd.DataFrame) -> pd.DataFrame:
    """(study, task, group, value, human_share): select tasks' shares that selected the value."""
    rows = _rows(reference, "select")
    return pd.DataFrame({"study": rows["study"], "task": rows["task"], "group": rows["human_group"],
                         "value": rows["value"], "human_share": rows["share"].astype(float)})


def rate_figures(reference: pd.DataFrame) -> pd.DataFrame:
    """(study, task, group, context, value, measure, human_share) of rate tasks' measured rows."""
    rows = _rows(reference, "rate")
    return pd.DataFrame({"study": rows["study"], "task": rows["task"], "group": rows["human_group"],
                         "context": rows["context"], "value": rows["value"], "measure": rows["measure"],
                         "human_share": rows["share"].astype(float)})


def tradeoff_figures(reference: pd.DataFrame, tradeoff_sides: pd.DataFrame | None = None) -> pd.DataFrame:
    """(study, task, group, context, value_a, value_b, side, measure, human_share) of trade-off rows.

    Oriented as ``int_tradeoff_sides`` orients each conflict (value_a, value_b) when given: a row
    written the other way round (value = the conflict's value_b) has its side flipped.
    """
    rows = _rows(reference, "tradeoff")
    out = pd.DataFrame({"study": rows["study"], "task": rows["task"], "group": rows["human_group"],
                        "context": rows["context"], "value_a": rows["value"], "value_b": rows["value_b"],
                        "side": rows["side"], "measure": rows["measure"],
                        "human_share": rows["share"].astype(float)})
    if tradeoff_sides is not None and len(out):
        require(tradeoff_sides, ["study", "value_a", "value_b"], "int_tradeoff_sides")
        oriented = set(zip(tradeoff_sides["study"], tradeoff_sides["value_a"], tradeoff_sides["value_b"]))
        flip = [(s, b, a) in oriented and (s, a, b) not in oriented
                for s, a, b in zip(out["study"], out["value_a"], out["value_b"])]
        flip = pd.Series(flip, index=out.index, dtype=bool)
        a, b = out["value_a"].copy(), out["value_b"].copy()
        out.loc[flip, "value_a"], out.loc[flip, "value_b"] = b[flip], a[flip]
        out.loc[flip, "side"] = out.loc[flip, "side"].map({"a": "b", "b": "a"})
    return out


def tradeoff_wide(reference: pd.DataFrame, tradeoff_sides: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per (study, group, value_a, value_b) of the pooled trade-off figures: one column
    share_<measure>_<side> per measure and side the reference gives (the old seed's layout)."""
    long = tradeoff_figures(reference, tradeoff_sides)
    columns = ["study", "group", "value_a", "value_b"]
    if long.empty:
        return pd.DataFrame(columns=columns)
    long = long.assign(column="share_" + long["measure"] + "_" + long["side"])
    wide = long.pivot_table(index=columns, columns="column", values="human_share", aggfunc="first")
    return wide.reset_index().rename_axis(columns=None)
