"""Select tasks (T1, top-k selection) against the human groups: Spearman's rho and top-k Jaccard.

Per (study, model, setting) the model's figure for a value is its share of
the select task's runs that selected it (``selection_shares``, measure
``selected``). It is compared with each human group's share of respondents
that selected the value: the study's own select rows of
``int_reference_figures`` (joined on study and task; a study without them has
no rows). k is the task's (``stg_raw__items``); the column keeps its name
``jaccard_top5``:

* ``spearman_rho`` / ``p_value``: ``alignstats.spearman`` over the
  values both sides have (ties averaged, as scipy does);
* ``jaccard_top5``: ``alignstats.jaccard`` of the two top-k sets
  (``alignstats.top_k``: ties broken by value name);
* intervals: a BCa bootstrap (``intervals.INTERVAL_METHOD``) over runs
  (the replicate is the cluster: one run picks five values together). ``spearman_ci`` and
  ``rowwise_top_k_jaccard`` over ``resample_counts`` draw the resamples of
  ``cluster_bootstrap`` for the same seed (runs in replicate order), so the
  rho and Jaccard intervals come from the same resampled runs.

The runs come from ``int_replicate_choices_counted``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from alignstats.marts.frames import FLOAT, INT, STR, conform, require
from alignstats.marts.runs import CHOICE_COLUMNS, codes, sorted_codes
from alignstats import (interval, jaccard, jackknife_counts, percentile_interval, resample_counts,
                        rowwise_top_k_jaccard, spearman, spearman_ci, top_k)
from alignstats.bootstrap import BCA
from alignstats.marts.intervals import INTERVAL_METHOD
from alignstats.marts.reference import select_figures

# the k of a select task without a design at hand (tests); the marts take each task's k from stg_raw__items
TOP_K = 5

T1_HUMAN_ALIGNMENT = {
    "study": STR, "model": STR, "setting": STR, "human_group": STR,
    "spearman_rho": FLOAT, "p_value": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
    "jaccard_top5": FLOAT, "jaccard_ci_low": FLOAT, "jaccard_ci_high": FLOAT,
    "n_values": INT, "n_runs": INT,
}

T1_SHARE_COLUMNS = ["study", "model", "task", "context", "setting", "value", "selections", "runs", "share",
                    "share_of_all_runs"]


def t1_shares(selection_shares: pd.DataFrame) -> pd.DataFrame:
    """The T1 rows of ``selection_shares``: one per (study, model, setting, value)."""
    require(selection_shares, ["study", "model", "task", "task_kind", "context", "setting", "value", "measure",
                               "selections", "runs", "share", "share_of_all_runs"], "selection_shares")
    rows = selection_shares[(selection_shares["task_kind"] == "select")
                            & (selection_shares["measure"] == "selected")]
    return rows[T1_SHARE_COLUMNS].reset_index(drop=True)


def selection_matrices(choices: pd.DataFrame, all_runs: bool = False) -> dict[tuple[str, str, str], pd.DataFrame]:
    """Per (study, model, setting): a runs x values 0/1 frame of the T1 runs' selections.

    A run is a response with at least one mapped selection (with ``all_runs``,
    also a refused or invalid one: a row of zeros, the denominator of
    ``share_of_all_runs``); its row has 1
    for every value it selected (a value named twice counts once). Rows are
    ordered by replicate, the index is the replicate. Values no run selected
    have no column here: reindex to the full value list before use.
    ``choices`` is ``int_replicate_choices_counted``.
    """
    require(choices, CHOICE_COLUMNS, "int_replicate_choices_counted")
    select = choices[choices["task_kind"] == "select"]
    rows = select[(select["status"] == "mapped") & select["value"].notna()]
    if all_runs:  # every run with a response: a refused or invalid one selects nothing
        rows = select[((select["status"] == "mapped") & select["value"].notna()) | (select["status"] != "mapped")]
    out: dict[tuple[str, str, str], pd.DataFrame] = {}
    group, groups = codes(rows, ["study", "model", "setting"])
    for g, key in enumerate(groups):
        own = rows[group == g]
        run, replicates = sorted_codes(own["replicate"].to_numpy())
        hit = own["value"].notna().to_numpy()
        column, values = sorted_codes(own["value"][hit])
        matrix = np.zeros((len(replicates), len(values)), dtype=int)
        matrix[run[hit], column] = 1
        out[key] = pd.DataFrame(matrix, index=pd.Index(replicates, name="replicate"),
                                columns=pd.Index(values, dtype=object, name="value"))
    return out


def _jaccard_interval(matrix: pd.DataFrame, human_top: frozenset[str], n_resamples: int,
                      seed: int, k: int = TOP_K) -> tuple[float, float]:
    """Bootstrap interval (``INTERVAL_METHOD``) of the top-k Jaccard, resampling runs (rows of ``matrix``)."""
    data = matrix.to_numpy(dtype=float)
    labels = list(matrix.columns)

    def jaccards(times: np.ndarray) -> np.ndarray:
        return rowwise_top_k_jaccard(times @ data / times.sum(axis=1, keepdims=True), labels, human_top, k)

    boot = jaccards(resample_counts(len(data), n_resamples, seed))
    if INTERVAL_METHOD != BCA or len(data) < 2:
        return percentile_interval(boot)
    return interval(boot, method=BCA, jack=jaccards(jackknife_counts(len(data))),
                    point=jaccards(np.ones((1, len(data))))[0])


def task_k(items: pd.DataFrame | None) -> dict[tuple[str, str], int]:
    """(study, task) -> k, how many values each select task asks for (``stg_raw__items``)."""
    if items is None:
        return {}
    require(items, ["study", "task", "task_kind", "k"], "stg_raw__items")
    rows = items[(items["task_kind"] == "select") & items["k"].notna()]
    return {(s, t): int(k) for (s, t), k in rows.groupby(["study", "task"])["k"].max().items()}


def t1_human_alignment(selection_shares: pd.DataFrame, choices: pd.DataFrame, reference: pd.DataFrame,
                       n_resamples: int = 1000, seed: int = 0, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (study, model, setting, human group); see the module docstring.

    ``choices`` is ``int_replicate_choices_counted``; ``reference`` is ``int_reference_figures``
    (its select rows, joined on study and task: a study without them has no rows); ``items``
    (``stg_raw__items``) gives each select task's k for the top-k Jaccard (``TOP_K`` without it).
    """
    human_rows = select_figures(reference)
    shares = t1_shares(selection_shares)
    matrices = selection_matrices(choices, all_runs=True)
    ks = task_k(items)
    humans = {key: {g: h.set_index("value")["human_share"] for g, h in rows.groupby("group", sort=False)}
              for key, rows in human_rows.groupby(["study", "task"], sort=False)}
    rows = []
    for (study, task, model, setting), group in shares.groupby(["study", "task", "model", "setting"], sort=True):
        groups = humans.get((study, task))
        if not groups:
            continue
        k = ks.get((study, task), TOP_K)
        model_shares = group.set_index("value")["share_of_all_runs"].astype(float)
        n_runs = int(group["runs"].max())
        matrix = matrices.get((study, model, setting))
        if matrix is not None:
            matrix = matrix.reindex(columns=model_shares.index, fill_value=0)
        for human_group, human in groups.items():
            common = model_shares.index.intersection(human.index)
            x, y = model_shares[common], human[common]
            rho, p = spearman(x.to_numpy(), y.to_numpy())
            complete = x.notna() & y.notna()
            model_top = top_k(x[complete].to_dict(), k)
            human_top = top_k(y[complete].to_dict(), k)
            row = {
                "study": study, "model": model, "setting": setting, "human_group": human_group,
                "spearman_rho": rho, "p_value": p,
                "jaccard_top5": jaccard(model_top, human_top) if complete.any() else float("nan"),
                "n_values": int(complete.sum()), "n_runs": n_runs,
            }
            if matrix is not None and len(matrix) and complete.any():
                sub = matrix[list(common[complete.to_numpy()])]
                ci = spearman_ci(sub, y[complete], n_resamples=n_resamples, seed=seed, method=INTERVAL_METHOD)
                row["ci_low"], row["ci_high"] = ci.ci_low, ci.ci_high
                row["jaccard_ci_low"], row["jaccard_ci_high"] = _jaccard_interval(sub, human_top, n_resamples, seed,
                                                                                  k)
            rows.append(row)
    return conform(rows, T1_HUMAN_ALIGNMENT)
