"""Across models: does a model that agrees more with one human group agree less with the other?

For every (study, task, setting, context, measure) row set of
``t1_human_alignment`` / ``t2_human_alignment``, each model has a rho with
each human group. ``rho_across_models`` correlates, over the study's
models, each model's rho with one group against its rho with the other
(``alignstats.spearman_n``: Spearman's rho, its p-value and the number of
models with both). The paper reports this for T2 (its Table II reading:
``context = all_pairs``) over the 15 models of its robustness Groups 1 and
2: -0.536 (p = 0.04). Each correlation is given over every model
(``models = all``) and over the models in ``t1_robustness.panel_group`` 1
or 2 (``models = panel_groups_1_2``), when the study has T1 robustness.
The task column is the study's own select / rate task name (from
``stg_raw__items``). T1 rows have measure ``selected`` and the context label ``t1_context``
(the dbt var no_context_label, ``general`` by default, as in selection_shares).
"""
from __future__ import annotations

import itertools

import pandas as pd

from alignstats import spearman_n
from alignstats.marts.frames import FLOAT, INT, STR, conform, require

RHO_ACROSS_MODELS = {
    "study": STR, "task": STR, "setting": STR, "context": STR, "measure": STR, "models": STR,
    "group_x": STR, "group_y": STR, "spearman_rho": FLOAT, "p_value": FLOAT, "n_models": INT,
}

ALL_MODELS = "all"
ROBUST_MODELS = "panel_groups_1_2"


def task_names(items: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """(study, task kind) -> the study's task of that kind (``stg_raw__items``; the first by name)."""
    if items is None or items.empty:
        return {}
    require(items, ["study", "task", "task_kind"], "stg_raw__items")
    first = items.sort_values("task").drop_duplicates(["study", "task_kind"])
    return {(s, k): t for s, k, t in zip(first["study"], first["task_kind"], first["task"])}


def _long(t1: pd.DataFrame | None, t2: pd.DataFrame | None, t1_context: str,
          tasks: dict[tuple[str, str], str]) -> pd.DataFrame:
    parts = []
    if t1 is not None and not t1.empty:
        require(t1, ["study", "model", "setting", "human_group", "spearman_rho"], "t1_human_alignment")
        parts.append(t1.assign(task=[tasks.get((s, "select"), "select") for s in t1["study"]], context=t1_context,
                               measure="selected"))
    if t2 is not None and not t2.empty:
        require(t2, ["study", "model", "setting", "context", "human_group", "measure", "spearman_rho"],
                "t2_human_alignment")
        parts.append(t2.assign(task=[tasks.get((s, "rate"), "rate") for s in t2["study"]]))
    columns = ["study", "task", "setting", "context", "measure", "model", "human_group", "spearman_rho"]
    return pd.concat([p[columns] for p in parts], ignore_index=True) if parts else pd.DataFrame(columns=columns)


def rho_across_models(t1_alignment: pd.DataFrame | None, t2_alignment: pd.DataFrame | None,
                      robustness: pd.DataFrame | None = None, t1_context: str = "general",
                      items: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (study, task, setting, context, measure, models, pair of human groups).

    ``task`` is the study's select / rate task's name (``items``: ``stg_raw__items``; the task
    kind's name without it)."""
    long = _long(t1_alignment, t2_alignment, t1_context, task_names(items))
    robust: dict[str, set[str]] = {}
    if robustness is not None and not robustness.empty and "panel_group" in robustness:
        kept = robustness[robustness["panel_group"].isin([1, 2])]
        robust = {study: set(g["model"]) for study, g in kept.groupby("study")}
        robust.update({s: set() for s in set(robustness["study"]) - set(robust)})
    rows = []
    keys = ["study", "task", "setting", "context", "measure"]
    for key, group in long.groupby(keys, sort=True):
        wide = group.pivot_table(index="model", columns="human_group", values="spearman_rho", aggfunc="first")
        subsets = [(ALL_MODELS, wide)]
        if key[0] in robust:
            subsets.append((ROBUST_MODELS, wide[wide.index.isin(robust[key[0]])]))
        for models, subset in subsets:
            for x, y in itertools.combinations(sorted(wide.columns), 2):
                rho, p, n = spearman_n(subset[x].to_numpy(dtype=float), subset[y].to_numpy(dtype=float))
                rows.append({**dict(zip(keys, key)), "models": models, "group_x": x, "group_y": y,
                             "spearman_rho": rho, "p_value": p, "n_models": n})
    return conform(rows, RHO_ACROSS_MODELS)
