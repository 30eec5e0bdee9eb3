"""T3 answer distributions against the human groups' whole five-point distributions.

The study's reference (``int_reference_figures``, its pooled trade-off rows,
joined on study) gives, per conflict (value_a vs value_b, pooled over contexts)
and group, the shares definitely-a (da), definitely-or-probably-a (dpa),
definitely-b (db) and definitely-or-probably-b (dpb); the rest were
undecided. That is the whole five-point distribution, in scale order

    h = (da, dpa - da, 1 - dpa - dpb, dpb - db, db)

(a component below 0 from the two-decimal digitisation is set to 0; both
distributions are normalised to sum to 1 before comparing).

The model's distribution pools its mapped answers to the conflict over both
question directions and every context. A question "ensuring B may reduce A"
shows its scale from B's side, so its answers are flipped onto the
reference's orientation: an option's position is its ordinal counted from
the end of the scale that favours the reference's value_a (read from the
design: the value of the option at the scale's first ordinal), so
"definitely a" is always position 0. Refusals and invalid answers are left
out of the distribution; their shares of all answers are reported beside it.
The answers are counted from ``int_replicate_choices_counted`` (one row per
run and choice, with its number of answers), not read one by one.

Per (study, model, setting, conflict, human group):

* ``representativeness`` = 1 - W1(p, h) / (k - 1), as in OpinionQA
  (Santurkar et al. 2023): W1 the earth mover's distance between the two
  distributions on the positions 0..k-1, i.e. sum over positions of
  |CDF_p - CDF_h|; k - 1 (= 4) is its largest value;
* ``js_similarity`` = 1 - JS distance (base 2), as in GlobalOpinionQA
  (Durmus et al. 2023): the JS distance is sqrt((KL(p||m) + KL(h||m)) / 2)
  with m = (p + h) / 2.

Both are ``alignstats`` functions, 1 for identical distributions. They
need the model's scale to have the reference's five points; for another
scale length, or a conflict without mapped answers, they are null.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from alignstats.marts.frames import FLOAT, INT, STR, conform, require
from alignstats.marts.reference import tradeoff_wide
from alignstats.marts.runs import CHOICE_COLUMNS, RUN_KEYS
from alignstats import js_similarity, representativeness

SCALE = ("definitely_a", "probably_a", "undecided", "probably_b", "definitely_b")

T3_DISTRIBUTION_SIMILARITY = {
    "study": STR, "model": STR, "setting": STR, "value_a": STR, "value_b": STR, "human_group": STR,
    "n_answers": INT, "n_mapped": INT, "n_refusals": INT, "n_invalid": INT,
    "refusal_share": FLOAT, "invalid_share": FLOAT,
    **{f"model_{point}": FLOAT for point in SCALE},
    **{f"human_{point}": FLOAT for point in SCALE},
    "representativeness": FLOAT, "js_similarity": FLOAT,
}


HUMAN_T3_COLUMNS = ["share_definitely_a", "share_definitely_or_probably_a", "share_definitely_b",
                    "share_definitely_or_probably_b"]


def human_distributions(human_t3: pd.DataFrame) -> pd.DataFrame:
    """(study, group, value_a, value_b) and the five-point distribution h as columns human_<point>.

    ``human_t3`` is ``reference.tradeoff_wide`` of int_reference_figures: a conflict needs all
    four figures (definitely / definitely-or-probably, each side), else it has no distribution.
    """
    require(human_t3, ["study", "group", "value_a", "value_b"], "int_reference_figures (trade-offs)")
    if not set(HUMAN_T3_COLUMNS) <= set(human_t3.columns):
        return pd.DataFrame(columns=["study", "group", "value_a", "value_b", *(f"human_{p}" for p in SCALE)])
    human_t3 = human_t3.dropna(subset=HUMAN_T3_COLUMNS)
    da = human_t3["share_definitely_a"].astype(float)
    dpa = human_t3["share_definitely_or_probably_a"].astype(float)
    db = human_t3["share_definitely_b"].astype(float)
    dpb = human_t3["share_definitely_or_probably_b"].astype(float)
    points = {"definitely_a": da, "probably_a": dpa - da, "undecided": 1 - dpa - dpb,
              "probably_b": dpb - db, "definitely_b": db}
    out = human_t3[["study", "group", "value_a", "value_b"]].copy()
    for point, share in points.items():
        out[f"human_{point}"] = share.clip(lower=0.0)
    return out.reset_index(drop=True)


def scale_positions(items: pd.DataFrame, options: pd.DataFrame, human_t3: pd.DataFrame) -> pd.DataFrame:
    """(study, item, canonical) -> value_a, value_b (the reference's orientation), position, k.

    ``position`` is 0 for the option at the end of the scale favouring the
    reference's value_a, k - 1 at the other end. A conflict the reference
    lacks is oriented alphabetically (as ``t3.orient``).
    """
    require(items, ["study", "item", "task_kind", "value_a", "value_b"], "stg_raw__items")
    require(options, ["study", "item", "canonical", "value", "ordinal", "is_synonym"], "stg_raw__options")
    tradeoff = items.loc[items["task_kind"] == "tradeoff", ["study", "item", "value_a", "value_b"]]
    opts = options.loc[~options["is_synonym"].astype(bool), ["study", "item", "canonical", "value", "ordinal"]]
    opts = opts.merge(tradeoff[["study", "item"]], on=["study", "item"])
    columns = ["study", "item", "canonical", "value_a", "value_b", "position", "k"]
    if opts.empty:
        return pd.DataFrame(columns=columns)
    reference = {(study, frozenset((a, b))): (a, b)
                 for study, a, b in zip(human_t3["study"], human_t3["value_a"], human_t3["value_b"])}
    pairs = [reference.get((study, frozenset((a, b))), tuple(sorted((a, b))))
             for study, a, b in zip(tradeoff["study"], tradeoff["value_a"], tradeoff["value_b"])]
    tradeoff = tradeoff.assign(ref_a=[a for a, _ in pairs], ref_b=[b for _, b in pairs])
    opts = opts.merge(tradeoff[["study", "item", "ref_a", "ref_b"]], on=["study", "item"])
    ordinal = opts["ordinal"].astype(int)
    by_item = opts.assign(ordinal=ordinal).groupby(["study", "item"])["ordinal"]
    first, last = by_item.transform("min"), by_item.transform("max")
    first_value = opts.assign(is_first=ordinal == first).loc[lambda f: f["is_first"]].set_index(
        ["study", "item"])["value"]
    starts_at = pd.Series([first_value.get((s, i)) for s, i in zip(opts["study"], opts["item"])], index=opts.index)
    from_a = starts_at == opts["ref_a"]
    from_b = starts_at == opts["ref_b"]
    if not (from_a | from_b).all():
        bad = opts.loc[~(from_a | from_b), ["study", "item"]].drop_duplicates().head(3).to_dict("records")
        raise ValueError(f"trade-off scale does not start at one of the item's two values: {bad}")
    position = np.where(from_a, ordinal - first, last - ordinal)
    out = opts.assign(value_a=opts["ref_a"], value_b=opts["ref_b"], position=position.astype(int),
                      k=by_item.transform("count").astype(int))
    return out[columns].reset_index(drop=True)


def t3_distribution_similarity(choices: pd.DataFrame, items: pd.DataFrame, options: pd.DataFrame,
                               reference: pd.DataFrame, pooled_context: str = "all") -> pd.DataFrame:
    """One row per (study, model, setting, conflict, human group); see the module docstring.

    ``choices`` is ``int_replicate_choices_counted`` (or ``answers``); ``reference`` is
    ``int_reference_figures`` (the study's pooled trade-off figures, joined on study).
    """
    wide = tradeoff_wide(reference[reference["context"] == pooled_context] if "context" in reference else reference)
    human_t3 = wide
    require(choices, CHOICE_COLUMNS, "int_replicate_choices_counted")
    rows = choices[choices["task_kind"] == "tradeoff"]
    if rows.empty:
        return conform([], T3_DISTRIBUTION_SIMILARITY)
    # one status and choice per run: its first (a trade-off answer maps to at most one option)
    if rows.duplicated(RUN_KEYS).any():
        rows = rows.sort_values("first_position", kind="stable", na_position="last").drop_duplicates(RUN_KEYS)
    # counted per (item, status, choice) first: a handful of rows per item instead of one per run
    rows = (rows.groupby(["study", "model", "setting", "item", "status", "choice"], observed=True, dropna=False,
                         sort=False)["n_responses"].sum().reset_index())
    rows = rows.astype({c: object for c in ["study", "model", "setting", "item", "status", "choice"]})
    positions = scale_positions(items, options, human_t3)
    conflicts = positions.drop_duplicates(["study", "item"])[["study", "item", "value_a", "value_b", "k"]]
    rows = rows.merge(conflicts, on=["study", "item"], how="inner")
    rows = rows.merge(positions[["study", "item", "canonical", "position"]].rename(
        columns={"canonical": "choice", "position": "scale_position"}), on=["study", "item", "choice"], how="left")
    keys = ["study", "model", "setting", "value_a", "value_b"]
    n = rows["n_responses"].astype(int)
    by_status = {f"n_{name}": n.where(rows["status"] == status, 0)
                 for name, status in (("mapped", "mapped"), ("refusals", "refusal"), ("invalid", "invalid"))}
    counts = rows.assign(**by_status).groupby(keys, sort=True).agg(
        n_answers=("n_responses", "sum"),
        n_mapped=("n_mapped", "sum"),
        n_refusals=("n_refusals", "sum"),
        n_invalid=("n_invalid", "sum"),
        k=("k", "max"),
    ).reset_index()
    mapped = rows[(rows["status"] == "mapped") & rows["scale_position"].notna()]
    histogram = (mapped.groupby([*keys, "scale_position"])["n_responses"].sum()
                 .unstack("scale_position", fill_value=0) if len(mapped) else pd.DataFrame())
    human = human_distributions(human_t3)
    out = []
    for conflict in counts.itertuples(index=False):
        key = tuple(getattr(conflict, c) for c in keys)
        k = int(conflict.k)
        model_counts = np.zeros(k)
        if key in histogram.index:
            found = histogram.loc[key]
            for position, count in found.items():
                model_counts[int(position)] = count
        total = model_counts.sum()
        base = {**dict(zip(keys, key)), "n_answers": conflict.n_answers, "n_mapped": conflict.n_mapped,
                "n_refusals": conflict.n_refusals, "n_invalid": conflict.n_invalid,
                "refusal_share": conflict.n_refusals / conflict.n_answers,
                "invalid_share": conflict.n_invalid / conflict.n_answers}
        if k == len(SCALE) and total > 0:
            base.update({f"model_{point}": share for point, share in zip(SCALE, model_counts / total)})
        ref = human[(human["study"] == conflict.study) & (human["value_a"] == conflict.value_a)
                    & (human["value_b"] == conflict.value_b)]
        for h in ref.itertuples(index=False):
            reference = np.array([getattr(h, f"human_{point}") for point in SCALE], dtype=float)
            row = {**base, "human_group": h.group,
                   **{f"human_{point}": share for point, share in zip(SCALE, reference / reference.sum())}}
            if k == len(SCALE) and total > 0:
                row["representativeness"] = representativeness(model_counts, reference)
                with np.errstate(invalid="ignore"):  # scipy's sqrt of a rounding-error negative; js_similarity -> 1
                    row["js_similarity"] = js_similarity(model_counts, reference)
            out.append(row)
    return conform(out, T3_DISTRIBUTION_SIMILARITY)
