"""The resolved design: an experiment expanded into items and their answer options.

Item ids are a contract shared with the warehouse, imports and reports:
``<task>`` for select tasks (T1: ``t1``), ``<task>/<context>/<value>`` for rate
tasks, ``<task>/<context>/<a>-over-<b>`` for trade-offs ("ensuring a may
reduce b") and ``<task>/<context>`` for rank tasks. Value slugs are lower snake
case (``human_autonomy``).
"""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass
from functools import cached_property

from collector.config import Experiment, RankTask, RateTask, SelectTask, TradeoffTask, slug


@dataclass(frozen=True)
class Option:
    """One answer option of an item, as stored in ``raw.options``.

    ``canonical`` is what an answer maps to (a value name, a scale level key or a
    story id); ``value`` is the value the option stands for, if any (the value
    selected, the side favoured in a trade-off, the value a story embodies).
    Synonym rows share the canonical option's key and differ in ``label``.
    """

    key: str
    label: str
    canonical: str
    value: str | None
    ordinal: int
    is_synonym: bool = False


@dataclass(frozen=True)
class Item:
    item: str
    task: str
    kind: str
    context: str | None
    value: str | None  # rate tasks: the value asked about
    value_a: str | None  # trade-offs: the value ensured ...
    value_b: str | None  # ... and the value it may reduce
    k: int | None  # select tasks: how many to pick
    prompt_template: str
    fields: tuple[tuple[str, str], ...]  # placeholder -> text, except {options}
    options: tuple[Option, ...]  # canonical options in file order
    synonyms: tuple[Option, ...] = ()  # alternative labels (select tasks)

    def synonym_label(self, key: str, seed: int | None = None) -> str | None:
        """The label the synonyms setting shows for option ``key`` (None: it has no synonym).

        With a ``seed`` (the request's, derived from its key) the label alternates per run among
        all the value's names, its own and its synonyms, as the study alternated "Fairness",
        "Justice" and "Non-discrimination"; a rerun shows the same. Without a seed: the first synonym.
        """
        synonyms = [s.label for s in self.synonyms if s.key == key]
        if not synonyms:
            return None
        if seed is None:
            return synonyms[0]
        names = [o.label for o in self.options if o.key == key] + synonyms
        return names[random.Random(f"{seed}|{key}").randrange(len(names))]


@dataclass(frozen=True)
class TaskVocabulary:
    """What a task's reference figures may name (collector.reference checks each CSV row against it).

    ``values`` maps a lower-cased value name to the design's spelling; ``option_ordinals`` maps a
    scale level key to its ordinal (empty for select and rank tasks, whose figures name no option);
    ``conflicts`` holds each trade-off pair as declared (either direction is accepted).
    """

    task: str
    kind: str
    contexts: frozenset[str]
    values: dict[str, str]
    option_ordinals: dict[str, int]
    conflicts: frozenset[frozenset[str]]


@dataclass(frozen=True)
class Setting:
    task: str
    setting: str
    order: str
    labels: str


class Design:
    """Items, options and settings of one experiment, derived once and shared."""

    def __init__(self, exp: Experiment) -> None:
        self.exp = exp
        self.items: tuple[Item, ...] = tuple(_expand(exp))
        self.settings: tuple[Setting, ...] = tuple(
            Setting(t, s, spec.order, spec.labels) for t, task in exp.tasks.items() for s, spec in task.settings.items()
        )
        self._by_id = {i.item: i for i in self.items}

    def item(self, item_id: str) -> Item:
        return self._by_id[item_id]

    def has_item(self, item_id: str) -> bool:
        return item_id in self._by_id

    def settings_of(self, task: str) -> list[Setting]:
        return [s for s in self.settings if s.task == task]

    def setting(self, task: str, setting: str) -> Setting | None:
        for s in self.settings:
            if s.task == task and s.setting == setting:
                return s
        return None

    @cached_property
    def item_settings(self) -> list[tuple[Item, Setting]]:
        return [(i, s) for i in self.items for s in self.settings_of(i.task)]

    @cached_property
    def vocabulary(self) -> dict[str, TaskVocabulary]:
        """Per task: the contexts, values, option keys and conflicts reference figures may name."""
        out: dict[str, TaskVocabulary] = {}
        for task in self.exp.tasks:
            items = [i for i in self.items if i.task == task]
            kind = items[0].kind if items else self.exp.tasks[task].kind
            values: dict[str, str] = {}
            ordinals: dict[str, int] = {}
            conflicts: set[frozenset[str]] = set()
            for i in items:
                if kind == "rate" and i.value:
                    values[i.value.lower()] = i.value
                elif kind == "tradeoff" and i.value_a and i.value_b:
                    values[i.value_a.lower()] = i.value_a
                    values[i.value_b.lower()] = i.value_b
                    conflicts.add(frozenset((i.value_a, i.value_b)))
                else:  # select, rank: the values the options stand for
                    values.update({o.value.lower(): o.value for o in i.options if o.value})
                if kind in ("rate", "tradeoff"):
                    ordinals.update({o.key: o.ordinal for o in i.options})
            out[task] = TaskVocabulary(task, kind, frozenset(i.context for i in items if i.context), values,
                                       ordinals, frozenset(conflicts))
        return out

    @cached_property
    def design_hash(self) -> str:
        """Hash of everything that defines what is asked (not which models ask it)."""
        return self.design_hash_at(self.exp.replicates)

    def design_hash_at(self, replicates: int) -> str:
        """The design hash this design would have with ``replicates`` runs per prompt.

        The replicate count is part of the hash (a study's recorded row says what it asks), and
        this is how the store tells "only the replicate count changed" (the hash at the recorded
        count matches) from any other change.
        """
        payload = {
            "replicates": replicates,
            "generation": self.exp.generation,
            "system_prompt": self.exp.system_prompt,
            "items": [asdict(i) for i in self.items],
            "settings": [asdict(s) for s in self.settings],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _expand(exp: Experiment) -> list[Item]:
    items: list[Item] = []
    for tname, task in exp.tasks.items():
        if isinstance(task, SelectTask):
            values = [exp.value(v) for v in task.values]
            options = tuple(Option(v.key, v.name, v.name, v.name, n) for n, v in enumerate(values, 1))
            syns = tuple(
                Option(v.key, s, v.name, v.name, n, True) for n, v in enumerate(values, 1) for s in v.synonyms
            )
            items.append(Item(tname, tname, "select", None, None, None, None, task.k, task.prompt,
                              (("k", str(task.k)), ("n", str(len(values)))), options, syns))
        elif isinstance(task, RateTask):
            levels = exp.scales[task.scale]
            for ctx in task.contexts:
                for vname in task.values:
                    v = exp.value(vname)
                    options = tuple(Option(lv.key, lv.label, lv.key, v.name, n) for n, lv in enumerate(levels, 1))
                    fields = (("context", exp.contexts[ctx]), ("value", v.name.lower()), ("n", str(len(levels))))
                    items.append(Item(f"{tname}/{ctx}/{v.key}", tname, "rate", ctx, v.name, None, None, None,
                                      task.prompt, fields, options))
        elif isinstance(task, TradeoffTask):
            levels = exp.scales[task.scale]
            pairs = [(exp.value(a), exp.value(b)) for a, b in task.conflicts]
            if task.both_directions:
                pairs = [p for a, b in pairs for p in ((a, b), (b, a))]
            for ctx in task.contexts:
                for a, b in pairs:
                    options = tuple(
                        Option(lv.key, lv.label.replace("{value_a}", a.name).replace("{value_b}", b.name), lv.key,
                               a.name if lv.key.endswith("_a") else b.name if lv.key.endswith("_b") else None, n)
                        for n, lv in enumerate(levels, 1)
                    )
                    fields = (("context", exp.contexts[ctx]), ("value_a", a.name.lower()),
                              ("value_b", b.name.lower()), ("n", str(len(levels))))
                    items.append(Item(f"{tname}/{ctx}/{a.key}-over-{b.key}", tname, "tradeoff", ctx, None, a.name,
                                      b.name, None, task.prompt, fields, options))
        elif isinstance(task, RankTask):
            for ctx, system in task.systems.items():
                options = tuple(
                    Option(s.id, s.text, s.id, exp.value(s.value).name, n) for n, s in enumerate(system.stories, 1)
                )
                fields = (("context", exp.contexts[ctx]), ("system", system.system.strip()),
                          ("n", str(len(system.stories))))
                items.append(Item(f"{tname}/{ctx}", tname, "rank", ctx, None, None, None, None, task.prompt,
                                  fields, options))
    return items
