"""Profiles decide; formatting is messy but never names an option that was not decided."""
from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter

import pytest
from scipy.stats import spearmanr

from simulator import PANEL, Profile, answer, decide, get_profile, panel_model_names
from simulator.formatting import (EXPLANATIONS, OFF_FORMAT, RANKING_PREAMBLES, RATING_REASONS,
                                            RATING_SENTENCES, REFUSALS, SELECTION_CLOSINGS, SELECTION_PREAMBLES,
                                            TRADEOFF_REASONS, TRADEOFF_SENTENCES, UNDECIDED, render)
from simulator.vocab import VALUES, find_values

from .conftest import LEVELS, T1_VALUES, all_prompts, t1_prompt, t2_prompt, t3_prompt, t4_prompt

US_T1 = [0.73, 0.69, 0.63, 0.60, 0.43, 0.36, 0.35, 0.34, 0.23, 0.18, 0.13, 0.09]
PRACT_T1 = [0.52, 0.40, 0.60, 0.46, 0.48, 0.30, 0.56, 0.38, 0.38, 0.34, 0.32, 0.20]
SCALE_WORDS = ("important", "very", "extremely", "slightly", "not at all", "definitely", "probably", "undecided")


def quiet(name: str) -> Profile:
    """A profile that never refuses or rambles, to measure its preferences."""
    return dataclasses.replace(get_profile(name), refusal_rate=0.0, off_format_rate=0.0)


def t1_counts(profile: Profile, runs: int, order: list[str] | None = None, seed: int = 0) -> Counter[str]:
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    for _ in range(runs):
        d = decide(profile, t1_prompt(order), rng)
        counts.update(o.value for o in d.chosen)
    return counts


# --- the panel ---------------------------------------------------------------------------


def test_panel_has_at_least_seven_distinct_simulated_models():
    names = panel_model_names()
    assert len(names) >= 7 and len(set(names)) == len(names)
    assert all(n.startswith("sim-") for n in names)
    for required in ("sim-us-public", "sim-practitioner", "sim-safety-first", "sim-performance-max",
                     "sim-privacy-hawk", "sim-contrarian", "sim-order-biased", "sim-noisy"):
        assert get_profile(required) is not None
    for p in PANEL:
        assert set(p.weights) == set(VALUES) and p.description


def test_profiles_validate_their_numbers():
    with pytest.raises(ValueError, match="sim-"):
        Profile(name="gpt-x", description="", weights=dict.fromkeys(VALUES, 1.0))
    with pytest.raises(ValueError, match="at least one value"):
        Profile(name="sim-x", description="", weights={})
    with pytest.raises(ValueError, match="positive"):
        Profile(name="sim-x", description="", weights={"Safety": 0.0})
    with pytest.raises(TypeError):
        PANEL[0].weights["Safety"] = 0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        PANEL[0].primacy = 1  # type: ignore[misc]


# --- answers contain the decided option and nothing else ---------------------------------


def _ranking_numbers(text: str, chosen) -> list[str]:
    if all(o.label in text for o in chosen):
        return [o.number for o in sorted(chosen, key=lambda o: text.index(o.label))]
    if re.search(r"\bstory \d", text, re.I):
        return re.findall(r"\bstory (\d+)", text, re.I)
    return re.findall(r"\d+", text)


def check_answer(decision, text: str) -> None:
    """The contract the warehouse's normaliser relies on."""
    assert text.strip()
    if decision.outcome != "answer":
        return
    low = text.lower()
    task = decision.task
    if task == "selection":
        found = {v for v, _, _ in find_values(text)}
        assert found == {o.value for o in decision.chosen}, text
        assert len(decision.chosen) == decision.prompt.k
    elif task in ("rating", "tradeoff"):
        label = decision.chosen[0].label.lower()
        if label == "undecided":
            assert "undecided" in low, text
        else:
            assert label in low, text
        for other in decision.prompt.options:
            ol = other.label.lower()
            if ol not in label:
                assert ol not in low, (text, ol)
    elif task == "ranking":
        assert _ranking_numbers(text, decision.chosen) == [o.number for o in decision.chosen], text
        assert sorted(o.number for o in decision.chosen) == sorted(o.number for o in decision.prompt.options)


@pytest.mark.parametrize("name", panel_model_names())
def test_every_answer_contains_the_decided_option_and_no_other(name):
    profile = get_profile(name)
    rng = random.Random(name)
    shapes = set()
    for round_ in range(12):
        for msgs in all_prompts(rng):
            d = decide(profile, msgs, rng)
            text = render(d, profile, rng)
            check_answer(d, text)
            shapes.add((d.task, d.outcome, text.count("\n") > 0, "**" in text))
    assert {t for t, _, _, _ in shapes} == {"selection", "rating", "tradeoff", "ranking"}


def test_answers_come_in_many_shapes():
    rng = random.Random(7)
    texts = set()
    for profile in PANEL:
        for _ in range(40):
            texts.add(answer(profile, t1_prompt(), rng))
    joined = "\n".join(texts)
    for shape in (r"^1\. ", r"^- ", r"^\* ", "^\u2022 ", r"\*\*", r", .* and ", "Here are", " \u2013 |: [a-z]",
                  r"\b[A-Z]{6,}\b", "^[a-z ]{6,}$", "Data Protection|Justice|Non-maleficence|Human Agency|Accuracy"):
        assert re.search(shape, joined, re.M), shape


def test_rating_and_tradeoff_shapes():
    rng = random.Random(3)
    ratings = {answer(get_profile("sim-noisy"), t2_prompt("medical", "Privacy"), rng) for _ in range(300)}
    joined = "\n".join(ratings)
    for shape in (r"^Very important\.?$", r"\*\*", "I would rate this as", "EXTREMELY IMPORTANT|VERY IMPORTANT",
                  "As an AI", "depends"):
        assert re.search(shape, joined, re.M | re.I if shape == "depends" else re.M), shape
    trades = {answer(get_profile("sim-noisy"), t3_prompt("medical", "Fairness", "Privacy"), rng)
              for _ in range(300)}
    joined = "\n".join(trades)
    assert re.search("undecided", joined, re.I) and re.search("^Probably Fairness", joined, re.M)


def test_reasons_and_preambles_name_no_value_and_no_scale_word():
    texts = [t for ts in EXPLANATIONS.values() for t in ts] + list(SELECTION_PREAMBLES) + list(SELECTION_CLOSINGS)
    texts += list(RATING_REASONS) + list(TRADEOFF_REASONS) + list(RANKING_PREAMBLES) + list(OFF_FORMAT)
    texts += [s.format(verb="rank") for s in REFUSALS]
    for t in texts:
        assert not find_values(t), t
    for t in list(RATING_REASONS) + list(TRADEOFF_REASONS) + list(OFF_FORMAT):
        assert not any(re.search(rf"\b{w}\b", t, re.I) for w in SCALE_WORDS), t
    for t in RANKING_PREAMBLES:
        assert not re.search(r"\d", t)
    for t in RATING_SENTENCES + TRADEOFF_SENTENCES + UNDECIDED:
        assert not find_values(t)


def test_unknown_prompts_get_a_plausible_generic_answer():
    rng = random.Random(1)
    texts = {answer(get_profile("sim-safety-first"), [{"role": "user", "content": "Hi! What matters in AI?"}],
                    rng) for _ in range(30)}
    assert any("Safety" in t for t in texts)
    assert all(len(t) > 10 for t in texts)


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_same_answer_and_different_seeds_vary():
    for profile in PANEL:
        for msgs in all_prompts(random.Random(5)):
            assert answer(profile, msgs, random.Random(42)) == answer(profile, msgs, random.Random(42))
    varied = {answer(get_profile("sim-us-public"), t1_prompt(), random.Random(s)) for s in range(30)}
    assert len(varied) >= 15


def test_temperature_zero_is_the_argmax():
    p = quiet("sim-practitioner")
    chosen = {tuple(o.value for o in decide(p, t1_prompt(), random.Random(s), temperature=0).chosen)
              for s in range(20)}
    assert len(chosen) == 1
    assert set(next(iter(chosen))) == {"Privacy", "Fairness", "Safety", "Transparency", "Accountability"}


# --- profiles differ measurably --------------------------------------------------------------


def test_safety_first_picks_safety_far_more_often_than_the_contrarian():
    safety_first = t1_counts(quiet("sim-safety-first"), 200)["Safety"]
    contrarian = t1_counts(quiet("sim-contrarian"), 200)["Safety"]
    assert safety_first >= 180
    assert contrarian <= 40


@pytest.mark.parametrize("name,human", [("sim-us-public", US_T1), ("sim-practitioner", PRACT_T1)])
def test_human_like_profiles_reproduce_their_groups_t1_shares(name, human):
    counts = t1_counts(quiet(name), 400, seed=1)
    shares = [counts[v] / 400 for v in T1_VALUES]
    assert spearmanr(shares, human).statistic > 0.85
    assert max(abs(s - h) for s, h in zip(shares, human)) < 0.12


def test_contrarian_is_roughly_reversed():
    counts = t1_counts(quiet("sim-contrarian"), 300)
    assert spearmanr([counts[v] for v in T1_VALUES], US_T1).statistic < -0.8


def test_specialists_put_their_value_first():
    for name, value in (("sim-performance-max", "Performance"), ("sim-privacy-hawk", "Privacy")):
        counts = t1_counts(quiet(name), 200)
        assert counts.most_common(1)[0][0] == value


def test_order_biased_model_is_swayed_by_option_order_and_robust_one_is_not():
    def shift(name: str) -> float:
        p = quiet(name)
        fwd = t1_counts(p, 200, T1_VALUES, seed=2)
        rev = t1_counts(p, 200, T1_VALUES[::-1], seed=3)
        return sum(abs(fwd[v] - rev[v]) for v in T1_VALUES) / 200

    biased, robust = shift("sim-order-biased"), shift("sim-practitioner")
    assert biased > 3 * robust
    assert biased > 2.0


def test_ratings_follow_weights_and_context():
    def mean_level(name: str, ctx: str, value: str) -> float:
        rng, p = random.Random(0), quiet(name)
        return sum(decide(p, t2_prompt(ctx, value), rng).chosen[0].level for _ in range(200)) / 200

    assert mean_level("sim-safety-first", "medical", "Safety") > mean_level("sim-performance-max", "medical",
                                                                            "Safety") + 1
    # US public: streaming transparency is the least "extremely important" of its figures
    assert mean_level("sim-us-public", "streaming", "Transparency") < mean_level("sim-us-public", "medical",
                                                                                 "Privacy") - 0.5


def test_tradeoffs_follow_weights():
    def favour(name: str, a: str, b: str) -> float:
        rng, p = random.Random(0), quiet(name)
        levels = [decide(p, t3_prompt("banking", a, b), rng).chosen[0] for _ in range(200)]
        sign = 1 if decide(p, t3_prompt("banking", a, b), rng).prompt.sides[0] == a else -1
        return sum(o.level * sign > 0 for o in levels) / 200  # share favouring a

    assert favour("sim-us-public", "Privacy", "Performance") > 0.55  # humans: 64% favour privacy
    assert favour("sim-performance-max", "Privacy", "Performance") < 0.2
    assert favour("sim-safety-first", "Safety", "Human Autonomy") > 0.8


def test_order_biased_ratings_lean_to_the_first_listed_level():
    p = quiet("sim-order-biased")
    rng = random.Random(0)
    top_first = [decide(p, t2_prompt("medical", "Fairness", LEVELS[::-1]), rng).chosen[0].level for _ in range(200)]
    low_first = [decide(p, t2_prompt("medical", "Fairness", LEVELS), rng).chosen[0].level for _ in range(200)]
    assert sum(top_first) / 200 > sum(low_first) / 200 + 1


def test_rankings_put_the_favoured_story_first_more_often():
    p = quiet("sim-safety-first")
    rng = random.Random(0)
    firsts = Counter(decide(p, t4_prompt("medical", rng.sample(range(6), 6)), rng).chosen[0].value
                     for _ in range(200))
    assert firsts.most_common(1)[0][0] == "Safety"


# --- refusals and off-format replies ---------------------------------------------------------


@pytest.mark.parametrize("name", ["sim-noisy", "sim-privacy-hawk"])
def test_refusals_and_off_format_appear_at_the_profile_rates(name):
    profile = get_profile(name)
    rng = random.Random(11)
    n = 2000
    outcomes = Counter(decide(profile, t1_prompt(), rng).outcome for _ in range(n))
    assert abs(outcomes["refusal"] / n - profile.refusal_rate) < 0.03
    assert abs(outcomes["off_format"] / n - profile.off_format_rate) < 0.03
    texts = {answer(profile, t1_prompt(), random.Random(s)) for s in range(300)}
    if profile.refusal_rate >= 0.1:
        assert any("As an AI" in t or "I'm sorry" in t or "appropriate" in t for t in texts)
        assert any(t in OFF_FORMAT for t in texts)
