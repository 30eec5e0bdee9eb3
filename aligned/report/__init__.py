"""The study report: one self-contained HTML page, plus every figure as SVG and every table as CSV.

``write_report(db, out)`` opens the experiment database read-only, reads the
dbt marts only and writes::

    out/report.html         opens offline: inline CSS and SVG, no external URL
    out/figures/<name>.svg  each figure, for papers and slides
    out/tables/<name>.csv   each table, unformatted

Sections follow the study's tasks in the experiment file's order, one renderer per task kind
(select, rate, tradeoff, rank); nothing in the page is written for one study. A section whose
mart is missing or empty says so in one line, so a partial study still gets a report.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pandas as pd

from collector import __version__
from aligned.report import comparisons, fidelity, quality, rank, rate, select, tradeoff
from aligned.report.content import Section
from aligned.report.context import ReportContext
from aligned.report.data import Warehouse
from aligned.report.design import Task
from aligned.report.html import render_index, render_page
from collector import store

__all__ = ["write_report", "build_sections", "RENDERERS"]

#: One renderer per task KIND: each takes the context and one task of the study and returns its sections.
RENDERERS: dict[str, Callable[[ReportContext, Task], list[Section]]] = {
    "select": select.sections,
    "rate": rate.sections,
    "tradeoff": tradeoff.sections,
    "rank": rank.sections,
}


def build_sections(ctx: ReportContext) -> list[Section]:
    """The study's sections in page order: the study, one renderer per task in the experiment file's
    order (by its kind), then what compares across tasks, then data quality."""
    sections = [quality.header(ctx)]
    for task in ctx.tasks:
        render = RENDERERS.get(task.kind)
        if render is None:
            sections.append(Section(f"{task.slug}-task", task.title,
                                    notes=[f"The report has no renderer for task kind {task.kind!r}."]))
            continue
        sections += render(ctx, task)
    sections.append(comparisons.similarity(ctx))
    for extra in (comparisons.robustness(ctx), fidelity.fidelity(ctx)):
        if extra is not None:
            sections.append(extra)
    sections.append(quality.data_quality(ctx))
    return sections


def write_report(db_path: str | Path, out_dir: str | Path, study: str | None = None, note: str | None = None) -> Path:
    """Write ``out_dir/report.html`` (with ``figures/`` and ``tables/`` beside it) and return its path.

    With ``study``, or a database holding one study: that study's report. Without it, in a database
    holding several studies: one report per study in ``out_dir/<study>/`` and ``out_dir/report.html`` an
    index page linking them (with any study's failing-checks warning), so no study is mixed with another.

    ``note``: a sentence shown at the top, before any other banner (``aligned demo --real`` says
    there that its model is real but tiny)."""
    out = Path(out_dir)
    con = store.connect(db_path, read_only=True)
    try:
        first = Warehouse(con, study)
        studies = first.studies
        if study is not None or len(studies) <= 1:
            return _write_one(first, out, Path(db_path).name, note)
        entries = []
        for name in studies:
            wh = Warehouse(con, name)
            path = _write_one(wh, out / _dir_name(name), Path(db_path).name, note)
            summary = wh.summary()
            failing = wh.failing_checks()
            entries.append((name, f"{_dir_name(name)}/{path.name}",
                            "" if summary is None or pd.isna(summary["description"]) else str(summary["description"]),
                            _failing_banner(name, failing)))
    finally:
        con.close()
    out.mkdir(parents=True, exist_ok=True)
    _remove_stale(out, [])
    page = render_index("Study reports", f"{len(entries)} studies in {Path(db_path).name}; one report each.",
                        entries, f"Written by aligned {__version__} from {Path(db_path).name}.")
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _dir_name(study: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", study).strip(".") or "study"


def _failing_banner(study: str, failing: pd.DataFrame | None) -> str | None:
    if failing is None or failing.empty:
        return None
    tests = ", ".join(dict.fromkeys(t if str(s).lower() == "fail" else f"{t}: {s}"
                                    for t, s in zip(failing["test"], failing["status"])))
    return (f"The last `aligned build` left {failing['test'].nunique()} data test(s) of study {study} failing "
            f"({tests}). Figures below come from marts built on data that failed these checks, or a section may "
            f"be missing because its model could not be built (error / skipped): read them with care, and see "
            f"`aligned build --study {study}` for the failing rows.")


def _write_one(wh: Warehouse, out: Path, db_name: str, note: str | None) -> Path:
    ctx = ReportContext.load(wh)
    sections = build_sections(ctx)
    fig_dir, tab_dir = out / "figures", out / "tables"
    fig_dir.mkdir(parents=True, exist_ok=True)
    tab_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for sec in sections:
        for f in sec.figures:
            (fig_dir / f"{f.name}.svg").write_text(f.svg, encoding="utf-8")
            written.append(f"figures/{f.name}.svg")
        for t in sec.tables:
            spreadsheet_safe(t.df).to_csv(tab_dir / f"{t.name}.csv", index=False)
            written.append(f"tables/{t.name}.csv")
    _remove_stale(out, written)
    study_name = ctx.study or "unknown study"
    n_sim, n = len(ctx.simulated), len(ctx.models)
    banners = []
    if note:
        banners.append(note)
    failing = _failing_banner(study_name, ctx.failing_checks)
    if failing:
        banners.append(failing)
    if n_sim and n_sim == n:
        banners.append("Every model in this study is simulated: synthetic respondents sampled from fixed profiles, "
                       "not LLMs. The figures show what the pipeline produces, not findings about language models.")
    elif n_sim:
        banners.append(f"{n_sim} of {n} models are simulated (synthetic respondents, not LLMs); they are marked "
                       "\"(sim)\" in every figure and table.")
    summary = wh.summary()
    description = "" if summary is None or pd.isna(summary["description"]) else " ".join(
        str(summary["description"]).split())
    page = render_page(f"Report for study {study_name}", description, banners, sections,
                       f"Written by aligned {__version__} from {db_name}. Figures: figures/*.svg; "
                       "tables: tables/*.csv.")
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


MANIFEST = ".report-files"


def _remove_stale(out: Path, written: list[str]) -> None:
    """Delete figures and tables an earlier report wrote here that this one did not.

    A section that had data last time and has none now must not leave its old SVG or CSV
    behind, looking current. Only files listed in the previous run's manifest are touched,
    never anything else in the folder.
    """
    manifest = out / MANIFEST
    if manifest.exists():
        keep = set(written)
        for rel in manifest.read_text(encoding="utf-8").split():
            p = out / rel
            if rel not in keep and rel.startswith(("figures/", "tables/")) and ".." not in rel and p.is_file():
                p.unlink()
    manifest.write_text("\n".join(written) + "\n", encoding="utf-8")


# a text cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): = + - @ or a
# tab / carriage return first; a plain number such as -0.5 stays a number
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _neutral(v: object) -> object:
    if isinstance(v, str) and v.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(v):
        return "'" + v  # the leading quote makes Excel, LibreOffice and Sheets show the text as text
    return v


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell that would start a formula prefixed with ``'`` (OWASP)."""
    text = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    if not text:
        return df
    out = df.copy()
    for c in text:
        out[c] = out[c].map(_neutral)
    return out
