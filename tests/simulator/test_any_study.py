"""The simulator answers any study's design from the prompt's own options: the shipped second
study (six themes: top-3, a 7-point rating, a ranking) and scales it has never seen."""
from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from collector.config import load_experiment
from collector.design import Design
from collector.plan import iter_plan
from simulator import PANEL, decide, get_profile
from simulator.panel import Profile
from simulator.prompts import parse_messages, parse_prompt

STUDY = Path(__file__).resolve().parents[2] / "experiments" / "optimal_ai_functioning.yaml"
EXP = load_experiment(STUDY)
DESIGN = Design(EXP)


def _requests(replicates: int = 2, models=("sim-us-public",)):
    return list(iter_plan(DESIGN, list(models), replicates))


def test_the_second_study_is_read_from_its_own_options():
    for req in _requests():
        messages, keys, labels = req.render(EXP.system_prompt)
        p = parse_messages(messages)
        kind = req.item.kind
        if kind == "select":
            assert p.task == "selection" and p.k == req.item.k == 3
            assert [o.name for o in p.options] == labels  # answered by the theme names as printed
        elif kind == "rate":
            assert p.task == "rating"
            # the 7 levels, whatever order they are shown in, sit on one axis in the scale's order
            ordinal = {o.label: o.ordinal for o in req.item.options}
            by_level = [o.label for o in sorted(p.options, key=lambda o: o.level)]
            assert by_level == sorted(labels, key=ordinal.__getitem__)
            assert len({o.level for o in p.options}) == 7
        else:
            assert p.task == "ranking" and [o.label for o in p.options] == labels


def _decided(profile: Profile, req, rng):
    messages, _, labels = req.render(EXP.system_prompt)
    return decide(profile, messages, rng)


def test_every_answer_names_only_options_of_the_prompt():
    rng = random.Random(0)
    for req in _requests(replicates=3, models=[p.name for p in PANEL]):
        d = _decided(get_profile(req.model), req, rng)
        if d.outcome != "answer":
            continue
        names = [o.name for o in d.prompt.options]
        assert all(o.name in names for o in d.chosen)
        if req.item.kind == "select":
            assert len(d.chosen) == 3 and len(set(o.name for o in d.chosen)) == 3
        if req.item.kind == "rank":
            assert sorted(o.number for o in d.chosen) == sorted(o.number for o in d.prompt.options)


def _top3_shares(name: str, runs: int = 300) -> Counter:
    rng = random.Random(1)
    item, setting = DESIGN.item("top3"), DESIGN.setting("top3", "original")
    from collector.plan import PlannedRequest, request_key
    counts: Counter = Counter()
    for r in range(1, runs + 1):
        req = PlannedRequest(request_key(EXP.study, name, "top3", "original", r), EXP.study, name, item, setting, r)
        d = _decided(get_profile(name), req, rng)
        counts.update(o.name for o in d.chosen)
    return counts


def test_profiles_have_stable_distinct_preferences_over_a_new_studys_themes():
    a, b = _top3_shares("sim-performance-max"), _top3_shares("sim-privacy-hawk")
    assert a == _top3_shares("sim-performance-max")  # deterministic
    assert a.most_common(1)[0][0] != b.most_common(1)[0][0]
    # a theme that contains a value the profile knows leans on that value's weight
    assert b.most_common(1)[0][0] == "Privacy and Security"
    assert a.most_common(1)[0][0] == "Accuracy and Reliability"  # "Accuracy" is Performance's synonym


def test_ratings_follow_the_profile_on_a_new_seven_point_scale():
    rng = random.Random(2)

    def mean_level(name: str, value: str) -> float:
        reqs = [r for r in _requests(replicates=60, models=[name]) if r.item.value == value]
        return sum(_decided(quiet(name), r, rng).chosen[0].level for r in reqs) / len(reqs)

    assert mean_level("sim-privacy-hawk", "Privacy and Security") > mean_level("sim-performance-max",
                                                                               "Privacy and Security") + 1


def quiet(name: str) -> Profile:
    import dataclasses
    return dataclasses.replace(get_profile(name), refusal_rate=0.0, off_format_rate=0.0)


@pytest.mark.parametrize("labels", [
    ["strongly disagree", "disagree", "neither agree nor disagree", "agree", "strongly agree"],
    ["1 - never", "2", "3", "4", "5 - always"],
    ["not at all relevant", "somewhat relevant", "very relevant"],
    ["never", "rarely", "sometimes", "often", "always"],
])
def test_a_rating_is_told_by_its_levels_not_by_the_word_important(labels):
    shown = labels[::-1]
    p = parse_prompt("Bob the chatbot tells the truth.\n\nHow far does this hold?\n" + "\n".join(f"- {x}" for x in shown))
    assert p.task == "rating"
    assert [o.label for o in sorted(p.options, key=lambda o: o.level)] == labels
    assert p.options[0].level == 4.0 and p.options[-1].level == 0.0
    d = decide(PANEL[0], [{"role": "user", "content": "Bob the chatbot tells the truth.\n\n" +
                           "\n".join(f"- {x}" for x in shown)}], random.Random(0))
    assert d.outcome in ("answer", "refusal", "off_format")


def test_a_list_of_unknown_values_is_a_selection_not_a_rating():
    p = parse_prompt("Pick two.\n- Curiosity\n- Honesty and Candour\n- Warmth / Kindness\n- Wit")
    assert p.task == "selection" and p.k == 2
    assert [o.name for o in p.options] == ["Curiosity", "Honesty and Candour", "Warmth / Kindness", "Wit"]
    assert all(o.value is None for o in p.options)
    d = decide(quiet("sim-us-public"), [{"role": "user", "content": "Pick two.\n- Curiosity\n- Honesty and Candour\n"
                                        "- Warmth / Kindness\n- Wit"}], random.Random(0))
    assert len(d.chosen) == 2
    assert not re.search(r"Safety|Privacy", " ".join(o.name for o in d.chosen))
