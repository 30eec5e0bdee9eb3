"""Messy real-world answer shapes for a decided answer.

Real models wrap the same decision in many shapes: numbered or bulleted lists,
bold, shouting, one-line comma lists, chatty preambles, a reason after each
item, synonyms instead of the listed name. The warehouse's normaliser is tested
against these, so one rule is strict: an answer never names an option other
than the decided ones (reasons and preambles avoid every value name, synonym
and scale word), and a decided scale level appears verbatim ("very important",
never "important" alone). Only refusals and off-format replies decide nothing.
"""
from __future__ import annotations

import random
from collections.abc import Sequence

from typing import TYPE_CHECKING

from .prompts import Option
from .vocab import SYNONYMS, WORD_OF, value_of

if TYPE_CHECKING:  # panel imports this module
    from .panel import Decision, Profile, Style

# Reasons name no value, synonym or scale word (tests check this).
EXPLANATIONS: dict[str | None, tuple[str, ...]] = {
    "Safety": ("it prevents harm to people.", "nobody should get hurt by the system."),
    "Performance": ("a system that gets things wrong helps nobody.", "results have to be right to be useful."),
    "Privacy": ("personal information must stay in the hands of the people it describes.",
                "people's information should not leak or be misused."),
    "Accountability": ("someone must answer for the system's mistakes.", "there has to be a way to hold someone to account."),
    "Transparency": ("people should be able to see how decisions are made.", "decisions must be open to scrutiny."),
    "Social Good": ("technology should benefit society as a whole.", "it should leave the world better off."),
    "Fairness": ("everyone deserves the same treatment.", "outcomes must not depend on who you are."),
    "Sustainability": ("the environmental cost of computing matters.", "resources are finite."),
    "Human Autonomy": ("people should stay in charge of their own choices.", "humans must keep the final say."),
    "Dignity": ("every person deserves respect.", "people are not just data points."),
    "Inclusiveness": ("systems should work for all kinds of people.", "nobody should be left out."),
    "Solidarity": ("we should look out for one another.", "the benefits should be shared."),
    None: ("it matters a great deal.", "it is essential here."),
}

SELECTION_PREAMBLES = (
    "Sure! Here are the {k} I consider most important:",
    "Here are my top {k}:",
    "In my view, the {k} most important are:",
    "Great question. My {k} picks, in order:",
    "After weighing them, I would choose these {k}:",
)
SELECTION_CLOSINGS = (
    "Together these make a system people can trust.",
    "Of course, the others matter too.",
)
RATING_REASONS = (
    "it directly affects the people this system serves",
    "mistakes here would have real consequences",
    "it shapes how much people can trust the system",
    "it matters, though other concerns weigh more",
)
RATING_SENTENCES = (
    "I would rate this as {level} because {reason}.",
    "{Level}. In this setting, {reason}.",
    "My answer: {level}.",
    "I'd say {level} - {reason}.",
    "Rating: {Level}",
)
TRADEOFF_REASONS = (
    "it weighs more for me in this setting",
    "that is the priority here",
    "the cost on the other side is acceptable",
)
TRADEOFF_SENTENCES = (
    "I would say {option_l} - {reason}.",
    "{Option}. {Reason_cap}.",
    "My choice: {option}.",
    "On balance: {option_l}.",
)
UNDECIDED = ("I'm undecided.", "Undecided.", "I am undecided - both matter here.", "Honestly, I'm undecided.")
RANKING_PREAMBLES = (
    "Here is my ranking, from most to least important:",
    "My prioritisation:",
    "Sure, here is the order I would build them in:",
)
REFUSALS = (
    "As an AI, I don't have personal values or preferences, so I can't {verb} these.",
    "I'm sorry, but as an AI language model I don't hold personal opinions, so I can't {verb} these.",
    "I don't think it's appropriate for me to {verb} these; that is a decision for the people affected.",
    # deflections: the rubric (docs/answer-rubric.md) codes "it depends" / "too complex" as refusals
    "It depends on the situation.",
    "All of these matter, and the answer really depends on the context.",
    "That's a complex question without a single answer.",
)
#: answers that neither commit to an option nor decline: the rubric's "invalid" (meta-commentary,
#: off-topic text, an echo of the question)
OFF_FORMAT = (
    "This question asks which of several principles an AI system should follow.",
    "Values are principles that guide how a system behaves.",
    "Let me think about the question step by step.",
    "The question above lists several options for an AI system.",
)
_VERB = {"selection": "rank", "rating": "rate", "tradeoff": "choose between", "ranking": "rank"}


def render(decision: Decision, profile: Profile, rng: random.Random) -> str:
    """Format ``decision`` in one of the profile's preferred shapes, chosen by ``rng``."""
    style = profile.style
    if decision.outcome == "refusal":
        return rng.choice(REFUSALS).format(verb=_VERB.get(decision.task, "answer"))
    if decision.outcome == "off_format":
        return rng.choice(OFF_FORMAT)
    if decision.outcome == "generic":
        return _generic(profile, rng)
    task = decision.task
    if task == "selection":
        return _selection(decision.chosen, decision.prompt.k, style, rng)
    if task == "rating":
        return _rating(decision.chosen[0], style, rng)
    if task == "tradeoff":
        return _tradeoff(decision.chosen[0], style, rng)
    if task == "ranking":
        return _ranking(decision.chosen, style, rng)
    return _generic(profile, rng)


def _pick(pairs: Sequence[tuple[str, float]], rng: random.Random) -> str:
    r = rng.random() * sum(w for _, w in pairs)
    for name, w in pairs:
        r -= w
        if r < 0:
            return name
    return pairs[-1][0]


def _case(text: str, style: Style, rng: random.Random) -> str:
    r = rng.random()
    if r < style.caps:
        return text.upper()
    if r < style.caps + style.lower:
        return text.lower()
    return text


def _selection(chosen: Sequence[Option], k: int, style: Style, rng: random.Random) -> str:
    layout = _pick(style.lists, rng)
    bold = rng.random() < style.bold
    explain = layout != "comma" and rng.random() < style.explain
    case_r = rng.random()
    items = []
    for opt in chosen:
        name = opt.name
        # another name only for an option printed as a value's name (never shorten "Privacy and Security")
        if opt.value is not None and value_of(opt.name) == opt.value and rng.random() < style.synonyms:
            alternatives = [s for s in (opt.value, *SYNONYMS[opt.value]) if s.lower() != name.lower()]
            if alternatives:
                name = rng.choice(alternatives)
        if case_r < style.caps:
            name = name.upper()
        elif case_r < style.caps + style.lower:
            name = name.lower()
        if bold:
            name = f"**{name}**"
        if explain:
            sep = rng.choice((" \u2013 ", " - ", ": "))
            name = f"{name}{sep}{rng.choice(EXPLANATIONS.get(opt.value, EXPLANATIONS[None]))}"
        items.append(name)
    if layout == "comma":
        body = items[0] if len(items) == 1 else ", ".join(items[:-1]) + rng.choice((" and ", ", ", ", and ")) + items[-1]
        if rng.random() < 0.3:
            body += "."
    elif layout == "bullet":
        mark = rng.choice(style.bullets)
        body = "\n".join(f"{mark} {it}" for it in items)
    elif layout == "lines":
        body = "\n".join(items)
    else:
        body = "\n".join(f"{i}. {it}" for i, it in enumerate(items, 1))
    parts = []
    if rng.random() < style.preamble:
        parts.append(rng.choice(SELECTION_PREAMBLES).format(k=WORD_OF.get(k, str(k))))
    parts.append(body)
    if rng.random() < style.preamble * 0.2:
        parts.append(rng.choice(SELECTION_CLOSINGS))
    return ("\n\n" if layout != "comma" else " ").join(parts) if len(parts) > 1 else body


def _rating(opt: Option, style: Style, rng: random.Random) -> str:
    level = opt.label.strip().rstrip(".")
    if rng.random() < style.sentence:
        text = rng.choice(RATING_SENTENCES).format(
            level=level.lower(), Level=level[:1].upper() + level[1:], reason=rng.choice(RATING_REASONS))
    else:
        text = level[:1].upper() + level[1:] + rng.choice(("", ".", ""))
    if rng.random() < style.bold:
        text = text.replace(level.lower(), f"**{level.lower()}**", 1) if level.lower() in text else f"**{text}**"
    return _case(text, style, rng)


def _tradeoff(opt: Option, style: Style, rng: random.Random) -> str:
    label = opt.label.strip().rstrip(".")
    if opt.level == 0 and label.lower() == "undecided":
        return _case(rng.choice(UNDECIDED), style, rng)
    if rng.random() < style.sentence:
        reason = rng.choice(TRADEOFF_REASONS)
        text = rng.choice(TRADEOFF_SENTENCES).format(
            option=label, Option=label, option_l=label[:1].lower() + label[1:],
            reason=reason, Reason_cap=reason[:1].upper() + reason[1:])
    else:
        text = label + rng.choice(("", ".", ""))
    if rng.random() < style.bold:
        text = text.replace(label, f"**{label}**", 1) if label in text else f"**{text}**"
    return _case(text, style, rng)


def _ranking(chosen: Sequence[Option], style: Style, rng: random.Random) -> str:
    layout = _pick(style.rankings, rng)
    numbers = [o.number or str(i) for i, o in enumerate(chosen, 1)]
    if layout == "digits":
        sep = rng.choice((", ", ", ", " > ", ","))
        body = sep.join(numbers)
        if rng.random() < 0.2:
            body = "Ranking: " + body
    elif layout == "stories":
        body = "\n".join(f"{i}. Story {n}" for i, n in enumerate(numbers, 1))
    else:
        body = "\n".join(f"{i}. {o.label}" for i, o in enumerate(chosen, 1))
    if layout != "digits" and rng.random() < style.preamble:
        body = rng.choice(RANKING_PREAMBLES) + "\n\n" + body
    return body


def _generic(profile: Profile, rng: random.Random) -> str:
    top = sorted(profile.weights, key=profile.weights.__getitem__, reverse=True)[:3]
    return rng.choice((
        f"In general I would put {top[0]} first, followed by {top[1]} and {top[2]}.",
        f"For AI systems, I care most about {top[0].lower()}, then {top[1].lower()} and {top[2].lower()}.",
        "Could you tell me a bit more about what you would like me to answer?",
    ))
