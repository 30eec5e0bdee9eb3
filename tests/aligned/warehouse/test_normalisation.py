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
    """A figure, not a gate: how often the warehouse reads the simulated panel's decision."""
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
