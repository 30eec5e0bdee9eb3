"""What a report section is made of: figures, tables and notes, before any HTML.

Sections build these plain objects; :mod:`aligned.report.html` renders
them and :func:`aligned.report.write_report` writes each figure as SVG and
each table as CSV, so the page and the files can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class FigureOut:
    """One figure: ``name`` is its file name (``figures/<name>.svg``) and its id in the page."""

    name: str
    svg: str
    caption: str


@dataclass
class TableOut:
    """One table: written raw to ``tables/<name>.csv``, shown formatted in the page.

    ``formats`` maps a column to how it is shown: ``pct`` (share as %),
    ``f2``/``f3`` (decimals), ``int``, ``p`` (p-value), ``usd``, ``ms``.
    Columns without an entry are formatted by type.
    """

    name: str
    df: pd.DataFrame
    caption: str
    formats: dict[str, str] = field(default_factory=dict)
    collapsed: bool = False  # shown folded (<details>) when it only repeats a figure's numbers
    preview: pd.DataFrame | None = None  # rows the page shows when not all of them; the CSV has all


@dataclass
class Section:
    """One numbered section of the report. ``notes`` say what is missing and why."""

    id: str
    title: str
    intro: str = ""
    figures: list[FigureOut] = field(default_factory=list)
    tables: list[TableOut] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)  # key/value lines shown as a definition list

    def add_figure(self, name: str, svg: str, caption: str) -> None:
        self.figures.append(FigureOut(name, svg, caption))

    @property
    def empty(self) -> bool:
        return not self.figures and not self.tables and not self.facts
