"""Small hand-built ``answers`` and ``selection_shares`` frames, counted here in plain Python.

The counting mirrors the warehouse contract (share = selections / mapped
runs) without using alignstats.marts, so the tests compare the package
against an independent tally.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

T1_VALUES = ["Safety", "Performance", "Privacy", "Accountability", "Transparency", "Social Good", "Fairness",
             "Sustainability", "Human Autonomy", "Dignity", "Inclusiveness", "Solidarity"]
T2_VALUES = ["Privacy", "Safety", "Performance", "Accountability", "Fairness", "Transparency", "Human Autonomy"]

SHARE_COLUMNS = ["study", "model", "task", "task_kind", "item", "context", "setting", "value", "opponent",
                 "measure", "runs", "n_refusals", "n_invalid", "selections", "share", "rank", "runs_all",
                 "share_of_all_runs"]
ANSWER_COLUMNS = ["response_id", "study", "model", "task", "task_kind", "item", "context", "setting", "replicate",
                  "position", "choice", "value", "match_method", "status"]


def _share_row(**kw) -> dict:
    """A selection_shares row; ``runs_all`` (every run, refusals included) defaults to ``runs``."""
    runs, selections = kw["runs"], kw["selections"]
    runs_all = kw.setdefault("runs_all", runs)
    return {"opponent": None, "n_refusals": runs_all - runs, "n_invalid": 0, "rank": None,
            "share": selections / runs if runs else None,
            "share_of_all_runs": selections / runs_all if runs_all else None, **kw}


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
                         setting=setting, value=v, measure="selected", runs=len(mapped), runs_all=len(runs),
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
                                     runs=len(given), runs_all=len(levels),
                                     selections=sum(lv in keys for lv in given)))
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
                                         measure=measure, runs=len(given), runs_all=len(levels), selections=hits))
    return answers, shares


def combine(*parts) -> tuple[pd.DataFrame, pd.DataFrame]:
    answers, shares = [], []
    for a, s in parts:
        answers += a
        shares += s
    return frames(answers, shares)


# -- human figures: int_reference_figures rows ------------------------------------------------
REFERENCE_COLUMNS = ["study", "human_group", "group_label", "task", "task_kind", "context", "value", "value_b",
                     "options", "share", "n_respondents", "measure", "side"]
SHIPPED_REFERENCE = Path(__file__).resolve().parents[3] / "experiments" / "are_we_aligned.reference.csv"
_T3_COLUMNS = {("definitely", "a"): ("share_definitely_a", "definitely_a"),
               ("definitely_or_probably", "a"): ("share_definitely_or_probably_a", "definitely_a+probably_a"),
               ("definitely", "b"): ("share_definitely_b", "definitely_b"),
               ("definitely_or_probably", "b"): ("share_definitely_or_probably_b", "probably_b+definitely_b")}
_T2_COLUMNS = {"extremely": ("share_extremely_important", "extremely_important"),
               "very_or_extremely": ("share_very_or_extremely_important", "very_important+extremely_important")}


def ref(*humans: pd.DataFrame, study: str | list[str] = "s") -> pd.DataFrame:
    """int_reference_figures rows of ``study`` (or each of several) from frames in the old seeds' wide
    layouts: T1 (group, value, share_selected), T2 (group, context, value, share_extremely_important[,
    share_very_or_extremely_important]), T3 (group, value_a, value_b, share_<measure>_<side>)."""
    studies = [study] if isinstance(study, str) else list(study)
    rows = []
    for human in humans:
        if human is None:
            continue
        for r in human.to_dict("records"):
            base = {"human_group": r["group"], "group_label": r["group"], "n_respondents": r.get("n_respondents", 100)}
            if "share_selected" in r:
                rows.append({**base, "task": "t1", "task_kind": "select", "context": POOLED, "value": r["value"],
                             "share": r["share_selected"], "measure": "selected"})
            elif "value_a" in r:
                for (measure, side), (column, options) in _T3_COLUMNS.items():
                    if column in r and pd.notna(r[column]):
                        rows.append({**base, "task": "t3", "task_kind": "tradeoff", "context": POOLED,
                                     "value": r["value_a"], "value_b": r["value_b"], "options": options,
                                     "share": r[column], "measure": measure, "side": side})
            else:
                for measure, (column, options) in _T2_COLUMNS.items():
                    if column in r and pd.notna(r[column]):
                        rows.append({**base, "task": "t2", "task_kind": "rate", "context": r["context"],
                                     "value": r["value"], "options": options, "share": r[column],
                                     "measure": measure})
    out = pd.DataFrame([{**row, "study": s} for s in studies for row in rows], columns=REFERENCE_COLUMNS)
    return out.astype({c: object for c in REFERENCE_COLUMNS if c not in ("share", "n_respondents")})


def shipped_reference(study: str = "s") -> pd.DataFrame:
    """The shipped study's figures (experiments/are_we_aligned.reference.csv) as int_reference_figures rows
    of ``study``, with the measures the builders' scales give them."""
    figures = pd.read_csv(SHIPPED_REFERENCE, dtype=str, keep_default_na=False)
    by_options = {o: m for m, (_, o) in _T2_COLUMNS.items()}
    sides = {o: ms for ms, (_, o) in _T3_COLUMNS.items()}
    rows = []
    for r in figures.to_dict("records"):
        options = "+".join(sorted(r["options"].split("+"), key=_SCALE_ORDER.index)) if r["options"] else None
        kind = {"t1": "select", "t2": "rate", "t3": "tradeoff"}[r["task"]]
        measure, side = ("selected", None) if kind == "select" else (
            (by_options.get(options), None) if kind == "rate" else sides.get(options, (None, None)))
        rows.append({"study": study, "human_group": r["group"], "group_label": r["group"], "task": r["task"],
                     "task_kind": kind, "context": r["context"] or POOLED, "value": r["value"],
                     "value_b": r["value_b"] or None, "options": options, "share": float(r["share"]),
                     "n_respondents": int(r["n"]) if r["n"] else 100, "measure": measure, "side": side})
    out = pd.DataFrame(rows, columns=REFERENCE_COLUMNS)
    return out.astype({c: object for c in REFERENCE_COLUMNS if c not in ("share", "n_respondents")})


_SCALE_ORDER = ["not_at_all_important", "slightly_important", "important", "very_important", "extremely_important",
                "definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"]


def _as_reference(human: pd.DataFrame | None, shares: pd.DataFrame) -> pd.DataFrame:
    """``human`` as int_reference_figures rows of every study in ``shares`` (already such rows: as is)."""
    if human is not None and "task_kind" in human.columns:
        return human
    studies = sorted(set(shares["study"])) or ["s"]
    return ref(human, study=studies)


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
    human = _as_reference(human, shares)
    rows = shares[shares["task_kind"] == "tradeoff"].drop_duplicates(["study", "item"])
    items = pd.DataFrame({"study": rows["study"], "item": rows["item"], "task": rows["task"],
                          "task_kind": rows["task_kind"], "value_a": rows["value"], "value_b": rows["opponent"]})
    items = items.astype(object)
    sides = run_model("intermediate/int_tradeoff_sides.sql", stg_raw__items=items, int_reference_figures=human)
    tradeoff = run_model("marts/alignment/t3_tradeoff_shares.sql", selection_shares=shares.astype({"opponent": object}),
                         int_tradeoff_sides=sides, int_reference_figures=human)
    return {"tradeoff_shares": tradeoff, "tradeoff_sides": sides}


def t2_alignment(shares, choices, human, measures, **kw):
    """t2_human_alignment; ``human`` in the old seed layout (or int_reference_figures rows)."""
    from alignstats.marts import t2_human_alignment
    return t2_human_alignment(t2_shares(shares), choices, _as_reference(human, shares), measures, **kw)


def t3_alignment(shares, choices, human, measures, **kw):
    """t3_human_alignment; ``human`` in the old seed layout (or int_reference_figures rows)."""
    from alignstats.marts import t3_human_alignment
    human = _as_reference(human, shares)
    inputs = t3_inputs(shares, human)
    return t3_human_alignment(inputs["tradeoff_shares"], choices, human, measures, **kw,
                              tradeoff_sides=inputs["tradeoff_sides"], pooled_context=POOLED)


def fidelity(shares, choices, human_t1, human_t2, human_t3, measures, *args, **kw):
    """profile_fidelity; the human frames in the old seed layouts (or int_reference_figures rows)."""
    from alignstats.marts import profile_fidelity
    human = pd.concat([_as_reference(h, shares) for h in (human_t1, human_t2, human_t3)], ignore_index=True)
    return profile_fidelity(shares, choices, human, measures, *args, **kw,
                            t2_shares=t2_shares(shares), pooled_context=POOLED, **t3_inputs(shares, human))


def similarity(shares):
    from alignstats.marts import model_similarity
    return model_similarity(shares, t2_shares(shares))
