"""``aligned validate``: a Great Expectations suite over the raw answers and the ``answers`` mart.

The database is opened read-only (:func:`collector.store.connect`), four frames are read from
it and written as Parquet files (``<out_dir>/frames/<suite>.parquet``: the exact rows validated,
for a look at failing rows in pandas or DuckDB), and one GX checkpoint (``aligned``) validates
them through GX's pandas datasource in an ephemeral (in-memory) context:

=========================  ============================================================
suite (frame)              one row per
=========================  ============================================================
``raw_responses``          row of ``raw.responses`` (ok and failed)
``raw_responses_ok``       ok row of ``raw.responses``
``answers``                row of the ``answers`` mart (response x position)
``answers_coverage``       answer of record (distinct ``response_id`` of ``answers``)
=========================  ============================================================

See :func:`expectations` for the list. Accepted values for ``answers.status`` and
``answers.match_method`` are read from the warehouse's own schema file
(``dbt_project/models/marts/core/_core__models.yml``) and the invalid-share threshold from
each study's own ``checks:`` (the SQL of dbt model ``int_study_checks``: the experiment file's
value, else ``vars.max_invalid_share`` of ``dbt_project.yml``), so the suite and ``dbt build`` agree.
``--study NAME`` validates that study's rows only.

Pairs (a task and its setting, an item and its choice) are checked as one JSON-array column
(``task_setting``, ``item_choice``) against the design's pairs written the same way: GX 1.24's
column-pair expectations count missing values over the whole frame, not the study's rows, so
with two studies in a file they failed with "inconsistent cache values".

Why not GX's SQL datasource: GX 1.24 over duckdb_engine with duckdb 2.0 cannot resolve even a
row count (MetricResolutionError), so the frames are read with DuckDB and validated in pandas.

Output: one line per failing expectation on ``out`` (suite, column, expectation type, observed
value), then a summary line; exit code 0 when all pass, 1 otherwise. Data docs go to
``<out_dir>/data_docs/index.html``: GX's pages, made to open offline (GX links its scripts,
styles and logo from CDNs; those links are removed and the index, which GX renders with
JavaScript from a CDN, is replaced by a static page). ``<out_dir>/validation.json`` holds
the same results for machines. Nothing here opens a network connection
(``GX_ANALYTICS_ENABLED=false`` is set before GX is imported).
"""
from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, TextIO

import yaml

from collector.errors import UserError

os.environ["GX_ANALYTICS_ENABLED"] = "false"  # before great_expectations is imported anywhere

PROJECT_DIR = Path(__file__).resolve().parent.parent
MARTS_SCHEMA_FILE = PROJECT_DIR / "dbt_project" / "models" / "marts" / "core" / "_core__models.yml"
DBT_PROJECT_FILE = PROJECT_DIR / "dbt_project.yml"

DOCS_DIR = "data_docs"
FRAMES_DIR = "frames"  # the rows validated, one Parquet file per suite
RESULTS_FILE = "validation.json"
CHECKPOINT = "aligned"
_MARKER = "<!-- written by aligned validate -->"

RESPONSE_STATUSES = ["ok", "failed"]


def request_key_sql(study: str, model: str, item: str, setting: str, replicate: str) -> str:
    """The dbt macro ``request_key`` (macros/request_key.sql) rendered for DuckDB: the expected key
    is the warehouse's one SQL definition, never a copy (its agreement with
    ``collector.plan.request_key`` is tested in tests/aligned/validate/test_request_key.py)."""
    import jinja2
    from types import SimpleNamespace

    macros = (PROJECT_DIR / "macros" / "request_key.sql").read_text()
    call = "{{ request_key(%r, %r, %r, %r, %r) }}" % (study, model, item, setting, replicate)
    dbt = SimpleNamespace(type_string=lambda: "varchar")
    return " ".join(jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(macros + call)
                    .render(dbt=dbt).split())


# -- frames: (suite and asset name, what one row is, the SQL that reads it) -----------------

FRAMES: dict[str, tuple[str, str]] = {
    "raw_responses": (
        "row of raw.responses (ok and failed)",
        """
        select r.response_id, r.request_key, r.study, r.model, r.item, r.task, r.setting, r.replicate, r.status,
               to_json([r.task, r.setting]) as task_setting
        from raw.responses r
        """,
    ),
    "raw_responses_ok": (
        "ok row of raw.responses",
        """
        select r.response_id, r.request_key, r.study, r.model, r.item, r.setting, r.replicate, r.response_text,
               """ + request_key_sql("r.study", "r.model", "r.item", "r.setting", "r.replicate") + """
                   as expected_request_key,
               r.response_id in (select response_id from main.answers) as in_answers_mart
        from raw.responses r
        where r.status = 'ok'
        """,
    ),
    "answers": (
        "row of the answers mart (response x position)",
        """
        select response_id, study, model, task, task_kind, item, setting, replicate, position, choice, match_method,
               status, invalid_reason,
               case when choice is not null then to_json([item, choice]) end as item_choice
        from main.answers
        """,
    ),
    "answers_coverage": (
        "answer of record (one per response_id of the answers mart)",
        """
        select response_id, any_value(study) as study, any_value(model) as model, any_value(task) as task,
               any_value(status) as status
        from main.answers
        group by response_id
        """,
    ),
}


# -- what the warehouse defines -------------------------------------------------------------

def warehouse_accepted_values(model: str, column: str, schema_file: Path = MARTS_SCHEMA_FILE) -> list[str]:
    """The ``accepted_values`` of ``model.column`` in the warehouse's schema file."""
    doc = yaml.safe_load(schema_file.read_text(encoding="utf-8")) or {}
    for m in doc.get("models") or []:
        if m.get("name") != model:
            continue
        for c in m.get("columns") or []:
            if c.get("name") != column:
                continue
            for t in c.get("data_tests") or c.get("tests") or []:
                if isinstance(t, dict) and "accepted_values" in t:
                    spec = t["accepted_values"] or {}
                    values = (spec.get("arguments") or {}).get("values", spec.get("values"))
                    if values:
                        return [str(v) for v in values]
    raise UserError(f"{schema_file}: no accepted_values test for {model}.{column}; the validation suite reads them "
                    f"from there")


def warehouse_max_invalid_share(project_file: Path = DBT_PROJECT_FILE) -> float:
    """``vars.max_invalid_share`` of dbt_project.yml (the mapping-coverage threshold), default 0.05."""
    try:
        doc = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
        return float((doc.get("vars") or {}).get("max_invalid_share", 0.05))
    except (OSError, ValueError, TypeError, yaml.YAMLError):
        return 0.05


# -- the database ----------------------------------------------------------------------------

@dataclass
class Reference:
    """What the design in raw.* allows, per study."""

    replicates: dict[str, int] = field(default_factory=dict)
    items: dict[str, list[str]] = field(default_factory=dict)
    models: dict[str, list[str]] = field(default_factory=dict)
    task_settings: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    item_choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    answer_models: list[tuple[str, str]] = field(default_factory=list)  # (study, model) pairs with answers
    max_invalid_share: dict[str, float] = field(default_factory=dict)  # the study's checks (int_study_checks)


def _tables(con) -> set[tuple[str, str]]:
    return {(s, t) for s, t in con.execute(
        "select table_schema, table_name from information_schema.tables").fetchall()}


# columns the frames read from the answers mart (a database built by an older warehouse may lack some)
ANSWERS_COLUMNS = ("response_id", "study", "model", "task", "task_kind", "item", "setting", "replicate", "position",
                   "choice", "match_method", "status", "invalid_reason")


def _check_built(con, db_path: Path) -> None:
    tables = _tables(con)
    if ("raw", "responses") not in tables:
        raise UserError(f"{db_path}: no raw.responses table; run `aligned collect`, `aligned import` or "
                        f"`aligned demo` on this database first")
    if ("main", "answers") not in tables:
        raise UserError(f"{db_path}: the warehouse is not built (no answers mart); run `aligned build --db {db_path}` "
                        f"first")
    have = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                      "where table_schema = 'main' and table_name = 'answers'").fetchall()}
    missing = [c for c in ANSWERS_COLUMNS if c not in have]
    if missing:
        raise UserError(f"{db_path}: the answers mart lacks column(s) {', '.join(missing)} (built by an older "
                        f"warehouse?); run `aligned build --db {db_path}` first")


def _grouped(rows: Iterable[tuple]) -> dict[str, list]:
    out: dict[str, list] = {}
    for study, *rest in rows:
        out.setdefault(study, []).append(rest[0] if len(rest) == 1 else tuple(rest))
    return out


def study_thresholds(con) -> dict[str, float]:
    """Each study's max_invalid_share as the warehouse's data test uses it (the SQL of model
    int_study_checks on raw.*: the study's `checks:`, else dbt_project.yml's default)."""
    from aligned.warehouse import model_sql

    default = warehouse_max_invalid_share()
    studies = [r[0] for r in con.execute("select distinct study from raw.studies").fetchall()]
    if ("raw", "study_checks") not in _tables(con):  # a file no writer has migrated since
        return {s: default for s in studies}
    declared = dict(con.execute(f"select study, max_invalid_share from ({model_sql('int_study_checks')})").fetchall())
    return {s: default if declared.get(s) is None else float(declared[s]) for s in studies}


def read_reference(con, study: str | None = None) -> Reference:
    """What the design allows, per study (only ``study``'s when given)."""
    ref = Reference()
    ref.replicates = dict(con.execute("select study, max(replicates) from raw.studies group by study").fetchall())
    ref.items = _grouped(con.execute("select distinct study, item from raw.items order by 1, 2").fetchall())
    ref.models = _grouped(con.execute("select distinct study, model from raw.models order by 1, 2").fetchall())
    # pairs as the frames write them (one JSON array per pair)
    ref.task_settings = _grouped(con.execute(
        "select distinct study, to_json([task, setting]) from raw.settings order by 1, 2").fetchall())
    ref.item_choices = _grouped(con.execute(
        "select distinct study, to_json([item, canonical]) from raw.options order by 1, 2").fetchall())
    ref.answer_models = [tuple(r) for r in con.execute(
        "select distinct study, model from main.answers order by 1, 2").fetchall()]
    ref.max_invalid_share = study_thresholds(con)
    if study is not None:
        for name in ("replicates", "items", "models", "task_settings", "item_choices", "max_invalid_share"):
            setattr(ref, name, {k: v for k, v in getattr(ref, name).items() if k == study})
        ref.answer_models = [(s, m) for s, m in ref.answer_models if s == study]
    return ref


def export_frames(con, folder: Path, study: str | None = None) -> dict[str, Path]:
    """Write every frame of :data:`FRAMES` as ``<folder>/<name>.parquet`` (only ``study``'s rows when given)."""
    paths = {}
    for name, (_, sql) in FRAMES.items():
        p = folder / f"{name}.parquet"
        rel = con.sql(sql) if study is None else con.sql(sql).filter(f"study = {_sql_string(study)}")
        rel.write_parquet(str(p))
        paths[name] = p
    return paths


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- the suites ------------------------------------------------------------------------------

def expectations(ref: Reference, max_invalid_share: float | None = None) -> dict[str, list[Any]]:
    """The expectations of every suite (GX expectation objects, each with a description), by suite name.

    The mapping-coverage threshold is each study's (``ref.max_invalid_share``, else the warehouse
    default); ``max_invalid_share`` overrides it for every study."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    answer_statuses = warehouse_accepted_values("answers", "status")
    match_methods = warehouse_accepted_values("answers", "match_method")
    studies = sorted(ref.replicates)

    def in_study(study: str):
        return Column("study") == study

    raw = [
        gxe.ExpectColumnValuesToNotBeNull(column="request_key", description="Every response has a request key."),
        gxe.ExpectColumnValuesToNotBeNull(column="response_id", description="Every response has an id."),
        gxe.ExpectColumnValuesToBeUnique(column="response_id", description="Response ids are unique."),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=RESPONSE_STATUSES,
                                        description="A response is ok or failed."),
        gxe.ExpectColumnValuesToBeInSet(column="study", value_set=studies,
                                        description="Every response belongs to a study of raw.studies."),
    ]
    for s in studies:
        raw += [
            gxe.ExpectColumnValuesToBeBetween(
                column="replicate", min_value=1, max_value=ref.replicates[s], row_condition=in_study(s),
                description=f"Study {s}: replicate is within 1..{ref.replicates[s]} (raw.studies.replicates)."),
            gxe.ExpectColumnValuesToBeInSet(
                column="item", value_set=ref.items.get(s, []), row_condition=in_study(s),
                description=f"Study {s}: the item is one of the study's items (raw.items)."),
            gxe.ExpectColumnValuesToBeInSet(
                column="model", value_set=ref.models.get(s, []), row_condition=in_study(s),
                description=f"Study {s}: the model is one of the study's models (raw.models)."),
            gxe.ExpectColumnValuesToBeInSet(
                column="task_setting", value_set=ref.task_settings.get(s, []), row_condition=in_study(s),
                description=f"Study {s}: the setting is one of the task's settings (raw.settings; "
                            f"[task, setting] as JSON)."),
        ]

    ok = [
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["study", "model", "item", "setting", "replicate"],
            description="One ok row per request: (study, model, item, setting, replicate) is unique among ok rows."),
        gxe.ExpectColumnValuesToBeUnique(
            column="request_key", description="One ok row per request key."),
        gxe.ExpectColumnPairValuesToBeEqual(
            column_A="request_key", column_B="expected_request_key",
            description="The request key is the warehouse's request_key macro, md5(study|model|item|setting|replicate)."),
        gxe.ExpectColumnValuesToNotBeNull(column="response_text", description="An ok answer has a text."),
        gxe.ExpectColumnValuesToMatchRegex(
            column="response_text", regex=r"\S",
            description="An ok answer's text is not empty (nor only whitespace)."),
        gxe.ExpectColumnValuesToBeInSet(
            column="in_answers_mart", value_set=[True],
            description="Every ok answer is in the answers mart (else the marts are older than raw.responses: "
                        "run aligned build)."),
    ]

    answers = [
        gxe.ExpectColumnValuesToNotBeNull(column="response_id", description="Every answer has a response id."),
        gxe.ExpectColumnValuesToNotBeNull(column="status", description="Every answer has a status."),
        gxe.ExpectColumnValuesToBeInSet(
            column="status", value_set=answer_statuses,
            description=f"The status is one of {', '.join(answer_statuses)} (as the warehouse defines it)."),
        gxe.ExpectColumnValuesToNotBeNull(column="match_method", description="Every answer has a match method."),
        gxe.ExpectColumnValuesToBeInSet(
            column="match_method", value_set=match_methods,
            description=f"The match method is one of {', '.join(match_methods)} (as the warehouse defines it)."),
        gxe.ExpectColumnValuesToBeInSet(column="study", value_set=studies,
                                        description="Every answer belongs to a study of raw.studies."),
    ]
    for s in studies:
        answers += [
            gxe.ExpectColumnValuesToBeInSet(
                column="item", value_set=ref.items.get(s, []), row_condition=in_study(s),
                description=f"Study {s}: the item is one of the study's items (raw.items)."),
            gxe.ExpectColumnValuesToBeBetween(
                column="replicate", min_value=1, max_value=ref.replicates[s], row_condition=in_study(s),
                description=f"Study {s}: replicate is within 1..{ref.replicates[s]}."),
            gxe.ExpectColumnValuesToBeInSet(
                column="item_choice", value_set=ref.item_choices.get(s, []), row_condition=in_study(s),
                description=f"Study {s}: a mapped choice is a canonical option of its item (raw.options; "
                            f"[item, choice] as JSON); refusals and invalid answers have no choice."),
        ]

    allowed = [v for v in answer_statuses if v != "invalid"]

    def limit(study: str) -> float:
        if max_invalid_share is not None:
            return max_invalid_share
        return ref.max_invalid_share.get(study, warehouse_max_invalid_share())

    coverage = [
        gxe.ExpectColumnValuesToBeInSet(
            column="status", value_set=allowed, mostly=round(1.0 - limit(s), 10),
            row_condition=(Column("study") == s) & (Column("model") == m),
            description=f"Mapping coverage, study {s}, model {m}: at most {limit(s):.0%} of the answers "
                        f"are invalid (neither mapped nor a refusal).",
        )
        for s, m in ref.answer_models
    ]
    return {"raw_responses": raw, "raw_responses_ok": ok, "answers": answers, "answers_coverage": coverage}


# -- results ---------------------------------------------------------------------------------

@dataclass
class Outcome:
    suite: str
    expectation_type: str
    columns: str
    condition: str
    success: bool
    observed: str
    error: str | None = None
    description: str = ""


def _one_line(value: Any, limit: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _columns(kwargs: dict[str, Any]) -> str:
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    if kwargs.get("column_list"):
        return ", ".join(kwargs["column_list"])
    return "(table)"


def _condition_text(cond: Any) -> str:
    """A GX row condition (object or its dict form) as ``study == 'x' and model == 'y'``."""
    if hasattr(cond, "dict") and not isinstance(cond, dict):
        cond = cond.dict()
    if isinstance(cond, dict):
        if "conditions" in cond:
            joiner = " or " if str(cond.get("type", "and")).lower() == "or" else " and "
            return joiner.join(_condition_text(c) for c in cond["conditions"])
        column = cond.get("column")
        name = column.get("name") if isinstance(column, dict) else column
        if "is_null" in cond:
            return f"{name} is {'null' if cond['is_null'] else 'not null'}"
        op = cond.get("operator")
        op = getattr(op, "value", op)
        return f"{name} {op} {cond.get('parameter')!r}"
    return str(cond)


def _condition(kwargs: dict[str, Any]) -> str:
    cond = kwargs.get("row_condition")
    return _one_line(_condition_text(cond), 160) if cond else ""


def _observed(result: dict[str, Any], kwargs: dict[str, Any]) -> str:
    if "unexpected_count" in result:
        n, total = result.get("unexpected_count") or 0, result.get("element_count")
        pct = result.get("unexpected_percent")
        text = f"{n:,} unexpected" + (f" of {total:,}" if total is not None else "")
        if pct is not None:
            text += f" ({pct:.2f}%)"
        if kwargs.get("mostly") is not None:
            text += f", allowed up to {(1 - kwargs['mostly']) * 100:.2f}%"
        counts = result.get("partial_unexpected_counts") or []
        sample = result.get("partial_unexpected_list") or []
        if counts:
            # the counts are over GX's sample of unexpected values: exact only when the sample holds them all
            exact = len(sample) >= n
            shown = ", ".join(_one_line(c["value"]) + (f" x{c['count']}" if exact else "") for c in counts[:3])
            text += f"; e.g. {shown}"
        elif sample:
            text += "; e.g. " + ", ".join(_one_line(v) for v in sample[:3])
        return text
    if "observed_value" in result:
        return f"observed {_one_line(result['observed_value'], 120)}"
    return "no observed value"


def _error(info: Any) -> str | None:
    """The message of an expectation that raised (GX keys exception_info by metric, or not at all)."""
    if not isinstance(info, dict):
        return None
    for entry in (info, *info.values()):
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return _one_line(entry.get("exception_message") or "the expectation raised an error", 200)
    return None


def outcomes(checkpoint_result: Any) -> list[Outcome]:
    """One :class:`Outcome` per expectation of every suite the checkpoint ran."""
    out: list[Outcome] = []
    for vr in checkpoint_result.run_results.values():
        suite = vr.suite_name
        for r in vr.results:
            cfg = r.expectation_config
            kwargs = dict(cfg.kwargs)
            error = _error(r.exception_info)
            out.append(Outcome(suite=suite, expectation_type=cfg.type, columns=_columns(kwargs),
                               condition=_condition(kwargs), success=bool(r.success),
                               observed=f"error: {error}" if error else _observed(r.result or {}, kwargs),
                               error=error, description=str(getattr(cfg, "description", None) or "")))
    return out


def failure_line(o: Outcome) -> str:
    where = f" where {o.condition}" if o.condition else ""
    return f"FAIL {o.suite}: {o.columns} {o.expectation_type}{where}: {o.observed}"[:500]


# -- data docs -------------------------------------------------------------------------------

_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']https?://[^>]*>\s*</script>", re.I)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']https?://[^>]*>", re.I)
_REMOTE_IMG = re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']https?://[^>]*>", re.I)
_REMOTE_CSS_URL = re.compile(r"url\(\s*[\"']?https?://[^)]*\)", re.I)
_OFFLINE_STYLE = """<style>/* aligned validate: GX's CDN styles removed so the page opens offline */
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.2rem .5rem;vertical-align:top}.text-danger{color:#b00}.text-success{color:#070}
.navbar,.ge-index-page-site-name-title,.modal,.sticky,footer{display:none}
.fa-check-circle::before{content:"\\2714";color:#070}.fa-times::before{content:"\\2718";color:#b00}</style>"""


def _make_offline(folder: Path) -> None:
    """Remove every remote script, stylesheet and image from GX's pages (they point at CDNs)."""
    for p in folder.rglob("*"):
        if p.suffix not in (".html", ".css") or not p.is_file():
            continue
        text = p.read_text(encoding="utf-8")
        if p.suffix == ".css":
            new = _REMOTE_CSS_URL.sub("none", text)
        else:
            new = _REMOTE_IMG.sub("", _REMOTE_LINK.sub("", _REMOTE_SCRIPT.sub("", text)))
            new = _REMOTE_CSS_URL.sub("none", new)
            if new != text and "</head>" in new:
                new = new.replace("</head>", _OFFLINE_STYLE + "\n</head>", 1)
        if new != text:
            p.write_text(new, encoding="utf-8")


def _page_for(folder: Path, kind: str, suite: str) -> str | None:
    pages = sorted((folder / kind / suite).rglob("*.html")) if kind == "validations" else \
        [p for p in [folder / kind / f"{suite}.html"] if p.exists()]
    return pages[-1].relative_to(folder).as_posix() if pages else None


def _write_index(folder: Path, db_path: Path, results: list[Outcome], when: str) -> Path:
    failed = [o for o in results if not o.success]
    rows = []
    for suite in dict.fromkeys(o.suite for o in results):
        vpage, spage = _page_for(folder, "validations", suite), _page_for(folder, "expectations", suite)
        of_suite = [o for o in results if o.suite == suite]
        n_fail = sum(not o.success for o in of_suite)
        links = " ".join(f'<a href="{html.escape(p)}">{label}</a>'
                         for p, label in ((vpage, "validation result"), (spage, "suite")) if p)
        rows.append(f'<h2 id="{html.escape(suite)}">{html.escape(suite)} '
                    f'<small class="{"bad" if n_fail else "good"}">{len(of_suite) - n_fail} of {len(of_suite)} '
                    f"passed</small></h2>\n<p>{html.escape(FRAMES[suite][0] if suite in FRAMES else '')}: "
                    f"one row per frame row. {links}</p>")
        rows.append("<table><tr><th>status</th><th>expectation</th><th>column(s)</th><th>rows</th>"
                    "<th>what it checks</th><th>observed</th></tr>")
        for o in of_suite:
            rows.append(
                f'<tr class="{"good" if o.success else "bad"}"><td>{"pass" if o.success else "FAIL"}</td>'
                f"<td>{html.escape(o.expectation_type)}</td><td>{html.escape(o.columns)}</td>"
                f"<td>{html.escape(o.condition or 'all')}</td><td>{html.escape(o.description)}</td>"
                f"<td>{html.escape(o.observed)}</td></tr>")
        rows.append("</table>")
    body = "\n".join(rows)
    verdict = (f"{len(failed)} of {len(results)} expectations failed" if failed
               else f"all {len(results)} expectations passed")
    page = f"""<!DOCTYPE html>
{_MARKER}
<html lang="en"><head><meta charset="utf-8"><title>aligned validate: {html.escape(verdict)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:80rem}}
table{{border-collapse:collapse;width:100%;margin-bottom:1.5rem;font-size:.9rem}}
th,td{{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}}
th{{background:#f4f4f4}} tr.bad td{{background:#fde8e8}} .bad{{color:#a00}} .good{{color:#070}}
small{{font-weight:normal;font-size:.8rem}}
</style></head><body>
<h1>aligned validate: <span class="{'bad' if failed else 'good'}">{html.escape(verdict)}</span></h1>
<p>Database <code>{html.escape(str(db_path))}</code>, validated {html.escape(when)} with Great Expectations
(checkpoint <code>{CHECKPOINT}</code>). Each suite links to GX's validation page and suite page.</p>
{body}
</body></html>
"""
    index = folder / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _prepare_docs_dir(folder: Path) -> None:
    if folder.exists():
        index = folder / "index.html"
        ours = index.exists() and _MARKER in index.read_text(encoding="utf-8", errors="replace")
        if not ours and any(folder.iterdir()):
            raise UserError(f"{folder}: exists and was not written by `aligned validate`; "
                            f"choose another --out folder or remove it")
        shutil.rmtree(folder)


# -- the run ---------------------------------------------------------------------------------

def _quiet_gx() -> None:
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.ERROR)


def run_checkpoint(frames: dict[str, Path], suites: dict[str, list[Any]], docs_dir: Path) -> Any:
    """Run the ``aligned`` checkpoint over the Parquet frames; GX writes data docs to ``docs_dir``."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    for site in list((context.variables.data_docs_sites or {}).keys()):
        context.delete_data_docs_site(site)
    context.add_data_docs_site("aligned", {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    source = context.data_sources.add_pandas("aligned")
    definitions = []
    for name, path in frames.items():
        asset = source.add_parquet_asset(name, path=path)
        batch = asset.add_batch_definition_whole_dataframe(name)
        suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=suites[name]))
        definitions.append(context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=CHECKPOINT, validation_definitions=definitions,
        actions=[UpdateDataDocsAction(name="update_data_docs", site_names=["aligned"])],
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20},
    ))
    return checkpoint.run()


def validate(db_path: str | Path, out_dir: str | Path, *, max_invalid_share: float | None = None,
             out: TextIO | None = None, study: str | None = None) -> int:
    """Validate the database; print one line per failing expectation; return 0 (all pass) or 1.

    Raises :class:`UserError` (exit 2) for a missing database or unbuilt marts and
    :class:`collector.errors.LockedError` (exit 3) when another process holds the file.
    ``max_invalid_share`` overrides every study's threshold (default: each study's ``checks:``, else
    dbt_project.yml's ``vars.max_invalid_share``). ``study``: validate that study's rows only; an
    unknown name is a UserError listing the studies of the database.
    """
    from collector import store

    out = out or sys.stdout
    db_path, out_dir = Path(db_path), Path(out_dir)
    if db_path.is_dir():
        raise UserError(f"{db_path}: is a folder, not a database file; pass the .duckdb file with --db")
    threshold = None if max_invalid_share is None else float(max_invalid_share)
    if threshold is not None and not 0 <= threshold <= 1:
        raise UserError(f"max_invalid_share must be between 0 and 1, got {threshold}")
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: is a file; --out must be a folder")
    docs_dir = out_dir / DOCS_DIR

    con = store.connect(db_path, read_only=True)  # LockedError / UserError
    try:
        _check_built(con, db_path)
        from aligned.warehouse import check_study
        check_study(study, [r[0] for r in con.execute("select distinct study from raw.studies order by 1").fetchall()],
                    db_path)
        ref = read_reference(con, study)
        _prepare_docs_dir(docs_dir)
        frames_dir = out_dir / FRAMES_DIR
        frames_dir.mkdir(parents=True, exist_ok=True)  # export_frames overwrites its own files only
        frames = export_frames(con, frames_dir.resolve(), study)
    finally:
        con.close()
    _quiet_gx()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        suites = expectations(ref, threshold)
        result = run_checkpoint(frames, suites, docs_dir.resolve())

    results = outcomes(result)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    _make_offline(docs_dir)
    index = _write_index(docs_dir, db_path, results, when)
    (out_dir / RESULTS_FILE).write_text(json.dumps({
        "database": str(db_path), "validated_at": when, "checkpoint": CHECKPOINT,
        "study": study, "max_invalid_share": ({s: threshold for s in ref.replicates} if threshold is not None
                                               else ref.max_invalid_share),
        "success": all(o.success for o in results),
        "results": [o.__dict__ for o in results],
    }, indent=2), encoding="utf-8")

    failed = [o for o in results if not o.success]
    for o in failed:
        print(failure_line(o), file=out)
    verdict = (f"{len(failed)} of {len(results)} expectations failed" if failed
               else f"all {len(results)} expectations passed")
    scope = f", study {study}" if study is not None else ""
    print(f"validate: {verdict} ({len(FRAMES)} suites{scope}); data docs: {index}", file=out)
    return 1 if failed else 0
