"""Accuracy of the SQL normaliser on a hand-labelled set of messy answers (labelled_answers.csv)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.aligned.warehouse import simulated
from tests.aligned.warehouse.conftest import dbt_build, make_db, query, response_row, shipped_design

pytestmark = pytest.mark.slow  # runs dbt

LABELLED = Path(__file__).with_name("labelled_answers.csv")
MODEL = "labelled"


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    cases = list(csv.DictReader(LABELLED.open(encoding="utf-8")))
    design = shipped_design()
    rows, by_response = [], {}
    for c in cases:
        shown = json.loads(c["options_shown"]) if c["options_shown"] else None
        # one replicate per case keeps request keys unique; the run-count test is not run here
        row = response_row(design, MODEL, c["item"], "original", int(c["case"]), c["response_text"], shown)
        rows.append(row)
        by_response[row["response_id"]] = c
    # realistic answers from the simulated panel ride along in the same build (figures only)
    sim_expected = {}
    if simulated.available():
        from simulator.panel import panel_model_names
        for row, status, chosen in simulated.simulated_rows(design, panel_model_names(), 2, model_prefix="sim:"):
            rows.append(row)
            sim_expected[row["response_id"]] = (status, chosen)
    work = tmp_path_factory.mktemp("labelled")
    db = make_db(work / "labelled.duckdb", design, [MODEL], rows)
    code = dbt_build(db, work, select="+answers", exclude="test_type:singular", indirect_selection="cautious")
    assert code == 0, "dbt build --select +answers failed"
    got: dict[str, tuple[str, list[str]]] = {}
    for response_id, status, choice in query(
            db, "select response_id, status, choice from answers order by response_id, position"):
        st, choices = got.setdefault(response_id, (status, []))
        if choice is not None:
            choices.append(choice)
    return cases, by_response, got, db, sim_expected


def test_labelled_set_is_large_and_varied(labelled):
    cases = labelled[0]
    assert len(cases) >= 300
    kinds = {c["item"].split("/")[0] for c in cases}
    assert kinds == {"t1", "t2", "t3", "t4"}
    assert {c["expected_status"] for c in cases} == {"mapped", "refusal", "invalid"}


def test_normalisation_accuracy(labelled):
    cases, by_response, got = labelled[:3]
    wrong = []
    for response_id, c in by_response.items():
        status, choices = got.get(response_id, ("missing", []))
        expected = c["expected_choices"].split("|") if c["expected_choices"] else []
        if status != c["expected_status"] or choices != expected:
            wrong.append((c["case"], c["item"], c["note"], c["response_text"][:80], c["expected_status"],
                          expected, status, choices))
    accuracy = 1 - len(wrong) / len(cases)
    print(f"\nnormalisation accuracy: {accuracy:.4f} ({len(cases) - len(wrong)}/{len(cases)} labelled answers)")
    for w in wrong:
        print("  WRONG", w)
    assert accuracy >= 0.99


def test_every_row_records_how_it_was_matched(labelled):
    db = labelled[3]
    methods = {r[0] for r in query(db, "select distinct match_method from answers")}
    assert methods <= {"exact", "synonym", "contains", "fuzzy", "number", "refusal", "invalid"}
    assert {"exact", "synonym", "contains", "fuzzy", "number", "refusal", "invalid"} <= methods
    # the traps, by name
    rows = query(db, """select r.response_text, a.choice
                        from answers a join staging.stg_raw__responses r using (response_id)
                        where a.item = 't2/medical/privacy'
                          and r.response_text in ('Not at all important', 'Important or very important')""")
    assert dict(rows) == {"Not at all important": "not_at_all_important", "Important or very important": None}


def test_simulated_panel_agreement(labelled):
    """How often the warehouse reads the simulated panel's decision as the panel meant it. The
    panel's refusals and off-format replies follow docs/answer-rubric.md, so anything short of
    (nearly) all is a parser or simulator bug."""
    _, _, got, _, sim_expected = labelled
    if not sim_expected:
        pytest.skip("simulator not available")
    decided = {rid: e for rid, e in sim_expected.items() if e[0] in ("mapped", "refusal", "invalid")}
    agree = sum(1 for rid, (status, chosen) in decided.items()
                if got.get(rid, ("missing", []))[0] == status and got[rid][1] == chosen)
    print(f"\nsimulated panel: {agree}/{len(decided)} decided answers read as decided "
          f"({agree / max(len(decided), 1):.4f}); {len(sim_expected) - len(decided)} generic replies not scored")
    db = labelled[3]
    texts = dict(query(db, "select response_id, response_text from staging.stg_raw__responses where model like 'sim:%'"))
    for rid, (status, chosen) in list(decided.items()):
        if got.get(rid, ("missing", []))[0] != status or got[rid][1] != chosen:
            print("  DIFF", status, chosen, got.get(rid), repr(texts.get(rid, ""))[:150])
    assert got.keys() >= sim_expected.keys()  # every answer reached the mart
    assert agree / len(decided) >= 0.995


# -- real answers: SmolLM2-135M, labelled twice by docs/answer-rubric.md ------------------------

REAL_DIR = Path(__file__).with_name("real_answers")
REAL_MODEL = "smollm2-135m"


def label_reading(label: str, row: dict, design) -> tuple[str, list[str]]:
    """A rubric label (docs/answer-rubric.md) as (status, canonical choices), like the answers mart."""
    label = label.strip()
    if label.lower() in ("refusal", "invalid"):
        return label.lower(), []
    it = design.item(row["item_id"])
    parts = [p.strip() for p in label.split("|") if p.strip()]
    if row["kind"] == "rank":
        shown = json.loads(row["option_keys_shown"])
        by_key = {o.key: o.canonical for o in it.options}
        try:
            return "mapped", [by_key[shown[int(p) - 1]] for p in parts]
        except (ValueError, IndexError, KeyError):
            return "unreadable label", parts
    by_label = {o.label.lower(): o.canonical for o in (*it.options, *it.synonyms)}
    if any(p.lower() not in by_label for p in parts):
        return "unreadable label", parts
    return "mapped", [by_label[p.lower()] for p in parts]


def read_labels(name: str) -> dict[str, tuple[str, bool]]:
    with (REAL_DIR / name).open(encoding="utf-8") as f:
        return {r["answer_id"]: (r["label"], r["sure"].strip().lower() in ("yes", "y", "true", "1", "sure"))
                for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    answers = list(csv.DictReader((REAL_DIR / "answers.csv").open(encoding="utf-8")))
    design = shipped_design()
    rows, by_answer = [], {}
    for a in answers:
        row = response_row(design, REAL_MODEL, a["item_id"], a["setting"], int(a["replicate"]), a["response_text"],
                           json.loads(a["option_keys_shown"]))
        row["finish_reason"] = a["finish_reason"]
        rows.append(row)
        by_answer[a["answer_id"]] = row["response_id"]
    work = tmp_path_factory.mktemp("real_answers")
    db = make_db(work / "real.duckdb", design, [REAL_MODEL], rows)
    code = dbt_build(db, work, select="+answers", exclude="test_type:singular", indirect_selection="cautious")
    assert code == 0, "dbt build --select +answers failed"
    got: dict[str, tuple[str, list[str]]] = {}
    truncated = {}
    for response_id, status, choice, is_truncated in query(
            db, "select response_id, status, choice, is_truncated from answers order by response_id, position"):
        st, choices = got.setdefault(response_id, (status, []))
        truncated[response_id] = is_truncated
        if choice is not None:
            choices.append(choice)
    return answers, design, by_answer, got, truncated


def test_real_answers_are_many_and_varied(real):
    answers = real[0]
    assert len(answers) >= 400
    assert {a["kind"] for a in answers} == {"select", "rate", "tradeoff", "rank"}
    assert len({a["replicate"] for a in answers}) >= 3
    assert len({a["setting"] for a in answers if a["kind"] == "select"}) >= 4
    assert len({a["answer_id"] for a in answers}) == len(answers)


def test_truncated_answers_are_flagged(real):
    answers, _, by_answer, _, truncated = real
    for a in answers:
        assert truncated[by_answer[a["answer_id"]]] == (a["finish_reason"] == "length"), a["answer_id"]


def test_real_answer_accuracy(real):
    """The normaliser against two independent passes of the rubric; gate on the sure, agreed ones."""
    answers, design, by_answer, got, _ = real
    if not all((REAL_DIR / f).exists() for f in ("labels_pass1.csv", "labels_pass2.csv")):
        pytest.skip("labels_pass1.csv / labels_pass2.csv not written yet")
    p1, p2 = read_labels("labels_pass1.csv"), read_labels("labels_pass2.csv")
    assert p1.keys() == p2.keys() == {a["answer_id"] for a in answers}, "each pass labels every answer once"
    agree, sure_agreed, unsure_agreed, disagreed = 0, [], [], []
    for a in answers:
        r1, r2 = label_reading(p1[a["answer_id"]][0], a, design), label_reading(p2[a["answer_id"]][0], a, design)
        assert "unreadable label" not in (r1[0], r2[0]), (a["answer_id"], p1[a["answer_id"]], p2[a["answer_id"]])
        if r1 == r2:
            agree += 1
            (sure_agreed if p1[a["answer_id"]][1] and p2[a["answer_id"]][1] else unsure_agreed).append((a, r1))
        else:
            disagreed.append((a, r1, r2))

    def score(cases):
        wrong = [(a, want, got[by_answer[a["answer_id"]]]) for a, want in cases
                 if got[by_answer[a["answer_id"]]] != want]
        return 1 - len(wrong) / max(len(cases), 1), wrong

    accuracy, wrong = score(sure_agreed)
    unsure_accuracy, _ = score(unsure_agreed)
    print(f"\nreal answers: {len(answers)}; the two passes agree on {agree} ({agree / len(answers):.3f}); "
          f"{len(sure_agreed)} agreed and sure, {len(unsure_agreed)} agreed but unsure, {len(disagreed)} disagreed")
    print(f"normaliser accuracy on agreed, sure answers: {accuracy:.4f} ({len(sure_agreed) - len(wrong)}/"
          f"{len(sure_agreed)}); on agreed, unsure answers: {unsure_accuracy:.4f} ({len(unsure_agreed)})")
    for a, want, have in wrong:
        print("  WRONG", a["answer_id"], a["item_id"], json.dumps(a["response_text"])[:120], "want", want, "got", have)
    assert accuracy >= 0.97
