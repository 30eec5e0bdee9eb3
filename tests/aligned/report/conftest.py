"""A small synthetic warehouse for the report tests: no dbt, no simulator.

``build_db`` writes the collector's real raw schema (collector.store.DDL)
plus mart and seed tables with the names and columns of the dbt project's
contracts, for three models of which one is simulated: the task marts,
profile_fidelity, t3_distribution_similarity, selection_share_intervals,
usage and latency among them. ``parts="t1"`` builds only the T1 marts
(selection_shares, selection_share_intervals, t1_human_alignment), to check
that a partial study still reports.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from collector import store

STUDY = "fixture_study"
MODELS = [("gpt-4o", "openai", False), ("claude-sonnet", "anthropic", False), ("sim-us-public", "simulated", True)]
VALUES = ["Safety", "Performance", "Privacy", "Accountability", "Transparency", "Social Good", "Fairness",
          "Sustainability", "Human Autonomy", "Dignity", "Inclusiveness", "Solidarity"]
T2_VALUES = ["Privacy", "Safety", "Performance", "Accountability", "Fairness", "Transparency", "Human Autonomy"]
T4_VALUES = ["Performance", "Safety", "Privacy", "Fairness", "Transparency", "Human Autonomy"]
CONTEXTS = ["medical", "banking", "marketing", "streaming"]
CONFLICTS = [("Fairness", "Performance"), ("Fairness", "Privacy"), ("Privacy", "Performance"),
             ("Safety", "Human Autonomy"), ("Safety", "Transparency")]
GROUPS = ["us_representative", "ai_practitioners"]
SETTINGS = ["original", "reversed", "shuffled"]
RUNS = 10
GROUP_LABELS = {"us_representative": "US sample", "ai_practitioners": "AI practitioners"}
CITATION = "Fixture survey, digitised for the tests."

#: The fixture study's experiment file as the database records it (raw.studies.experiment_text): the
#: report reads its tasks, contexts and declared groups in this order from it.
EXPERIMENT_TEXT = f"""
study: {STUDY}
contexts: {{{", ".join(f"{c}: text" for c in CONTEXTS)}}}
scales:
  importance:
    - {{key: not_at_all_important, label: not at all important}}
    - {{key: slightly_important, label: slightly important}}
    - {{key: important, label: important}}
    - {{key: very_important, label: very important}}
    - {{key: extremely_important, label: extremely important}}
  tradeoff:
    - {{key: definitely_a, label: "Definitely {{value_a}}"}}
    - {{key: probably_a, label: "Probably {{value_a}}"}}
    - {{key: undecided, label: Undecided}}
    - {{key: probably_b, label: "Probably {{value_b}}"}}
    - {{key: definitely_b, label: "Definitely {{value_b}}"}}
tasks:
  t1: {{kind: select, k: 5, values: [{", ".join(VALUES)}]}}
  t2: {{kind: rate, scale: importance, contexts: [{", ".join(CONTEXTS)}]}}
  t3: {{kind: tradeoff, scale: tradeoff, contexts: [{", ".join(CONTEXTS)}]}}
  t4: {{kind: rank, systems: {{{", ".join(f"{c}: {{system: s}}" for c in CONTEXTS)}}}}}
reference:
  citation: {CITATION}
  caveats: Read off bar charts.
  groups:
{chr(10).join(f"    {g}: {{label: {GROUP_LABELS[g]}, n: {607 if g == GROUPS[0] else 140}}}" for g in GROUPS)}
  files: [fixture.reference.csv]
"""


def _put(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    con.register("_df", df)
    con.execute(f"create table {table} as select * from _df")
    con.unregister("_df")


def _raw(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> None:
    con.execute(store.DDL)
    t0 = datetime(2025, 11, 20, 12, 0, 0)
    con.execute("insert into raw.studies (study, description, experiment_text, design_hash, replicates, "
                "recorded_at, collector_version) values (?, ?, ?, 'h', ?, ?, '0.1.0')",
                [STUDY, "fixture", EXPERIMENT_TEXT, RUNS, t0])
    for k, (m, provider, sim) in enumerate(MODELS):
        con.execute("insert into raw.models values (?, ?, ?, ?, null, ?, ?)",
                    [STUDY, m, provider, m, sim, t0 + timedelta(seconds=k)])
    items = [("t1", "t1", "select", None)] + [(f"t2/{c}/{v}", "t2", "rate", c) for c in CONTEXTS for v in T2_VALUES]
    for item, task, kind, ctx in items:
        con.execute("insert into raw.items (study, item, task, task_kind, context, n_options, prompt_template) "
                    "values (?, ?, ?, ?, ?, 5, 'p')", [STUDY, item, task, kind, ctx])
    con.execute("insert into raw.settings values (?, 't1', 'original', 'fixed', 'names'), "
                "(?, 't2', 'original', 'shuffled', 'names')", [STUDY, STUDY])
    planned = con.execute("select * from raw.planned_requests").df()
    rows = []
    for i, r in enumerate(planned.itertuples()):
        if r.model == "claude-sonnet" and r.task == "t2" and r.replicate == RUNS:
            continue  # never answered: shows up as missing
        status = "failed" if (r.model == "gpt-4o" and i % 17 == 0) else "ok"
        rows.append(dict(
            response_id=f"r{i}", request_key=r.request_key, run_id="run1", study=STUDY, model=r.model,
            provider=dict((m, p) for m, p, _ in MODELS)[r.model], item=r.item, task=r.task, context=None if pd.isna(r.context) else r.context,
            setting=r.setting, replicate=int(r.replicate),
            response_text=None if status == "failed" else "Safety\nPrivacy\nFairness\nAccountability\nPerformance",
            status=status, error="HTTP 500: server error" if status == "failed" else None,
            attempts=3 if status == "failed" else 1, latency_ms=float(rng.gamma(4, 100)),
            prompt_tokens=120, completion_tokens=20, cost_usd=None if r.model == "sim-us-public" else 0.0005,
            completed_at=t0 + timedelta(seconds=i), collector_version="0.1.0"))
        if status == "failed" and i % 34 == 0:  # failed in run1, answered by a second collect run
            rows.append({**rows[-1], "response_id": f"r{i}b", "run_id": "run2", "status": "ok", "error": None,
                         "response_text": "Safety\nPrivacy\nFairness\nAccountability\nPerformance", "attempts": 2,
                         "latency_ms": 5000.0 + i, "completed_at": t0 + timedelta(days=1, seconds=i)})
    store.insert_responses(con, rows)


def _seeds(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> None:
    con.execute("create schema reference")
    t1 = pd.DataFrame([dict(group=g, value=v, share_selected=round(float(rng.uniform(0.1, 0.8)), 2),
                            n_respondents=516 if g == GROUPS[0] else 140) for g in GROUPS for v in VALUES])
    _put(con, "reference.human_t1_top5", t1)
    t2 = pd.DataFrame([dict(group=g, context=c, value=v,
                            share_extremely_important=round(float(rng.uniform(0.2, 0.8)), 2),
                            share_very_or_extremely_important=None if c != "all" else 0.9)
                       for g in GROUPS for c in CONTEXTS + ["all"] for v in T2_VALUES])
    _put(con, "reference.human_t2_importance", t2)
    t3 = []
    for g in GROUPS:
        for a, b in CONFLICTS:
            da, db = rng.uniform(0.05, 0.3, 2)
            t3.append(dict(group=g, value_a=b, value_b=a, share_definitely_a=round(da, 2),  # reversed orientation
                           share_definitely_or_probably_a=round(da + 0.15, 2), share_definitely_b=round(db, 2),
                           share_definitely_or_probably_b=round(db + 0.2, 2)))
    _put(con, "reference.human_t3_tradeoffs", pd.DataFrame(t3))
    # the marts the report reads them from: human_figures (long format, options keyed to the scale)
    figs = [dict(study=STUDY, human_group=r["group"], task="t1", context="all", value=r["value"], value_b=None,
                 options="", share=r["share_selected"], n_respondents=r["n_respondents"]) for _, r in t1.iterrows()]
    for _, r in t2.iterrows():
        figs.append(dict(study=STUDY, human_group=r["group"], task="t2", context=r["context"], value=r["value"],
                         value_b=None, options="extremely_important", share=r["share_extremely_important"],
                         n_respondents=None))
    _put(con, "main.human_figures", pd.DataFrame(figs))


def _t1_marts(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> None:
    shares = []
    for m, _, _ in MODELS:
        for s in SETTINGS:
            counts = rng.integers(0, RUNS + 1, len(VALUES))
            ranks = pd.Series(-counts).rank(method="min").astype(int)
            for v, c, rk in zip(VALUES, counts, ranks):
                shares.append(dict(study=STUDY, model=m, task="t1", task_kind="select", item="t1", context="general",
                                   setting=s, value=v, opponent=None, measure="selected", runs=RUNS, n_refusals=0,
                                   n_invalid=1 if m == "sim-us-public" else 0, selections=int(c),
                                   share=c / RUNS, rank=int(rk)))
    _put(con, "main.selection_shares", pd.DataFrame(shares))
    _put(con, "main.selection_share_intervals", con.execute(
        "select study, model, task, item, setting, value, measure, task_kind, context, runs, selections, share, "
        "greatest(0, share - 0.15) as ci_low, least(1, share + 0.1) as ci_high from main.selection_shares").df())
    align = [dict(study=STUDY, model=m, setting=s, human_group=g, spearman_rho=r, p_value=0.01,
                  ci_low=r - 0.2, ci_high=min(1.0, r + 0.2), jaccard_top5=0.67, jaccard_ci_low=0.43,
                  jaccard_ci_high=1.0, n_values=12, n_runs=RUNS)
             for m, _, _ in MODELS for s in SETTINGS for g in GROUPS
             for r in [float(rng.uniform(-0.2, 0.9))]]
    _put(con, "main.t1_human_alignment", pd.DataFrame(align))


def _other_marts(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> None:
    rows = []
    for (m, _, _), c, v in itertools.product(MODELS, CONTEXTS, T2_VALUES):
        ext = float(rng.uniform(0, 1))
        for measure, share in (("extremely", ext), ("very_or_extremely", min(1, ext + 0.2))):
            rows.append(dict(study=STUDY, model=m, task="t2", task_kind="rate", item=f"t2/{c}/{v}", context=c,
                             setting="original", value=v, opponent=None, measure=measure, runs=RUNS, n_refusals=0,
                             n_invalid=0, selections=round(share * RUNS), share=share, rank=None))
    con.register("_df", pd.DataFrame(rows))
    con.execute("insert into main.selection_shares by name select * from _df")
    con.unregister("_df")
    _put(con, "main.rating_positions", pd.DataFrame(
        [dict(study=STUDY, model=m, task="t2", setting="original", context=c, value=v, n_levels=5,
              is_pooled=c == "all", n_contexts=4 if c == "all" else 1, n=RUNS,
              mean_position=float(rng.uniform(1, 5)), sd_position=0.8, runs=RUNS, runs_all=RUNS)
         for (m, _, _), c, v in itertools.product(MODELS, CONTEXTS + ["all"], T2_VALUES)]))
    _put(con, "main.t2_human_alignment", pd.DataFrame(
        [dict(study=STUDY, model=m, setting="original", context=c, human_group=g, measure="extremely",
              spearman_rho=r, p_value=0.2, ci_low=r - 0.3, ci_high=min(1.0, r + 0.3), n_values=7)
         for (m, _, _), c, g in itertools.product(MODELS, CONTEXTS + ["all"], GROUPS)
         for r in [float(rng.uniform(-0.5, 0.9))]]))
    t3 = []
    for (m, _, _), c, (a, b) in itertools.product(MODELS, CONTEXTS + ["all"], CONFLICTS):
        da, db = rng.uniform(0, 0.4, 2)
        for side, d, dp in (("a", da, da + 0.1), ("b", db, db + 0.15)):
            for measure, share in (("definitely", d), ("definitely_or_probably", dp)):
                t3.append(dict(study=STUDY, model=m, setting="original", context=c, value_a=a, value_b=b,
                               side=side, favoured_value=a if side == "a" else b, measure=measure, share=share,
                               selections=round(share * 2 * RUNS), runs=2 * RUNS,
                               human_us_representative=0.3 if c == "all" else None,
                               human_ai_practitioners=0.4 if c == "all" else None))
    _put(con, "main.t3_tradeoff_shares", pd.DataFrame(t3))
    _put(con, "main.t3_human_alignment", pd.DataFrame(
        [dict(study=STUDY, model=m, setting="original", human_group=g, measure=ms, spearman_rho=0.5,
              p_value=0.04, ci_low=0.1, ci_high=0.8, n_points=10)
         for (m, _, _), g, ms in itertools.product(MODELS, GROUPS, ["definitely", "definitely_or_probably"])]))
    cons, story = [], []
    for (m, _, _), c in itertools.product(MODELS, CONTEXTS):
        t4 = rng.permutation(6) + 1
        implied = rng.permutation(6) + 1
        for v, a, b in zip(T4_VALUES, t4, implied):
            d = int(a - b)
            cons.append(dict(study=STUDY, model=m, context=c, value=v, story_id=v.lower(), mean_rank=a + 0.3,
                             t2_share_extremely=0.5, t2_share_very_or_extremely=0.8, t4_rank=float(a),
                             implied_rank=float(b), diff=float(d),
                             label="aligned" if d == 0 else "almost" if abs(d) <= 2 else "misaligned"))
            story.append(dict(study=STUDY, model=m, context=c, story_id=v.lower(), task="t4", item=f"t4/{c}",
                              setting="original", value=v, n_answers=RUNS, n_refusals=0, n_invalid=0, n_runs=RUNS,
                              mean_rank=a + 0.3, sd_rank=1.1, rank=float(a)))
    cons_df = pd.DataFrame(cons)
    _put(con, "main.t4_consistency", cons_df)
    _put(con, "main.t4_story_ranks", pd.DataFrame(story))
    summ = []
    for m, g in [*cons_df.groupby("model"), ("all", cons_df)]:
        n = {k: int((g["label"] == k).sum()) for k in ("aligned", "almost", "misaligned")}
        summ.append(dict(study=STUDY, model=m, n_comparisons=len(g), n_aligned=n["aligned"], n_almost=n["almost"],
                         n_misaligned=n["misaligned"], share_aligned=n["aligned"] / len(g),
                         share_almost=n["almost"] / len(g), share_misaligned=n["misaligned"] / len(g),
                         share_aligned_or_almost=(n["aligned"] + n["almost"]) / len(g)))
    _put(con, "main.t4_consistency_summary", pd.DataFrame(summ))
    _put(con, "main.t1_robustness", pd.DataFrame(
        [dict(study=STUDY, model=m, settings_compared="original,reversed,shuffled", n_settings=3, n_runs=RUNS,
              count_stdev=float(rng.uniform(0, 4)), top5_jaccard=j, majority_jaccard=j - 0.1, group=g)
         for (m, _, _), j, g in zip(MODELS, [0.9, 0.6, 0.3], ["high", "medium", "low"])]))
    sim = []
    for task, setting, ctxs, measure in (("t1", "original", ["general"], "selected"),
                                         ("t1", "reversed", ["general"], "selected"),
                                         ("t2", "original", CONTEXTS + ["all"], "extremely")):
        for c in ctxs:
            for (a, _, _), (b, _, _) in itertools.product(MODELS, MODELS):
                sim.append(dict(study=STUDY, task=task, setting=setting, context=c, measure=measure, model_a=a,
                                model_b=b, spearman_rho=1.0 if a == b else float(rng.uniform(-0.5, 1)),
                                p_value=0.1, n_values=12 if task == "t1" else 7))
    _put(con, "main.model_similarity", pd.DataFrame(sim))
    _profile_fidelity(con, rng)
    _t3_distribution(con, rng)
    answers = con.execute(
        "select r.response_id, r.request_key, r.study, r.model, r.task, i.task_kind, r.item, r.context, r.setting, "
        "r.replicate, s.status = 'mapped' as _m, s.status, "
        "case when s.status = 'mapped' then 1 end as position, "
        "case when s.status = 'mapped' then 'Safety' end as choice, 'Safety' as value, "
        "case when s.status = 'mapped' then 'exact' else s.status end as match_method, "
        "case when s.status = 'invalid' then 'no_match' end as invalid_reason, "
        "(r.model = 'gpt-4o' and r.replicate = 3) as is_truncated, "
        "case when s.status = 'refusal' then 'I cannot <b>rank</b> these values, see https://example.org' "
        "     when s.status = 'invalid' then 'Something else entirely' else r.response_text end as raw_text "
        "from raw.responses r join raw.items i using (study, item), "
        "lateral (select case when r.replicate = 1 and r.model = 'sim-us-public' then 'refusal' "
        "     when r.replicate = 2 and r.model = 'sim-us-public' then 'invalid' else 'mapped' end as status) s "
        "where r.status = 'ok'").df().drop(columns="_m")
    _put(con, "main.answers", answers)
    _put(con, "main.unmapped_answers", con.execute(
        "select response_id, request_key, study, model, task, task_kind, item, context, setting, replicate, "
        "invalid_reason, ['a', 'b'] as labels_shown, raw_text from main.answers where status = 'invalid'").df())
    _put(con, "main.response_status", con.execute(
        "with p as (select study, model, task, count(*) as n_planned from raw.planned_requests group by all), "
        "k as (select study, model, task, request_key, bool_or(status = 'ok') as ok, count(*) as n "
        "      from raw.responses group by all), "
        "a as (select study, model, task, count(distinct response_id) filter (status = 'mapped') as n_mapped, "
        "      count(distinct response_id) filter (status = 'refusal') as n_refusal, "
        "      count(distinct response_id) filter (status = 'invalid') as n_invalid from main.answers group by all) "
        "select p.study, p.model, p.task, p.n_planned, count(*) filter (k.ok) as n_ok, "
        "count(*) filter (not k.ok) as n_failed, p.n_planned - count(k.request_key) as n_pending, "
        "0 as n_recovered, 0 as n_unplanned_ok, coalesce(sum(k.n), 0) as n_response_rows, "
        "any_value(a.n_mapped) as n_mapped, any_value(a.n_refusal) as n_refusal, any_value(a.n_invalid) as n_invalid, "
        "any_value(a.n_refusal) / (count(*) filter (k.ok)) as refusal_share, "
        "any_value(a.n_invalid) / (count(*) filter (k.ok)) as invalid_share, "
        "(count(*) filter (k.ok)) / p.n_planned as completion_share "
        "from p left join k using (study, model, task) left join a using (study, model, task) "
        "group by p.study, p.model, p.task, p.n_planned").df())


def _profile_fidelity(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> None:
    rows = []
    specs = [("t1", "select", ["general"], "selected", 12), ("t2", "rate", CONTEXTS + ["all"], "extremely", 7),
             ("t3", "tradeoff", ["all"], "definitely_or_probably", 10)]
    for (m, _, _), (task, kind, contexts, measure, n), g in itertools.product(MODELS, specs, GROUPS):
        for c in contexts:
            rho, ccc = float(rng.uniform(-0.5, 1)), float(rng.uniform(-0.3, 0.9))
            # one slope far off the axis (clipped, marked by a triangle), one undefined interval
            slope = 6.5 if (m == "claude-sonnet" and task == "t2") else float(rng.uniform(-1, 2.5))
            ci = None if (m == "sim-us-public" and task == "t3") else 0.2
            rows.append(dict(
                study=STUDY, model=m, task=task, context=c, human_group=g, task_kind=kind, setting="original",
                measure=measure, spearman_rho=rho, spearman_rho_ci_low=rho - 0.2, spearman_rho_ci_high=min(1, rho + 0.1),
                slope=slope, slope_ci_low=None if ci is None else slope - 0.5,
                slope_ci_high=None if ci is None else slope + 0.4, lins_ccc=ccc,
                lins_ccc_ci_low=None if ci is None else ccc - ci, lins_ccc_ci_high=None if ci is None else min(1, ccc + ci),
                model_mean=0.4, human_mean=0.42, n_values=n, n_replicates=RUNS))
    _put(con, "main.profile_fidelity", pd.DataFrame(rows))


def _t3_distribution(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> None:
    human = con.execute("select * from reference.human_t3_tradeoffs").df()
    rows = []
    for (m, _, _), h in itertools.product(MODELS, human.to_dict("records")):
        p = rng.dirichlet(np.ones(5))
        hh = [h["share_definitely_a"], h["share_definitely_or_probably_a"] - h["share_definitely_a"],
              1 - h["share_definitely_or_probably_a"] - h["share_definitely_or_probably_b"],
              h["share_definitely_or_probably_b"] - h["share_definitely_b"], h["share_definitely_b"]]
        none = m == "claude-sonnet" and h["value_a"] == "Performance"  # every answer refused (two conflicts)
        n_ref = 2 * RUNS if none else 1
        rows.append(dict(
            study=STUDY, model=m, setting="original", value_a=h["value_a"], value_b=h["value_b"], human_group=h["group"],
            n_answers=2 * RUNS, n_mapped=0 if none else 2 * RUNS - 1, n_refusals=n_ref, n_invalid=0,
            refusal_share=n_ref / (2 * RUNS), invalid_share=0.0,
            **{f"model_{k}": None if none else float(v) for k, v in zip(
                ["definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"], p)},
            **{f"human_{k}": max(0.0, float(v)) for k, v in zip(
                ["definitely_a", "probably_a", "undecided", "probably_b", "definitely_b"], hh)},
            representativeness=None if none else float(rng.uniform(0.3, 0.95)),
            js_similarity=None if none else float(rng.uniform(0.2, 0.9))))
    _put(con, "main.t3_distribution_similarity", pd.DataFrame(rows))


def _usage_marts(con: duckdb.DuckDBPyConnection) -> None:
    """usage and latency as the dbt models define them: every row for requests and attempts, the answer
    of record (latest ok row per request, by anti-join) for tokens, cost and latency."""
    record = ("(select * from raw.responses o where status = 'ok' and not exists (select 1 from raw.responses l "
              "where l.status = 'ok' and l.request_key = o.request_key and (l.completed_at > o.completed_at or "
              "(l.completed_at = o.completed_at and l.response_id > o.response_id))))")
    _put(con, "main.usage", con.execute(
        "with k as (select study, model, task, request_key, max(case when status = 'ok' then 1 else 0 end) as has_ok, "
        "count(*) as n_rows, sum(attempts) as n_attempts from raw.responses group by all), "
        "r as (select study, model, task, count(*) as requests, sum(has_ok) as ok, sum(1 - has_ok) as failed, "
        "sum(n_rows) as response_rows, sum(n_attempts) as attempts from k group by all), "
        f"t as (select study, model, task, sum(prompt_tokens) as prompt_tokens, "
        f"sum(completion_tokens) as completion_tokens, sum(cost_usd) as cost_usd from {record} group by all) "
        "select r.study, r.model, r.task, requests, ok, failed, response_rows, attempts, attempts - requests as retries, "
        "prompt_tokens, completion_tokens, cost_usd from r left join t using (study, model, task)").df())
    _put(con, "main.latency", con.execute(
        "select study, model, count(*) as n_ok, count(latency_ms) as n_timed, "
        "quantile_cont(latency_ms, 0.5) as p50_latency_ms, quantile_cont(latency_ms, 0.9) as p90_latency_ms, "
        "quantile_cont(latency_ms, 0.99) as p99_latency_ms, avg(latency_ms) as mean_latency_ms, "
        f"max(latency_ms) as max_latency_ms from {record} group by all").df())


def _study_marts(con: duckdb.DuckDBPyConnection) -> None:
    """study_summary and study_models as the dbt models define them (design, collection span, labels)."""
    _put(con, "main.study_summary", con.execute(
        "select s.study, s.description, s.experiment_text, s.replicates, s.design_hash, s.collector_version as design_collector_version, "
        "s.recorded_at, min(coalesce(r.requested_at, r.completed_at)) as first_requested_at, "
        "max(r.completed_at) as last_completed_at, count(r.response_id) as n_response_rows, "
        "min(r.collector_version) as min_collector_version, max(r.collector_version) as max_collector_version, "
        "'all' as pooled_context_label, 'general' as no_context_label "
        "from raw.studies s left join raw.responses r using (study) group by all").df())
    _put(con, "main.study_models", con.execute(
        "select study, model, provider, provider_model, is_simulated, added_at from raw.models").df())
    _put(con, "main.human_groups", pd.DataFrame(
        [dict(study=STUDY, human_group=g, label=GROUP_LABELS[g], n_respondents=607 if g == GROUPS[0] else 140,
              citation=CITATION, caveats="Read off bar charts.") for g in GROUPS]))
    _put(con, "main.published_figures", pd.DataFrame(
        [dict(study=STUDY, task="t4", statistic="share_aligned_or_almost", value=0.78, n=192,
              text="The fixture paper reports 78% of 192 comparisons aligned or almost aligned.")]))


def build_db(path: Path, parts: str = "all") -> Path:
    rng = np.random.default_rng(7)
    con = duckdb.connect(str(path))
    try:
        _raw(con, rng)
        _seeds(con, rng)
        _study_marts(con)
        _t1_marts(con, rng)
        if parts == "all":
            _other_marts(con, rng)
            _usage_marts(con)
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def full_db(tmp_path_factory) -> Path:
    return build_db(tmp_path_factory.mktemp("full") / "full.duckdb")


@pytest.fixture(scope="session")
def t1_db(tmp_path_factory) -> Path:
    return build_db(tmp_path_factory.mktemp("t1") / "t1.duckdb", parts="t1")
