"""The study's design as the report needs it: its tasks in the file's order, their kinds, k, scales
and contexts, and the order of its contexts and declared human groups.

Everything comes from the study's own experiment file as the database recorded it (the
``experiment_text`` column of mart ``study_summary``), read with ``yaml.safe_load`` for names and
order only: nothing here validates a design (the collector did that when it recorded it). A
database built before that column existed, or a text that no longer parses, falls back to what
the marts hold (tasks and kinds from ``selection_shares`` and ``t4_story_ranks``, contexts and
groups alphabetically), so the report still renders.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yaml

#: Task kinds, their names in section titles, in the order a task of unknown position is placed.
KIND_NAMES = {"select": "selection", "rate": "rating", "tradeoff": "trade-off", "rank": "ranking"}


@dataclass
class Level:
    key: str
    label: str


@dataclass
class Task:
    """One task of the study, as declared (name, kind) with what its sections need to say."""

    name: str
    kind: str
    k: int | None = None
    contexts: list[str] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)  # rate / tradeoff: the scale, lowest ordinal first
    values: list[str] = field(default_factory=list)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def title(self) -> str:
        """'top3 · selection (k = 3)': the task's own name and kind, and its size from the design."""
        detail = ""
        if self.kind == "select" and self.k:
            detail = f" (k = {self.k})"
        elif self.kind == "rate" and self.levels:
            detail = f" ({len(self.levels)}-level scale)"
        elif self.kind == "tradeoff" and self.levels:
            detail = f" ({len(self.levels)}-point scale)"
        return f"{self.name} · {self.kind_name}{detail}"

    @property
    def slug(self) -> str:
        import re
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_") or "task"

    def level_label(self, key: str) -> str:
        return next((lv.label for lv in self.levels if lv.key == key), key.replace("_", " "))

    @property
    def top_label(self) -> str | None:
        """The label of the scale's highest level (the rate tasks' 'top level' measure)."""
        return self.levels[-1].label if self.levels else None


@dataclass
class Design:
    tasks: list[Task]
    contexts: list[str]
    groups: list[str]  # human group ids declared under `reference.groups`, in the file's order
    from_file: bool
    #: the `reference:` block as the file declares it (labels, n, citation, caveats); the marts
    #: human_groups / published_figures take precedence where they exist
    group_labels: dict[str, str] = field(default_factory=dict)
    group_n: dict[str, int] = field(default_factory=dict)
    citation: str | None = None
    caveats: str | None = None

    def task(self, name: str) -> Task | None:
        return next((t for t in self.tasks if t.name == name), None)

    def first(self, kind: str) -> Task | None:
        return next((t for t in self.tasks if t.kind == kind), None)


def _parse(text: str) -> dict[str, Any] | None:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("tasks"), dict) else None


def _levels(scale: Any) -> list[Level]:
    if not isinstance(scale, list):
        return []
    out = []
    for lv in scale:
        if isinstance(lv, dict) and "key" in lv:
            out.append(Level(str(lv["key"]), str(lv.get("label", lv["key"]))))
    return out


def from_text(text: str) -> Design | None:
    """The design of one experiment file's text, or None when it does not parse."""
    doc = _parse(text)
    if doc is None:
        return None
    scales = doc.get("scales") if isinstance(doc.get("scales"), dict) else {}
    contexts = [str(c) for c in (doc.get("contexts") or {})] if isinstance(doc.get("contexts"), dict) else []
    tasks = []
    for name, spec in doc["tasks"].items():
        if not isinstance(spec, dict):
            continue
        kind = str(spec.get("kind", ""))
        ctxs = [str(c) for c in spec.get("contexts") or []]
        if kind == "rank" and isinstance(spec.get("systems"), dict):
            ctxs = [str(c) for c in spec["systems"]]
        k = spec.get("k")
        tasks.append(Task(str(name), kind, int(k) if isinstance(k, int) else None, ctxs,
                          _levels(scales.get(spec.get("scale"))) if spec.get("scale") else [],
                          [str(v) for v in spec.get("values") or []]))
        contexts += [c for c in ctxs if c not in contexts]
    ref = doc.get("reference") if isinstance(doc.get("reference"), dict) else {}
    declared = ref.get("groups") if isinstance(ref.get("groups"), dict) else {}
    labels = {str(g): str(v.get("label", g)) for g, v in declared.items() if isinstance(v, dict)}
    ns = {str(g): v["n"] for g, v in declared.items() if isinstance(v, dict) and isinstance(v.get("n"), int)}
    text_or_none = (lambda x: " ".join(str(x).split()) if x else None)
    return Design(tasks, contexts, [str(g) for g in declared], True, labels, ns,
                  text_or_none(ref.get("citation")), text_or_none(ref.get("caveats")))


def from_marts(tasks: pd.DataFrame, contexts: list[str], groups: list[str]) -> Design:
    """A fallback design from the marts: ``tasks`` has columns task and task_kind."""
    rank = {k: i for i, k in enumerate(KIND_NAMES)}
    rows = tasks.drop_duplicates("task").to_dict("records")
    rows.sort(key=lambda r: (rank.get(r["task_kind"], len(rank)), str(r["task"])))
    return Design([Task(str(r["task"]), str(r["task_kind"])) for r in rows], sorted(contexts), sorted(groups),
                  False)
