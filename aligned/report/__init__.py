"""The study report: one self-contained HTML page, plus every figure as SVG and every table as CSV.

``write_report(db, out)`` opens the experiment database read-only, reads the
dbt marts (and the collector's raw tables for the data-quality section) and
writes::

    out/report.html         opens offline: inline CSS and SVG, no external URL
    out/figures/<name>.svg  each figure, for papers and slides
    out/tables/<name>.csv   each table, unformatted

A section whose mart is missing or empty says so in one line, so a partial
study (say, only T1 collected and built) still gets a report.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pandas as pd

from collector import __version__
from aligned.report import comparisons, fidelity, quality, t1, t2, t3, t4
from aligned.report.content import Section
from aligned.report.context import ReportContext
from aligned.report.data import Warehouse
from aligned.report.html import render_page

__all__ = ["write_report", "build_sections", "SECTIONS"]

#: The report's sections in page order; each takes the context and returns a Section.
SECTIONS: list[Callable[[ReportContext], Section]] = [
    quality.header,
    t1.t1_selection,
    t1.t1_alignment,
    t2.t2_importance,
    t3.t3_tradeoffs,
    t4.t4_consistency,
    comparisons.similarity,
    comparisons.robustness,
    fidelity.fidelity,
    quality.data_quality,
]


def build_sections(ctx: ReportContext) -> list[Section]:
    return [make(ctx) for make in SECTIONS]


def write_report(db_path: str | Path, out_dir: str | Path, study: str | None = None, note: str | None = None) -> Path:
    """Write ``out_dir/report.html`` (with ``figures/`` and ``tables/`` beside it) and return its path.

    ``note``: a sentence shown at the top, before any other banner (``aligned demo --real`` says
    there that its model is real but tiny)."""
    wh, con = Warehouse.open(db_path, study)
    try:
        ctx = ReportContext.load(wh)
        sections = build_sections(ctx)
    finally:
        con.close()
    out = Path(out_dir)
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
    banner = None
    if n_sim and n_sim == n:
        banner = ("Every model in this study is simulated: synthetic respondents sampled from fixed profiles, not "
                  "LLMs. The figures show what the pipeline produces, not findings about language models.")
    elif n_sim:
        banner = (f"{n_sim} of {n} models are simulated (synthetic respondents, not LLMs); they are marked "
                  "\"(sim)\" in every figure and table.")
    if note:
        banner = f"{note} {banner}" if banner else note
    page = render_page(
        f"Are We Aligned? Report for study {study_name}",
        "How the responsible-AI value priorities stated by each model line up with a US-representative sample "
        "and AI practitioners (Jakesch et al., FAccT 2022; Yamani et al., 2025).",
        banner, sections, f"Written by aligned {__version__} from {Path(db_path).name}. Figures: figures/*.svg; "
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
