"""Reading a prompt the way the simulator needs it: its options and its task.

Prompt wording belongs to the users of aligned, so nothing here depends on it.
The one contract with the collector's prompt rendering: the last user message
lists its options one per line, as ``- label`` bullets (select, rate and
trade-off tasks) or ``1. text`` numbered lines (ranking of user stories). The
task is told apart by the options themselves:

- numbered lines                                   -> ``ranking`` (order all items)
- every option is a level of one scale             -> ``rating`` (one level)
- options start with Definitely/Probably/Undecided -> ``tradeoff`` (one option)
- other bullets                                    -> ``selection`` (top k)
- no options                                       -> ``unknown``

A scale is recognised by its levels, whatever it measures and however many
levels it has: leading numbers ("1 - never" .. "7 - always"), intensity words
("not at all", "slightly", "somewhat", "moderately", "very", "extremely",
"absolutely" ...) on any adjective, or agreement ("strongly disagree" ..
"strongly agree"). Levels are put on one 0..4 axis by their rank, so a
5-point and a 7-point scale are answered alike. Values come from the options
as printed: a value the simulated panel knows (the shipped study's, with their
synonyms) is recognised inside a longer label, any other label is a value of
its own (see :meth:`simulator.panel.Profile.weight`).

Parsing is cached by prompt text: a run asks the same few hundred prompts
thousands of times.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .vocab import ALIAS_RE, NUMBER_RE, NUMBER_WORDS, find_context, find_values, story_value, value_of

_BULLET_RE = re.compile(r"^[ \t]*[-*\u2022\u2023\u25aa][ \t]+(\S.*?)[ \t]*$")
_NUMBERED_RE = re.compile(r"^[ \t]*(\d{1,3})[.)][ \t]+(\S.*?)[ \t]*$")
_TRADE_RE = re.compile(
    r"^\W*(definitely|probably|undecided|neutral|unsure|no preference|equally|neither)\b\W*(.*)$", re.I)
_STRENGTH = {"definitely": 2, "probably": 1}

DEFAULT_K = 5


@dataclass(frozen=True)
class Option:
    """One answer option as printed in the prompt."""

    label: str  # the text after the bullet or number, as printed
    name: str  # what to call it in an answer: the value name as printed, else the label
    value: str | None = None  # canonical value it names or embodies, if recognised
    number: str | None = None  # ranking: the printed number
    level: float = 0.0  # rating: 0 (lowest level) .. 4 (highest), by rank; trade-off: -2 .. +2


@dataclass(frozen=True, eq=False)
class Prompt:
    """What the simulator understood of a prompt.

    Compared and hashed by identity: :func:`parse_prompt` returns the same
    object for the same text, which makes per-prompt caches cheap.
    """

    task: str  # selection | rating | tradeoff | ranking | unknown
    options: tuple[Option, ...] = ()
    k: int = DEFAULT_K  # selection: how many to pick
    context: str | None = None  # medical | banking | marketing | streaming
    value: str | None = None  # rating: the value asked about, if the panel knows it
    subject: str = ""  # rating: the question without its options (the item, when the value is unknown)
    sides: tuple[str | None, str | None] = (None, None)  # trade-off: values at +2 and -2


def message_text(content: Any) -> str:
    """The text of a message's content: a string, or a list of OpenAI content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type", "text") == "text"
        )
    return "" if content is None else str(content)


def parse_messages(messages: Sequence[dict[str, Any]]) -> Prompt:
    """Parse a chat: options come from the last user message, the context from all."""
    last_user = ""
    others: list[str] = []
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            last_user = message_text(messages[i].get("content"))
            others = [message_text(m.get("content")) for j, m in enumerate(messages) if j != i]
            break
    else:
        others = [message_text(m.get("content")) for m in messages]
    return parse_prompt(last_user, "\n".join(others))


@lru_cache(maxsize=8192)
def parse_prompt(text: str, surrounding: str = "") -> Prompt:
    """Parse one user message (``surrounding``: the other messages, for the context)."""
    bullets: list[str] = []
    numbered: list[tuple[str, str]] = []
    rest_bullet: list[str] = []
    rest_numbered: list[str] = []
    for line in text.splitlines():
        if m := _BULLET_RE.match(line):
            bullets.append(m.group(1))
            rest_numbered.append(line)
        elif m := _NUMBERED_RE.match(line):
            numbered.append((m.group(1), m.group(2)))
            rest_bullet.append(line)
        else:
            rest_bullet.append(line)
            rest_numbered.append(line)
    everything = text + "\n" + surrounding
    context = find_context(everything)

    if len(numbered) >= 2 and len(numbered) > len(bullets):
        return Prompt("ranking", _story_options(numbered), k=len(numbered), context=context)
    if len(bullets) < 2:
        return Prompt("unknown", context=context)

    rest = "\n".join(rest_bullet)
    levels = scale_levels(bullets)
    if levels is not None:
        opts = tuple(Option(b, b, level=lv) for b, lv in zip(bullets, levels))
        return Prompt("rating", opts, context=context, value=_asked_value(rest, surrounding),
                      subject=" ".join(rest.lower().split()))
    trade = [_TRADE_RE.match(b) for b in bullets]
    if sum(m is not None for m in trade) * 2 > len(bullets):
        return _tradeoff(bullets, trade, rest, context)
    opts = tuple(_value_option(b) for b in bullets)
    # a selection has no scenario of its own: only a real one (several keywords) counts,
    # not a stray "we recommend"
    return Prompt("selection", opts, k=_find_k(rest, len(opts)), context=find_context(everything, min_hits=2))


_DESCRIBED_RE = re.compile(r"^(?P<name>[^:(\u2013\u2014]+?)\s*(?::|\(|\s[-\u2013\u2014]\s)\s*\S")


def _value_option(label: str) -> Option:
    value = value_of(label)
    if value is not None:
        return Option(label, label, value)
    described = _DESCRIBED_RE.match(label)
    if described and value_of(described.group("name")):
        # "Safety: the system does not hurt anyone", "Privacy (data stays private)" -> answer the name
        return Option(label, described.group("name"), value_of(described.group("name")))
    m = ALIAS_RE.search(label)
    # "Privacy and Security": a value of its own that leans on one the panel knows; answered as printed
    return Option(label, label, value_of(m.group(0)) if m is not None else None)


def _story_options(numbered: list[tuple[str, str]]) -> tuple[Option, ...]:
    opts = []
    for number, text in numbered:
        value = value_of(text) or story_value(text)
        if value is None and (m := ALIAS_RE.search(text)):
            value = value_of(m.group(0))
        opts.append(Option(text, text, value, number=number))
    return tuple(opts)


# Intensity of a scale level, on a rough 0..4 axis; only the order matters (levels are ranked).
_NEGATED = re.compile(r"\b(?:not|no|never|none|un\w+)\b")
_INTENSITY: tuple[tuple[re.Pattern[str], float], ...] = tuple((re.compile(p), v) for p, v in (
    (r"\bnot at all\b|\bnot\b.*\bat all\b|\bnone\b|\bnever\b|\bno importance\b", 0.0),
    (r"\b(?:slightly|a little|a bit|barely|low|rarely)\b", 1.0),
    (r"\b(?:somewhat|partly|partially|sometimes)\b", 1.5),
    (r"\b(?:moderately|fairly|moderate|medium|reasonably)\b", 1.75),
    (r"\b(?:quite|rather|often|mostly)\b", 2.5),
    (r"\b(?:very|highly|high|strongly|usually)\b", 3.0),
    (r"\b(?:extremely|completely|totally|always)\b", 4.0),
    (r"\b(?:absolutely|critically|essential|vital|utmost|indispensable)\b", 4.5),
))
_SCALE_WORD = re.compile(
    r"\b(?:important|unimportant|importance|relevant|necessary|essential|vital|priority|useful|valuable|"
    r"likely|unlikely|agree|disagree|neutral|neither|satisfied|dissatisfied|concerned|acceptable|"
    r"unacceptable|critical|always|never|often|sometimes|rarely)\b")
_NUMBER_LEVEL = re.compile(r"^\(?(\d{1,2})\)?(?:$|[\s.:=)\-\u2013\u2014])")


def _intensity(label: str) -> float | None:
    """Where a level label sits on its scale (None: not a scale level)."""
    low = " ".join(label.lower().split())
    if not _SCALE_WORD.search(low) and not any(rx.search(low) for rx, _ in _INTENSITY[1:]):
        return None
    if re.search(r"\b(?:neither|neutral|undecided|no opinion)\b", low):
        return 2.0
    if re.search(r"\b(?:disagree|unlikely|dissatisfied|unacceptable)\b", low):  # the negative side of a bipolar scale
        strength = 2.0 if re.search(r"\b(?:strongly|completely|totally|very|extremely)\b", low) else \
            0.5 if re.search(r"\b(?:somewhat|slightly|mostly|a little)\b", low) else 1.0
        return 2.0 - strength
    if re.search(r"\b(?:agree|likely|satisfied|acceptable)\b", low) and not _NEGATED.search(low):
        strength = 2.0 if re.search(r"\b(?:strongly|completely|totally|very|extremely)\b", low) else \
            0.5 if re.search(r"\b(?:somewhat|slightly|mostly|a little)\b", low) else 1.0
        return 2.0 + strength
    for rx, value in _INTENSITY:
        if rx.search(low):
            return value
    if _NEGATED.search(low):  # "not important", "unimportant"
        return 0.0
    return 2.0  # the plain adjective: "important"


def scale_levels(labels: Sequence[str]) -> tuple[float, ...] | None:
    """Each label's level on a 0..4 axis if the labels are the levels of one scale, else None.

    All labels must read as levels (all numbered, or all with a scale word), with at least
    two distinct levels; levels are ranked and spread evenly over 0..4, so only their order
    matters and scales of any length answer alike.
    """
    if len(labels) < 2:
        return None
    numbers = [_NUMBER_LEVEL.match(lb.strip()) for lb in labels]
    if all(numbers):
        raw = [float(m.group(1)) for m in numbers]  # type: ignore[union-attr]
    else:
        found = [_intensity(lb) for lb in labels]
        if any(v is None for v in found):
            return None
        raw = [float(v) for v in found]  # type: ignore[arg-type]
    distinct = sorted(set(raw))
    if len(distinct) < 2:
        return None
    rank = {v: 4.0 * i / (len(distinct) - 1) for i, v in enumerate(distinct)}
    return tuple(rank[v] for v in raw)


def _asked_value(rest: str, surrounding: str) -> str | None:
    """The value a rating asks about: the one the question text names most (ties: first)."""
    for text in (rest, surrounding):
        found = find_values(text)
        if found:
            counts: dict[str, int] = {}
            for value, _, _ in found:
                counts[value] = counts.get(value, 0) + 1
            return max(counts, key=lambda v: counts[v])  # dicts keep first-seen order for ties
    return story_value(rest)


def _tradeoff(bullets: list[str], matches: list[re.Match[str] | None], rest: str, context: str | None) -> Prompt:
    sides: list[str] = []  # side keys: a canonical value, else the option's remainder text
    parsed: list[tuple[int, str | None, str | None]] = []  # (strength, side key, value)
    for b, m in zip(bullets, matches):
        if m is None:
            parsed.append((0, None, None))
            continue
        strength = _STRENGTH.get(m.group(1).lower(), 0)
        if strength == 0:
            parsed.append((0, None, None))
            continue
        remainder = m.group(2).strip(" .:!*")
        value = value_of(remainder)
        if value is None and (vm := ALIAS_RE.search(remainder)):
            value = value_of(vm.group(0))
        key = value or remainder.lower()
        if key not in sides:
            sides.append(key)
        parsed.append((strength, key, value))
    if len(sides) < 2:  # fall back on the values the question names
        for value, _, _ in find_values(rest):
            if value not in sides:
                sides.append(value)
    side_a = sides[0] if sides else None
    opts = []
    for b, (strength, key, value) in zip(bullets, parsed):
        sign = 1 if key == side_a else -1
        opts.append(Option(b, b, value, level=float(sign * strength)))
    # a side the panel knows is its value; any other is its own text (weighted as an unknown value)
    values: list[str | None] = [*sides[:2], None, None]
    return Prompt("tradeoff", tuple(opts), context=context, sides=(values[0], values[1]))


def _find_k(rest: str, n: int) -> int:
    """k from the first number (word or digit) in the question that is a sensible k."""
    for m in NUMBER_RE.finditer(rest):
        tok = m.group(1).lower()
        k = int(tok) if tok.isdigit() else NUMBER_WORDS[tok]
        if 1 <= k < n:
            return k
    return min(DEFAULT_K, n)
