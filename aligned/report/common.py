"""What the task sections share: picking rows of one task and setting, and laying out alignment tables."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aligned.report.context import ReportContext
from aligned.report.data import pick
from aligned.report.design import Task
from aligned.report.style import SIM_NOTE

NO_DATA = "No data for this task"


def sim_note(ctx: ReportContext) -> str:
    return f" {SIM_NOTE}." if ctx.has_simulated else ""


def task_rows(df: pd.DataFrame | None, task: Task) -> pd.DataFrame:
    """Rows of one task: by its name where the mart has a task column, else by its kind (a mart of one
    task kind, such as t1_human_alignment, holds the study's task of that kind)."""
    if df is None:
        return pd.DataFrame()
    if "task" in df:
        return df[df["task"].astype(str) == task.name]
    if "task_kind" in df:
        return df[df["task_kind"] == task.kind]
    return df


def source_of(ctx: ReportContext, model: str) -> str:
    return "simulated model" if model in ctx.simulated else "model"


def wide_table(ctx: ReportContext, matrix: pd.DataFrame, models: list[str], humans: list[str]) -> pd.DataFrame:
    """A figure's matrix as a table: one row per model or human group, one column per value."""
    out = matrix.copy()
    out.insert(0, "source", [source_of(ctx, m) for m in models] + ["human reference"] * len(humans))
    out.insert(0, "row", models + humans)
    return out.reset_index(drop=True)


def rho_cell(rho, lo=np.nan, hi=np.nan) -> str:
    """'0.75 [0.53, 0.80]': rho with its interval, as a paper's table shows it."""
    if pd.isna(rho):
        return "–"

    def f(x: float) -> str:
        return f"{round(float(x), 2) + 0.0:.2f}"  # + 0.0: -0.001 shows as 0.00, not -0.00

    return f(rho) if pd.isna(lo) or pd.isna(hi) else f"{f(rho)} [{f(lo)}, {f(hi)}]"


def rho_pivot(ctx: ReportContext, df: pd.DataFrame, rows: list[str], column: pd.Series,
              column_order: list[str], value: str = "spearman_rho", low: str = "ci_low",
              high: str = "ci_high") -> tuple[pd.DataFrame, dict[str, str]]:
    """A compact page view of an alignment mart: one cell 'rho [low, high]' per row and column key.

    ``value``/``low``/``high`` name the statistic and its interval (Spearman's rho by default).
    Returns the frame and its formats; models in file order and labelled, groups by their labels.
    """
    cells = [rho_cell(r, lo, hi) for r, lo, hi in zip(
        df[value], df[low] if low in df else [np.nan] * len(df),
        df[high] if high in df else [np.nan] * len(df))]
    d = df[rows].assign(_col=column.to_numpy(), _cell=cells)
    wide = d.pivot_table(index=rows, columns="_col", values="_cell", aggfunc="first")
    wide = wide.reindex(columns=[c for c in column_order if c in wide.columns]).reset_index()
    wide.columns.name = None
    then = [r for r in rows if r != "model"]
    if "human_group" in wide:
        rank = {g: i for i, g in enumerate(ctx.order_groups(wide["human_group"]))}
        wide["_g"] = wide["human_group"].map(rank)
        wide["human_group"] = wide["human_group"].map(ctx.group_short)
        then = ["_g" if r == "human_group" else r for r in then]
    out = ctx.by_model(wide, then).drop(columns=["_g"], errors="ignore")
    return out, {c: "cell" for c in out.columns if c not in rows}



def one_setting(df: pd.DataFrame, preferred: str = "original") -> pd.DataFrame:
    """Rows of one setting (the study's 'original' when present), so settings are never averaged."""
    if "setting" not in df or df.empty:
        return df
    return df[df["setting"] == pick(df, "setting", [preferred])]
