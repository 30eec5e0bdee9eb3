"""The simulator reads options, task, k, value and context out of any prompt wording."""
from __future__ import annotations

import random

import pytest

from simulator.prompts import parse_messages, parse_prompt
from simulator.vocab import find_context, story_value, value_of

from .conftest import CONTEXTS, LEVELS, STORIES, T1_SYNONYMS, T1_VALUES, t1_prompt, t2_prompt, t3_prompt, t4_prompt


def test_t1_is_a_top5_selection_over_the_twelve_values():
    p = parse_messages(t1_prompt())
    assert p.task == "selection"
    assert p.k == 5
    assert [o.value for o in p.options] == T1_VALUES
    assert [o.name for o in p.options] == T1_VALUES


def test_t1_synonym_labels_map_to_canonical_values_and_are_answered_as_printed():
    labels = [T1_SYNONYMS.get(v, v) for v in T1_VALUES]
    p = parse_messages(t1_prompt(labels))
    assert [o.value for o in p.options] == T1_VALUES
    assert [o.name for o in p.options] == labels


@pytest.mark.parametrize("alias,value", [
    ("justice", "Fairness"), ("NON-DISCRIMINATION", "Fairness"), ("Non discrimination", "Fairness"),
    ("non-maleficence", "Safety"), ("Responsibility", "Accountability"), ("data protection", "Privacy"),
    ("Beneficence", "Social Good"), ("Human Agency", "Human Autonomy"), ("Autonomy", "Human Autonomy"),
    ("Environmental Well-being", "Sustainability"), ("social cohesion", "Solidarity"),
    ("Diversity", "Inclusiveness"), ("ACCURACY", "Performance"), ("dignity", "Dignity"),
])
def test_values_are_recognised_by_name_or_synonym_case_insensitively(alias, value):
    assert value_of(alias) == value


def test_options_with_descriptions_are_answered_by_their_value_name():
    p = parse_prompt("Pick three.\n\n- Safety: the system does not hurt anyone\n- Privacy (data stays private)\n"
                     "- Dignity - people are respected\n- Something else entirely\n")
    assert p.task == "selection" and p.k == 3
    assert [(o.name, o.value) for o in p.options] == [
        ("Safety", "Safety"), ("Privacy", "Privacy"), ("Dignity", "Dignity"),
        ("Something else entirely", None)]


@pytest.mark.parametrize("text,k", [
    ("Choose the five most important of the 12 values below.", 5),
    ("Of these 12, name your top 3.", 3),
    ("Pick 4 values.", 4),
    ("Which values matter most?", 5),
    ("Pick the two most important.", 2),
])
def test_k_is_the_number_word_or_digit_in_the_question(text, k):
    p = parse_prompt(text + "\n\n" + "\n".join(f"- {v}" for v in T1_VALUES))
    assert p.k == k


@pytest.mark.parametrize("context", list(CONTEXTS))
@pytest.mark.parametrize("value", ["Privacy", "Safety", "Performance", "Accountability", "Fairness",
                                   "Transparency", "Human Autonomy"])
def test_t2_is_a_rating_of_the_value_asked_about_in_its_context(context, value):
    levels = LEVELS[:]
    random.Random(value + context).shuffle(levels)
    p = parse_messages(t2_prompt(context, value, levels))
    assert p.task == "rating"
    assert p.value == value and p.context == context
    assert {o.label: o.level for o in p.options} == {lv: float(i) for i, lv in enumerate(LEVELS)}


def test_rating_scales_with_other_wording_still_order_by_intensity():
    p = parse_prompt("How important is fairness here?\n- Extremely important\n- Very important\n"
                     "- Moderately important\n- Slightly important\n- Not important at all")
    assert p.task == "rating" and p.value == "Fairness"
    assert [o.level for o in p.options] == [4.0, 3.0, 2.0, 1.0, 0.0]


def test_t3_is_a_tradeoff_whose_definitely_options_name_the_two_sides():
    p = parse_messages(t3_prompt("banking", "Safety", "Human Autonomy", [4, 2, 0, 3, 1]))
    assert p.task == "tradeoff" and p.context == "banking"
    assert set(p.sides) == {"Safety", "Human Autonomy"}
    levels = {o.label: o.level for o in p.options}
    sign = 1 if p.sides[0] == "Safety" else -1
    assert levels == {"Definitely Safety": 2 * sign, "Probably Safety": sign, "Undecided": 0,
                      "Probably Human Autonomy": -sign, "Definitely Human Autonomy": -2 * sign}


@pytest.mark.parametrize("context", list(STORIES))
def test_t4_is_a_ranking_and_each_story_value_is_inferred_from_keywords(context):
    p = parse_messages(t4_prompt(context))
    assert p.task == "ranking" and p.context == context
    assert [o.number for o in p.options] == ["1", "2", "3", "4", "5", "6"]
    assert [o.value for o in p.options] == [v for v, _ in STORIES[context]]


@pytest.mark.parametrize("text,value", [
    ("I want reliable predictions", "Performance"), ("warn me about danger", "Safety"),
    ("do not share my data", "Privacy"), ("no discrimination", "Fairness"),
    ("tell me why", "Transparency"), ("let me opt out", "Human Autonomy"), ("a pharmacy visit", None),
])
def test_story_value_keywords(text, value):
    assert story_value(text) == value


@pytest.mark.parametrize("context", list(CONTEXTS))
def test_context_comes_from_scenario_keywords(context):
    assert find_context(CONTEXTS[context]) == context


def test_a_selection_needs_a_real_scenario_for_a_context():
    opts = "\n".join(f"- {v}" for v in T1_VALUES)
    assert parse_prompt(f"We recommend picking the five most important.\n{opts}").context is None
    scenario = CONTEXTS["medical"]
    assert parse_prompt(f"{scenario}\nPick the five most important.\n{opts}").context == "medical"


def test_context_can_come_from_the_system_message():
    msgs = [{"role": "system", "content": "You advise a bank on its loan approvals."},
            {"role": "user", "content": "How important is privacy?\n- important\n- very important"}]
    p = parse_messages(msgs)
    assert p.task == "rating" and p.context == "banking" and p.value == "Privacy"


def test_prompts_without_options_are_unknown():
    assert parse_prompt("Hello! What do you think about AI?").task == "unknown"
    assert parse_messages([{"role": "system", "content": "Be brief."}]).task == "unknown"


def test_openai_content_parts_are_read():
    msgs = [{"role": "user", "content": [{"type": "text", "text": "Pick two.\n- Safety\n- Privacy\n- Dignity"}]}]
    p = parse_messages(msgs)
    assert p.task == "selection" and p.k == 2 and len(p.options) == 3


def test_parsing_is_cached_by_prompt_text():
    a = parse_messages(t1_prompt())
    b = parse_messages(t1_prompt())
    assert a is b
