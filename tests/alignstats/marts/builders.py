"""Small hand-built ``answers`` and ``selection_shares`` frames, counted here in plain Python.

The counting mirrors the warehouse contract (share = selections / mapped
runs) without using alignstats.marts, so the tests compare the package
against an independent tally.
"""
from __future__ import annotations

import pandas as pd

T1_VALUES = ["Safety", "Performance", "Privacy", "Accountability", "Transparency", "Social Good", "Fairness",
             "Sustainability", "Human Autonomy", "Dignity", "Inclusiveness", "Solidarity"]
T2_VALUES = ["Privacy", "Safety", "Performance", "Accountability", "Fairness", "Transparency", "Human Autonomy"]

SHARE_COLUMNS = ["study", "model", "task", "task_kind", "item", "context", "setting", "value", "opponent",
                 "measure", "runs", "n_refusals", "n_invalid", "selections", "share", "rank"]
ANSWER_COLUMNS = ["response_id", "study", "model", "task", "task_kind", "item", "context", "setting", "replicate",
                  "position", "choice", "value", "match_method", "status"]


def _share_row(**kw) -> dict:
    runs, selections = kw["runs"], kw["selections"]
    return {"opponent": None, "n_refusals": 0, "n_invalid": 0, "rank": None,
            "share": selections / runs if runs else None, **kw}


def _answer(study, model, task, kind, item, context, setting, replicate, position, choice, value, status="mapped"):
    return {"response_id": f"{model}|{item}|{setting}|{replicate}", "study": study, "model": model, "task": task,
            "task_kind": kind, "item": item, "context": context, "setting": setting, "replicate": replicate,
            "position": position, "choice": choice, "value": value, "match_method": "exact" if choice else status,
            "status": status}


def frames(answers: list[dict], shares: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(answers, columns=ANSWER_COLUMNS), pd.DataFrame(shares, columns=SHARE_COLUMNS)


def t1(study: str, model: str, setting: str, runs: list[list[str] | None], values=T1_VALUES):
    """T1 runs: each a list of picked values, or None for a refusal."""
    answers = []
    for r, picks in enumerate(runs, 1):
        if picks is None:
            answers.append(_answer(study, model, "t1", "select", "t1", None, setting, r, None, None, None, "refusal"))
            continue
        for pos, value in enumerate(picks, 1):
            answers.append(_answer(study, model, "t1", "select", "t1", None, setting, r, pos, value, value))
    mapped = [set(p) for p in runs if p is not None]
    shares = [_share_row(study=study, model=model, task="t1", task_kind="select", item="t1", context="general",
                         setting=setting, value=v, measure="selected", runs=len(mapped),
                         selections=sum(v in p for p in mapped)) for v in values]
    return answers, shares


RATE_LEVELS = {"extremely": {"extremely_important"}, "very_or_extremely": {"very_important", "extremely_important"}}


def t2(study: str, model: str, ratings: dict[tuple[str, str], list[str | None]], setting: str = "original"):
    """T2 answers per (context, value): level keys in replicate order, None for a refusal."""
    answers, shares = [], []
    for (context, value), levels in ratings.items():
        item = f"t2/{context}/{value.lower().replace(' ', '_')}"
        for r, level in enumerate(levels, 1):
            if level is None:
                answers.append(_answer(study, model, "t2", "rate", item, context, setting, r, None, None, None,
                                       "refusal"))
            else:
                answers.append(_answer(study, model, "t2", "rate", item, context, setting, r, 1, level, value))
        given = [lv for lv in levels if lv is not None]
        for measure, keys in RATE_LEVELS.items():
            shares.append(_share_row(study=study, model=model, task="t2", task_kind="rate", item=item,
                                     context=context, setting=setting, value=value, measure=measure,
                                     runs=len(given), selections=sum(lv in keys for lv in given)))
    return answers, shares


TRADEOFF_LEVELS = {"definitely": {"definitely"}, "definitely_or_probably": {"definitely", "probably"}}


def t3(study: str, model: str, choices: dict[tuple[str, str, str], list[str | None]], setting: str = "original"):
    """T3 answers per (context, value_a, value_b) item ("ensuring a may reduce b"): level keys
    (definitely_a, probably_b, undecided, ...) in replicate order, None for a refusal."""
    answers, shares = [], []
    for (context, a, b), levels in choices.items():
        item = f"t3/{context}/{a.lower().replace(' ', '_')}-over-{b.lower().replace(' ', '_')}"
        for r, level in enumerate(levels, 1):
            if level is None:
                answers.append(_answer(study, model, "t3", "tradeoff", item, context, setting, r, None, None, None,
                                       "refusal"))
                continue
            favoured = a if level.endswith("_a") else b if level.endswith("_b") else None
            answers.append(_answer(study, model, "t3", "tradeoff", item, context, setting, r, 1, level, favoured))
        given = [lv for lv in levels if lv is not None]
        for side, value, opponent in (("a", a, b), ("b", b, a)):
            for measure, strengths in TRADEOFF_LEVELS.items():
                hits = sum(lv.endswith("_" + side) and lv.split("_")[0] in strengths for lv in given)
                shares.append(_share_row(study=study, model=model, task="t3", task_kind="tradeoff", item=item,
                                         context=context, setting=setting, value=value, opponent=opponent,
                                         measure=measure, runs=len(given), selections=hits))
    return answers, shares


def combine(*parts) -> tuple[pd.DataFrame, pd.DataFrame]:
    answers, shares = [], []
    for a, s in parts:
        answers += a
        shares += s
    return frames(answers, shares)


def human_t1() -> pd.DataFrame:
    return pd.read_csv(_reference("human_t1_top5.csv"))


def human_t2() -> pd.DataFrame:
    return pd.read_csv(_reference("human_t2_importance.csv"))


def human_t3() -> pd.DataFrame:
    return pd.read_csv(_reference("human_t3_tradeoffs.csv"))


def _reference(name: str):
    from pathlib import Path
    return Path(__file__).resolve().parents[3] / "seeds" / name


def measures_for(shares: pd.DataFrame) -> pd.DataFrame:
    """The choices each measure counts, written out by hand for the builders' scales."""
    rows = []
    for r in shares[shares["task_kind"].isin(["rate", "tradeoff"])].drop_duplicates(
            ["study", "item", "value", "measure"]).itertuples():
        if r.task_kind == "rate":
            levels = RATE_LEVELS[r.measure]
        else:
            side = "a" if r.item.split("/")[-1].split("-over-")[0] == r.value.lower().replace(" ", "_") else "b"
            levels = {f"{strength}_{side}" for strength in TRADEOFF_LEVELS[r.measure]}
        rows += [{"study": r.study, "item": r.item, "value": r.value, "opponent": r.opponent,
                  "measure": r.measure, "canonical": level} for level in sorted(levels)]
    return pd.DataFrame(rows, columns=["study", "item", "value", "opponent", "measure", "canonical"])


def choices(answers: pd.DataFrame) -> pd.DataFrame:
    """int_replicate_choices_counted of hand-built answers, from the model's own SQL (sql.py)."""
    from tests.alignstats.marts.sql import replicate_choices
    return replicate_choices(answers)


# -- the SQL marts and intermediate models between selection_shares and the Python marts ------------
# (run from their own SQL, tests/alignstats/marts/sql.py; context var('pooled_context_label'))
POOLED = "all"


def t2_shares(shares: pd.DataFrame) -> pd.DataFrame:
    """The t2_importance_shares mart of hand-built selection_shares."""
    from tests.alignstats.marts.sql import run_model
    return run_model("marts/core/t2_importance_shares.sql", selection_shares=shares)


def t3_inputs(shares: pd.DataFrame, human: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """int_tradeoff_sides and the t3_tradeoff_shares mart of hand-built selection_shares."""
    from tests.alignstats.marts.sql import run_model
    rows = shares[shares["task_kind"] == "tradeoff"].drop_duplicates(["study", "item"])
    items = pd.DataFrame({"study": rows["study"], "item": rows["item"], "task": rows["task"],
                          "task_kind": rows["task_kind"], "value_a": rows["value"], "value_b": rows["opponent"]})
    items = items.astype(object)
    sides = run_model("intermediate/int_tradeoff_sides.sql", stg_raw__items=items, human_t3_tradeoffs=human)
    tradeoff = run_model("marts/alignment/t3_tradeoff_shares.sql", selection_shares=shares.astype({"opponent": object}),
                         int_tradeoff_sides=sides, human_t3_tradeoffs=human)
    return {"tradeoff_shares": tradeoff, "tradeoff_sides": sides}


def t2_alignment(shares, choices, human, measures, **kw):
    from alignstats.marts import t2_human_alignment
    return t2_human_alignment(t2_shares(shares), choices, human, measures, **kw)


def t3_alignment(shares, choices, human, measures, **kw):
    from alignstats.marts import t3_human_alignment
    inputs = t3_inputs(shares, human)
    return t3_human_alignment(inputs["tradeoff_shares"], choices, human, measures, **kw,
                              tradeoff_sides=inputs["tradeoff_sides"], pooled_context=POOLED)


def fidelity(shares, choices, human_t1, human_t2, human_t3, measures, *args, **kw):
    from alignstats.marts import profile_fidelity
    return profile_fidelity(shares, choices, human_t1, human_t2, human_t3, measures, *args, **kw,
                            t2_shares=t2_shares(shares), pooled_context=POOLED, **t3_inputs(shares, human_t3))


def similarity(shares):
    from alignstats.marts import model_similarity
    return model_similarity(shares, t2_shares(shares))
