"""The study-declared human reference: the `reference:` block, its long CSV, and raw.reference_*."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from rich.console import Console

from aligned.cli import main
from collector import store
from collector.collect import CollectOptions, collect
from collector.config import DEFAULT_EXPERIMENT, load_experiment
from collector.errors import UserError
from collector.reference import load_reference, record_for_database, record_reference
from simulator import SimulatorThread

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "release-0.1.0.duckdb"
HEADER = "group,task,context,value,value_b,options,share,n\n"
#: a few figures of every kind the shipped design offers (they are test inputs, not the survey's)
GOOD_ROWS = [
    "us,t1,,Safety,,,0.7,500",
    "us,t2,medical,Privacy,,extremely_important,0.5,",
    "us,t2,,Privacy,,very_important+extremely_important,0.8,",
    "us,t3,,Performance,Privacy,definitely_a+probably_a,0.25,",
    "pro,t3,banking,Human Autonomy,Safety,definitely_b,0.3,",
]


def _study(tmp_path: Path, rows: list[str] | None = None, tasks: tuple[str, ...] | None = None,
           models: list[dict] | None = None, **reference) -> Path:
    """The shipped design in tmp_path with its own small reference (two groups, one CSV)."""
    data = yaml.safe_load(DEFAULT_EXPERIMENT.read_text())
    data["study"] = "refstudy"
    data["replicates"] = 1
    if tasks is not None:
        data["tasks"] = {k: v for k, v in data["tasks"].items() if k in tasks}
    if models is not None:
        data["models"] = models
    data["reference"] = {"citation": "Test figures, made up for this test.",
                         "groups": {"us": {"label": "US sample", "n": 600}, "pro": {"label": "Practitioners", "n": 140}},
                         "files": ["ref.csv"], **reference}
    (tmp_path / "ref.csv").write_text(HEADER + "\n".join(GOOD_ROWS if rows is None else rows) + "\n")
    p = tmp_path / "study.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return p


def _counts(db: Path) -> tuple[int, int, int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return tuple(con.execute(f"select count(*) from raw.reference_{t}").fetchone()[0]
                     for t in ("groups", "figures", "published")) + (
            con.execute("select count(distinct recorded_at) from raw.reference_groups").fetchone()[0],)


# ------------------------------------------------------------------ the shipped study
def test_shipped_reference_declares_provenance_and_the_published_t4_figure():
    exp = load_experiment()
    assert "10.1145/3531146.3533097" in exp.reference.citation and "Data.xlsx" in exp.reference.citation
    assert "bar charts" in exp.reference.caveats
    (pub,) = exp.reference.published
    assert (pub.task, pub.value, pub.n) == ("t4", 0.78, 192)


# ------------------------------------------------------------------ the loader
def test_loader_reads_rows_and_sorts_option_keys_by_the_scales_order(tmp_path):
    rows = GOOD_ROWS + ["pro,t2,,Safety,,extremely_important + very_important,0.9,"]
    ref = load_reference(load_experiment(_study(tmp_path, rows)))
    by = {(f.human_group, f.task, f.context, f.value, f.value_b): f for f in ref.figures}
    assert by[("pro", "t2", None, "Safety", None)].options == "very_important+extremely_important"
    assert by[("us", "t1", None, "Safety", None)].n_respondents == 500  # given
    assert by[("us", "t2", "medical", "Privacy", None)].n_respondents == 600  # empty: the group's n
    assert by[("us", "t1", None, "Safety", None)].options is None
    f = by[("pro", "t3", "banking", "Human Autonomy", "Safety")]  # either direction of a declared conflict
    assert f.source_file == "ref.csv"
    assert f.source_sha256 == hashlib.sha256((tmp_path / "ref.csv").read_bytes()).hexdigest()


def test_a_study_without_reference_loads_none(tmp_path):
    data = yaml.safe_load(DEFAULT_EXPERIMENT.read_text())
    del data["reference"]
    p = tmp_path / "x.yaml"
    p.write_text(yaml.safe_dump(data))
    assert load_reference(load_experiment(p)) is None


BAD_ROWS = [
    ("unknown group", "nobody,t1,,Safety,,,0.5,", "group 'nobody': not a group of reference.groups"),
    ("unknown task", "us,t9,,Safety,,,0.5,", "task 't9': not a task of the study"),
    ("unknown context", "us,t2,moon,Privacy,,extremely_important,0.5,", "context 'moon': not a context of task t2"),
    ("pooled label as a context", "us,t2,all,Privacy,,extremely_important,0.5,",
     "leave it empty for a figure pooled over contexts"),
    ("context on a select task", "us,t1,medical,Safety,,,0.5,", "context 'medical': not a context of task t1"),
    ("unknown value", "us,t1,,Honesty,,,0.5,", "value 'Honesty': not a value of task t1"),
    ("value not in the task", "us,t2,,Dignity,,extremely_important,0.5,", "value 'Dignity': not a value of task t2"),
    ("unknown option key", "us,t2,,Privacy,,super_important,0.5,",
     "options 'super_important': 'super_important' is not an option key of task t2's scale"),
    ("option key twice", "us,t2,,Privacy,,important+important,0.5,", "a key appears twice"),
    ("no options on a rate figure", "us,t2,,Privacy,,,0.5,", "a rate figure names the option(s) its share counts"),
    ("options on a select figure", "us,t1,,Safety,,extremely_important,0.5,", "a select figure names no options"),
    ("share above 1", "us,t1,,Safety,,,1.5,", "share '1.5': outside 0..1"),
    ("share below 0", "us,t1,,Safety,,,-0.1,", "share '-0.1': outside 0..1"),
    ("share not a number", "us,t1,,Safety,,,73%,", "share '73%': not a number"),
    ("share nan", "us,t1,,Safety,,,nan,", "share 'nan': outside 0..1"),
    ("n zero", "us,t1,,Safety,,,0.5,0", "n '0': must be more than 0"),
    ("n not whole", "us,t1,,Safety,,,0.5,12.5", "n '12.5': not a whole number"),
    ("trade-off without value_b", "us,t3,,Performance,,definitely_a,0.5,", "value_b '': a trade-off figure needs"),
    ("trade-off pair not a conflict", "us,t3,,Dignity,Privacy,definitely_a,0.5,", "value 'Dignity': not a value of task t3"),
    ("trade-off pair of known values, not declared", "us,t3,,Safety,Privacy,definitely_a,0.5,",
     "value_b 'Privacy': Safety vs Privacy is not a conflict of task t3"),
    ("value_b on a rate figure", "us,t2,,Privacy,Safety,extremely_important,0.5,",
     "value_b 'Safety': only trade-off figures name a second value"),
    ("duplicate", "us,t1,,Safety,,,0.6,", "the same figure (group, task, context, value, value_b, options) as"),
    ("duplicate up to option order", "us,t2,,Privacy,,extremely_important+very_important,0.6,",
     "the same figure (group, task, context, value, value_b, options) as"),
    ("wrong field count", "us,t1,,Safety,,,0.5,,extra", "fields, but the header has 8"),
]


@pytest.mark.parametrize("row, expected", [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_loader_refuses_a_bad_row_in_one_line_naming_file_line_and_column(tmp_path, row, expected):
    p = _study(tmp_path, GOOD_ROWS + [row])
    with pytest.raises(UserError) as err:
        load_reference(load_experiment(p))
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{tmp_path / 'ref.csv'}: line {len(GOOD_ROWS) + 2}: "), msg
    assert expected in msg, msg


@pytest.mark.parametrize("header, expected", [
    ("group,task,value,shares\n", "line 1: unknown column 'shares'"),
    ("group,task,value\n", "line 1: column 'share' is missing"),
    ("group,task,value,share,share\n", "line 1: column 'share' appears twice"),
    ("", "empty file"),
])
def test_loader_refuses_a_bad_header(tmp_path, header, expected):
    p = _study(tmp_path)
    (tmp_path / "ref.csv").write_text(header)
    with pytest.raises(UserError, match=expected):
        load_reference(load_experiment(p))


def test_loader_refuses_a_header_only_file_and_a_missing_file(tmp_path):
    p = _study(tmp_path, [])
    with pytest.raises(UserError, match="no figures, only a header"):
        load_reference(load_experiment(p))
    (tmp_path / "ref.csv").unlink()
    with pytest.raises(UserError, match=r"study\.yaml: reference\.files: 'ref\.csv' not found"):
        load_reference(load_experiment(p))


def test_optional_columns_may_be_left_out(tmp_path):
    p = _study(tmp_path)
    (tmp_path / "ref.csv").write_text("value,share,task,group\nSafety,0.5,t1,us\n")
    (f,) = load_reference(load_experiment(p)).figures
    assert (f.context, f.value_b, f.options, f.n_respondents) == (None, None, None, 600)


@pytest.mark.parametrize("reference, expected", [
    ({"groups": {"US sample": {"label": "x", "n": 5}}}, "reference.groups: Value error, group id 'US sample' must be "
                                                          "lower snake case"),
    ({"groups": {"us": {"label": "x", "n": 0}}}, "reference.groups.us.n: Input should be greater than 0"),
    ({"groups": {}}, "reference.groups: Dictionary should have at least 1 item"),
    ({"files": []}, "reference.files: Tuple should have at least 1 item"),
    ({"citation": ""}, "reference.citation: String should have at least 1 character"),
    ({"published": [{"task": "t9", "statistic": "x", "value": 0.5}]}, "reference.published[0].task: unknown task 't9'"),
    ({"colour": 1}, "reference.colour: unknown key"),
])
def test_the_reference_block_is_validated_with_the_experiment_file(tmp_path, reference, expected):
    p = _study(tmp_path, **reference)
    with pytest.raises(UserError) as err:
        load_experiment(p)
    assert f"{p}: {expected}".replace("Value error, ", "") in str(err.value)


def test_cli_prints_one_line_and_exits_2_on_a_bad_reference(tmp_path, capsys):
    p = _study(tmp_path, GOOD_ROWS + ["us,t1,,Safety,,,2,"])
    db = tmp_path / "r.duckdb"
    assert main(["reference", str(p), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{tmp_path / 'ref.csv'}: line 7: share '2': outside 0..1" in err
    assert not db.exists()  # nothing written


# ------------------------------------------------------------------ the database
def _recorded_db(p: Path) -> Path:
    """A database beside study file ``p`` holding its design (what `aligned reference` records into)."""
    from collector.design import Design
    db = p.parent / "r.duckdb"
    con = store.connect(db)
    try:
        store.init_schema(con)
        store.record_design(con, Design(load_experiment(p)), [])
    finally:
        con.close()
    return db


def test_an_unchanged_reference_writes_nothing_and_a_changed_one_appends_a_whole_load(tmp_path):
    p = _study(tmp_path, published=[{"task": "t4", "statistic": "share_x", "value": 0.5, "n": 10, "text": "t"}])
    db = _recorded_db(p)
    first = record_for_database(load_experiment(p), db)
    assert first.recorded and first.line() == "reference: 5 figures for 2 groups recorded for study refstudy"
    assert _counts(db) == (2, 5, 1, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        before = sorted(con.execute("select * from raw.reference_figures").fetchall(), key=str)

    again = record_for_database(load_experiment(p), db)
    assert not again.recorded and again.line() == "reference: unchanged (5 figures for 2 groups of study refstudy)"
    assert _counts(db) == (2, 5, 1, 1)

    # one share changed: a new load of every row; the first load stays as it was
    _study(tmp_path, [GOOD_ROWS[0].replace("0.7", "0.71")] + GOOD_ROWS[1:],
           published=[{"task": "t4", "statistic": "share_x", "value": 0.5, "n": 10, "text": "t"}])
    assert record_for_database(load_experiment(p), db).recorded
    assert _counts(db) == (4, 10, 2, 2)
    with duckdb.connect(str(db), read_only=True) as con:
        at = con.execute("select min(recorded_at), max(recorded_at) from raw.reference_figures").fetchone()
        old = sorted(con.execute("select * from raw.reference_figures where recorded_at = ?", [at[0]]).fetchall(),
                     key=str)
        latest = con.execute("select share from raw.reference_figures where recorded_at = ? and task = 't1'",
                             [at[1]]).fetchall()
    assert old == before
    assert latest == [(0.71,)]

    # a changed citation alone is a change too (provenance travels with the figures)
    data = yaml.safe_load(p.read_text())
    data["reference"]["citation"] = "Other provenance."
    p.write_text(yaml.safe_dump(data))
    assert record_for_database(load_experiment(p), db).recorded
    assert _counts(db)[3] == 3


def test_figures_belong_to_their_study(tmp_path):
    exp = load_experiment(_study(tmp_path))
    db = _recorded_db(Path(exp.source_path))
    other = exp.model_copy(update={"study": "other"})
    con = store.connect(db)
    try:
        record_reference(con, load_reference(exp))
        # the same figures under another study are that study's first load, not "unchanged"
        assert record_reference(con, load_reference(other)).recorded
        rows = con.execute("select study, count(*) from raw.reference_figures group by 1 order by 1").fetchall()
    finally:
        con.close()
    assert rows == [("other", 5), ("refstudy", 5)]


def test_reference_command_refuses_a_study_the_database_does_not_hold(tmp_path, capsys):
    p = _study(tmp_path)
    db = _recorded_db(p)
    assert main(["reference", str(p), "--db", str(db), "--study", "nope"]) == 2
    assert "study 'nope' is not in this database (it holds refstudy)" in capsys.readouterr().err
    assert _counts(db) == (0, 0, 0, 0)


def test_reference_command_migrates_a_release_0_1_0_file_and_records_the_shipped_figures(tmp_path, capsys):
    sha = hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    db = tmp_path / "old.duckdb"
    shutil.copy(FIXTURE, db)
    with duckdb.connect(str(db), read_only=True) as con:
        responses = con.execute("select count(*) from raw.responses").fetchone()[0]
    assert main(["reference", str(DEFAULT_EXPERIMENT), "--db", str(db)]) == 0
    out = capsys.readouterr().err
    n = len(load_reference(load_experiment()).figures)
    assert f"reference: {n} figures for 2 groups recorded for study are_we_aligned" in out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select max(version) from raw.schema_migrations").fetchone()[0] == store.SCHEMA_VERSION
        assert "m003_reference_tables" in {r[0] for r in con.execute("select name from raw.schema_migrations").fetchall()}
        assert con.execute("select count(*) from raw.responses").fetchone()[0] == responses
        groups = con.execute("select human_group, label, n_respondents from raw.reference_groups order by 1").fetchall()
    assert groups == [("ai_practitioners", "AI practitioners", 140), ("us_representative", "US representative sample", 607)]
    assert _counts(db) == (2, n, 1, 1)
    assert main(["reference", str(DEFAULT_EXPERIMENT), "--db", str(db)]) == 0
    assert "reference: unchanged" in capsys.readouterr().err
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == sha  # the fixture itself is never touched


# ------------------------------------------------------------------ the hooks
MODELS = [{"name": "sim-us-public", "provider": "simulated", "model": "sim-us-public"}]


@pytest.fixture(scope="module")
def sim_url():
    with SimulatorThread() as url:
        yield url


def _collect(p: Path, db: Path, url: str) -> list[str]:
    lines: list[str] = []
    console = Console(quiet=True)
    console.print = lambda *a, **k: lines.append(str(a[0]))  # type: ignore[method-assign]
    collect(load_experiment(p), db, CollectOptions(progress=False), {}, simulator_url=url, console=console)
    return lines


def test_collect_records_the_reference_and_a_changed_reference_is_not_a_design_change(tmp_path, sim_url):
    rows = [r for r in GOOD_ROWS if ",t1," in r]
    p = _study(tmp_path, rows, tasks=("t1",), models=MODELS)
    db = tmp_path / "c.duckdb"
    assert "reference: 1 figure for 2 groups recorded for study refstudy" in _collect(p, db, sim_url)
    assert _collect(p, db, sim_url)[0] == "reference: unchanged (1 figure for 2 groups of study refstudy)"

    _study(tmp_path, rows + ["pro,t1,,Privacy,,,0.4,"], tasks=("t1",), models=MODELS)  # the experiment text changes
    assert "reference: 2 figures for 2 groups recorded for study refstudy" in _collect(p, db, sim_url)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from raw.studies").fetchone()[0] == 1  # the design is recorded once
        ok = con.execute("select count(*) from raw.responses where status = 'ok'").fetchone()[0]
    assert ok == 4  # t1 x 4 settings x 1 replicate, asked once
    assert _counts(db) == (4, 3, 0, 2)


def test_a_bad_reference_stops_collect_before_anything_is_written(tmp_path, sim_url):
    p = _study(tmp_path, ["us,t1,,Safety,,,7,"], tasks=("t1",), models=MODELS)
    db = tmp_path / "c.duckdb"
    with pytest.raises(UserError, match="share '7': outside 0..1"):
        _collect(p, db, sim_url)
    assert not db.exists()


def test_collect_of_a_study_without_reference_writes_no_reference_rows(tmp_path, sim_url):
    p = _study(tmp_path, tasks=("t1",), models=MODELS)
    data = yaml.safe_load(p.read_text())
    del data["reference"]
    p.write_text(yaml.safe_dump(data))
    db = tmp_path / "c.duckdb"
    assert not any(x.startswith("reference:") for x in _collect(p, db, sim_url))
    assert _counts(db) == (0, 0, 0, 0)


def test_import_records_the_reference_only_from_a_named_experiment_file(tmp_path, capsys):
    p = _study(tmp_path, [r for r in GOOD_ROWS if ",t1," in r], tasks=("t1",), models=MODELS)
    answers = tmp_path / "a.csv"
    answers.write_text("model,item,replicate,response\nm,t1,1,\"Safety, Privacy, Fairness, Dignity, Performance\"\n")
    db = tmp_path / "i.duckdb"
    assert main(["import", str(answers), "--db", str(db), "--study", "refstudy"]) == 0  # shipped design, no --experiment
    assert "reference:" not in capsys.readouterr().err
    db2 = tmp_path / "i2.duckdb"
    assert main(["import", str(answers), "--db", str(db2), "--experiment", str(p)]) == 0
    assert "reference: 1 figure for 2 groups recorded for study refstudy" in capsys.readouterr().err
    assert _counts(db2) == (2, 1, 0, 1)


def test_plan_checks_the_reference(tmp_path, capsys):
    p = _study(tmp_path, GOOD_ROWS + ["us,t2,,Privacy,,very,0.5,"])
    assert main(["plan", str(p)]) == 2
    assert "options 'very': 'very' is not an option key of task t2's scale" in capsys.readouterr().err
    _study(tmp_path)
    assert main(["plan", str(p)]) == 0
    assert "reference: 5 figures for 2 groups checked against the design" in capsys.readouterr().err


def test_demo_records_the_shipped_reference(tmp_path):
    from aligned.demo import run_demo
    db = tmp_path / "demo.duckdb"
    assert run_demo(db, replicates=1, progress=False, console=Console(quiet=True), build=False, report=False) == 0
    n = len(load_reference(load_experiment()).figures)
    assert _counts(db) == (2, n, 1, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select distinct study from raw.reference_figures").fetchall() == [("are_we_aligned",)]


def test_importing_a_journal_with_an_experiment_file_records_the_reference(tmp_path, capsys):
    import json

    from collector.design import Design
    from tests.aligned.warehouse.conftest import response_row
    p = _study(tmp_path, [r for r in GOOD_ROWS if ",t1," in r], tasks=("t1",), models=MODELS)
    row = response_row(Design(load_experiment(p)), "m", "t1", "original", 1, "Safety")
    journal = tmp_path / "run.jsonl"
    journal.write_text(json.dumps(row, default=str) + "\n")
    db = tmp_path / "j.duckdb"
    assert main(["import", str(journal), "--db", str(db), "--experiment", str(p)]) == 0
    assert "reference: 1 figure for 2 groups recorded for study refstudy" in capsys.readouterr().err
    assert _counts(db) == (2, 1, 0, 1)
