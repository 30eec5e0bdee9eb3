"""write_report against the synthetic warehouse of conftest.py: page, files, labels, partial studies."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from collector.errors import UserError
from aligned.report import write_report
from aligned.report.style import SIM_SUFFIX

FIGURES = {
    "t1-selection": ["t1_selection_heatmap", "t1_selection_intervals"],
    "t1-alignment": ["t1_alignment"],
    "t2-rating": ["t2_rating_heatmaps", "t2_rating_positions"],
    "t3-tradeoffs": ["t3_tradeoff_bars", "t3_representativeness", "t3_five_point"],
    "t4-ranking": ["t4_mean_rank", "t4_rank_difference", "t4_consistency_shares"],
    "model-similarity": ["model_similarity"],
    "robustness": ["t1_robustness"],
    "profile-fidelity": ["profile_fidelity_t1", "profile_fidelity_t2", "profile_fidelity_t3"],
}
TABLES = {
    "models": ["model", "kind", "provider", "provider_model"],
    "t1_selection_shares": ["row", "source", "Safety", "Solidarity"],
    "t1_alignment": ["model", "setting", "human_group", "spearman_rho", "ci_low", "ci_high", "p_value",
                     "jaccard_top5"],
    "t2_rating_shares": ["context", "row", "source", "Privacy", "Human Autonomy"],
    "t2_alignment": ["model", "context", "human_group", "measure", "spearman_rho", "p_value"],
    "t3_tradeoff_shares": ["row", "source", "value_a", "value_b", "def_a", "prob_a", "def_b", "prob_b"],
    "t3_alignment": ["model", "human_group", "measure", "spearman_rho"],
    "t4_consistency_summary": ["model", "n_comparisons", "share_aligned_or_almost"],
    "t4_consistency": ["model", "context", "value", "t4_rank", "implied_rank", "diff", "label"],
    "t4_story_ranks": ["model", "context", "story_id", "mean_rank"],
    "model_similarity": ["task", "context", "model_a", "model_b", "spearman_rho"],
    "t1_robustness": ["model", "count_stdev", "top5_jaccard", "group"],
    "request_status": ["model", "task", "n_planned", "n_ok", "n_failed", "n_pending", "n_refusal", "n_invalid"],
    "unmapped_answers": ["model", "task", "item", "status", "raw_text"],
    "usage_latency": ["model", "requests", "ok", "failed", "attempts", "retries", "prompt_tokens",
                      "completion_tokens", "cost_usd", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms",
                      "latency_max_ms"],
    "usage": ["model", "task", "requests", "retries", "prompt_tokens", "cost_usd"],
    "t1_selection_intervals": ["model", "value", "share", "ci_low", "ci_high", "human_us_representative",
                               "human_ai_practitioners"],
    "t3_distribution_similarity": ["model", "value_a", "value_b", "conflict", "human_group", "representativeness",
                                   "js_similarity", "refusal_share", "model_definitely_a", "human_definitely_b"],
    "profile_fidelity": ["model", "task", "context", "human_group", "spearman_rho", "slope", "slope_ci_low",
                         "lins_ccc", "lins_ccc_ci_low", "lins_ccc_ci_high", "n_values", "n_replicates"],
}


class _Page(HTMLParser):
    """Collects ids, src/href attributes and which <svg>/<table> sits in which section."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.section: str | None = None
        self.svgs: dict[str, list[str]] = {}
        self.tables: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("src", "href", "xlink:href", "action", "data"):
            if a.get(key):
                self.links.append(a[key])
        if tag == "section":
            self.section = a.get("id")
        if tag == "svg" and a.get("id", "").startswith("svg-"):
            self.svgs.setdefault(self.section, []).append(a["id"][4:])
        if tag == "table":
            self.tables.append(a.get("id", "")[4:])


@pytest.fixture(scope="module")
def full_report(full_db: Path, tmp_path_factory) -> tuple[Path, str, _Page]:
    out = tmp_path_factory.mktemp("report")
    path = write_report(full_db, out)
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return path, html, page


@pytest.fixture(scope="module")
def partial_report(full_report, t1_db: Path, tmp_path_factory) -> tuple[Path, str, _Page]:
    """The T1-only study reported into a folder where the full study reported before."""
    out = tmp_path_factory.mktemp("partial")
    shutil.copytree(full_report[0].parent, out, dirs_exist_ok=True)
    (out / "figures" / "mine.svg").write_text("<svg/>")  # not the report's: must survive
    path = write_report(t1_db, out)
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return path, html, page


def test_writes_report_html_in_out_dir(full_report):
    path, html, _ = full_report
    assert path.name == "report.html" and path.exists()
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html


def test_every_figure_is_inline_svg_in_its_section(full_report):
    _, _, page = full_report
    for section, names in FIGURES.items():
        assert section in page.ids
        assert page.svgs.get(section) == names, section
        for name in names:
            assert f"fig-{name}" in page.ids


def test_every_table_is_in_the_page(full_report):
    _, _, page = full_report
    assert set(TABLES) <= set(page.tables)


def test_no_external_urls(full_report):
    _, html, page = full_report
    external = [u for u in page.links if re.match(r"(?i)^(https?:)?//", u)]
    assert external == []
    assert not [u for u in page.links if u.startswith("data:")]  # figures are vector shapes, not images
    # Nothing the browser would fetch: no <link>, <script src>, <img>, @import or url(http...).
    assert not re.search(r"(?i)<(link|script|img|iframe)\b", html)
    assert not re.search(r"(?i)@import|url\(\s*['\"]?https?:", html)
    # Relative links point at files the report wrote.
    for u in page.links:
        if not u.startswith("#"):
            assert (full_report[0].parent / u).exists(), u


def test_internal_anchors_resolve(full_report):
    _, _, page = full_report
    for u in page.links:
        if u.startswith("#"):
            assert u[1:] in page.ids, u


def test_figure_and_table_files_written(full_report):
    path, _, _ = full_report
    for names in FIGURES.values():
        for name in names:
            svg = (path.parent / "figures" / f"{name}.svg").read_text(encoding="utf-8")
            assert "<svg" in svg and "</svg>" in svg
    for name, columns in TABLES.items():
        df = pd.read_csv(path.parent / "tables" / f"{name}.csv")
        assert set(columns) <= set(df.columns), (name, sorted(df.columns))
        assert len(df) > 0, name


def test_csv_holds_raw_values_not_formatted_text(full_report):
    path, _, _ = full_report
    df = pd.read_csv(path.parent / "tables" / "t1_alignment.csv")
    assert pd.api.types.is_float_dtype(df["spearman_rho"])
    shares = pd.read_csv(path.parent / "tables" / "t1_selection_shares.csv")
    assert shares["Safety"].between(0, 1).all()
    assert list(shares["source"]).count("human reference") == 2


def test_simulated_models_are_labelled(full_report):
    path, html, _ = full_report
    assert "simulated (synthetic respondents, not an LLM)" in html
    assert f"sim-us-public{SIM_SUFFIX}" in html
    assert f"gpt-4o{SIM_SUFFIX}" not in html
    models = pd.read_csv(path.parent / "tables" / "models.csv")
    kinds = dict(zip(models["model"], models["kind"]))
    assert kinds["sim-us-public (sim)"] == "simulated (synthetic respondents, not an LLM)"
    assert kinds["gpt-4o"] == "LLM"
    heatmap = (path.parent / "figures" / "t1_selection_heatmap.svg").read_text(encoding="utf-8")
    assert "sim-us-public (sim)" in heatmap and "Humans: US sample" in heatmap


def test_header_facts(full_report):
    _, html, _ = full_report
    for text in ("fixture_study", "Replicates", "Collector version", "Data collected", "0.1.0"):
        assert text in html


def test_model_text_is_escaped(full_report):
    _, html, _ = full_report
    assert "<b>rank</b>" not in html
    assert "&lt;b&gt;rank&lt;/b&gt;" in html


def test_t4_headline_uses_the_pooled_summary(full_db, full_report):
    _, html, _ = full_report
    con = duckdb.connect(str(full_db), read_only=True)
    share, n = con.execute("select share_aligned_or_almost, n_comparisons from t4_consistency_summary "
                           "where model = 'all'").fetchone()
    con.close()
    assert f"{100 * share:.0f}% of {n:,} comparisons" in html


def test_svg_ids_are_unique_in_the_page(full_report):
    _, html, _ = full_report
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_partial_study_reports_with_no_data_notes(partial_report):
    path, html, page = partial_report
    assert page.svgs.get("t1-selection") == ["t1_selection_heatmap", "t1_selection_intervals"]
    assert page.svgs.get("t1-alignment") == ["t1_alignment"]
    assert "robustness" not in page.ids  # an analysis the study has no rows for is left out, not empty
    for section in ("t2-rating", "t3-tradeoffs", "t4-ranking", "model-similarity", "profile-fidelity"):
        assert section in page.ids
        assert section not in page.svgs
        block = html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]
        assert 'class="note"' in block and "No data" in block, section
    assert sorted(p.stem for p in (path.parent / "figures").glob("*.svg")) == [
        "mine", "t1_alignment", "t1_selection_heatmap", "t1_selection_intervals"]
    # no mart, no figures: nothing is recomputed from the raw tables in its place
    assert "request_status" not in page.tables and "usage_latency" not in page.tables
    quality = html.split('<section id="data-quality">', 1)[1].split("</section>", 1)[0]
    assert "No request status: table response_status is not in the database" in quality


def test_empty_marts_say_no_rows(full_db, tmp_path):
    db = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"attach '{full_db}' as src (read_only)")
    for schema in ("raw", "reference"):
        con.execute(f"create schema {schema}")
    for schema, name in con.execute("select table_schema, table_name from information_schema.tables "
                                    "where table_catalog = 'src'").fetchall():
        keep = schema != "main" or name in ("t1_human_alignment", "study_summary", "study_models", "human_groups")
        con.execute(f"create table {schema}.{name} as select * from src.{schema}.{name} "
                    f"{'' if keep else 'limit 0'}")
    con.close()
    html = write_report(db, tmp_path / "out").read_text()
    assert "t4_consistency has no rows for study fixture_study" in html
    assert "selection_shares has no rows for study fixture_study" in html
    assert 'id="svg-t1_alignment"' in html


def test_unknown_study_is_a_user_error(full_db, tmp_path):
    with pytest.raises(UserError, match="no study 'nope'"):
        write_report(full_db, tmp_path, study="nope")


def test_missing_database_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no such database"):
        write_report(tmp_path / "missing.duckdb", tmp_path / "out")


def test_rerun_removes_files_of_sections_that_lost_their_data(partial_report):
    out = partial_report[0].parent
    assert not (out / "figures" / "t3_tradeoff_bars.svg").exists()
    assert not (out / "tables" / "t4_consistency.csv").exists()
    assert (out / "figures" / "t1_selection_heatmap.svg").exists()
    assert (out / "figures" / "mine.svg").exists()


def _section(html: str, section: str) -> str:
    return html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]


def _page_table(html: str, name: str) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of one page table, as text."""
    block = html.split(f'<table id="tbl-{name}">', 1)[1].split("</table>", 1)[0]
    head = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", block)]
    rows = [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
            for r in re.findall(r"<tr>(.*?)</tr>", block.split("<tbody>", 1)[1])]
    return head, rows


def test_profile_fidelity_section(full_db, full_report):
    path, html, _ = full_report
    block = _section(html, "profile-fidelity")
    assert "Lin" in block and "human group" in block and "simulator" not in block
    con = duckdb.connect(str(full_db), read_only=True)
    n = con.execute("select count(*) from profile_fidelity").fetchone()[0]
    con.close()
    csv = pd.read_csv(path.parent / "tables" / "profile_fidelity.csv")
    assert len(csv) == n and set(csv["context"]) >= {"general", "all", "medical"}  # every row, T2 per context too
    head, rows = _page_table(html, "profile_fidelity")
    # columns by the tasks' own names and the groups' declared labels (mart human_groups)
    assert head == ["model", "t1 · US sample", "t1 · AI practitioners", "t2 all · US sample",
                    "t2 all · AI practitioners", "t3 · US sample", "t3 · AI practitioners"]
    assert [r[0] for r in rows] == ["gpt-4o", "claude-sonnet", "sim-us-public (sim)"]
    assert all(re.fullmatch(r"-?\d\.\d\d \[-?\d\.\d\d, -?\d\.\d\d\]", c) for c in rows[0][1:])
    assert re.fullmatch(r"-?\d\.\d\d", rows[2][-1])  # no interval in the mart: the CCC alone
    svg = (path.parent / "figures" / "profile_fidelity_t2.svg").read_text(encoding="utf-8")
    assert "Lin's CCC" in svg and "Slope" in svg and "sim-us-public (sim)" in svg and "mean over contexts" in svg


def test_t3_distribution_similarity(full_report):
    path, html, _ = full_report
    svg = (path.parent / "figures" / "t3_representativeness.svg").read_text(encoding="utf-8")
    # conflicts in the human figures' orientation, one panel per group
    assert "Performance vs Fairness" in svg and "vs US sample" in svg and "vs AI practitioners" in svg
    five = (path.parent / "figures" / "t3_five_point.svg").read_text(encoding="utf-8")
    assert "Humans: US sample" in five and "undecided" in five and "sim-us-public (sim)" in five
    csv = pd.read_csv(path.parent / "tables" / "t3_distribution_similarity.csv")
    assert len(csv) == 3 * 5 * 2 and csv["refusal_share"].between(0, 1).all()
    assert csv["representativeness"].isna().sum() == 2 * 2  # two conflicts a model only refused, per group
    head, rows = _page_table(html, "t3_distribution_similarity")
    assert {"representativeness, US sample", "JS similarity, AI practitioners", "refusal share"} <= set(head)
    assert len(rows) == 3 * 5


def test_t1_selection_intervals(full_report):
    path, _, _ = full_report
    csv = pd.read_csv(path.parent / "tables" / "t1_selection_intervals.csv")
    assert len(csv) == 3 * 12
    assert (csv["ci_low"] <= csv["share"]).all() and (csv["share"] <= csv["ci_high"]).all()
    assert csv["human_us_representative"].notna().all()


def test_usage_and_latency_come_from_the_marts(full_db, full_report):
    path, _, _ = full_report
    df = pd.read_csv(path.parent / "tables" / "usage_latency.csv").set_index("model")
    con = duckdb.connect(str(full_db), read_only=True)
    # Retries count every attempt beyond the first of each request, across collect runs.
    retries = con.execute("select sum(attempts) - count(distinct request_key) from raw.responses "
                          "where model = 'gpt-4o'").fetchone()[0]
    p50 = con.execute("select p50_latency_ms from latency where model = 'gpt-4o'").fetchone()[0]
    naive = con.execute("select quantile_cont(latency_ms, 0.5) from raw.responses where model = 'gpt-4o'").fetchone()[0]
    con.close()
    assert df.loc["gpt-4o", "retries"] == retries > 0
    assert df.loc["gpt-4o", "latency_p50_ms"] == pytest.approx(p50) and p50 != pytest.approx(naive)
    assert pd.isna(df.loc["sim-us-public (sim)", "cost_usd"]) and df.loc["gpt-4o", "cost_usd"] > 0
    assert df.loc["gpt-4o", "failed"] > 0


def test_missing_new_marts_say_no_data(full_db, full_report, tmp_path):
    """Without the newer marts (and with a profile_fidelity lacking interval columns) the sections still build;
    nothing is recomputed from raw tables in their place.

    Only the sections that read them are built, to keep the test fast; write_report over a partial
    database is covered above.
    """
    from aligned.report import fidelity, quality, select, tradeoff
    from aligned.report.context import ReportContext
    from aligned.report.data import Warehouse

    db = tmp_path / "old.duckdb"
    shutil.copy(full_db, db)
    con = duckdb.connect(str(db))
    for name in ("selection_share_intervals", "t3_distribution_similarity", "usage", "latency"):
        con.execute(f"drop table main.{name}")
    con.execute("create table main.pf as select study, model, task, context, human_group, lins_ccc, slope "
                "from main.profile_fidelity")
    con.execute("drop table main.profile_fidelity")
    con.execute("alter table main.pf rename to profile_fidelity")
    con.close()
    wh, con = Warehouse.open(db)
    try:
        ctx = ReportContext.load(wh)
        t1, t3 = ctx.task_of("t1"), ctx.task_of("t3")
        secs = {s.id: s for s in (select.selection(ctx, t1), tradeoff.t3_tradeoffs(ctx, t3), fidelity.fidelity(ctx),
                                  quality.data_quality(ctx))}
    finally:
        con.close()
    figs = {k: [f.name for f in s.figures] for k, s in secs.items()}
    notes = {k: " ".join(s.notes) for k, s in secs.items()}
    assert figs["t1-selection"] == ["t1_selection_heatmap"]
    assert "No data for the confidence intervals" in notes["t1-selection"]
    assert figs["t3-tradeoffs"] == ["t3_tradeoff_bars"]
    assert "No data for the t3 distribution similarity" in notes["t3-tradeoffs"]
    assert figs["profile-fidelity"] == FIGURES["profile-fidelity"]  # dots without bars
    assert all("<svg" in f.svg for f in secs["profile-fidelity"].figures)
    assert "No data for usage and latency" in notes["data-quality"]
    assert "usage_latency" not in {t.name for t in secs["data-quality"].tables}


def _variant(full_db: Path, tmp_path: Path, *sql: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "variant.duckdb"
    shutil.copy(full_db, db)
    con = duckdb.connect(str(db))
    for q in sql:
        con.execute(q)
    con.close()
    return db


def test_a_study_without_reference_has_no_human_rows_or_sections(full_db, tmp_path):
    db = _variant(full_db, tmp_path, "delete from main.human_groups")
    out = write_report(db, tmp_path / "out")
    html = out.read_text(encoding="utf-8")
    assert "No human figures were declared for this study" in html
    ids = set(re.findall(r'<section id="([^"]+)">', html))
    assert {"t1-selection", "t2-rating", "t3-tradeoffs", "t4-ranking"} <= ids
    assert not {"t1-alignment", "profile-fidelity"} & ids
    text = html + "".join(p.read_text() for p in (tmp_path / "out" / "figures").glob("*.svg"))
    assert "Humans:" not in text and "US sample" not in text and "Fixture survey" not in text
    shares = pd.read_csv(tmp_path / "out" / "tables" / "t1_selection_shares.csv")
    assert set(shares["source"]) == {"model", "simulated model"}


def test_failing_checks_put_a_banner_on_the_study(full_db, tmp_path):
    db = _variant(full_db, tmp_path,
                  "create table main.build_checks (study varchar, test varchar, resource_type varchar, "
                  "status varchar, failing_rows bigint, attributed boolean, message varchar, built_at timestamp)",
                  "insert into main.build_checks values ('fixture_study', 'assert_mapping_coverage', 'test', 'fail', "
                  "3, true, null, now()), ('fixture_study', 'unique_answers', 'test', 'pass', 0, true, null, now()), "
                  "('other_study', 'assert_x', 'test', 'fail', 1, true, null, now())")
    html = write_report(db, tmp_path / "out").read_text(encoding="utf-8")
    banner = " ".join(re.findall(r'<p class="banner">(.*?)</p>', html))
    assert "data test(s) of study fixture_study failing (assert_mapping_coverage)" in banner and "unique_answers" not in banner and "assert_x" not in banner
    clean = _variant(full_db, tmp_path / "clean", "create table main.build_checks as select 'fixture_study' as study, "
                     "'t' as test, 'pass' as status")
    assert "failing (" not in write_report(clean, tmp_path / "out2").read_text(encoding="utf-8")


def test_published_figures_only_where_declared(full_db, full_report, tmp_path):
    _, html, _ = full_report
    block = _section(html, "t4-ranking")
    con = duckdb.connect(str(full_db), read_only=True)
    share, n = con.execute("select share_aligned_or_almost, n_comparisons from main.t4_consistency_summary "
                           "where model = 'all'").fetchone()
    con.close()
    assert "The fixture paper reports 78% of 192 comparisons" in block
    assert f"Here: {100 * share:.0f}% of {n} comparisons" in block
    assert "78%" not in _section(html, "t1-selection")
    db = _variant(full_db, tmp_path, "update main.published_figures set statistic = 'odds_ratio'")
    block = _section(write_report(db, tmp_path / "out").read_text(encoding="utf-8"), "t4-ranking")
    assert "not compared" in block and "Here:" not in block
    none = _variant(full_db, tmp_path / "none", "delete from main.published_figures")
    assert "78%" not in write_report(none, tmp_path / "out3").read_text(encoding="utf-8")


def test_contexts_follow_the_design_not_the_alphabet(full_report):
    path, _, _ = full_report
    svg = (path.parent / "figures" / "t2_rating_heatmaps.svg").read_text(encoding="utf-8")
    where = [svg.find(f">{c}<") for c in ("medical", "banking", "marketing", "streaming")]
    assert all(w > 0 for w in where) and where == sorted(where)
