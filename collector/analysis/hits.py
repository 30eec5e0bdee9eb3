"""Per-run 0/1 hits rebuilt from ``answers``, for the bootstrap intervals.

``selection_shares`` gives a share per (item, value, measure); a bootstrap
needs the runs behind it. A *hit* is one mapped answer scored 1 when its
choice counts towards the measure for that value, else 0.

Which choices count is read from the design (``stg_raw__items`` and
``stg_raw__options``) by the same rules ``selection_shares`` uses, so an
edited scale needs no code change here:

* rate: ``extremely`` is the top level of the scale (highest ordinal),
  ``very_or_extremely`` the top two;
* trade-off, per side: ``definitely`` is the level favouring the side that
  lies farthest from the middle of the scale, ``definitely_or_probably``
  every level favouring it.

``check_same_shares`` (frames) verifies at build time that hits rebuild
exactly the shares of ``selection_shares``.

``hit_matrix`` lays hits out wide: one row per replicate (the cluster the
bootstrap resamples: run r of every item of a task), one column per
(item, side), NaN where that run of that item has no mapped answer (refused,
invalid, not collected).
"""
from __future__ import annotations

import pandas as pd

from collector.analysis.frames import mapped, require

MEASURE_OPTION_COLUMNS = ["study", "item", "value", "opponent", "measure", "canonical"]
HIT_COLUMNS = ["study", "model", "setting", "context", "item", "value", "opponent", "measure", "replicate", "hit"]

# rate measures: how many of the top levels count
RATE_TOP_LEVELS = {"extremely": 1, "very_or_extremely": 2}


def measure_options(items: pd.DataFrame, options: pd.DataFrame) -> pd.DataFrame:
    """(study, item, value, opponent, measure, canonical): the choices each measure counts."""
    require(items, ["study", "item", "task_kind", "value", "value_a", "value_b", "n_options"], "stg_raw__items")
    require(options, ["study", "item", "canonical", "value", "ordinal", "is_synonym"], "stg_raw__options")
    options = options[~options["is_synonym"].astype(bool)]
    joined = options.drop(columns=["value"]).merge(
        items[["study", "item", "task_kind", "value", "value_a", "value_b", "n_options"]], on=["study", "item"])
    parts = []
    rate = joined[joined["task_kind"] == "rate"]
    for measure, top in RATE_TOP_LEVELS.items():
        chosen = rate[rate["ordinal"] > rate["n_options"] - top]
        parts.append(chosen.assign(measure=measure, opponent=None))
    tradeoff = options.merge(items[items["task_kind"] == "tradeoff"][["study", "item", "value_a", "value_b",
                                                                      "n_options"]], on=["study", "item"])
    for side, other in (("value_a", "value_b"), ("value_b", "value_a")):
        favouring = tradeoff[tradeoff["value"] == tradeoff[side]].assign(opponent=tradeoff[other])
        extremity = (2 * favouring["ordinal"] - favouring["n_options"] - 1).abs()
        favouring = favouring.assign(extremity=extremity)
        farthest = favouring.sort_values("extremity", ascending=False, kind="stable").drop_duplicates(
            ["study", "item", "value"])
        parts.append(farthest.assign(measure="definitely"))
        parts.append(favouring.assign(measure="definitely_or_probably"))
    parts = [p[MEASURE_OPTION_COLUMNS] for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=MEASURE_OPTION_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def hits(answers: pd.DataFrame, measures: pd.DataFrame, task_kind: str) -> pd.DataFrame:
    """One row per mapped answer of ``task_kind`` x (value, measure) of its item, with hit 0/1.

    ``value`` is what the measure is about: the rated value (rate) or the
    side scored (trade-off, with ``opponent`` the other side).
    """
    rows = mapped(answers, task_kind).drop_duplicates(["study", "model", "item", "setting", "replicate"])
    rows = rows[["study", "model", "setting", "context", "item", "replicate", "choice"]]
    targets = measures[["study", "item", "value", "opponent", "measure"]].drop_duplicates()
    scored = rows.merge(targets, on=["study", "item"])
    counting = measures[["study", "item", "value", "measure", "canonical"]].assign(hit=1.0)
    scored = scored.merge(counting.rename(columns={"canonical": "choice"}),
                          on=["study", "item", "value", "measure", "choice"], how="left")
    scored["hit"] = scored["hit"].fillna(0.0)
    if scored.empty:
        return pd.DataFrame(columns=HIT_COLUMNS)
    return scored[HIT_COLUMNS]


def hit_matrix(hits: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, list[tuple]]:
    """Replicates x combinations of ``columns`` of hits, NaN where there is no answer.

    Returns the frame -- a ``replicate`` column (the cluster for
    ``cluster_bootstrap``) and then one float column per combination, named
    0, 1, ... -- and the list of combinations (tuples) in column order.
    Rows are in replicate order.
    """
    wide = hits.pivot_table(index="replicate", columns=columns, values="hit", aggfunc="first").sort_index()
    keys = [k if isinstance(k, tuple) else (k,) for k in wide.columns]
    frame = pd.DataFrame(wide.to_numpy(dtype=float), index=wide.index.rename("replicate")).reset_index()
    return frame, keys
