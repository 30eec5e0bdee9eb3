"""T1 robustness to the order of the value list, per model.

Counts per value and setting come from ``selection_shares`` (T1, measure
``selected``) for the order settings the study compares -- original (a fresh
order per run), fixed, reversed (and shuffled, in files collected before
original was shuffled) -- that the model has runs for; the synonyms setting
changes the labels, not the order, and is left out. With fewer than two
such settings there is nothing to compare and the measures are null.

When the settings have different numbers of runs (a refusal here and
there), counts are put on one scale first: share x n_runs with n_runs the
largest run count, so a setting with 49 runs is not read as selecting less.
With equal runs (the normal case) these are the raw counts. The measures
and the high / medium / low group are ``alignstats.robustness_summary``;
``panel_group`` (1, 2, 3) is the paper's grouping relative to the study's
panel of models (``alignstats.panel_groups``: perfect top-k Jaccard and a
count stdev at or below the panel's mean -- both: 1, one: 2, neither: 3).

k, the number of values a run picks, is the select task's own (``k`` of
``stg_raw__items``, ``alignstats.marts.t1.task_k``); the column names ``top5_jaccard`` stay
as the marts have always named them, whatever k is.

``t1_synonyms`` compares the ``original`` setting with ``synonyms`` (each
value shown under its alternative names, mapped back to the value): per
value the two shares and their shift, per model the Jaccard of the two
top-k sets (``alignstats.top_k_jaccard`` of the two columns).
"""
from __future__ import annotations

import pandas as pd

from alignstats.marts.frames import FLOAT, INT, STR, conform
from alignstats.marts.t1 import t1_shares, task_k
from alignstats import panel_groups, robustness_summary, top_k_jaccard

ORDER_SETTINGS = ("original", "fixed", "reversed", "shuffled")  # "shuffled": databases before the T1 redesign

T1_ROBUSTNESS = {
    "study": STR, "model": STR, "settings_compared": STR, "n_settings": INT, "n_runs": INT,
    "count_stdev": FLOAT, "top5_jaccard": FLOAT, "majority_jaccard": FLOAT, "group": STR, "panel_group": INT,
}

T1_SYNONYMS = {
    "study": STR, "model": STR, "value": STR, "share_original": FLOAT, "share_synonyms": FLOAT, "shift": FLOAT,
    "runs_original": INT, "runs_synonyms": INT, "top5_jaccard": FLOAT,
}

SYNONYM_SETTINGS = ("original", "synonyms")


def _group_k(ks: dict[tuple[str, str], int], study: str, tasks) -> int:
    """The k of a (study, model) group's select task; one k per group (a study's select tasks share it)."""
    found = {ks[(study, task)] for task in tasks if (study, task) in ks}
    if len(found) != 1:
        raise ValueError(f"study {study!r}: select task(s) {sorted(set(tasks))} have k {sorted(found) or 'missing'} "
                         "in stg_raw__items; one k per study is needed")
    return found.pop()


def count_table(shares: pd.DataFrame, settings: tuple[str, ...] = ORDER_SETTINGS) -> tuple[pd.DataFrame, int]:
    """values x settings counts on a common scale, and that scale's n_runs (see the module docstring)."""
    shares = shares[shares["setting"].isin(settings) & (shares["runs"] > 0)]
    if shares.empty:
        return pd.DataFrame(), 0
    n_runs = int(shares["runs"].max())
    present = [s for s in settings if s in set(shares["setting"])]
    wide = shares.pivot_table(index="value", columns="setting", values="share", aggfunc="first")
    counts = (wide.reindex(columns=present).fillna(0.0) * n_runs)
    counts.columns.name = None
    return counts, n_runs


def t1_robustness(selection_shares: pd.DataFrame, items: pd.DataFrame,
                  settings: tuple[str, ...] = ORDER_SETTINGS) -> pd.DataFrame:
    """One row per (study, model) with T1 data; ``items`` is ``stg_raw__items`` (each select task's k)."""
    shares = t1_shares(selection_shares)
    ks = task_k(items)
    rows = []
    for (study, model), group in shares.groupby(["study", "model"], sort=True):
        counts, n_runs = count_table(group, settings)
        row = {"study": study, "model": model, "settings_compared": ",".join(counts.columns),
               "n_settings": counts.shape[1], "n_runs": n_runs}
        if counts.shape[1] >= 2:
            summary = robustness_summary(counts, n_runs, _group_k(ks, study, group["task"].unique()))
            row.update(summary._asdict())
        rows.append(row)
    out = conform(rows, T1_ROBUSTNESS)
    for _, panel in out.groupby("study", sort=False):
        out.loc[panel.index, "panel_group"] = panel_groups(panel["top5_jaccard"], panel["count_stdev"]).to_numpy()
    return out


def t1_synonyms(selection_shares: pd.DataFrame, items: pd.DataFrame,
                settings: tuple[str, str] = SYNONYM_SETTINGS) -> pd.DataFrame:
    """One row per (study, model, value) of models with runs in both settings; see the module docstring.

    ``items`` is ``stg_raw__items`` (each select task's k).
    """
    shares = t1_shares(selection_shares)
    ks = task_k(items)
    shares = shares[shares["setting"].isin(settings) & (shares["runs"] > 0)]
    rows = []
    for (study, model), group in shares.groupby(["study", "model"], sort=True):
        wide = group.pivot_table(index="value", columns="setting", values="share", aggfunc="first")
        if not set(settings) <= set(wide.columns):
            continue
        wide = wide.reindex(columns=list(settings)).fillna(0.0)
        runs = group.groupby("setting")["runs"].max()
        jaccard = top_k_jaccard(wide, _group_k(ks, study, group["task"].unique()))
        for value, (original, synonyms) in wide.iterrows():
            rows.append({"study": study, "model": model, "value": value, "share_original": original,
                         "share_synonyms": synonyms, "shift": synonyms - original,
                         "runs_original": runs[settings[0]], "runs_synonyms": runs[settings[1]],
                         "top5_jaccard": jaccard})
    return conform(rows, T1_SYNONYMS)
