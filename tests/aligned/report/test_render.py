"""The page's building blocks on their own: SVG inlining and cell formatting."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from aligned.report.content import TableOut
from aligned.report.figures import heatmap
from aligned.report.html import fmt_cell, render_table
from aligned.report.style import inline_svg


def _svg() -> str:
    m = pd.DataFrame([[0.1, np.nan], [0.9, 0.5]], index=["a (sim)", "b"], columns=["Safety", "Privacy"])
    return heatmap("demo", m, "title", "Share (%)")


def test_figure_svg_is_deterministic():
    assert _svg() == _svg()


def test_inline_svg_has_no_prolog_metadata_or_urls_and_prefixed_ids():
    text = inline_svg(_svg(), "demo")
    assert text.startswith('<svg id="svg-demo"')
    assert "<?xml" not in text and "<!DOCTYPE" not in text and "<metadata" not in text
    assert "http://" not in text and "https://" not in text
    ids = [i for i in __import__("re").findall(r'\bid="([^"]+)"', text) if i != "svg-demo"]
    assert ids and all(i.startswith("demo-") for i in ids)
    refs = __import__("re").findall(r'(?:href="#|url\(#)([^")]+)', text)
    assert all(r in ids for r in refs)


def test_fmt_cell():
    assert fmt_cell(0.7812, "pct") == ("78.1%", "num")
    assert fmt_cell(0.0004, "p") == ("< 0.001", "num")
    assert fmt_cell(12345, "int") == ("12,345", "num")
    assert fmt_cell(np.int64(7), None) == ("7", "num")
    assert fmt_cell(math.nan, "f2") == ("–", "na")
    assert fmt_cell(None, None) == ("–", "na")
    assert fmt_cell(pd.NA, None) == ("–", "na")
    assert fmt_cell(0.1234, "usd") == ("$0.1234", "num")
    assert fmt_cell("<i>x</i>", None) == ("&lt;i&gt;x&lt;/i&gt;", "")
    text, cls = fmt_cell("y" * 500, "text")
    assert cls == "text" and text.endswith("…") and len(text) < 300


def test_render_table_preview_and_collapse():
    df = pd.DataFrame({"model": ["a", "b", "c"], "share": [0.1, 0.2, 0.3]})
    html = render_table(TableOut("t", df, "cap", {"share": "pct"}, collapsed=True, preview=df.head(2)))
    assert html.startswith("<details>") and 'id="tbl-t"' in html
    assert "Showing 2 of 3 rows" in html and "30.0%" not in html and "20.0%" in html
    assert 'href="tables/t.csv"' in html


def test_fidelity_dots_clip_and_tolerate_missing_values():
    from aligned.report.figures import SLOPE_LIMIT, fidelity_dots
    df = pd.DataFrame({"row": ["a", "a", "b", "b"], "group": ["g1", "g2", "g1", "g2"],
                       "ccc": [0.5, np.nan, -0.2, 0.9], "ccc_lo": [0.4, np.nan, np.nan, 0.8],
                       "ccc_hi": [0.6, np.nan, np.nan, 1.0], "slope": [12.0, 0.5, np.nan, 1.1],
                       "slope_lo": [9.0, -7.0, np.nan, 0.9], "slope_hi": [15.0, 0.9, np.nan, 1.3]})
    svg = fidelity_dots("fd", df, ["a", "b"], {"g1": "G one", "g2": "G two"}, {"g1": "#0072B2", "g2": "#E69F00"},
                        "title")
    assert svg.count("<svg") == 1 and "G one" in svg and "Lin's CCC" in svg
    assert svg == fidelity_dots("fd", df, ["a", "b"], {"g1": "G one", "g2": "G two"},
                                {"g1": "#0072B2", "g2": "#E69F00"}, "title")
    assert SLOPE_LIMIT < 12


def test_share_intervals_without_human_rows():
    from aligned.report.figures import share_intervals
    panel = pd.DataFrame({"share": [0.2, 0.8], "lo": [0.1, np.nan], "hi": [0.3, np.nan]}, index=["x", "y"])
    svg = share_intervals("si", {"m1": panel, "m2": panel}, pd.DataFrame(index=["x", "y"]), {}, {}, "t", "share")
    assert "m2" in svg and "model (95% interval)" in svg
