"""Generic human alignment: every reference figure of a study against the model's, per task.

One row per (study, model, setting, task, human group, options, context). The points are the
study's own rows of ``int_reference_figures`` for that (task, group, options): one per (value,
value_b) in ``context``, and for context ``all_pairs`` (``ALL_PAIRS``) one per (context, value,
value_b) over every context of the task that has figures (the pooled figures when the task has
only those, e.g. a task without contexts). A study without reference rows has no rows.

The model's figure for a reference row is the share of the runs asked whose answer falls in the
row's options set, over the items the row covers (its value -- or conflict -- in its context, or
in every context of the task for a pooled row; answers summed over the items):

* select: the run selected the value;
* rate: the run's answer is one of the row's option keys;
* tradeoff: the keys refer to the row's ``value`` as side a; an item asked the other way round
  ("ensuring value_b may reduce value") shows its scale from the other end, so each key is read
  at the mirrored ordinal of that item's scale.

Denominator: every run asked that has a response (mapped, refusal or invalid), as the paper's
percentages of N runs per model -- a refusal is a run that did not choose the option
(``spearman_rho``). ``spearman_rho_mapped`` is the same correlation over shares of mapped answers
only (refusals and invalid answers left out), the other reading.

Statistics (``alignstats``): Spearman's rho and its p-value over the points both sides have
(``n_points``), a BCa interval from the replicate-clustered bootstrap
(``intervals.rho_interval``: run r of every item of the task is one cluster, the figures are
re-pooled in each resample), and for select tasks the top-k Jaccard of the model's and the
group's k highest-share values, k the task's own (``stg_raw__items.k``).
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from alignstats import jaccard, spearman, top_k
from alignstats.figures import POOLED
from alignstats.marts.frames import FLOAT, INT, STR, conform, require
from alignstats.marts.intervals import ResampledHits, figures_for, rho_interval
from alignstats.marts.reference import REFERENCE_COLUMNS
from alignstats.marts.runs import CHOICE_COLUMNS

ALL_PAIRS = "all_pairs"
KINDS = ("select", "rate", "tradeoff")

HUMAN_ALIGNMENT = {
    "study": STR, "model": STR, "setting": STR, "task": STR, "task_kind": STR, "human_group": STR,
    "options": STR, "context": STR,
    "spearman_rho": FLOAT, "p_value": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
    "spearman_rho_mapped": FLOAT, "jaccard_top_k": FLOAT, "k": INT,
    "n_points": INT, "n_replicates": INT,
}


def _targets(reference: pd.DataFrame, items: pd.DataFrame, options: pd.DataFrame,
             pooled_context: str) -> dict[int, list[tuple[str, frozenset]]]:
    """Reference row position -> [(item, canonical choices that count)] over the items it covers."""
    by_task = {key: rows for key, rows in items.groupby(["study", "task"], sort=False)}
    item_options = {key: rows for key, rows in options.groupby(["study", "item"], sort=False)}
    out: dict[int, list[tuple[str, frozenset]]] = {}
    for pos, row in enumerate(reference.itertuples(index=False)):
        task_items = by_task.get((row.study, row.task))
        if task_items is None:
            continue
        if row.context != pooled_context:
            task_items = task_items[task_items["context"] == row.context]
        keys = set(str(row.options).split("+")) if isinstance(row.options, str) and row.options else set()
        targets = []
        for it in task_items.itertuples(index=False):
            opts = item_options.get((row.study, it.item))
            if opts is None:
                continue
            if row.task_kind == "select":
                counted = opts.loc[opts["value"] == row.value, "canonical"]
            elif row.task_kind == "rate":
                if it.value != row.value:
                    continue
                counted = opts.loc[opts["option_key"].isin(keys), "canonical"]
            else:  # tradeoff
                if {it.value_a, it.value_b} != {row.value, row.value_b}:
                    continue
                if it.value_a == row.value:
                    counted = opts.loc[opts["option_key"].isin(keys), "canonical"]
                else:  # read each key at the mirrored ordinal of this item's scale
                    ordinal = dict(zip(opts["option_key"], opts["ordinal"].astype(int)))
                    top = int(opts["ordinal"].max()) + int(opts["ordinal"].min())
                    mirrored = {top - ordinal[k] for k in keys if k in ordinal}
                    counted = opts.loc[opts["ordinal"].astype(int).isin(mirrored), "canonical"]
            if len(counted):
                targets.append((it.item, frozenset(counted)))
        out[pos] = targets
    return out


def _run_table(choices: pd.DataFrame) -> dict[tuple, dict[int, list]]:
    """(study, model, setting, item) -> {replicate: [mapped, chosen canonicals]} (plain Python: the
    runs of a study are few enough, and per-group pandas costs more than the whole loop).

    Rate and trade-off runs count their first choice (lowest position); select runs every choice.
    """
    out: dict[tuple, dict[int, list]] = defaultdict(dict)
    first: dict[tuple, float] = {}
    columns = [choices[c].astype(object).to_numpy() for c in
               ("study", "model", "setting", "item", "replicate", "status", "choice", "task_kind", "first_position")]
    for study, model, setting, item, replicate, status, choice, kind, position in zip(*columns):
        runs = out[(study, model, setting, item)]
        run = runs.setdefault(int(replicate), [False, set()])
        if status != "mapped" or not isinstance(choice, str):
            continue
        run[0] = True
        if kind == "select":
            run[1].add(choice)
            continue
        key = (study, model, setting, item, int(replicate))
        position = float("inf") if position is None or pd.isna(position) else float(position)
        if key not in first or position < first[key]:
            first[key] = position
            run[1] = {choice}
    return out


def human_alignment(reference: pd.DataFrame, choices: pd.DataFrame, items: pd.DataFrame, options: pd.DataFrame,
                    n_resamples: int = 1000, seed: int = 0, *, pooled_context: str) -> pd.DataFrame:
    """One row per (study, model, setting, task, human group, options, context); see the module docstring.

    ``reference`` is int_reference_figures, ``choices`` int_replicate_choices_counted (all task
    kinds), ``items`` stg_raw__items, ``options`` stg_raw__options.
    """
    require(reference, REFERENCE_COLUMNS[:-2], "int_reference_figures")
    require(choices, CHOICE_COLUMNS, "int_replicate_choices_counted")
    require(items, ["study", "item", "task", "task_kind", "context", "value", "value_a", "value_b", "k"],
            "stg_raw__items")
    require(options, ["study", "item", "option_key", "canonical", "value", "ordinal", "is_synonym"],
            "stg_raw__options")
    ref = reference[reference["task_kind"].isin(KINDS)].reset_index(drop=True)
    ref = ref.astype({c: object for c in ("study", "human_group", "task", "task_kind", "context", "value",
                                          "value_b", "options")})
    if ref.empty or choices.empty:
        return conform([], HUMAN_ALIGNMENT)
    items = items.astype({c: object for c in ("study", "item", "task", "task_kind", "context", "value", "value_a",
                                              "value_b")})
    options = options[~options["is_synonym"].astype(bool)].astype(
        {c: object for c in ("study", "item", "option_key", "canonical", "value")})
    targets = _targets(ref, items, options, pooled_context)
    runs = _run_table(choices[choices["study"].isin(set(ref["study"]))])
    ks = {(s, t): int(k) for (s, t), k in items[items["task_kind"] == "select"].groupby(["study", "task"])["k"]
          .max().dropna().items()}
    models = defaultdict(set)
    for study, model, setting, _ in runs:
        models[study].add((model, setting))
    out = []
    for (study, task), task_ref in ref.groupby(["study", "task"], sort=True):
        kind = task_ref["task_kind"].iloc[0]
        for model, setting in sorted(models.get(study, ())):
            matrix = _matrix(task_ref, targets, runs, study, model, setting)
            if matrix is None:
                continue
            out += _rows(task_ref, matrix, study, model, setting, task, kind, ks.get((study, task)), pooled_context,
                         n_resamples, seed)
    return conform(out, HUMAN_ALIGNMENT)


class _Matrix:
    """Replicates x (item, point) hits of one (study, model, setting, task), in both denominators."""

    def __init__(self, replicates, keys, all_runs, mapped):
        self.replicates, self.keys = replicates, keys
        self.all_runs, self.mapped = all_runs, mapped
        self.frame_all = pd.DataFrame(all_runs)
        self.frame_all.insert(0, "replicate", replicates)
        self.columns_of: dict[int, list[tuple]] = defaultdict(list)
        for key in keys:
            self.columns_of[key[1]].append(key)


def _matrix(task_ref, targets, runs, study, model, setting) -> _Matrix | None:
    keys, vectors = [], []
    for pos in task_ref.index:
        for item, counted in targets.get(pos, []):
            per_run = runs.get((study, model, setting, item))
            if not per_run:
                continue
            keys.append((item, pos))
            vectors.append((per_run, counted))
    if not keys:
        return None
    replicates = np.array(sorted({r for per_run, _ in vectors for r in per_run}))
    where = {r: i for i, r in enumerate(replicates.tolist())}
    all_runs = np.full((len(replicates), len(keys)), np.nan)
    mapped = np.full((len(replicates), len(keys)), np.nan)
    for j, (per_run, counted) in enumerate(vectors):
        for replicate, (is_mapped, chosen) in per_run.items():
            hit = 1.0 if chosen & counted else 0.0
            all_runs[where[replicate], j] = hit
            if is_mapped:
                mapped[where[replicate], j] = hit
    return _Matrix(replicates, keys, all_runs, mapped)


def _rows(task_ref, matrix: _Matrix, study, model, setting, task, kind, k, pooled_context, n_resamples,
          seed) -> list[dict]:
    rows = []
    resampled = ResampledHits.of(matrix.frame_all, n_resamples, seed)
    for (group, options), figs in task_ref.groupby(["human_group", "options"], sort=True, dropna=False):
        per_context = figs[figs["context"] != pooled_context]
        sets = [(c, g) for c, g in figs.groupby("context", sort=True)]
        sets.append((ALL_PAIRS, per_context if len(per_context) else figs))
        for context, points in sets:
            row = _row(points, matrix, kind, k, n_resamples, seed, resampled)
            rows.append({"study": study, "model": model, "setting": setting, "task": task, "task_kind": kind,
                         "human_group": group, "options": options if isinstance(options, str) else None,
                         "context": context, **row})
    return rows


def _row(points: pd.DataFrame, matrix: _Matrix, kind, k, n_resamples, seed, resampled) -> dict:
    wanted = [matrix.columns_of.get(pos, []) for pos in points.index]
    human = points["share"].to_numpy(dtype=float)
    figures = figures_for(matrix.keys, wanted, how=POOLED)
    model_all, model_mapped = figures.compute(matrix.all_runs), figures.compute(matrix.mapped)
    keep = ~np.isnan(model_all) & ~np.isnan(human)
    rho, p = spearman(model_all[keep], human[keep])
    out = {"spearman_rho": rho, "p_value": p, "n_points": int(keep.sum()), "n_replicates": len(matrix.replicates),
           "spearman_rho_mapped": spearman(model_mapped, human)[0]}
    if keep.sum() >= 3 and n_resamples > 0:
        kept = figures_for(matrix.keys, [w for w, use in zip(wanted, keep) if use], how=POOLED)
        out["ci_low"], out["ci_high"] = rho_interval(matrix.frame_all, kept, human[keep], n_resamples, seed,
                                                     resampled=resampled)
    if kind == "select" and k and keep.any():
        labels = [str(v) for v in points["value"]]
        model_top = top_k({v: x for v, x, use in zip(labels, model_all, keep) if use}, k)
        human_top = top_k({v: y for v, y, use in zip(labels, human, keep) if use}, k)
        out["jaccard_top_k"], out["k"] = jaccard(model_top, human_top), k
    return out
