"""The report's figures: plain data in, SVG text out.

Each function takes tidy, already-labelled data (rows in the order to show,
simulated models already suffixed "(sim)") and knows nothing of the
warehouse, so it can be tested and reused on its own.
"""
from __future__ import annotations

import textwrap
from typing import Callable, Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from aligned.report.style import DIVERGING, OKABE_ITO, SEQUENTIAL, new_figure, text_colour, to_svg


def pct(v: float) -> str:
    return "" if pd.isna(v) else f"{100 * v:.0f}"


def signed(v: float) -> str:
    """+2 / -1 / 0 for whole numbers, one decimal otherwise (tied ranks average to x.5 or x.33)."""
    if pd.isna(v):
        return ""
    if abs(v - round(v)) < 1e-9:
        return f"{round(v):+d}" if round(v) else "0"
    return f"{v:+.1f}"


def two(v: float) -> str:
    return "" if pd.isna(v) else f"{v:.2f}"


def _draw_heatmap(ax, matrix: pd.DataFrame, cmap, vmin: float, vmax: float, fmt: Callable[[float], str],
                  separator_after: int | None = None, fontsize: float = 8.5, group_rows: int | None = None):
    values = matrix.to_numpy(dtype=float)
    masked = np.ma.masked_invalid(values)
    cm = (matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap).with_extremes(bad="#eeeeee")
    # pcolormesh, not imshow: cells stay vector shapes in the SVG (crisp at any size, no embedded PNG).
    n_rows, n_cols = values.shape
    im = ax.pcolormesh(np.arange(n_cols + 1) - 0.5, np.arange(n_rows + 1) - 0.5, masked, cmap=cm, vmin=vmin,
                       vmax=vmax, shading="flat", edgecolors="face", linewidth=0.3)
    ax.set_xlim(-0.5, n_cols - 0.5)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns], rotation=40, ha="right",
                  rotation_mode="anchor")
    ax.set_yticks(range(matrix.shape[0]), [str(r) for r in matrix.index])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            v = values[i, j]
            if np.isnan(v):
                ax.text(j, i, "–", ha="center", va="center", fontsize=fontsize, color="#777777")
                continue
            ax.text(j, i, fmt(v), ha="center", va="center", fontsize=fontsize,
                    color=text_colour(im.cmap(im.norm(v))))
    if separator_after is not None and 0 < separator_after < matrix.shape[0]:
        ax.axhline(separator_after - 0.5, color="white", linewidth=4)
    if group_rows:
        for k in range(group_rows, matrix.shape[0], group_rows):
            ax.axhline(k - 0.5, color="white", linewidth=2.5)
    return im


def heatmap(name: str, matrix: pd.DataFrame, title: str, cbar_label: str, xlabel: str = "", ylabel: str = "",
            vmin: float = 0.0, vmax: float = 1.0, cmap=SEQUENTIAL, fmt: Callable[[float], str] = pct,
            separator_after: int | None = None, group_rows: int | None = None,
            cbar_ticks: Sequence[float] | None = None, cbar_ticklabels: Sequence[str] | None = None) -> str:
    """An annotated heatmap; ``separator_after`` draws a gap before that row (e.g. the human rows)."""
    n_rows, n_cols = matrix.shape
    fig, ax = new_figure(2.6 + 0.62 * n_cols, 1.6 + 0.34 * n_rows)
    im = _draw_heatmap(ax, matrix, cmap, vmin, vmax, fmt, separator_after, group_rows=group_rows)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    cbar = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, aspect=max(15.0, 3.5 * (1.6 + 0.34 * n_rows)))
    cbar.set_label(cbar_label)
    if cbar_ticks is not None:
        cbar.set_ticks(list(cbar_ticks), labels=list(cbar_ticklabels) if cbar_ticklabels else None)
    cbar.outline.set_visible(False)
    cbar.solids.set_rasterized(False)  # vector, like the cells: no embedded PNG
    cbar.solids.set_edgecolor("face")  # no hairline seams between the colour steps in SVG viewers
    return to_svg(fig, name)


def heatmap_grid(name: str, panels: Mapping[str, pd.DataFrame], title: str, cbar_label: str, xlabel: str = "",
                 vmin: float = 0.0, vmax: float = 1.0, cmap=SEQUENTIAL, fmt: Callable[[float], str] = pct,
                 separator_after: int | None = None, ncols: int = 2, cbar_ticks: Sequence[float] | None = None,
                 cbar_ticklabels: Sequence[str] | None = None, square: bool = False) -> str:
    """Annotated heatmaps side by side (one per context), one shared colour scale.

    ``square`` gives square cells (model x model matrices); otherwise cells are wide and flat.
    """
    keys = list(panels)
    ncols = min(ncols, len(keys))
    nrows = int(np.ceil(len(keys) / ncols))
    first = panels[keys[0]]
    cell_w, cell_h = (0.55, 0.55) if square else (0.6, 0.32)
    w = (2.8 + cell_w * first.shape[1]) * ncols
    h = (1.7 + cell_h * first.shape[0]) * nrows
    fig, axes = new_figure(w, h, nrows=nrows, ncols=ncols, squeeze=False)
    im = None
    for k, ax in enumerate(axes.flat):
        if k >= len(keys):
            ax.set_visible(False)
            continue
        im = _draw_heatmap(ax, panels[keys[k]], cmap, vmin, vmax, fmt, separator_after)
        if square:
            ax.set_aspect("equal")
        width = max(16, int(first.shape[1] * (cell_w * 12)))  # characters that fit above the panel
        ax.set_title(textwrap.fill(keys[k], width), loc="left", fontsize=11)
        if k % ncols:
            ax.set_yticklabels([])
        ax.set_xlabel(xlabel)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    cbar = fig.colorbar(im, ax=axes, fraction=0.05 / ncols, pad=0.01, shrink=0.9 if nrows > 1 else 1.0,
                        aspect=30 if nrows > 1 else 15)
    cbar.set_label(cbar_label)
    if cbar_ticks is not None:
        cbar.set_ticks(list(cbar_ticks), labels=list(cbar_ticklabels) if cbar_ticklabels else None)
    cbar.outline.set_visible(False)
    cbar.solids.set_rasterized(False)  # vector, like the cells: no embedded PNG
    cbar.solids.set_edgecolor("face")  # no hairline seams between the colour steps in SVG viewers
    return to_svg(fig, name)


MARKERS = ["o", "s", "D", "^"]


def _group_dots(ax, df: pd.DataFrame, rows: Sequence[str], groups: Mapping[str, str], colours: Mapping[str, str],
                value: str = "rho", lo: str = "lo", hi: str = "hi", xlim: tuple[float, float] | None = None) -> None:
    """One row per ``rows`` entry, one dot per group (offset vertically), whiskers from ``lo`` to ``hi``.

    With ``xlim``, a dot or whisker beyond the axis is clipped and marked by a triangle at the edge, so a
    wide interval never squeezes the others.
    """
    keys = list(groups)
    offsets = np.linspace(-0.18, 0.18, len(keys)) if len(keys) > 1 else [0.0]
    ypos = {r: i for i, r in enumerate(rows)}
    for k, (key, off) in enumerate(zip(keys, offsets)):
        sub = df[(df["group"] == key) & df["row"].isin(ypos)]
        y = np.array([ypos[r] for r in sub["row"]], dtype=float) + off
        v = sub[value].to_numpy(dtype=float)
        low = sub[lo].to_numpy(dtype=float) if lo in sub else np.full(len(sub), np.nan)
        high = sub[hi].to_numpy(dtype=float) if hi in sub else np.full(len(sub), np.nan)
        colour = colours.get(key)
        if xlim is not None:
            a, b = xlim
            for yy, lv, hv in zip(y, np.where(np.isnan(low), v, low), np.where(np.isnan(high), v, high)):
                if lv < a:
                    ax.plot([a], [yy], marker="<", color=colour, markersize=5, clip_on=False, zorder=4)
                if hv > b:
                    ax.plot([b], [yy], marker=">", color=colour, markersize=5, clip_on=False, zorder=4)
            low, high = np.clip(low, a, b), np.clip(high, a, b)
            shown = (v >= a) & (v <= b)
        else:
            shown = ~np.isnan(v)
        vv = np.clip(v, *(xlim or (-np.inf, np.inf)))
        err = np.vstack([np.where(np.isnan(low), 0, vv - low), np.where(np.isnan(high), 0, high - vv)])
        err = np.where(np.isnan(err), 0, np.clip(err, 0, None))
        ax.errorbar(vv[shown], y[shown], xerr=err[:, shown], fmt=MARKERS[k % len(MARKERS)], color=colour,
                    ecolor=colour, elinewidth=1.4, capsize=3, markersize=6, label=groups[key])
        if (~shown).any():  # whisker only (the point itself is off the axis), and the value beside the edge
            ax.errorbar(vv[~shown], y[~shown], xerr=err[:, ~shown], fmt="none", ecolor=colour, elinewidth=1.4,
                        capsize=3)
            for x, yy, raw in zip(vv[~shown], y[~shown], v[~shown]):
                if np.isfinite(raw):
                    right = raw > x
                    ax.annotate(f"{raw:.1f}", (x, yy), xytext=(-7 if right else 7, 0), textcoords="offset points",
                                ha="right" if right else "left", va="center", fontsize=7.5, color=colour)
    n = len(rows)
    ax.set_yticks(range(n), list(rows))
    ax.set_ylim(n - 0.5, -0.5)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def alignment_dots(name: str, df: pd.DataFrame, rows: Sequence[str], groups: Mapping[str, str],
                   colours: Mapping[str, str], title: str, xlabel: str) -> str:
    """Dot-and-whisker plot: one row per model, one dot per human group, bars = confidence interval.

    ``df`` has columns row, group, rho, lo, hi; ``groups`` maps a group key to its legend label.
    """
    n = len(rows)
    fig, ax = new_figure(8.0, 1.6 + 0.42 * n)
    _group_dots(ax, df, rows, groups, colours)
    ax.axvline(0, color="#555555", linewidth=0.8, linestyle=":")
    ax.set_xlim(-1.05, 1.05)
    ax.set_xticks(np.linspace(-1, 1, 9), ["−1", "", "−0.5", "", "0", "", "0.5", "", "1"])
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=max(1, len(groups)), frameon=False)
    return to_svg(fig, name)


#: The calibration-slope axis never extends beyond this (a slope of 8 squeezes every other model).
SLOPE_LIMIT = 4.0


def fidelity_dots(name: str, df: pd.DataFrame, rows: Sequence[str], groups: Mapping[str, str],
                  colours: Mapping[str, str], title: str) -> str:
    """Profile fidelity: Lin's CCC (left) and the calibration slope (right) per model and human group.

    ``df`` has columns row, group, ccc, ccc_lo, ccc_hi, slope, slope_lo, slope_hi. Dashed lines mark
    perfect fidelity (CCC = 1, slope = 1), dotted ones zero.
    """
    n = len(rows)
    fig, (left, right) = new_figure(11.0, 1.9 + 0.42 * n, ncols=2, sharey=True)
    _group_dots(left, df, rows, groups, colours, "ccc", "ccc_lo", "ccc_hi")
    left.set_xlim(-1.05, 1.05)
    left.set_xticks(np.linspace(-1, 1, 9), ["−1", "", "−0.5", "", "0", "", "0.5", "", "1"])
    left.set_xlabel("Lin's CCC (1 = same order and level)")
    left.set_title("Agreement: Lin's CCC", loc="left", fontsize=11)
    ends = pd.concat([df[c] for c in ("slope", "slope_lo", "slope_hi") if c in df]).astype(float)
    ends = ends[np.isfinite(ends)]
    lo = max(-SLOPE_LIMIT, min(-0.25, float(ends.min()) if len(ends) else 0.0))
    hi = min(SLOPE_LIMIT, max(1.5, float(ends.max()) if len(ends) else 1.0))
    pad = 0.04 * (hi - lo)
    xlim = (lo - pad, hi + pad)
    _group_dots(right, df, rows, groups, colours, "slope", "slope_lo", "slope_hi", xlim=xlim)
    right.set_xlim(*xlim)
    right.set_xlabel("Slope (1 = same spread; >1 exaggerated, <1 flattened)")
    right.set_title("Calibration: OLS slope of model on human shares", loc="left", fontsize=11)
    for ax, ref in ((left, 1.0), (right, 1.0)):
        ax.axvline(0, color="#555555", linewidth=0.8, linestyle=":")
        ax.axvline(ref, color="#222222", linewidth=1.0, linestyle="--")
    right.tick_params(axis="y", labelleft=False)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=max(1, len(groups)), frameon=False)
    return to_svg(fig, name)


def share_intervals(name: str, panels: Mapping[str, pd.DataFrame], humans: pd.DataFrame,
                    groups: Mapping[str, str], colours: Mapping[str, str], title: str, xlabel: str,
                    ncols: int = 4) -> str:
    """Small multiples, one panel per model: each value's share with its interval, beside the human shares.

    Each panel frame is indexed by value (top to bottom) with columns share, lo, hi; ``humans`` is
    indexed by value with one column per group key (shares, no interval).
    """
    keys = list(panels)
    ncols = max(1, min(ncols, len(keys)))
    nrows = int(np.ceil(len(keys) / ncols))
    n_values = max(len(f) for f in panels.values())
    fig, axes = new_figure(3.3 * ncols + 1.2, (0.9 + 0.24 * n_values) * nrows + 0.8, nrows=nrows, ncols=ncols,
                           squeeze=False, sharex=True, sharey=True)
    values = list(next(iter(panels.values())).index)
    y = {v: i for i, v in enumerate(values)}
    for k, ax in enumerate(axes.flat):
        if k >= len(keys):
            ax.set_visible(False)
            continue
        f = panels[keys[k]]
        for m, (g, label) in enumerate(groups.items()):
            if g in humans:
                h = humans[g].reindex(values)
                ax.scatter(h.to_numpy(dtype=float), np.arange(len(values)) + 0.0, marker=MARKERS[m % len(MARKERS)],
                           facecolor="none", edgecolor=colours.get(g), s=34, linewidth=1.3, label=label, zorder=2)
        yy = np.array([y[v] for v in f.index], dtype=float)
        share = f["share"].to_numpy(dtype=float)
        lo, hi = f["lo"].to_numpy(dtype=float), f["hi"].to_numpy(dtype=float)
        err = np.vstack([np.where(np.isnan(lo), 0, share - lo), np.where(np.isnan(hi), 0, hi - share)])
        ax.errorbar(share, yy, xerr=np.clip(np.nan_to_num(err), 0, None), fmt="o", color="#111111",
                    markersize=4, elinewidth=1.2, capsize=2, label="model (95% interval)", zorder=3)
        ax.set_title(keys[k], loc="left", fontsize=10)
        ax.set_yticks(range(len(values)), values)
        ax.set_ylim(len(values) - 0.5, -0.5)
        ax.set_xlim(-0.03, 1.03)
        ax.set_xticks(np.linspace(0, 1, 5), ["0", "25", "50", "75", "100"])
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        if k // ncols == nrows - 1 or k + ncols >= len(keys):
            ax.set_xlabel(xlabel)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    order = [labels.index(lbl) for lbl in ["model (95% interval)", *groups.values()] if lbl in labels]
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside lower center",
               ncols=len(order), frameon=False)
    return to_svg(fig, name)


def diverging_tradeoffs(name: str, panels: Sequence[tuple[str, str, pd.DataFrame]], title: str) -> str:
    """Diverging bars per conflict: left = share favouring the first value, right = the second.

    ``panels`` holds (value_a, value_b, frame) where the frame is indexed by row label and has
    columns def_a, prob_a, def_b, prob_b (shares; "prob" = probably but not definitely).
    The gap to 100% is "undecided" (and invalid answers).
    """
    # PuOr: oranges for the left value, purples for the right; dark = definitely, light = probably.
    c_def_a, c_prob_a, c_prob_b, c_def_b = "#b35806", "#fdb863", "#b2abd2", "#542788"
    n_rows = max(len(f) for _, _, f in panels)
    fig, axes = new_figure(9.5, len(panels) * (0.75 + 0.3 * n_rows) + 0.9, nrows=len(panels), ncols=1,
                           squeeze=False, sharex=True)
    for ax, (a, b, f) in zip(axes[:, 0], panels):
        y = np.arange(len(f))
        def_a, prob_a = f["def_a"].fillna(0).to_numpy(), f["prob_a"].fillna(0).to_numpy()
        def_b, prob_b = f["def_b"].fillna(0).to_numpy(), f["prob_b"].fillna(0).to_numpy()
        ax.barh(y, -def_a, color=c_def_a, height=0.72)
        ax.barh(y, -prob_a, left=-def_a, color=c_prob_a, height=0.72)
        ax.barh(y, def_b, color=c_def_b, height=0.72)
        ax.barh(y, prob_b, left=def_b, color=c_prob_b, height=0.72)
        for yi, la, lb in zip(y, def_a + prob_a, def_b + prob_b):
            if la >= 0.005:
                ax.text(-la - 0.015, yi, f"{100 * la:.0f}", ha="right", va="center", fontsize=8)
            if lb >= 0.005:
                ax.text(lb + 0.015, yi, f"{100 * lb:.0f}", ha="left", va="center", fontsize=8)
        ax.set_yticks(y, list(f.index))
        ax.set_ylim(len(f) - 0.5, -0.5)
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_title(f"{a}  ◀  vs  ▶  {b}", loc="center", fontsize=11)
        ax.text(0.0, 1.02, f"favours {a}", transform=ax.transAxes, ha="left", va="bottom", fontsize=9,
                color=c_def_a)
        ax.text(1.0, 1.02, f"favours {b}", transform=ax.transAxes, ha="right", va="bottom", fontsize=9,
                color=c_def_b)
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
    # Symmetric axis to the next 25% above the longest bar: honest (both sides on one scale) but not
    # mostly empty when no side gets near 100%.
    longest = max(float((f[["def_a", "prob_a"]].fillna(0).sum(axis=1)).max()) for _, _, f in panels)
    longest = max(longest, max(float((f[["def_b", "prob_b"]].fillna(0).sum(axis=1)).max()) for _, _, f in panels))
    lim = min(1.0, max(0.5, np.ceil(longest / 0.25) * 0.25))
    ticks = np.linspace(-lim, lim, int(round(2 * lim / 0.25)) + 1)
    last = axes[-1, 0]
    last.set_xlim(-lim * 1.12, lim * 1.12)
    last.set_xticks(ticks, [f"{abs(100 * t):.0f}" for t in ticks])
    last.set_xlabel("Share of answers favouring each side (%); the gap to 100% is undecided")
    handles = [Patch(color=c_def_a, label="definitely (left value)"), Patch(color=c_prob_a, label="probably (left)"),
               Patch(color=c_prob_b, label="probably (right)"), Patch(color=c_def_b, label="definitely (right value)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    return to_svg(fig, name)


def stacked_shares(name: str, df: pd.DataFrame, categories: Sequence[str], colours: Mapping[str, str],
                   title: str, xlabel: str, reference: tuple[float, str] | None = None,
                   separator_after: int | None = None, labels: Mapping[str, str] | None = None) -> str:
    """Horizontal 100% bars, one per row of ``df`` (index = row label, columns = categories as shares).

    ``separator_after`` draws a white gap before that row (models above, humans below); ``labels``
    renames categories in the legend.
    """
    n = len(df)
    fig, ax = new_figure(8.5, 1.4 + 0.38 * n)
    left = np.zeros(n)
    y = np.arange(n)
    for cat in categories:
        v = df[cat].fillna(0).to_numpy(dtype=float) if cat in df else np.zeros(n)
        ax.barh(y, v, left=left, color=colours[cat], label=(labels or {}).get(cat, cat), height=0.7)
        for yi, li, vi in zip(y, left, v):
            if vi >= 0.07:
                ax.text(li + vi / 2, yi, f"{100 * vi:.0f}", ha="center", va="center", fontsize=8,
                        color=text_colour(colours[cat]))
        left += v
    if separator_after is not None and 0 < separator_after < n:
        ax.axhline(separator_after - 0.5, color="#333333", linewidth=0.8, linestyle=(0, (2, 2)))
    if reference is not None:
        ax.axvline(reference[0], color="black", linestyle="--", linewidth=1)
        ax.text(reference[0], -0.75, reference[1], ha="center", va="bottom", fontsize=8)
    ax.set_yticks(y, list(df.index))
    ax.set_ylim(n - 0.5, -0.9 if reference else -0.5)
    ax.set_xlim(0, 1)
    ax.set_xticks(np.linspace(0, 1, 6), [f"{v:.0f}" for v in np.linspace(0, 100, 6)])
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return to_svg(fig, name)


def robustness_scatter(name: str, df: pd.DataFrame, title: str, xlabel: str, ylabel: str,
                       x_lines: Sequence[float] = (), y_lines: Sequence[float] = ()) -> str:
    """One point per model (columns label, x, y, group), coloured by robustness group, labelled."""
    fig, ax = new_figure(8.0, 5.2)
    groups = [g for g in ("high", "medium", "low") if g in set(df["group"])] + \
        sorted(g for g in set(df["group"].dropna()) if g not in ("high", "medium", "low"))
    colours = {"high": OKABE_ITO[2], "medium": OKABE_ITO[0], "low": OKABE_ITO[5]}
    markers = {"high": "o", "medium": "s", "low": "D"}
    for k, g in enumerate(groups):
        sub = df[df["group"] == g]
        ax.scatter(sub["x"], sub["y"], s=55, color=colours.get(g, OKABE_ITO[(k + 3) % 8]),
                   marker=markers.get(g, "^"), label=f"{g} robustness", zorder=3, edgecolor="white", linewidth=0.6)
    _label_points(ax, df)
    for x in x_lines:
        ax.axvline(x, color="#888888", linestyle=":", linewidth=1)
    for y in y_lines:
        ax.axhline(y, color="#888888", linestyle=":", linewidth=1)
    ax.set_ylim(-0.03, 1.05)
    ax.set_xlim(left=0, right=max(float(np.nanmax(df["x"])) * 1.25 if df["x"].notna().any() else 1,
                                  max(x_lines, default=0) * 1.15))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.legend(loc="lower left", frameon=False)
    return to_svg(fig, name)


def _label_points(ax, df: pd.DataFrame) -> None:
    """Name each point; a label that would sit on an earlier one moves down a line (greedy, good enough
    for a dozen models)."""
    pts = df.dropna(subset=["x", "y"]).sort_values("y", ascending=False)
    if pts.empty:
        return
    xr = max(float(pts["x"].max() - pts["x"].min()), 1e-9)
    placed: list[tuple[float, float]] = []
    for _, r in pts.iterrows():
        dy = 4
        for px, py in placed:
            if abs(r["x"] - px) < 0.25 * xr and abs(r["y"] - py) < 0.045:
                dy -= 11
        placed.append((r["x"], r["y"]))
        ax.annotate(r["label"], (r["x"], r["y"]), xytext=(6, dy), textcoords="offset points", fontsize=8,
                    va="bottom" if dy > 0 else "top")


def sequential_reversed():
    """The share palette reversed: bright = low (e.g. rank 1 = put first), dark = high."""
    return matplotlib.colormaps[SEQUENTIAL].reversed()


def diverging_cmap(name: str = DIVERGING, n: int | None = None):
    """A diverging colour map, optionally cut into ``n`` discrete steps (for integer differences)."""
    cm = matplotlib.colormaps[name]
    return cm if n is None else ListedColormap(cm(np.linspace(0, 1, n)))


__all__ = ["heatmap", "heatmap_grid", "alignment_dots", "fidelity_dots", "share_intervals", "diverging_tradeoffs", "stacked_shares",
           "robustness_scatter", "diverging_cmap", "sequential_reversed", "pct", "signed", "two"]
