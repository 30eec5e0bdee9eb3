"""The experiment file: typed, validated once at the edge, then passed down as objects.

Nothing deeper than this module reads YAML or environment variables for the
study design; :func:`load_experiment` turns a file into an :class:`Experiment`
or raises :class:`~collector.errors.UserError` with one line naming the file,
the field and what was expected.
"""
from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from collector.errors import UserError

TaskKind = Literal["select", "rate", "tradeoff", "rank"]
ProviderName = Literal["openai", "anthropic", "gemini", "simulated"]

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_EXPERIMENT = PACKAGE_DIR.parent / "experiments" / "are_we_aligned.yaml"
DEFAULT_SIMULATOR_URL = "http://127.0.0.1:8765/v1"

_SLUG_RE = re.compile(r"[^a-z0-9]+")

# ---- limits on the experiment file (docs/experiment-file.md, docs/reliability.md) ----
#: largest experiment file read, in bytes
MAX_FILE_BYTES = 2_000_000
#: deepest nesting of mappings and lists in the file
MAX_YAML_DEPTH = 32
#: most replicates a study may declare (in the file or with --replicates)
MAX_REPLICATES = 100_000
#: study names, model names: the same patterns apply to the file, the CLI flags and imported records
STUDY_PATTERN = r"^[a-z][a-z0-9_]*$"
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"
# Context names the warehouse gives rows of its own: `all` (dbt var pooled_context_label, figures
# pooled over contexts), `general` (var no_context_label, a task without contexts) and `all_pairs`
# (the T2 row over every (context, value) pair, alignstats.marts.t2.ALL_PAIRS). A study's context
# of that name would be mixed up with them, so the loader refuses it (tests check the vars agree).
RESERVED_CONTEXT_NAMES = ("all", "general", "all_pairs")
#: model names the warehouse uses for its rows over every model of a study (t4_consistency_summary,
#: rho_across_models: alignstats.marts.t4.ALL_MODELS)
RESERVED_MODEL_NAMES = ("all",)
#: the placeholders each task kind fills in its prompt (collector.design fills them, plan.render sends them)
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "select": frozenset({"options", "k", "n"}),
    "rate": frozenset({"options", "context", "value", "n"}),
    "tradeoff": frozenset({"options", "context", "value_a", "value_b", "n"}),
    "rank": frozenset({"options", "context", "system", "n"}),
}
#: placeholders a trade-off scale label may hold (collector.design fills them)
LABEL_PLACEHOLDERS = frozenset({"value_a", "value_b"})
#: what counts as a placeholder: a name in single braces ({contxt}); JSON like {"a": 1} does not
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def slug(name: str) -> str:
    """Lower snake case id of a display name: 'Human Autonomy' -> 'human_autonomy'."""
    return _SLUG_RE.sub("_", name.lower()).strip("_")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Value(_Strict):
    name: str = Field(min_length=1)
    synonyms: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return slug(self.name)


class ScaleLevel(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)


class SettingSpec(_Strict):
    """How a setting shows the options: their order and (for values) their labels."""

    order: Literal["fixed", "reversed", "shuffled"] = "shuffled"
    labels: Literal["names", "synonyms"] = "names"


class Story(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    value: str
    text: str = Field(min_length=1)


class System(_Strict):
    system: str = Field(min_length=1)
    stories: tuple[Story, ...] = Field(min_length=2)


class _TaskBase(_Strict):
    prompt: str = Field(min_length=1)
    settings: dict[str, SettingSpec] = Field(default_factory=lambda: {"original": SettingSpec()})

    @field_validator("settings")
    @classmethod
    def _setting_names(cls, v: dict[str, SettingSpec]) -> dict[str, SettingSpec]:
        if not v:
            raise ValueError("needs at least one setting, e.g. original: {order: shuffled}")
        for name in v:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ValueError(f"setting name {name!r} must be lower snake case")
        return v


class SelectTask(_TaskBase):
    kind: Literal["select"]
    k: int = Field(ge=1)
    values: tuple[str, ...] = Field(min_length=2)


class RateTask(_TaskBase):
    kind: Literal["rate"]
    scale: str
    contexts: tuple[str, ...] = Field(min_length=1)
    values: tuple[str, ...] = Field(min_length=1)


class TradeoffTask(_TaskBase):
    kind: Literal["tradeoff"]
    scale: str
    contexts: tuple[str, ...] = Field(min_length=1)
    conflicts: tuple[tuple[str, str], ...] = Field(min_length=1)
    both_directions: bool = True


class RankTask(_TaskBase):
    kind: Literal["rank"]
    systems: dict[str, System] = Field(min_length=1)


Task = Annotated[SelectTask | RateTask | TradeoffTask | RankTask, Field(discriminator="kind")]


#: ids of reference groups and published statistics: lower snake case, as in every table
IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]*$"


class ReferenceGroup(_Strict):
    """A human group the reference figures describe (docs/experiment-file.md, `reference:`)."""

    label: str = Field(min_length=1)
    n: int = Field(gt=0)  # respondents


class PublishedFigure(_Strict):
    """A published model-side result the report may compare with ("78% of 192 ...")."""

    task: str
    statistic: str = Field(pattern=IDENTIFIER_PATTERN)
    value: float
    n: int | None = Field(default=None, gt=0)
    text: str = ""


class ReferenceSpec(_Strict):
    """The ``reference:`` block: provenance, groups and the long-format CSV files of human figures.

    The files are read and checked against the design by :mod:`collector.reference` when the
    experiment is recorded in a database; a reference is never part of the design.
    """

    citation: str = Field(min_length=1)
    caveats: str = ""
    groups: dict[str, ReferenceGroup] = Field(min_length=1)
    files: tuple[str, ...] = Field(min_length=1)
    published: tuple[PublishedFigure, ...] = ()

    @field_validator("groups")
    @classmethod
    def _group_ids(cls, v: dict[str, ReferenceGroup]) -> dict[str, ReferenceGroup]:
        for gid in v:
            if not isinstance(gid, str) or not re.fullmatch(IDENTIFIER_PATTERN, gid):
                raise ValueError(f"group id {gid!r} must be lower snake case (a-z, 0-9, _; starting with a "
                                 "letter), e.g. us_representative")
        return v

    @field_validator("files")
    @classmethod
    def _file_names(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for f in v:
            if not f.strip():
                raise ValueError("an empty file name; list the CSV files, e.g. [my_study.reference.csv]")
        if len(set(v)) != len(v):
            raise ValueError("a file is listed twice; list each once")
        return v


def _json_value(x: Any, where: str) -> None:
    """Refuse anything the request body cannot carry as standard JSON (dates, sets, NaN, ...)."""
    if x is None or isinstance(x, (bool, int, str)):
        return
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"{where}: {x} is not a finite number (JSON has no NaN or infinity); write a number")
        return
    if isinstance(x, list):
        for i, y in enumerate(x):
            _json_value(y, f"{where}[{i}]")
        return
    if isinstance(x, dict):
        for k, y in x.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: key {k!r} is not a string; quote it")
            _json_value(y, f"{where}.{k}")
        return
    kind = {"date": "a date", "datetime": "a date and time", "set": "a set (!!set)", "bytes": "binary data"}.get(
        type(x).__name__, f"a {type(x).__name__}")
    raise ValueError(f"{where}: {kind} is not a JSON value; write a number, a string (quote dates), true/false, "
                     "null, or a list or mapping of these")


def _json_params(v: dict[str, Any]) -> dict[str, Any]:
    for k, x in v.items():
        _json_value(x, str(k))
    return v


class ModelSpec(_Strict):
    """One model to ask. Keys come from the environment variable named in api_key_env."""

    name: str = Field(pattern=MODEL_NAME_PATTERN)
    provider: ProviderName
    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    rpm: float | None = Field(default=None, gt=0)
    tpm: float | None = Field(default=None, gt=0)
    concurrency: int = Field(default=8, ge=1, le=4096)
    timeout_s: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=6, ge=1, le=50)
    price_in_per_1k: float | None = Field(default=None, ge=0)
    price_out_per_1k: float | None = Field(default=None, ge=0)
    params: dict[str, Any] = Field(default_factory=dict)  # extra generation params for this model only

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v.lower() in RESERVED_MODEL_NAMES:
            raise ValueError(f"model name {v!r} is reserved for the warehouse's rows over every model; "
                             f"rename the model, e.g. {v + '-model'!r}")
        return v

    @field_validator("api_key_env")
    @classmethod
    def _a_name_not_a_key(cls, v: str | None) -> str | None:
        # a key pasted here by mistake (Gemini, Groq, Cohere keys match the name pattern) would be
        # echoed by "variable ... is not set"; refuse it without repeating the value
        if v is not None and len(v) >= 20 and not v.isupper() and any(c.isupper() for c in v) and \
                any(c.isdigit() for c in v):
            raise ValueError("this looks like an API key itself, not the name of a variable (value not shown); "
                             "write the variable's name, e.g. api_key_env: GEMINI_API_KEY, and export the key there")
        return v

    @field_validator("params")
    @classmethod
    def _params_json(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _json_params(v)

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://", v):
            raise ValueError("must start with http:// or https://")
        return v


class Checks(_Strict):
    """The ``checks:`` block: this study's thresholds for the warehouse's data tests and for
    ``aligned validate`` (docs/experiment-file.md). Unset = the warehouse default (dbt_project.yml
    vars). Not part of the design: changing them records a new row, it never needs a new study."""

    max_invalid_share: float | None = Field(default=None, ge=0, le=1, strict=True)
    coverage_alpha: float | None = Field(default=None, gt=0, lt=1, strict=True)

    @field_validator("max_invalid_share", "coverage_alpha", mode="before")
    @classmethod
    def _number(cls, v: Any) -> Any:
        if isinstance(v, bool) or (v is not None and not isinstance(v, (int, float))):
            raise ValueError(f"must be a number, got {v!r}")
        return None if v is None else float(v)


class Experiment(_Strict):
    """A whole study as declared in the experiment file."""

    study: str = Field(pattern=STUDY_PATTERN)
    description: str = ""
    checks: Checks = Field(default_factory=Checks)  # data-test thresholds; not part of the design
    replicates: int = Field(ge=1, le=MAX_REPLICATES)
    generation: dict[str, Any] = Field(default_factory=dict)
    system_prompt: str | None = None
    values: tuple[Value, ...] = Field(min_length=1)
    contexts: dict[str, str] = Field(default_factory=dict)
    scales: dict[str, tuple[ScaleLevel, ...]] = Field(default_factory=dict)
    tasks: dict[str, Task] = Field(min_length=1)
    models: tuple[ModelSpec, ...] = ()
    reference: ReferenceSpec | None = None  # human figures; not part of the design

    # filled by load_experiment, not part of the YAML
    source_path: str | None = Field(default=None, exclude=True)
    source_text: str | None = Field(default=None, exclude=True)

    @field_validator("generation")
    @classmethod
    def _generation_json(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _json_params(v)

    @model_validator(mode="after")
    def _cross_references(self) -> "Experiment":
        names = [v.name for v in self.values]
        _no_duplicates(names, "values")
        ids: dict[str, str] = {}
        for v in self.values:
            if not v.key:
                raise ValueError(f"values: {v.name!r} has no letters or digits, so it has no id; rename it")
            other = ids.setdefault(v.key, v.name)
            if other != v.name:
                raise ValueError(f"values: {other!r} and {v.name!r} both have the id {v.key!r}; rename one")
        known = {n.lower(): n for n in names}
        seen_labels: dict[str, str] = {}
        for v in self.values:
            for label in (v.name, *v.synonyms):
                other = seen_labels.setdefault(label.lower(), v.name)
                if other != v.name:
                    raise ValueError(f"values: label {label!r} is used by both {other!r} and {v.name!r}")
        for c in self.contexts:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", c):
                raise ValueError(f"contexts: context name {c!r} must be lower snake case")
            if c in RESERVED_CONTEXT_NAMES:
                raise ValueError(f"contexts: {c!r} is a name the warehouse reserves for its own rows "
                                 f"({', '.join(RESERVED_CONTEXT_NAMES)}); rename the context, e.g. {c + '_context'!r}")
        for s, levels in self.scales.items():
            if len(levels) < 2:
                raise ValueError(f"scales.{s}: needs at least two levels")
            _no_duplicates([lv.key for lv in levels], f"scales.{s}")
        _no_duplicates([m.name for m in self.models], "models (name)")

        def value_ref(where: str, name: str) -> None:
            if name.lower() not in known:
                raise ValueError(f"{where}: unknown value {name!r}; declare it under values: (known: {', '.join(names)})")

        def context_ref(where: str, name: str) -> None:
            if name not in self.contexts:
                raise ValueError(f"{where}: unknown context {name!r}; declare it under contexts: (known: {', '.join(self.contexts) or 'none'})")

        for tname, task in self.tasks.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", tname):
                raise ValueError(f"tasks: task name {tname!r} must be lower snake case")
            where = f"tasks.{tname}"
            if "{options}" not in task.prompt:
                raise ValueError(f"{where}.prompt: must contain the {{options}} placeholder")
            offered = PLACEHOLDERS[task.kind]
            for name in PLACEHOLDER_RE.findall(task.prompt):
                if name not in offered:
                    raise ValueError(f"{where}.prompt: unknown placeholder {{{name}}}; a {task.kind} task offers "
                                     + ", ".join(f"{{{p}}}" for p in sorted(offered)))
            if isinstance(task, SelectTask):
                for v in task.values:
                    value_ref(f"{where}.values", v)
                _no_duplicates(list(task.values), f"{where}.values")
                if task.k >= len(task.values):
                    raise ValueError(f"{where}.k: must be smaller than the number of values ({len(task.values)})")
            if isinstance(task, (RateTask, TradeoffTask)):
                if task.scale not in self.scales:
                    raise ValueError(f"{where}.scale: unknown scale {task.scale!r}; declare it under scales: (known: {', '.join(self.scales) or 'none'})")
                label_offers = LABEL_PLACEHOLDERS if isinstance(task, TradeoffTask) else frozenset()
                for lv in self.scales[task.scale]:
                    for name in PLACEHOLDER_RE.findall(lv.label):
                        if name not in label_offers:
                            raise ValueError(
                                f"scales.{task.scale}.{lv.key}.label: unknown placeholder {{{name}}} for {where} "
                                f"(a {task.kind} task's scale labels offer "
                                + (", ".join(f"{{{p}}}" for p in sorted(label_offers)) or "none") + ")")
                for c in task.contexts:
                    context_ref(f"{where}.contexts", c)
            if isinstance(task, RateTask):
                for v in task.values:
                    value_ref(f"{where}.values", v)
                _no_duplicates(list(task.values), f"{where}.values")
            if isinstance(task, TradeoffTask):
                if len(self.scales[task.scale]) != 5 or [lv.key for lv in self.scales[task.scale]] != [
                    "definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"]:
                    raise ValueError(f"{where}.scale: a trade-off scale needs the keys definitely_a, probably_a, undecided, probably_b, definitely_b in that order")
                for a, b in task.conflicts:
                    value_ref(f"{where}.conflicts", a)
                    value_ref(f"{where}.conflicts", b)
                    if a.lower() == b.lower():
                        raise ValueError(f"{where}.conflicts: {a!r} conflicts with itself")
            if isinstance(task, RankTask):
                for ctx, system in task.systems.items():
                    context_ref(f"{where}.systems", ctx)
                    _no_duplicates([s.id for s in system.stories], f"{where}.systems.{ctx}.stories (id)")
                    for s in system.stories:
                        value_ref(f"{where}.systems.{ctx}.stories.{s.id}.value", s.value)
            for sname, spec in task.settings.items():
                if spec.labels == "synonyms" and not isinstance(task, SelectTask):
                    raise ValueError(f"{where}.settings.{sname}.labels: synonyms only apply to select tasks")
        if self.reference is not None:
            for n, pub in enumerate(self.reference.published):
                if pub.task not in self.tasks:
                    raise ValueError(f"reference.published[{n}].task: unknown task {pub.task!r}; "
                                     f"use one of {', '.join(self.tasks)}")
        return self

    # --- convenience -----------------------------------------------------
    def value(self, name: str) -> Value:
        for v in self.values:
            if v.name.lower() == name.lower():
                return v
        raise KeyError(name)

    def model_spec(self, name: str) -> ModelSpec:
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(name)

    @property
    def file_hash(self) -> str:
        return hashlib.sha256((self.source_text or "").encode()).hexdigest()


def _no_duplicates(items: list[str], where: str) -> None:
    seen: dict[str, str] = {}
    for i in items:
        first = seen.get(i.lower())
        if first is None:
            seen[i.lower()] = i
        elif first == i:
            raise ValueError(f"{where}: {i!r} appears twice")
        else:
            raise ValueError(f"{where}: {first!r} and {i!r} differ only in case; rename one")


def _loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif p in ("select", "rate", "tradeoff", "rank") and parts and parts[-1].startswith("tasks"):
            continue  # discriminator tag pydantic adds; not a field the user wrote
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts)


def _format_validation_error(path: str, err: ValidationError) -> str:
    e = err.errors()[0]
    where = _loc(tuple(e["loc"]))
    msg = e["msg"]
    if e["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling; see docs/experiment-file.md for the fields)"
    elif e["type"] == "missing":
        msg = "required field is missing"
    elif e["type"] == "union_tag_invalid" or e["type"] == "union_tag_not_found":
        msg = "kind must be one of select, rate, tradeoff, rank"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    more = f" (and {len(err.errors()) - 1} more problem(s))" if len(err.errors()) > 1 else ""
    return f"{path}: {where + ': ' if where else ''}{msg}{more}"


class _Refused(yaml.MarkedYAMLError):
    pass


class ExperimentLoader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded: no aliases (a 600-byte "billion laughs" file would expand
    without end), no duplicate keys (YAML would silently keep the last), at most
    :data:`MAX_YAML_DEPTH` levels of nesting (deeper would exhaust Python's stack)."""

    _depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(None, None, f"aliases (*{event.anchor}) are not allowed in an experiment file; "
                                       "write the value out in full", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                event = self.peek_event()
                raise _Refused(None, None, f"nested more than {MAX_YAML_DEPTH} levels deep",
                               event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        seen: dict[Any, Any] = {}
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    raise _Refused(None, None, "a mapping key must be a plain value", key_node.start_mark) from None
                if first is not key_node:
                    raise _Refused(None, None, f"duplicate key {key!r} (first on line {first.start_mark.line + 1}); "
                                               "keep one", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def parse_experiment(text: str, path: str = "<experiment>") -> Experiment:
    """Parse and validate experiment YAML text; raise UserError with one line on a mistake."""
    if len(text) > MAX_FILE_BYTES:
        raise UserError(f"{path}: the experiment file is larger than {MAX_FILE_BYTES:,} characters; "
                        "is this the right file?")
    try:
        data = yaml.load(text, Loader=ExperimentLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:  # belt and braces: the depth limit stops nesting long before this
        raise UserError(f"{path}: invalid YAML: nested too deeply (at most {MAX_YAML_DEPTH} levels)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{path}{line}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping with study:, values:, tasks: and models: at the top level")
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as err:
        raise UserError(_format_validation_error(path, err)) from None
    return exp.model_copy(update={"source_path": path, "source_text": text})


def load_experiment(path: str | Path | None = None) -> Experiment:
    """Read and validate an experiment file (default: the shipped study)."""
    p = Path(path) if path is not None else DEFAULT_EXPERIMENT
    try:
        if p.is_file() and p.stat().st_size > MAX_FILE_BYTES * 4:  # before reading it whole
            raise UserError(f"{p}: the experiment file is larger than {MAX_FILE_BYTES:,} characters; "
                            "is this the right file?")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{p}: experiment file not found (the shipped study is {DEFAULT_EXPERIMENT})") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise UserError(f"{p}: cannot read the experiment file ({type(exc).__name__})") from None
    return parse_experiment(text, str(p))
