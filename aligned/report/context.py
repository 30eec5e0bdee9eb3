"""What every section needs to know: the warehouse, the study's design, its models in order, its
declared human groups, and how to label them.

Nothing here knows a study: task names, kinds, contexts and their order come from the design
(:mod:`aligned.report.design`), human groups, their labels, citation and caveats from mart
``human_groups`` (else the study's own ``reference:`` block), and published figures from mart
``published_figures``. A study that declares no reference has no groups, so no human rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import pandas as pd

from aligned.report import design as design_mod
from aligned.report.data import Result, Warehouse
from aligned.report.design import Design, Task
from aligned.report.style import OKABE_ITO, model_label

#: Columns of mart human_figures (the contract's int_reference_figures, one row per published figure).
HUMAN_FIGURE_COLUMNS = ["human_group", "task", "context", "value", "value_b", "options", "share"]
#: Columns of mart human_groups and published_figures (contract, section 4).
GROUP_COLUMNS = ["human_group", "label", "n_respondents", "citation", "caveats"]
PUBLISHED_COLUMNS = ["task", "statistic", "value", "n", "text"]
#: Where a warehouse built before mart human_groups records which groups a study was compared with.
LEGACY_ALIGNMENT_MARTS = ["t1_human_alignment", "t2_human_alignment", "t3_human_alignment"]


def _text(v) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == "" else str(v)


@dataclass
class ReportContext:
    wh: Warehouse
    models: pd.DataFrame
    simulated: set[str] = field(default_factory=set)
    #: context labels of figures over all contexts (dbt var pooled_context_label) and of tasks without a
    #: context (var no_context_label), as the study_summary mart records them
    pooled_label: str | None = None
    no_context_label: str | None = None
    design: Design = field(default_factory=lambda: Design([], [], [], False))
    #: declared human groups in the file's order: id -> label, n
    groups: list[str] = field(default_factory=list)
    group_labels: dict[str, str] = field(default_factory=dict)
    group_n: dict[str, int] = field(default_factory=dict)
    citation: str | None = None
    caveats: str | None = None
    published: pd.DataFrame | None = None
    #: the study's failing checks from the last build (mart build_checks), if any
    failing_checks: pd.DataFrame | None = None

    @classmethod
    def load(cls, wh: Warehouse) -> "ReportContext":
        models = wh.models()
        summary = wh.summary()
        labels = (summary["pooled_context_label"], summary["no_context_label"]) if summary is not None else (None, None)
        text = summary.get("experiment_text") if summary is not None else None
        dsg = design_mod.from_text(text) if isinstance(text, str) else None
        if dsg is None:
            dsg = _design_from_marts(wh, set(labels) - {None})
        ctx = cls(wh, models, set(models.loc[models["is_simulated"], "model"]), *labels, design=dsg)
        ctx._load_groups()
        pub = wh.table("published_figures", PUBLISHED_COLUMNS)
        ctx.published = pub.df if pub.ok else None
        ctx.failing_checks = wh.failing_checks()
        return ctx

    def _load_groups(self) -> None:
        """Groups from mart human_groups (the study's latest reference load), else from the file's
        `reference:` block (a warehouse built before that mart); labels fall back to the group id."""
        d = self.design
        res = self.wh.table("human_groups", ["human_group", "label"])
        if self.wh.has("human_groups"):
            df = res.df if res.df is not None else pd.DataFrame(columns=GROUP_COLUMNS)
            ids = list(df["human_group"].astype(str))
            self.groups = [g for g in d.groups if g in ids] + sorted(g for g in ids if g not in d.groups)
            for r in df.to_dict("records"):
                g = str(r["human_group"])
                self.group_labels[g] = _text(r.get("label")) or g
                if pd.notna(r.get("n_respondents")):
                    self.group_n[g] = int(r["n_respondents"])
            self.citation = next((_text(c) for c in df.get("citation", []) if _text(c)), None)
            self.caveats = next((_text(c) for c in df.get("caveats", []) if _text(c)), None)
        elif d.groups:
            self.groups = list(d.groups)
            self.group_labels = {g: d.group_labels.get(g, g) for g in d.groups}
            self.group_n = dict(d.group_n)
            self.citation, self.caveats = d.citation, d.caveats
        else:  # a warehouse built before human_groups: the groups its alignment marts compared this study
            seen: list[str] = []  # with (a defined correlation: rows matched by name alone have none)
            for name in LEGACY_ALIGNMENT_MARTS:
                res = self.wh.table(name, ["human_group", "spearman_rho"], where="spearman_rho is not null")
                if res.ok:
                    seen += [str(g) for g in res.df["human_group"].dropna().unique() if str(g) not in seen]
            self.groups = sorted(seen)
            self.group_labels = {g: g for g in self.groups}

    # -- the study --------------------------------------------------------------------------------

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

    @property
    def tasks(self) -> list[Task]:
        return self.design.tasks

    def task_of(self, name: str) -> Task:
        return self.design.task(str(name)) or Task(str(name), "")

    # -- order and labels -------------------------------------------------------------------------

    def order(self, names: Iterable[str]) -> list[str]:
        """Models in file order (then any unknown ones alphabetically)."""
        names = list(dict.fromkeys(n for n in names if pd.notna(n)))
        known = [m for m in self.models["model"] if m in names]
        return known + sorted(n for n in names if n not in known)

    def order_contexts(self, names: Iterable[str]) -> list[str]:
        """Contexts in the design's order, then labels such as the pooled one, then unknown ones."""
        names = list(dict.fromkeys(str(n) for n in names if pd.notna(n)))
        known = [c for c in self.design.contexts if c in names]
        special = [c for c in (self.pooled_label, self.no_context_label) if c in names and c not in known]
        return known + special + sorted(c for c in names if c not in known and c not in special)

    def order_groups(self, names: Iterable[str]) -> list[str]:
        names = list(dict.fromkeys(str(n) for n in names if pd.notna(n)))
        return [g for g in self.groups if g in names] + sorted(g for g in names if g not in self.groups)

    def group_short(self, group: str) -> str:
        return self.group_labels.get(group, group)

    def human_label(self, group: str) -> str:
        """A human row's label in figures and tables: 'Humans: <the group's declared label>'."""
        return f"Humans: {self.group_short(group)}"

    def group_colour(self, group: str) -> str:
        order = self.order_groups([group, *self.groups])
        i = order.index(group)
        return OKABE_ITO[i % len(OKABE_ITO)]

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

    # -- human figures ----------------------------------------------------------------------------

    def human_points(self, task: Task) -> Result:
        """The study's published human figures for ``task``, one row per (group, context, value,
        value_b, options): mart ``human_figures``, only for groups this study declares (never another
        study's)."""
        if not self.groups:
            return Result(None, "no human figures were declared for this study")
        res = self.wh.table("human_figures", HUMAN_FIGURE_COLUMNS)
        if not res.ok:
            return res
        df = res.df[(res.df["task"] == task.name) & res.df["human_group"].isin(self.groups)]
        return Result(df, "" if not df.empty else f"no human figures for task {task.name}")

    def published_for(self, task: Task) -> pd.DataFrame:
        if self.published is None:
            return pd.DataFrame(columns=PUBLISHED_COLUMNS)
        return self.published[self.published["task"] == task.name]


def _design_from_marts(wh: Warehouse, special: set[str]) -> Design:
    frames = []
    for name in ("selection_shares", "t4_story_ranks"):
        res = wh.table(name, ["task"])
        if res.ok:
            df = res.df
            kinds = df["task_kind"] if "task_kind" in df else "rank"
            frames.append(pd.DataFrame({"task": df["task"], "task_kind": kinds}).drop_duplicates())
    tasks = pd.concat(frames) if frames else pd.DataFrame(columns=["task", "task_kind"])
    contexts: set[str] = set()
    res = wh.table("selection_shares", ["context"])
    if res.ok:
        contexts = {str(c) for c in res.df["context"].dropna()} - special
    return design_mod.from_marts(tasks, sorted(contexts), [])
