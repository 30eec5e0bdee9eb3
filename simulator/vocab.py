"""The vocabulary the seeded profiles know: the first shipped study's values, contexts and stories.

It only lets the panel recognise those values (and their synonyms) in prompt text,
so the profiles' seeded weights apply to them; a prompt of any other study is
read from its own options (:mod:`.prompts`), and labels not found here are values
of their own (:meth:`.panel.Profile.weight`). Values are found by canonical name or synonym (case-insensitive, whole words,
hyphen or space interchangeable); contexts and the value a user story embodies
are found by keywords. Everything here is precompiled once: the server parses
thousands of prompts a second.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

VALUES: tuple[str, ...] = (
    "Safety", "Performance", "Privacy", "Accountability", "Transparency", "Social Good",
    "Fairness", "Sustainability", "Human Autonomy", "Dignity", "Inclusiveness", "Solidarity",
)

#: canonical value -> the alternative names of the study's synonym variant (and
#: "Autonomy", the T4 name of Human Autonomy). Used for output as well as input.
SYNONYMS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "Safety": ("Non-maleficence",),
    "Performance": ("Accuracy",),
    "Privacy": ("Data Protection",),
    "Accountability": ("Responsibility",),
    "Transparency": (),
    "Social Good": ("Beneficence",),
    "Fairness": ("Justice", "Non-discrimination"),
    "Sustainability": ("Environmental Well-being",),
    "Human Autonomy": ("Human Agency", "Autonomy"),
    "Dignity": (),
    "Inclusiveness": ("Diversity",),
    "Solidarity": ("Social cohesion",),
})

#: spellings accepted on input only (never emitted)
_EXTRA_INPUT: Mapping[str, tuple[str, ...]] = {
    "Inclusiveness": ("Inclusivity",),
    "Sustainability": ("Environmental Wellbeing",),
}

CONTEXTS: tuple[str, ...] = ("medical", "banking", "marketing", "streaming")

#: T4 values: the six a user story can embody
STORY_VALUES: tuple[str, ...] = (
    "Performance", "Safety", "Privacy", "Fairness", "Transparency", "Human Autonomy",
)


def _alias_pattern(alias: str) -> str:
    words = re.split(r"[\s-]+", alias.strip())
    return r"[\s-]*".join(re.escape(w) for w in words)


def _build_alias_table() -> tuple[re.Pattern[str], dict[str, str]]:
    table: dict[str, str] = {}
    for value in VALUES:
        for alias in (value, *SYNONYMS[value], *_EXTRA_INPUT.get(value, ())):
            table[_key(alias)] = value
    # longest first, so "Human Autonomy" wins over "Autonomy" at the same spot
    aliases = sorted(table, key=len, reverse=True)
    pattern = r"(?<![\w])(?:" + "|".join(_alias_pattern(a) for a in aliases) + r")(?![\w])"
    return re.compile(pattern, re.IGNORECASE), table


def _key(text: str) -> str:
    """Lookup key of an alias: lower case, hyphens and runs of spaces as one space."""
    return " ".join(re.split(r"[\s-]+", text.strip().lower()))


ALIAS_RE, _ALIAS_TO_VALUE = _build_alias_table()


def value_of(alias: str) -> str | None:
    """The canonical value an alias names, or None."""
    return _ALIAS_TO_VALUE.get(_key(alias))


def find_values(text: str) -> list[tuple[str, str, int]]:
    """Every value mentioned in ``text``: (canonical value, matched text, position)."""
    return [(value_of(m.group(0)) or "", m.group(0), m.start()) for m in ALIAS_RE.finditer(text)]


# --- contexts -------------------------------------------------------------------

_CONTEXT_RE: Mapping[str, re.Pattern[str]] = {
    "medical": re.compile(
        r"clinic|patient|disease|medic|diabet|glucose|hospital|doctor|treatment|health", re.I),
    "banking": re.compile(r"\bbank|loan|credit|repay|financ|lender|mortgage", re.I),
    "marketing": re.compile(r"\bads?\b|advert|marketing|ad-block|adblock|campaign", re.I),
    "streaming": re.compile(r"movie|stream|recommend|playlist|music|song|video|film", re.I),
}


def find_context(text: str, min_hits: int = 1) -> str | None:
    """The context whose keywords occur most often (ties: study order), if at least ``min_hits``."""
    best, best_n = None, min_hits - 1
    for ctx in CONTEXTS:
        n = len(_CONTEXT_RE[ctx].findall(text))
        if n > best_n:
            best, best_n = ctx, n
    return best


# --- the value a user story embodies ---------------------------------------------

_STORY_RE: Mapping[str, re.Pattern[str]] = {
    "Performance": re.compile(
        r"accura|precis|reliab|correct|perform|error rate|mistake|predictions? (?:are|is) right", re.I),
    "Safety": re.compile(r"\bsafe|\bharm|alert|danger|\brisk|hazard|warn|emergenc|injur", re.I),
    "Privacy": re.compile(
        r"privacy|privat|personal (?:data|information)|consent|share my data|anonymi|confidential"
        r"|my data|data protection", re.I),
    "Fairness": re.compile(r"fair|bias|equal|discriminat|justice|same treatment|regardless of", re.I),
    "Transparency": re.compile(r"explain|explanation|\bwhy\b|understand|transparen|how the system", re.I),
    "Human Autonomy": re.compile(
        r"control|override|choose|choice|opt[ -]?out|decide|turn off|switch off|my own|manual", re.I),
}


def story_value(text: str) -> str | None:
    """The T4 value a user story embodies, from its keywords (None if none match).

    The value with most keyword hits wins; ties go to the value mentioned first,
    because stories put the wish ("I want ...") before the benefit ("so that ...").
    """
    best: tuple[int, int] | None = None
    winner = None
    for value, rx in _STORY_RE.items():
        hits = [m.start() for m in rx.finditer(text)]
        if not hits:
            continue
        score = (len(hits), -hits[0])
        if best is None or score > best:
            best, winner = score, value
    return winner


# --- numbers ----------------------------------------------------------------------

NUMBER_WORDS: Mapping[str, int] = MappingProxyType({
    w: i for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split())
})
WORD_OF: Mapping[int, str] = MappingProxyType({i: w for w, i in NUMBER_WORDS.items()})
NUMBER_RE = re.compile(r"\b(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")\b", re.I)
