"""Planned requests: one per (model, item, setting, replicate), keyed and rendered.

The request key is the md5 of ``study|model|item|setting|replicate``; DuckDB's
``md5()`` computes the same string, so what is planned and what is left can be
worked out with set operations in SQL (see ``store.pending_keys``). Everything
random about a request (the order its options are shown in, the seed sent to a
simulator) is derived from its key, so a rerun shows exactly the same prompt.
"""
from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from typing import Any

from collector.config import PLACEHOLDERS
from collector.design import Design, Item, Option, Setting
from collector.errors import UserError

# config.py refuses a template with any other {name}, so every placeholder left is filled
_PLACEHOLDER = re.compile(r"\{(" + "|".join(sorted(set().union(*PLACEHOLDERS.values()))) + r")\}")

#: most requests one run plans (models x prompts x settings x replicates). What is left of a
#: plan is worked out as a set of keys in memory (about 370 bytes per pending request, 0.37 GB at
#: the limit), so a
#: run is refused above this, with one line, instead of running out of memory
#: (docs/reliability.md, "Limits").
MAX_PLANNED_REQUESTS = 1_000_000


def request_key(study: str, model: str, item: str, setting: str, replicate: int) -> str:
    return hashlib.md5(f"{study}|{model}|{item}|{setting}|{replicate}".encode()).hexdigest()


def seed_of(key: str) -> int:
    """A non-negative 60-bit integer derived from the request key."""
    return int(key[:15], 16)


@dataclass(frozen=True, slots=True)  # slots: a pending list of 100k+ requests stays small
class PlannedRequest:
    key: str
    study: str
    model: str
    item: Item
    setting: Setting
    replicate: int

    @property
    def seed(self) -> int:
        return seed_of(self.key)

    def options_shown(self) -> list[Option]:
        """The options in the order this request shows them (deterministic per key)."""
        opts = list(self.item.options)
        if self.setting.order == "reversed":
            opts.reverse()
        elif self.setting.order == "shuffled":
            random.Random(self.seed).shuffle(opts)
        return opts

    def labels_shown(self, options: list[Option]) -> list[str]:
        if self.setting.labels == "synonyms":
            return [self.item.synonym_label(o.key, self.seed) or o.label for o in options]
        return [o.label for o in options]

    def render(self, system_prompt: str | None) -> tuple[list[dict[str, str]], list[str], list[str]]:
        """Return (messages, option keys shown, labels shown)."""
        options = self.options_shown()
        labels = self.labels_shown(options)
        if self.item.kind == "rank":
            block = "\n".join(f"{n}. {label}" for n, label in enumerate(labels, 1))
        else:
            block = "\n".join(f"- {label}" for label in labels)
        fields: dict[str, str] = dict(self.item.fields)
        fields["options"] = block
        text = _PLACEHOLDER.sub(lambda m: fields.get(m.group(1), m.group(0)), self.item.prompt_template)
        messages = []
        if system_prompt:
            messages.append({"role": "system", "content": system_prompt})
        messages.append({"role": "user", "content": text})
        return messages, [o.key for o in options], labels


def iter_plan(design: Design, models: list[str], replicates: int):
    """Every planned request, model by model (a generator: a 1M plan is never a list)."""
    study = design.exp.study
    for model in models:
        for item, setting in design.item_settings:
            for r in range(1, replicates + 1):
                yield PlannedRequest(request_key(study, model, item.item, setting.setting, r), study, model, item,
                                     setting, r)


def check_plan_size(design: Design, models: list[str]) -> int:
    """The number of requests one run plans; UserError above :data:`MAX_PLANNED_REQUESTS`."""
    per_replicate = len(design.item_settings)
    n = per_replicate * design.exp.replicates * len(models)
    if n > MAX_PLANNED_REQUESTS:
        where = design.exp.source_path or "the experiment"
        raise UserError(f"{where}: this run would plan {n:,} requests ({len(models)} model(s) x {per_replicate:,} "
                        f"prompts x {design.exp.replicates:,} replicates), more than the limit of "
                        f"{MAX_PLANNED_REQUESTS:,} per run; collect a few models at a time (--models) "
                        "or use fewer replicates")
    return n


def plan_counts(design: Design, models: list[str], replicates: int) -> dict[tuple[str, str], int]:
    """Requests per (model, task) without materialising the plan."""
    per_task: dict[str, int] = {}
    for item, _ in design.item_settings:
        per_task[item.task] = per_task.get(item.task, 0) + replicates
    return {(m, t): n for m in models for t, n in per_task.items()}


def estimate_prompt_tokens(design: Design) -> dict[str, int]:
    """Rough prompt tokens per task for one replicate (4 characters per token)."""
    out: dict[str, int] = {}
    for item, setting in design.item_settings:
        req = PlannedRequest("0" * 32, design.exp.study, "", item, setting, 1)
        messages, _, _ = req.render(design.exp.system_prompt)
        chars = sum(len(m["content"]) for m in messages)
        out[item.task] = out.get(item.task, 0) + (chars + 3) // 4
    return out


def params_for(design: Design, model_params: dict[str, Any]) -> dict[str, Any]:
    return {**design.exp.generation, **model_params}
