"""Trade-off tasks ("if A and B conflict, which first?"): diverging bars per conflict, distribution
similarity with the declared human groups, and alignment."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aligned.report import figures
from aligned.report.common import NO_DATA, one_setting, rho_pivot, sim_note, source_of, task_rows
from aligned.report.content import Section, TableOut
from aligned.report.context import ReportContext
from aligned.report.design import Task


def _t3_long(ctx: ReportContext, task: Task) -> tuple[pd.DataFrame | None, str]:
    """Model T3 shares as (model, context, favoured, other, measure, share), from t3_tradeoff_shares."""
    res = ctx.wh.table("t3_tradeoff_shares", ["model", "setting", "context", "value_a", "value_b", "side",
                                              "favoured_value", "measure", "share"])
    if not res.ok:
        return None, res.note
    df = one_setting(task_rows(res.df, task)).copy()
    if df.empty:
        return None, f"t3_tradeoff_shares has no rows for task {task.name}"
    df["favoured"] = df["favoured_value"]
    df["other"] = np.where(df["side"] == "a", df["value_b"], df["value_a"])
    return df[["model", "context", "favoured", "other", "measure", "share"]], ""


def _t3_measure(measures: pd.Series, kind: str) -> str | None:
    """The measure name meaning 'definitely' (kind='def') or 'definitely or probably' (kind='dp')."""
    names = [str(m) for m in measures.dropna().unique()]
    if kind == "dp":
        hits = [m for m in names if "prob" in m.lower()]
    else:
        hits = [m for m in names if "def" in m.lower() and "prob" not in m.lower()]
    return hits[0] if hits else None


def _t3_panel_rows(long: pd.DataFrame, a: str, b: str) -> pd.DataFrame | None:
    """def_a / prob_a / def_b / prob_b for one conflict from a long frame of one row-source."""
    out = {}
    for fav, tag in ((a, "a"), (b, "b")):
        sub = long[(long["favoured"] == fav) & (long["other"] == (b if fav == a else a))]
        d_name, dp_name = _t3_measure(long["measure"], "def"), _t3_measure(long["measure"], "dp")
        d = sub.loc[sub["measure"] == d_name, "share"].mean() if d_name else np.nan
        dp = sub.loc[sub["measure"] == dp_name, "share"].mean() if dp_name else np.nan
        if np.isnan(d) and np.isnan(dp):
            return None
        out[f"def_{tag}"] = 0.0 if np.isnan(d) else d
        out[f"prob_{tag}"] = max(0.0, (dp if not np.isnan(dp) else d) - (0.0 if np.isnan(d) else d))
    return pd.DataFrame([out])


def sections(ctx: ReportContext, task: Task) -> list[Section]:
    return [t3_tradeoffs(ctx, task)]


def t3_tradeoffs(ctx: ReportContext, task: Task) -> Section:
    sec = Section(f"{task.slug}-tradeoffs", task.title,
                  "For each conflict, the share of answers favouring each side, pooled over contexts and over "
                  "both question directions (\"ensuring A may reduce B\" and the reverse)"
                  + (", models and humans; then how close each model's whole answer distribution is to each human "
                     "group's (representativeness and Jensen-Shannon similarity)." if ctx.groups else "."))
    long, note = _t3_long(ctx, task)
    conflicts: list[tuple[str, str]] = []
    if long is None or long.empty:
        sec.notes.append(f"{NO_DATA}: {note or f'no rows for task {task.name}'}.")
    else:
        # Humans have pooled figures only, so models are shown pooled too (the mart's pooled rows).
        long = long[long["context"] == ctx.pooled_label]
        humans = _t3_humans(ctx, task, sec) if ctx.groups else None
        conflicts = _t3_conflicts(long, humans)
        models = ctx.order(long["model"])
        panels, rows = [], []
        for a, b in conflicts:
            frames, labels = [], []
            for m in models:
                r = _t3_panel_rows(long[long["model"] == m], a, b)
                if r is not None:
                    frames.append(r)
                    labels.append(ctx.label(m))
                    rows.append({"row": m, "source": source_of(ctx, m), "value_a": a, "value_b": b, **r.iloc[0]})
            if humans is not None:
                for g in ctx.order_groups(humans["model"]):
                    r = _t3_panel_rows(humans[humans["model"] == g], a, b)
                    if r is not None:
                        frames.append(r)
                        labels.append(ctx.human_label(g))
                        rows.append({"row": ctx.human_label(g), "source": "human reference", "value_a": a, "value_b": b,
                                     **r.iloc[0]})
            if frames:
                panels.append((a, b, pd.concat(frames).set_axis(labels, axis=0)))
        if panels:
            name = f"{task.slug}_tradeoff_bars"
            svg = figures.diverging_tradeoffs(name, panels, f"{task.name}: which value to put first when two conflict")
            sec.add_figure(name, svg,
                           "Bars to the left favour the first value, to the right the second; dark = "
                           "\"definitely\", light = \"probably\"; numbers are definitely + probably in percent. "
                           + (" Human figures are the published shares over all contexts." if humans is not None
                              else "") + sim_note(ctx))
            sec.tables.append(TableOut(
                f"{task.slug}_tradeoff_shares", pd.DataFrame(rows), f"{task.name} shares (0-1) behind the bars (prob_* = probably, "
                "not definitely).", {"def_a": "pct", "prob_a": "pct", "def_b": "pct", "prob_b": "pct"},
                collapsed=True))
        else:
            sec.notes.append(f"{NO_DATA}: {task.name} shares could not be matched to conflicts.")
    if not ctx.groups:
        return sec
    _t3_distribution(ctx, task, sec, conflicts)
    res = ctx.wh.table("t3_human_alignment", ["model", "spearman_rho"])
    adf = task_rows(res.df, task) if res.ok else pd.DataFrame()
    if "human_group" in adf:
        adf = adf[adf["human_group"].isin(ctx.groups)]
    if not adf.empty:
        cols = [c for c in ("model", "setting", "context", "human_group", "measure", "spearman_rho", "ci_low",
                            "ci_high", "p_value", "n_points") if c in adf]
        shown = one_setting(adf)
        if "human_group" in shown and "measure" in shown:
            names = {"definitely": "definitely", "definitely_or_probably": "definitely or probably"}
            col = [f"{ctx.group_short(g)}: {names.get(m, m)}" for g, m in zip(shown["human_group"], shown["measure"])]
            order = [f"{ctx.group_short(g)}: {names.get(m, m)}" for g in ctx.order_groups(shown["human_group"])
                     for m in ("definitely", "definitely_or_probably", *sorted(set(shown["measure"]) - set(names)))]
            preview, fmt = rho_pivot(ctx, shown, ["model"], pd.Series(col, index=shown.index), order)
        else:
            preview, fmt = None, {}
        sec.tables.append(TableOut(f"{task.slug}_alignment", ctx.by_model(adf[cols], ["setting", "context",
                                                                                       "measure", "human_group"]),
                                   f"{task.name} alignment: Spearman's rho [confidence interval] between the model's and the "
                                   "human group's shares over the (conflict, side) points, pooled over contexts, "
                                   "per human group and measure. The CSV has p-values and every setting.",
                                   formats={"spearman_rho": "f2", "ci_low": "f2", "ci_high": "f2", "p_value": "p",
                                            "n_points": "int", **fmt}, preview=preview))
    else:
        sec.notes.append(f"No alignment table for task {task.name}: {res.note or 'no rows for it'}.")
    return sec


FIVE = ["definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"]
#: The five-point scale in the colours of the trade-off bars (PuOr), undecided grey.
FIVE_COLOURS = {"definitely_a": "#b35806", "probably_a": "#fdb863", "undecided": "#cfcfcf",
                "probably_b": "#b2abd2", "definitely_b": "#542788"}


def _t3_distribution(ctx: ReportContext, task: Task, sec: Section, conflicts: list[tuple[str, str]]) -> None:
    """Representativeness heatmap, five-point bars for one conflict and the distribution table."""
    res = ctx.wh.table("t3_distribution_similarity", ["model", "value_a", "value_b", "human_group",
                                                      "representativeness"])
    if not res.ok:
        sec.notes.append(f"No data for the {task.name} distribution similarity: {res.note}.")
        return
    df = one_setting(task_rows(res.df.drop(columns=[c for c in ("study",) if c in res.df]), task))
    df = df[df["human_group"].isin(ctx.groups)]
    if df.empty:
        sec.notes.append(f"No data for the {task.name} distribution similarity: no rows for the declared groups.")
        return
    df = df.assign(conflict=df["value_a"].astype(str) + " vs " + df["value_b"].astype(str))
    known = [f"{a} vs {b}" for a, b in conflicts]
    order = [c for c in known if c in set(df["conflict"])] + sorted(set(df["conflict"]) - set(known))
    models = ctx.order(df["model"])
    groups = ctx.order_groups(df["human_group"])
    panels = {}
    for g in groups:
        m = df[df["human_group"] == g].pivot_table(index="model", columns="conflict", values="representativeness",
                                                   aggfunc="mean", dropna=False)
        panels[f"vs {ctx.group_short(g)}"] = m.reindex(index=models, columns=order).set_axis(
            ctx.labels(models), axis=0)
    svg = figures.heatmap_grid(
        f"{task.slug}_representativeness", panels, f"{task.name}: representativeness of each model's five-point answers (1 − W1/W1max)",
        "Representativeness (1 = identical)", xlabel="Conflict (first value vs second)",
        fmt=figures.two, ncols=2)
    sec.add_figure(f"{task.slug}_representativeness", svg,
                   "One panel per human group, one cell per model and conflict: 1 − W1/W1max, where W1 is the "
                   "earth mover's distance between the model's distribution over the five answers (definitely / "
                   "probably the first value, undecided, probably / definitely the second) and the group's, and "
                   "W1max = 4 its largest value (OpinionQA, Santurkar et al. 2023). 1 = the same distribution; "
                   "it stays high when the model leans the same way with a different strength. Model answers pool "
                   "both question directions and all contexts; refusals and invalid answers are left out (their "
                   f"shares are in the table below).{sim_note(ctx)}")
    _t3_five_point(ctx, task, sec, df, models, groups)
    # The page: one row per model and conflict, the similarity to each group side by side.
    keys = ["model", "conflict"]
    # groupby/unstack, not pivot_table: a conflict the model only refused keeps its row (empty cells).
    stats = [c for c in ("representativeness", "js_similarity") if c in df]
    wide = df.groupby(keys + ["human_group"], sort=False)[stats].first().unstack("human_group")
    wide.columns = [f"{'JS similarity' if stat == 'js_similarity' else 'representativeness'}, {ctx.group_short(g)}"
                    for stat, g in wide.columns]
    wide = wide[[c for stat in ("representativeness", "JS similarity") for g in groups
                 for c in [f"{stat}, {ctx.group_short(g)}"] if c in wide.columns]].reset_index()
    extra = [c for c in ("refusal_share", "invalid_share", "n_answers") if c in df]
    if extra:
        wide = wide.merge(df.groupby(keys, as_index=False)[extra].first(), on=keys, how="left")
    rank = {c: i for i, c in enumerate(order)}
    preview = ctx.by_model(wide.assign(_c=wide["conflict"].map(rank)), ["_c"]).drop(columns="_c")
    table = ctx.by_model(df.assign(_c=df["conflict"].map(rank)), ["_c", "human_group"]).drop(columns="_c")
    fmt = {c: "f2" for c in preview.columns if c.startswith(("representativeness", "JS"))}
    fmt.update({"refusal_share": "pct", "invalid_share": "pct", "n_answers": "int", "representativeness": "f3",
                "js_similarity": "f3"})
    fmt.update({c: "pct" for c in table.columns if c.startswith(("model_", "human_"))})
    fmt.update({c: "int" for c in ("n_mapped", "n_refusals", "n_invalid") if c in table})
    sec.tables.append(TableOut(
        f"{task.slug}_distribution_similarity", table,
        "Per model and conflict: representativeness (1 − W1/W1max) and Jensen-Shannon similarity (1 − JS "
        "distance, GlobalOpinionQA, Durmus et al. 2023) against each human group, and the share of answers that "
        "were refusals or invalid (left out of the distribution). The CSV has both five-point distributions.",
        fmt, collapsed=True, preview=preview))


def _t3_five_point(ctx: ReportContext, task: Task, sec: Section, df: pd.DataFrame, models: list[str], groups: list[str]) -> None:
    """Stacked five-point bars, models and human groups, for the conflict least like the humans."""
    m_cols = [f"model_{k}" for k in FIVE]
    h_cols = [f"human_{k}" for k in FIVE]
    if not set(m_cols + h_cols) <= set(df.columns) or df["representativeness"].isna().all():
        return
    conflict = df.groupby("conflict")["representativeness"].mean().idxmin()
    one = df[df["conflict"] == conflict]
    a, b = str(one["value_a"].iloc[0]), str(one["value_b"].iloc[0])
    rows, labels = [], []
    for m in models:
        r = one[one["model"] == m]
        if not r.empty and r[m_cols].notna().to_numpy().any():
            rows.append(r[m_cols].iloc[0].set_axis(FIVE))
            labels.append(ctx.label(m))
    n_models = len(rows)
    for g in groups:
        r = one[one["human_group"] == g]
        if not r.empty:
            rows.append(r[h_cols].iloc[0].set_axis(FIVE))
            labels.append(ctx.human_label(g))
    if not rows:
        return
    frame = pd.DataFrame(rows).astype(float).set_axis(labels, axis=0)
    names = {"definitely_a": f"definitely {a}", "probably_a": f"probably {a}", "undecided": "undecided",
             "probably_b": f"probably {b}", "definitely_b": f"definitely {b}"}
    svg = figures.stacked_shares(f"{task.slug}_five_point", frame, FIVE, FIVE_COLOURS,
                                 f"{task.name}: five-point answers, {a} vs {b}", "Share of mapped answers / respondents (%)",
                                 separator_after=n_models if n_models < len(frame) else None, labels=names)
    sec.add_figure(f"{task.slug}_five_point", svg,
                   f"The conflict with the lowest mean representativeness ({a} vs {b}): each model's distribution "
                   "over the five answers (pooled over both question directions and all contexts, refusals and "
                   "invalid answers left out) above the dashed line, the human groups' below. Numbers are "
                   f"percentages (shown from 7%).{sim_note(ctx)}")


def _t3_humans(ctx: ReportContext, task: Task, sec: Section) -> pd.DataFrame | None:
    """The declared groups' published answer distributions per conflict (the human_* columns of mart
    t3_distribution_similarity, oriented as the figures are) in the long layout, group in the model column."""
    cols = [f"human_{k}" for k in FIVE]
    res = ctx.wh.table("t3_distribution_similarity", ["value_a", "value_b", "human_group", *cols])
    df = task_rows(res.df, task) if res.ok else pd.DataFrame()
    if "human_group" in df:
        df = df[df["human_group"].isin(ctx.groups)]
    if df.empty:
        sec.notes.append(f"No human figures for task {task.name}: {res.note or 'no rows for the declared groups'}.")
        return None
    rows = []
    for r in df.drop_duplicates(["human_group", "value_a", "value_b"]).to_dict("records"):
        for tag, fav, other in (("a", r["value_a"], r["value_b"]), ("b", r["value_b"], r["value_a"])):
            d, p = r[f"human_definitely_{tag}"], r[f"human_probably_{tag}"]
            if pd.notna(d):
                rows.append(dict(model=r["human_group"], favoured=fav, other=other, measure="definitely", share=d))
                if pd.notna(p):
                    rows.append(dict(model=r["human_group"], favoured=fav, other=other,
                                     measure="definitely_or_probably", share=d + p))
    return pd.DataFrame(rows) if rows else None


def _t3_conflicts(long: pd.DataFrame, humans: pd.DataFrame | None) -> list[tuple[str, str]]:
    """Unordered conflicts, oriented as the human figures are (else as they first appear)."""
    seen: dict[frozenset, tuple[str, str]] = {}
    for src in ([humans] if humans is not None else []) + [long]:
        for fav, other in src[["favoured", "other"]].drop_duplicates().itertuples(index=False):
            seen.setdefault(frozenset((fav, other)), (fav, other))
    in_models = {frozenset(p) for p in long[["favoured", "other"]].itertuples(index=False)}
    return [p for k, p in seen.items() if k in in_models]
