"""Per-run 0/1 hits rebuilt from ``answers``, for the bootstrap intervals.

``selection_shares`` gives a share per (item, value, measure); a bootstrap
needs the runs behind it. A *hit* is one mapped answer scored 1 when its
choice counts towards the measure for that value, else 0.

Which choices count is the warehouse model ``int_measure_options`` (the
rule is written once, in SQL, and ``selection_shares`` counts with it too).
That per-run hits rebuild the shares of ``selection_shares`` is held by the
dbt test ``assert_runs_rebuild_shares`` (one choice per mapped rate or
trade-off run, as many runs as the shares count).

``hit_matrices`` lays hits out wide for every (study, model, setting,
measure) at once, with numpy on the runs' codes: one row per replicate (the
cluster the bootstrap resamples: run r of every item of a task), one
column per (item, side), NaN where that run of that item has no mapped
answer (refused, invalid, not collected).

Every function takes ``int_replicate_choices_counted``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignstats.marts.frames import require
from alignstats.marts.runs import RUN_KEYS, codes, first_choices

MEASURE_OPTION_COLUMNS = ["study", "item", "value", "opponent", "measure", "canonical"]
"""The columns of ``int_measure_options``: which choices each measure counts."""


@dataclass(frozen=True)
class HitMatrix:
    """The hits of one (study, model, setting, measure): replicates x (item, context, value, opponent).

    ``data[i, j]`` is 1 when run ``replicates[i]`` of column j's item chose
    an option the measure counts for column j's value, 0 when it chose
    another, NaN when that run of the item has no mapped answer. Rows are in
    replicate order (``cluster_bootstrap``'s cluster order), columns in key
    order; a replicate without any mapped answer has no row.
    """

    replicates: np.ndarray
    keys: list[tuple]
    data: np.ndarray

    def frame(self, columns: list[int] | None = None) -> pd.DataFrame:
        """``replicate`` and one float column per key, named 0, 1, ...

        With ``columns`` (positions in ``keys``) only those, renumbered, and
        only the replicates with an answer in them.
        """
        data = self.data if columns is None else self.data[:, columns]
        replicates = self.replicates
        if columns is not None:
            answered = ~np.isnan(data).all(axis=1)
            data, replicates = data[answered], replicates[answered]
        frame = pd.DataFrame(data)
        frame.insert(0, "replicate", replicates)
        return frame


def hit_matrices(choices: pd.DataFrame, measures: pd.DataFrame, task_kind: str,
                 all_runs: bool = False) -> dict[tuple, HitMatrix]:
    """``HitMatrix`` per (study, model, setting, measure) of ``task_kind`` (rate or tradeoff).

    ``measures`` is ``int_measure_options``. Keys are (item, context, value,
    opponent). Only runs' codes go through numpy: a million answers cost
    milliseconds per measure, not a merge of strings. With ``all_runs`` a run
    refused or answered invalidly is a 0 (a run that did not choose the
    option: the denominator of ``share_of_all_runs``), not a NaN.
    """
    runs = first_choices(choices, task_kind)
    if all_runs:
        runs = _with_unmapped_runs(choices, runs, task_kind)
    wanted = measures[["study", "item", "value", "opponent", "measure"]].drop_duplicates()
    if runs.empty or wanted.empty:
        return {}
    counting = {(s, i, v, m): set() for s, i, v, m in zip(measures["study"], measures["item"], measures["value"],
                                                          measures["measure"])}
    for s, i, v, m, c in zip(measures["study"], measures["item"], measures["value"], measures["measure"],
                             measures["canonical"]):
        counting[(s, i, v, m)].add(c)
    group, groups = codes(runs, ["study", "model", "setting"])
    replicate = runs["replicate"].to_numpy(dtype=np.int64)
    choice_code, choice_levels = codes(runs, ["choice"])
    choice_index = {level[0]: j for j, level in enumerate(choice_levels)}
    by_item = runs.groupby(["study", "item"], observed=True, sort=True).indices
    contexts = runs.groupby(["study", "item"], observed=True, sort=True)["context"].first().to_dict()
    # one entry per (run, target of its item): row of the run, target, hit
    rows, target_ids, hit_values, targets = [], [], [], []
    for target in wanted.itertuples(index=False):
        positions = by_item.get((target.study, target.item))
        if positions is None:
            continue
        counted = [choice_index[c] for c in counting.get((target.study, target.item, target.value, target.measure),
                                                          ()) if c in choice_index]
        rows.append(positions)
        target_ids.append(np.full(len(positions), len(targets)))
        hit_values.append(np.isin(choice_code[positions], counted).astype(float))
        targets.append(target)
    if not targets:
        return {}
    row, target_id, hit = np.concatenate(rows), np.concatenate(target_ids), np.concatenate(hit_values)
    measure_names = sorted({t.measure for t in targets})
    measure_of = np.array([measure_names.index(t.measure) for t in targets])
    # one sort splits the entries by (group, measure)
    block = group[row] * len(measure_names) + measure_of[target_id]
    order = np.argsort(block, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(block[order]) != 0])
    out: dict[tuple, HitMatrix] = {}
    for first, last in zip(starts, [*starts[1:], len(order)]):
        take = order[first:last]
        g, m = divmod(int(block[take[0]]), len(measure_names))
        study, model, setting = groups[g]
        reps, rep_pos = np.unique(replicate[row[take]], return_inverse=True)
        ids = target_id[take]
        key_of = {t: (targets[t].item, contexts.get((study, targets[t].item)), targets[t].value, targets[t].opponent)
                  for t in np.unique(ids).tolist()}
        keys = sorted(set(key_of.values()), key=_key_order)
        column = {key: j for j, key in enumerate(keys)}
        col_of = np.zeros(len(targets), dtype=np.int64)
        for t, key in key_of.items():
            col_of[t] = column[key]
        data = np.full((len(reps), len(keys)), np.nan)
        data[rep_pos, col_of[ids]] = hit[take]
        out[(study, model, setting, measure_names[m])] = HitMatrix(reps, keys, data)
    return out


def _key_order(key: tuple) -> tuple:
    return tuple("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in key)


def _with_unmapped_runs(choices: pd.DataFrame, runs: pd.DataFrame, task_kind: str) -> pd.DataFrame:
    """``runs`` (mapped) plus one row per refused or invalid run of ``task_kind``, with no choice."""
    others = choices[(choices["task_kind"] == task_kind) & (choices["status"] != "mapped")]
    if others.empty:
        return runs
    others = others.drop_duplicates(RUN_KEYS)
    if len(runs):
        mapped = pd.MultiIndex.from_frame(runs[RUN_KEYS].astype(object))
        others = others[~pd.MultiIndex.from_frame(others[RUN_KEYS].astype(object)).isin(mapped)]
    others = others.assign(choice=None)
    return pd.concat([runs.astype({"choice": object}), others.astype({"choice": object})], ignore_index=True)
