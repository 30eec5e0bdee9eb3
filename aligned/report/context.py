"""What every section needs to know: the warehouse, the models in order, and how to label them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import pandas as pd

from aligned.report.data import Warehouse
from aligned.report.style import HUMAN_ORDER, human_label, model_label

#: Contexts in the order the study presents them; others follow alphabetically.
CONTEXT_ORDER = ["medical", "banking", "marketing", "streaming"]


@dataclass
class ReportContext:
    wh: Warehouse
    models: pd.DataFrame
    simulated: set[str] = field(default_factory=set)
    #: context labels of figures over all contexts (dbt var pooled_context_label) and of tasks without a
    #: context (var no_context_label), as the study_summary mart records them
    pooled_label: str | None = None
    no_context_label: str | None = None

    @classmethod
    def load(cls, wh: Warehouse) -> "ReportContext":
        models = wh.models()
        summary = wh.summary()
        labels = (summary["pooled_context_label"], summary["no_context_label"]) if summary is not None else (None, None)
        return cls(wh, models, set(models.loc[models["is_simulated"], "model"]), *labels)

    @property
    def pooled(self) -> set[str]:
        """Context labels that are not one context: pooled over contexts, or no context at all."""
        return {c for c in (self.pooled_label, self.no_context_label) if c is not None}

    @property
    def study(self) -> str | None:
        return self.wh.study

    @property
    def has_simulated(self) -> bool:
        return bool(self.simulated)

    def order(self, names: Iterable[str]) -> list[str]:
        """Models in file order (then any unknown ones alphabetically)."""
        names = list(dict.fromkeys(n for n in names if pd.notna(n)))
        known = [m for m in self.models["model"] if m in names]
        return known + sorted(n for n in names if n not in known)

    def label(self, model: str) -> str:
        return model_label(model, self.simulated)

    def labels(self, models: Sequence[str]) -> list[str]:
        return [self.label(m) for m in models]

    def by_model(self, df: pd.DataFrame, then: Sequence[str] = ()) -> pd.DataFrame:
        """Rows in model file order, then by ``then``; model names labelled "(sim)" for tables."""
        order = {m: i for i, m in enumerate(self.order(df["model"]))}
        keys = [c for c in then if c in df]
        out = df.assign(_o=df["model"].map(order)).sort_values(["_o", *keys], kind="stable").drop(columns="_o")
        return out.assign(model=out["model"].map(self.label)).reset_index(drop=True)


def order_contexts(names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(n for n in names if pd.notna(n)))
    return [c for c in CONTEXT_ORDER if c in names] + sorted(c for c in names if c not in CONTEXT_ORDER)


def order_groups(names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(n for n in names if pd.notna(n)))
    return [g for g in HUMAN_ORDER if g in names] + sorted(g for g in names if g not in HUMAN_ORDER)


def human_rows(groups: Iterable[str]) -> list[str]:
    return [human_label(g) for g in groups]
