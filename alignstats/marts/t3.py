"""T3 (trade-offs): shares favouring each side, and their alignment with the human groups.

A conflict is an unordered pair of values, asked in both directions
("ensuring A may reduce B" and "ensuring B may reduce A") in every context.
It is oriented as the reference orients it (value_a, value_b); a conflict
the reference lacks is oriented alphabetically. For each side the model's
share pools the answers: answers favouring the side at the measure's
strength / mapped answers of the conflict, summed over both directions and,
for context ``all``, over every context too (``selection_shares`` gives
the per-item counts: one row per side of each item).

The reference gives only the pooled (``all``) human shares, so per-context
rows of ``t3_tradeoff_shares`` carry null human shares, and
``t3_human_alignment`` correlates the ``all`` shares: one point per
(conflict, side), 10 in the shipped design.
"""
from __future__ import annotations

import pandas as pd

from alignstats.marts.frames import (ALL_CONTEXTS, FLOAT, HUMAN_GROUPS, INT, STR, conform,
                                       require)
from alignstats.marts.hits import hit_matrices
from alignstats.marts.intervals import POOLED, ResampledHits, figures_for, rho_interval
from alignstats import spearman

T3_TRADEOFF_SHARES = {
    "study": STR, "model": STR, "setting": STR, "context": STR, "value_a": STR, "value_b": STR,
    "side": STR, "favoured_value": STR, "measure": STR, "share": FLOAT, "selections": INT, "runs": INT,
    **{f"human_{group}": FLOAT for group in HUMAN_GROUPS},
}

T3_HUMAN_ALIGNMENT = {
    "study": STR, "model": STR, "setting": STR, "human_group": STR, "measure": STR,
    "spearman_rho": FLOAT, "p_value": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT, "n_points": INT,
}

MEASURES = ("definitely", "definitely_or_probably")


def tradeoff_rows(selection_shares: pd.DataFrame) -> pd.DataFrame:
    """The T3 rows of selection_shares: one per (study, model, setting, context, item, side, measure)."""
    require(selection_shares, ["study", "model", "task_kind", "setting", "context", "item", "value", "opponent",
                               "measure", "selections", "runs"], "selection_shares")
    rows = selection_shares[selection_shares["task_kind"] == "tradeoff"]
    return rows[["study", "model", "setting", "context", "item", "value", "opponent", "measure",
                 "selections", "runs"]].reset_index(drop=True)


def human_t3_long(human_t3: pd.DataFrame) -> pd.DataFrame:
    """The seed as (group, value_a, value_b, side, measure, human_share)."""
    require(human_t3, ["group", "value_a", "value_b", *(f"share_{m}_{s}" for m in MEASURES for s in "ab")],
            "human_t3_tradeoffs")
    parts = []
    for measure in MEASURES:
        for side in "ab":
            part = human_t3[["group", "value_a", "value_b"]].assign(
                side=side, measure=measure, human_share=human_t3[f"share_{measure}_{side}"].astype(float))
            parts.append(part)
    return pd.concat(parts, ignore_index=True)


def orient(rows: pd.DataFrame, human_t3: pd.DataFrame) -> pd.DataFrame:
    """Add value_a, value_b (the reference's order, else alphabetical) and side ('a' or 'b')."""
    reference = {frozenset(pair): pair for pair in zip(human_t3["value_a"], human_t3["value_b"])}
    pairs = [reference.get(frozenset((v, o)), tuple(sorted((v, o))))
             for v, o in zip(rows["value"], rows["opponent"])]
    value_a = [a for a, _ in pairs]
    return rows.assign(value_a=value_a, value_b=[b for _, b in pairs],
                       side=["a" if v == a else "b" for v, a in zip(rows["value"], value_a)])


def t3_tradeoff_shares(selection_shares: pd.DataFrame, human_t3: pd.DataFrame) -> pd.DataFrame:
    """One row per (study, model, setting, context incl. 'all', conflict, side, measure)."""
    rows = tradeoff_rows(selection_shares)
    if rows.empty:
        return conform([], T3_TRADEOFF_SHARES)
    rows = orient(rows, human_t3)
    keys = ["study", "model", "setting", "value_a", "value_b", "side", "measure"]
    per_context = rows.groupby([*keys, "context"], sort=True)[["selections", "runs"]].sum().reset_index()
    pooled = rows.groupby(keys, sort=True)[["selections", "runs"]].sum().reset_index().assign(context=ALL_CONTEXTS)
    out = pd.concat([pooled, per_context], ignore_index=True)
    out["share"] = out["selections"] / out["runs"].where(out["runs"] > 0)
    out["favoured_value"] = out["value_a"].where(out["side"] == "a", out["value_b"])
    human = human_t3_long(human_t3).pivot_table(index=["value_a", "value_b", "side", "measure"],
                                                columns="group", values="human_share", aggfunc="first")
    human = human.reindex(columns=list(HUMAN_GROUPS)).add_prefix("human_").reset_index().assign(context=ALL_CONTEXTS)
    human.columns.name = None
    out = out.merge(human, on=["value_a", "value_b", "side", "measure", "context"], how="left")
    return conform(out, T3_TRADEOFF_SHARES)


def t3_human_alignment(selection_shares: pd.DataFrame, choices: pd.DataFrame, human_t3: pd.DataFrame,
                       measures: pd.DataFrame, n_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per (study, model, setting, human group, measure): rho over the (conflict, side) points.

    ``choices`` is ``int_replicate_choices_counted``;
    ``measures`` is ``int_measure_options``: which choices each measure counts.
    """
    item_sides = tradeoff_rows(selection_shares)
    if item_sides.empty:
        return conform([], T3_HUMAN_ALIGNMENT)
    item_sides = orient(item_sides, human_t3)
    shares = t3_tradeoff_shares(selection_shares, human_t3)
    shares = shares[shares["context"] == ALL_CONTEXTS]
    human = human_t3_long(human_t3)
    matrices = hit_matrices(choices, measures, "tradeoff")
    out = []
    for (study, model, setting, measure), points in shares.groupby(["study", "model", "setting", "measure"],
                                                                    sort=True):
        points = points.set_index(["value_a", "value_b", "side"])["share"]
        hm = matrices.get((study, model, setting, measure))
        matrix, keys = (hm.frame(), [(i, v) for i, _, v, _ in hm.keys]) if hm is not None else (pd.DataFrame(), [])
        items = item_sides[(item_sides["study"] == study) & (item_sides["model"] == model)
                           & (item_sides["setting"] == setting) & (item_sides["measure"] == measure)]
        resampled = ResampledHits.of(matrix, n_resamples, seed) if keys else None
        side_columns = {point: list(zip(side_rows["item"], side_rows["value"]))
                        for point, side_rows in items.groupby(["value_a", "value_b", "side"], sort=False)}
        for group, ref in human[human["measure"] == measure].groupby("group", sort=False):
            ref = ref.set_index(["value_a", "value_b", "side"])["human_share"]
            index = points.index.intersection(ref.index)
            complete = points[index].notna().to_numpy() & ref[index].notna().to_numpy()
            index = index[complete]
            rho, p = spearman(points[index].to_numpy(), ref[index].to_numpy())
            row = {"study": study, "model": model, "setting": setting, "human_group": group, "measure": measure,
                   "spearman_rho": rho, "p_value": p, "n_points": len(index)}
            if keys and len(index):
                # each point's columns: its side in every item of the conflict (directions x contexts)
                wanted = [side_columns.get(point, []) for point in index]
                figures = figures_for(keys, wanted, how=POOLED)
                row["ci_low"], row["ci_high"] = rho_interval(matrix, figures, ref[index].to_numpy(),
                                                             n_resamples, seed, resampled=resampled)
            out.append(row)
    return conform(out, T3_HUMAN_ALIGNMENT)
