"""How the report's figures look: palettes, fonts, labels, and SVG export.

One place for every visual convention so that all figures agree: the same
model order and labels, simulated models suffixed "(sim)", colour-blind-safe
palettes (viridis for shares, RdBu/PuOr for signed quantities, Okabe-Ito for
categories), and SVG text that is deterministic from run to run.
"""
from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: Okabe & Ito (2008), the categorical palette readable with every common colour-vision deficiency.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

SEQUENTIAL = "viridis"
DIVERGING = "RdBu"

SIM_SUFFIX = " (sim)"
SIM_NOTE = "(sim) = simulated model (synthetic respondents, not an LLM)"

#: T4 consistency classes, in reading order, with their Okabe-Ito colours.
CONSISTENCY_LABELS = ["aligned", "almost", "misaligned", "tied"]
CONSISTENCY_COLOURS = {"aligned": OKABE_ITO[2], "almost": OKABE_ITO[4], "misaligned": OKABE_ITO[5],
                       "tied": "#BBBBBB"}

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",  # text stays text: searchable, selectable, small
    "figure.dpi": 100,
}


def model_label(model: str, simulated: set[str]) -> str:
    return f"{model}{SIM_SUFFIX}" if model in simulated else model


def text_colour(rgba) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba``."""
    r, g, b = to_rgb(rgba)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.45 else "white"


def new_figure(width: float, height: float, **subplots) -> tuple[Figure, object]:
    """A figure and axes with the report's rc settings and constrained layout (nothing clipped)."""
    subplots.setdefault("layout", "constrained")
    with plt.rc_context(RC):
        fig, axes = plt.subplots(figsize=(width, height), **subplots)
    return fig, axes


_XML_PROLOG = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def to_svg(fig: Figure, name: str) -> str:
    """The figure as standalone SVG text, identical on every run for the same data.

    ``svg.hashsalt`` is the figure's name, so the ids matplotlib derives for
    clip paths and markers are stable and differ between figures.
    """
    buf = io.StringIO()
    with plt.rc_context({**RC, "svg.hashsalt": name}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def inline_svg(svg: str, name: str) -> str:
    """SVG text ready to embed in HTML: no prolog, no metadata, no namespace URLs, ids prefixed.

    HTML parses inline ``<svg>`` in the SVG namespace on its own, so the xmlns
    declarations (URLs, though never fetched) go; every id and reference is
    prefixed with the figure name so that ``figure_1`` and friends stay
    unique when several figures share one page.
    """
    text = _METADATA.sub("", _XML_PROLOG.sub("", svg))
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    prefix = f"{name}-"
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    text = text.replace("<svg ", f'<svg id="svg-{name}" role="img" ', 1)
    return text.strip()
