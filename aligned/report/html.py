"""The report page: one self-contained HTML file (inline CSS and SVG, no external URL).

Plain f-strings with :func:`html.escape` on every piece of data: the page is
small and fixed, and a template engine would add a dependency for no gain.
"""
from __future__ import annotations

import math
from html import escape
from typing import Sequence

import pandas as pd

from aligned.report.content import FigureOut, Section, TableOut
from aligned.report.style import inline_svg

CSS = """
:root { --ink: #1b1b1b; --muted: #5f6368; --rule: #d9d9d9; --band: #f6f7f9; --accent: #0072B2; --warn: #8a4b00; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 20px; margin: 40px 0 8px; padding-top: 12px; border-top: 2px solid var(--ink); }
.subtitle { color: var(--muted); margin: 0 0 16px; }
.banner { border-left: 5px solid #E69F00; background: #fff6e5; padding: 10px 14px; margin: 16px 0; }
nav ol { columns: 2; margin: 8px 0 0; padding-left: 22px; }
nav a, figcaption a, .csv a { color: var(--accent); }
.intro { max-width: 900px; }
.note { color: var(--warn); background: #fdf3e7; padding: 6px 10px; border-radius: 4px; display: inline-block;
        margin: 4px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 12px 0; }
dl.facts dt { font-weight: bold; } dl.facts dd { margin: 0; }
figure { margin: 16px 0 24px; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13.5px; max-width: 1000px; margin-top: 6px; }
.table-wrap { overflow-x: auto; margin: 8px 0 20px; }
table { border-collapse: collapse; font-size: 13px; }
caption { text-align: left; color: var(--muted); padding: 4px 0 6px; caption-side: top; max-width: 1000px; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; white-space: nowrap; }
th { text-align: left; background: var(--band); position: sticky; top: 0; white-space: normal; min-width: 4em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { max-width: 520px; white-space: pre-wrap; word-break: break-word; font-family: "DejaVu Sans Mono", monospace;
          font-size: 12px; }
td.na { color: #9aa0a6; text-align: center; }
tbody tr:nth-child(even) { background: #fbfbfc; }
details { margin: 4px 0 16px; } summary { cursor: pointer; color: var(--accent); }
.csv { font-size: 12.5px; color: var(--muted); }
footer { margin-top: 48px; color: var(--muted); font-size: 12.5px; border-top: 1px solid var(--rule); padding-top: 8px; }
@media print { nav, summary { display: none; } details { display: block; } h2 { break-before: auto; } }
"""

TEXT_LIMIT = 200


def fmt_cell(value, kind: str | None) -> tuple[str, str]:
    """(text, css class) for one table cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return "–", "na"
    if kind == "cell":  # preformatted text that lines up like a number, e.g. "0.75 [0.53, 0.80]"
        return escape(str(value)), "num"
    if kind == "text":
        s = str(value)
        return escape(s if len(s) <= TEXT_LIMIT else s[:TEXT_LIMIT] + "…"), "text"
    if isinstance(value, bool):
        return ("yes" if value else "no"), ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        if kind == "pct":
            return f"{100 * v:.1f}%", "num"
        if kind == "f2":
            return f"{v:.2f}", "num"
        if kind == "f3":
            return f"{v:.3f}", "num"
        if kind == "p":
            return ("< 0.001" if v < 0.001 else f"{v:.3f}"), "num"
        if kind == "int":
            return f"{v:,.0f}", "num"
        if kind == "usd":
            return f"${v:,.4f}" if v < 1 else f"${v:,.2f}", "num"
        if kind == "ms":
            return f"{v:,.0f}", "num"
        if float(v).is_integer() and abs(v) < 1e15 and isinstance(value, int):
            return f"{int(v):,}", "num"
        return f"{v:,.3f}", "num"
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        return fmt_cell(value.item(), kind)
    if isinstance(value, pd.Timestamp):
        return escape(value.strftime("%Y-%m-%d %H:%M")), ""
    return escape(str(value)), ""


def render_table(t: TableOut) -> str:
    df = t.preview if t.preview is not None else t.df
    numeric = {c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])}
    # Headers show column names with spaces so they can wrap; the CSV keeps the names as they are.
    names = {c: escape(str(c).replace("_", " ")) for c in df.columns}
    head = "".join(f'<th class="num">{names[c]}</th>' if c in numeric or t.formats.get(c) == "cell"
                   else f"<th>{names[c]}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False, name=None):
        cells = []
        for c, v in zip(df.columns, rec):
            text, cls = fmt_cell(v, t.formats.get(c))
            cells.append(f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    shown = f" Showing {len(df):,} of {len(t.df):,} rows." if len(df) < len(t.df) else ""
    table = (f'<div class="table-wrap"><table id="tbl-{escape(t.name)}"><caption>{escape(t.caption)}{shown} '
             f'<span class="csv"><a href="tables/{escape(t.name)}.csv">CSV</a></span></caption>'
             f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
    if t.collapsed:
        return f"<details><summary>Data table: {escape(t.name)} ({len(t.df):,} rows)</summary>{table}</details>"
    return table


def render_figure(f: FigureOut, number: int) -> str:
    return (f'<figure id="fig-{escape(f.name)}">{inline_svg(f.svg, f.name)}'
            f"<figcaption><b>Figure {number}.</b> {escape(f.caption)} "
            f'<a href="figures/{escape(f.name)}.svg">SVG</a></figcaption></figure>')


def render_section(sec: Section, number: int, first_figure: int) -> str:
    parts = [f'<section id="{escape(sec.id)}"><h2>{number}. {escape(sec.title)}</h2>']
    if sec.intro:
        parts.append(f'<p class="intro">{escape(sec.intro)}</p>')
    for note in sec.notes:
        parts.append(f'<p class="note">{escape(note)}</p>')
    if sec.facts:
        parts.append('<dl class="facts">' + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>"
                                                    for k, v in sec.facts) + "</dl>")
    for k, f in enumerate(sec.figures):
        parts.append(render_figure(f, first_figure + k))
    for t in sec.tables:
        parts.append(render_table(t))
    parts.append("</section>")
    return "\n".join(parts)


def _banners(banners: Sequence[str] | str | None) -> str:
    if isinstance(banners, str):
        banners = [banners]
    return "\n".join(f'<p class="banner">{escape(b)}</p>' for b in banners or [])


def render_index(title: str, subtitle: str, entries: Sequence[tuple[str, str, str, str | None]], footer: str) -> str:
    """The page linking one report per study: (study, relative link, description, warning or None)."""
    items = "".join(
        f'<li><a href="{escape(link)}">{escape(study)}</a>'
        + (f"<br><span class=\"intro\">{escape(' '.join(desc.split()))}</span>" if desc else "")
        + (f'<p class="banner">{escape(warn)}</p>' if warn else "") + "</li>"
        for study, link, desc, warn in entries)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>{escape(title)}</h1>
<p class="subtitle">{escape(subtitle)}</p>
</header>
<section id="studies"><ul>{items}</ul></section>
<footer>{escape(footer)}</footer>
</main>
</body>
</html>
"""


def render_page(title: str, subtitle: str, banner: Sequence[str] | str | None, sections: Sequence[Section],
                footer: str) -> str:
    nav = "".join(f'<li><a href="#{escape(s.id)}">{escape(s.title)}</a></li>' for s in sections)
    body, fig_no = [], 1
    for i, s in enumerate(sections, start=1):
        body.append(render_section(s, i, fig_no))
        fig_no += len(s.figures)
    banner_html = _banners(banner)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>{escape(title)}</h1>
<p class="subtitle">{escape(subtitle)}</p>
{banner_html}
<nav aria-label="Sections"><ol>{nav}</ol></nav>
</header>
{chr(10).join(body)}
<footer>{escape(footer)}</footer>
</main>
</body>
</html>
"""
