"""The simulated panel: seeded synthetic respondents that stand in for LLMs.

These are NOT language models. Each ``Profile`` is a handful of numbers (how
much it cares about each value it knows, how much list order sways it,
how noisy, how often it refuses or rambles, how it formats answers) and
:func:`answer` turns a prompt into a reply by sampling from them:

- selection: Plackett-Luce sampling without replacement on the weights times a
  position factor ``exp(-primacy * position / (n - 1))``, sharpened by the
  profile's temperature (Gumbel-top-k: sort ``log w + temperature * Gumbel``);
- rating: latent importance ``rating_base + rating_gain * ln(w / mean w)`` plus
  Gaussian noise, the nearest scale level wins;
- trade-off: ``tradeoff_gain * (ln w_a - ln w_b)`` plus noise, nearest option;
- ranking: Plackett-Luce over all items.

For rating and trade-off scales, ``primacy`` pulls the latent towards the
first-listed option. All numbers are embedded here so a run never reads a file.

Any study: the profiles are keyed by value name (the shipped study's values,
seeded from its published figures). A value a profile does not know -- an
option label of another study, or the question of a rating about one -- gets
a fixed pseudo-random weight drawn from the profile's name and the label
(``Profile.weight``), so each simulated model has stable, distinct
preferences over any study's options, which say nothing about anything.
"""
from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from statistics import NormalDist
from types import MappingProxyType
from typing import Any

from .formatting import render
from .prompts import Option, Prompt, parse_messages
from .vocab import CONTEXTS, VALUES

_T2_VALUES = ("Privacy", "Safety", "Performance", "Accountability", "Fairness", "Transparency", "Human Autonomy")


@dataclass(frozen=True)
class Style:
    """How a profile likes to format answers; each field is a probability per answer."""

    lists: tuple[tuple[str, float], ...] = (("numbered", 1.0),)  # numbered | bullet | comma | lines
    bullets: str = "-"  # bullet characters to pick from
    bold: float = 0.0
    caps: float = 0.0  # ALL CAPS
    lower: float = 0.0  # all lower case
    preamble: float = 0.3  # "Sure! Here are the five ..."
    explain: float = 0.0  # "Safety - it prevents harm."
    synonyms: float = 0.0  # "Justice" for Fairness
    sentence: float = 0.3  # "I would rate this as very important because ..."
    rankings: tuple[tuple[str, float], ...] = (("digits", 1.0),)  # digits | stories | texts


@dataclass(frozen=True)
class Profile:
    """One simulated model. Weights are relative (only ratios matter)."""

    name: str
    description: str
    weights: Mapping[str, float]
    context_adjust: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    tradeoff_weights: Mapping[str, float] = field(default_factory=dict)  # override for trade-offs
    primacy: float = 0.0  # position bias: 0 = order-robust, 3 = the list order dominates
    temperature: float = 1.0  # Plackett-Luce temperature (noise of selection and ranking)
    noise: float = 0.8  # sd of the latent in rating and trade-off decisions
    rating_base: float = 3.0  # latent level (0..4) of a value of average weight
    rating_gain: float = 1.0  # levels per unit of ln(weight / mean weight)
    tradeoff_gain: float = 1.5  # levels per unit of ln(w_a / w_b)
    refusal_rate: float = 0.0
    off_format_rate: float = 0.0
    style: Style = Style()
    spread: float = 0.8  # sd of ln(weight / mean weight) for values the profile does not know

    def __post_init__(self) -> None:
        if not self.name.startswith("sim-"):
            raise ValueError(f"simulated model names start with 'sim-': {self.name!r}")
        if not self.weights:
            raise ValueError(f"{self.name}: weights need at least one value")
        if any(w <= 0 for w in self.weights.values()):
            raise ValueError(f"{self.name}: weights must be positive")
        if set(self.context_adjust) - set(CONTEXTS):
            raise ValueError(f"{self.name}: unknown context in context_adjust")
        if not 0 <= self.refusal_rate + self.off_format_rate <= 1:
            raise ValueError(f"{self.name}: refusal_rate + off_format_rate must be within [0, 1]")
        freeze = object.__setattr__
        freeze(self, "weights", MappingProxyType(dict(self.weights)))
        freeze(self, "context_adjust", MappingProxyType(
            {c: MappingProxyType(dict(a)) for c, a in self.context_adjust.items()}))
        freeze(self, "tradeoff_weights", MappingProxyType(dict(self.tradeoff_weights)))
        freeze(self, "_mean_w", math.exp(sum(math.log(w) for w in self.weights.values()) / len(self.weights)))

    def __hash__(self) -> int:
        return hash(self.name)

    def weight(self, value: str | None, context: str | None = None) -> float:
        """Weight of a value (in a context).

        A value the profile knows has its seeded weight; any other label (another study's
        value, the text of a rating question) a fixed draw from the profile's name and the
        label: ``mean weight * exp(spread * z)`` with z standard normal. None: the mean weight.
        """
        if value is None:
            return self._mean_w  # type: ignore[attr-defined]
        if value not in self.weights:
            return self._mean_w * _unknown_factor(self.name, value, self.spread)  # type: ignore[attr-defined]
        w = self.weights[value]
        if context is not None:
            w *= self.context_adjust.get(context, {}).get(value, 1.0)
        return w

    def option_weight(self, option: Option, context: str | None = None) -> float:
        """Weight of an option as printed: its known value's, else its own label's."""
        return self.weight(option.value or " ".join(option.name.lower().split()), context)

    def tradeoff_weight(self, value: str | None, context: str | None = None) -> float:
        if value is not None and value in self.tradeoff_weights:
            return self.tradeoff_weights[value]
        return self.weight(value, context)

    @property
    def mean_weight(self) -> float:
        """Geometric mean of the known weights: a value of this weight rates ``rating_base``."""
        return self._mean_w  # type: ignore[attr-defined]


@lru_cache(maxsize=65536)
def _unknown_factor(profile: str, label: str, spread: float) -> float:
    """exp(spread * z), z a standard normal fixed by (profile, label): stable across runs and processes."""
    u = (int(hashlib.md5(f"{profile}|{label}".encode()).hexdigest()[:13], 16) + 0.5) / 16 ** 13
    return math.exp(spread * NormalDist().inv_cdf(u))


@dataclass(frozen=True)
class Decision:
    """What a profile decided for a prompt, before formatting."""

    prompt: Prompt
    outcome: str  # answer | refusal | off_format | generic
    chosen: tuple[Option, ...] = ()  # selection: picked, best first; rating/trade-off: one; ranking: all

    @property
    def task(self) -> str:
        return self.prompt.task


# --- decisions ----------------------------------------------------------------------


def decide(profile: Profile, messages: Sequence[dict[str, Any]], rng: random.Random,
           *, temperature: float = 1.0) -> Decision:
    """Decide an answer to ``messages``. ``temperature`` is the request's (1.0 = as sampled)."""
    prompt = parse_messages(messages)
    r = rng.random()
    if r < profile.refusal_rate:
        return Decision(prompt, "refusal")
    if r < profile.refusal_rate + profile.off_format_rate:
        return Decision(prompt, "off_format")
    t = max(0.0, temperature)
    if prompt.task == "selection":
        order = _plackett_luce(profile, prompt, rng, t)
        return Decision(prompt, "answer", tuple(prompt.options[i] for i in order[: prompt.k]))
    if prompt.task == "ranking":
        order = _plackett_luce(profile, prompt, rng, t)
        return Decision(prompt, "answer", tuple(prompt.options[i] for i in order))
    if prompt.task == "rating":
        w = profile.weight(prompt.value or prompt.subject or None, prompt.context)
        latent = profile.rating_base + profile.rating_gain * math.log(w / profile.mean_weight)
        return Decision(prompt, "answer", (_nearest(profile, prompt.options, latent, rng, t),))
    if prompt.task == "tradeoff":
        a, b = prompt.sides
        latent = profile.tradeoff_gain * math.log(
            profile.tradeoff_weight(a, prompt.context) / profile.tradeoff_weight(b, prompt.context))
        return Decision(prompt, "answer", (_nearest(profile, prompt.options, latent, rng, t),))
    return Decision(prompt, "generic")


def _plackett_luce(profile: Profile, prompt: Prompt, rng: random.Random, t: float) -> list[int]:
    """Indices of the options in sampled order (Gumbel trick: argsort of log w + noise)."""
    base = _base_keys(profile, prompt)
    scale = profile.temperature * t
    if scale > 0:
        rand, log = rng.random, math.log
        keys = [b - scale * log(-log(rand() or 1e-12)) for b in base]
    else:
        keys = list(base)
    return sorted(range(len(keys)), key=keys.__getitem__, reverse=True)


@lru_cache(maxsize=16384)
def _base_keys(profile: Profile, prompt: Prompt) -> tuple[float, ...]:
    """log weight of each option times its position factor ``exp(-primacy * i / (n - 1))``."""
    span = max(len(prompt.options) - 1, 1)
    return tuple(math.log(profile.option_weight(o, prompt.context)) - profile.primacy * i / span
                 for i, o in enumerate(prompt.options))


def _nearest(profile: Profile, options: tuple[Option, ...], latent: float, rng: random.Random, t: float) -> Option:
    latent += rng.gauss(0.0, profile.noise * t) if t > 0 else 0.0
    anchor = min(0.8, profile.primacy * 0.2)
    latent = (1 - anchor) * latent + anchor * options[0].level
    return min(options, key=lambda o: abs(o.level - latent))


def answer(profile: Profile, messages: Sequence[dict[str, Any]], rng: random.Random,
           *, temperature: float = 1.0) -> str:
    """The simulated model's reply to ``messages``: decide, then format messily."""
    return render(decide(profile, messages, rng, temperature=temperature), profile, rng)


# --- the panel ------------------------------------------------------------------------

# Human figures (see /work/shared/reference): T1 top-5 shares, T2 "extremely
# important" shares per context, T3 trade-offs turned into relative weights.
_US_T1 = dict(zip(VALUES, (0.73, 0.69, 0.63, 0.60, 0.43, 0.36, 0.35, 0.34, 0.23, 0.18, 0.13, 0.09)))
_PRACT_T1 = dict(zip(VALUES, (0.52, 0.40, 0.60, 0.46, 0.48, 0.30, 0.56, 0.38, 0.38, 0.34, 0.32, 0.20)))
_US_T2 = {  # Privacy, Safety, Performance, Accountability, Fairness, Transparency, Human Autonomy
    "medical": (0.73, 0.72, 0.68, 0.65, 0.55, 0.55, 0.50),
    "banking": (0.75, 0.68, 0.63, 0.55, 0.50, 0.50, 0.45),
    "marketing": (0.55, 0.49, 0.36, 0.51, 0.50, 0.45, 0.40),
    "streaming": (0.55, 0.45, 0.40, 0.49, 0.38, 0.25, 0.45),
}
_PRACT_T2 = {
    "medical": (0.50, 0.38, 0.60, 0.52, 0.51, 0.36, 0.51),
    "banking": (0.48, 0.36, 0.25, 0.45, 0.45, 0.37, 0.30),
    "marketing": (0.26, 0.27, 0.25, 0.11, 0.20, 0.15, 0.18),
    "streaming": (0.37, 0.22, 0.27, 0.20, 0.22, 0.21, 0.36),
}


def _adjust_to(weights: Mapping[str, float], t2: Mapping[str, Sequence[float]]) -> dict[str, dict[str, float]]:
    """Context factors that make the seven T2 values' weights proportional to the T2 shares.

    Scaled so the seven keep their (geometric) mean weight over all contexts:
    T1 answers (no context) are untouched, ratings follow the human figures
    across values and contexts.
    """
    ratios = {ctx: [s / weights[v] for v, s in zip(_T2_VALUES, shares)] for ctx, shares in t2.items()}
    logs = [math.log(r) for rs in ratios.values() for r in rs]
    mean = math.exp(sum(logs) / len(logs))
    return {ctx: {v: r / mean for v, r in zip(_T2_VALUES, rs)} for ctx, rs in ratios.items()}


def _weights(**kw: float) -> dict[str, float]:
    """Weights from keyword names (``social_good=0.3``); unnamed values get ``rest``."""
    rest = kw.pop("rest", 0.2)
    named = {k.replace("_", " ").title(): v for k, v in kw.items()}
    return {v: named.get(v, rest) for v in VALUES}


PANEL: list[Profile] = [
    Profile(
        name="sim-us-public",
        description="US-public-like: chooses values at the rates the US-representative sample did; "
                    "ratings and trade-offs follow its published figures",
        weights=_US_T1,
        context_adjust=_adjust_to(_US_T1, _US_T2),
        tradeoff_weights={"Privacy": 1.0, "Safety": 1.0, "Performance": 0.55, "Fairness": 0.58,
                          "Human Autonomy": 0.5, "Transparency": 0.5},
        primacy=0.3, temperature=0.8, noise=0.8, rating_base=3.25, rating_gain=1.0, tradeoff_gain=1.6,
        refusal_rate=0.01, off_format_rate=0.01,
        style=Style(lists=(("numbered", 0.6), ("bullet", 0.2), ("comma", 0.2)), preamble=0.5, explain=0.1,
                    sentence=0.3, rankings=(("digits", 0.5), ("stories", 0.3), ("texts", 0.2))),
    ),
    Profile(
        name="sim-practitioner",
        description="AI-practitioner-like: chooses values at the rates the AI practitioners did "
                    "(Fairness and Privacy high, Performance lower); ratings and trade-offs follow them",
        weights=_PRACT_T1,
        context_adjust=_adjust_to(_PRACT_T1, _PRACT_T2),
        tradeoff_weights={"Privacy": 1.0, "Safety": 1.0, "Fairness": 0.75, "Performance": 0.45,
                          "Human Autonomy": 0.75, "Transparency": 0.7},
        primacy=0.2, temperature=0.8, noise=0.8, rating_base=2.9, rating_gain=1.0, tradeoff_gain=1.5,
        refusal_rate=0.01, off_format_rate=0.02,
        style=Style(lists=(("bullet", 0.6), ("numbered", 0.3), ("lines", 0.1)), bullets="-*", bold=0.3,
                    preamble=0.4, explain=0.5, sentence=0.5, rankings=(("stories", 0.5), ("digits", 0.5))),
    ),
    Profile(
        name="sim-safety-first",
        description="Safety above everything, then Accountability and Privacy; Human Autonomy gives way",
        weights=_weights(safety=1.0, accountability=0.55, privacy=0.5, transparency=0.45, performance=0.35,
                         dignity=0.3, fairness=0.3, social_good=0.25, human_autonomy=0.1, rest=0.15),
        context_adjust={"medical": {"Safety": 1.3, "Performance": 1.2}, "banking": {"Safety": 1.1}},
        primacy=0.3, temperature=0.6, noise=0.7, rating_base=3.2, rating_gain=1.2, tradeoff_gain=1.8,
        refusal_rate=0.02, off_format_rate=0.01,
        style=Style(lists=(("numbered", 0.8), ("bullet", 0.2)), bold=0.6, preamble=0.7, explain=0.3,
                    sentence=0.4, rankings=(("stories", 0.6), ("digits", 0.4))),
    ),
    Profile(
        name="sim-performance-max",
        description="Performance first, the rest a distant second; terse comma-separated answers",
        weights=_weights(performance=1.0, safety=0.3, social_good=0.3, accountability=0.25, privacy=0.15,
                         transparency=0.15, fairness=0.15, sustainability=0.1, human_autonomy=0.1, rest=0.07),
        context_adjust={"marketing": {"Performance": 1.3}, "streaming": {"Performance": 1.3}},
        primacy=0.2, temperature=0.6, noise=0.7, rating_base=2.4, rating_gain=1.1, tradeoff_gain=1.8,
        refusal_rate=0.0, off_format_rate=0.02,
        style=Style(lists=(("comma", 0.7), ("lines", 0.3)), lower=0.3, preamble=0.05, sentence=0.1,
                    rankings=(("digits", 1.0),)),
    ),
    Profile(
        name="sim-privacy-hawk",
        description="Privacy and people's control over their data first; likes synonyms and explanations",
        weights=_weights(privacy=1.0, human_autonomy=0.65, transparency=0.6, dignity=0.5, accountability=0.45,
                         fairness=0.35, safety=0.3, inclusiveness=0.2, rest=0.12),
        context_adjust={"banking": {"Privacy": 1.3, "Human Autonomy": 1.2},
                        "marketing": {"Privacy": 1.3, "Human Autonomy": 1.2}},
        primacy=0.3, temperature=0.6, noise=0.8, rating_base=2.8, rating_gain=1.2, tradeoff_gain=1.6,
        refusal_rate=0.03, off_format_rate=0.02,
        style=Style(lists=(("bullet", 0.7), ("numbered", 0.3)), bullets="\u2022-", preamble=0.5, explain=0.6,
                    synonyms=0.35, sentence=0.6, rankings=(("texts", 0.6), ("stories", 0.4))),
    ),
    Profile(
        name="sim-contrarian",
        description="Roughly the reverse of the US public: Solidarity and Inclusiveness first, "
                    "Safety and Performance last",
        weights=dict(zip(VALUES, reversed(tuple(_US_T1.values())))),
        primacy=0.3, temperature=0.55, noise=0.8, rating_base=2.5, rating_gain=1.0, tradeoff_gain=1.6,
        refusal_rate=0.02, off_format_rate=0.03,
        style=Style(lists=(("lines", 0.5), ("numbered", 0.3), ("comma", 0.2)), lower=0.5, preamble=0.3,
                    sentence=0.2, rankings=(("digits", 0.7), ("texts", 0.3))),
    ),
    Profile(
        name="sim-order-biased",
        description="Mild preferences swamped by list order: picks what comes first (low robustness)",
        weights={v: math.sqrt(w) for v, w in _US_T1.items()},
        primacy=3.0, temperature=0.8, noise=0.8, rating_base=2.8, rating_gain=0.6, tradeoff_gain=1.0,
        refusal_rate=0.01, off_format_rate=0.02,
        style=Style(lists=(("numbered", 1.0),), preamble=0.2, sentence=0.1, rankings=(("digits", 1.0),)),
    ),
    Profile(
        name="sim-noisy",
        description="Near-uniform and erratic: high temperature, many refusals and off-format replies, "
                    "every formatting quirk",
        weights=dict(zip(VALUES, (0.45, 0.4, 0.45, 0.4, 0.42, 0.38, 0.44, 0.36, 0.4, 0.38, 0.37, 0.35))),
        primacy=0.6, temperature=2.5, noise=2.0, rating_base=2.5, rating_gain=0.5, tradeoff_gain=0.5,
        refusal_rate=0.2, off_format_rate=0.02,  # off-format stays under the 5% mapping-coverage guard
        style=Style(lists=(("numbered", 0.25), ("bullet", 0.25), ("comma", 0.25), ("lines", 0.25)),
                    bullets="-*\u2022", bold=0.3, caps=0.15, lower=0.15, preamble=0.5, explain=0.4,
                    synonyms=0.3, sentence=0.5, rankings=(("digits", 0.34), ("stories", 0.33), ("texts", 0.33))),
    ),
]

_BY_NAME: dict[str, Profile] = {p.name: p for p in PANEL}


def panel_model_names() -> list[str]:
    """Names of the simulated models, all starting with ``sim-``."""
    return [p.name for p in PANEL]


def get_profile(name: str) -> Profile | None:
    return _BY_NAME.get(name)
