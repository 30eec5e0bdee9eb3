"""Build the SQL models of a small simulated study on local Spark (dbt-spark, session method)
and compare some marts with the DuckDB build of the same raw data.

    make spark-check            # or: python -m bench.spark_check [--requests 608] [--work DIR]

Needs the `spark` extra (`pip install -e '.[spark]'`: dbt-spark[session], pyspark) and a JVM
(Java 17+). Not part of `make test`: it starts a JVM and takes minutes.

Steps: a small study database (bench.warehouse.make_db); the DuckDB build of its SQL models
(Python marts excluded: dbt-spark's session method cannot run them); raw.* exported to parquet
and registered as tables of database `raw` in a local SparkSession (raw.planned_requests
recreated as a Spark view, the same definition as collector/store.py's); then, in the same
process and so the same session (dbt-spark's session method calls
SparkSession.builder.getOrCreate()), `dbt seed` and `dbt run` of the SQL models on the `spark`
target of profiles.yml, and `dbt test` of their data tests (--no-tests skips them); last, the
compared marts must have the same rows, with numbers equal
within 1e-9.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench.warehouse import UNGATED, make_db
from aligned.warehouse import PROJECT_DIR

RAW_TABLES = ["studies", "items", "options", "settings", "models", "runs", "run_ends", "responses", "study_checks"]
#: the SQL models: dbt-spark's session method runs no Python model (it submits them to a
#: Databricks cluster), and no SQL model needs one. `--exclude config.language:python` excluded
#: nothing here (dbt 1.11), so the Python models are excluded by name (every .py model file).
SELECT = "resource_type:model"
EXCLUDE = " ".join(sorted(p.stem for p in (PROJECT_DIR / "dbt_project" / "models").rglob("*.py")))
#: relations compared between the two engines: the SQL marts (schema main), two seeds with
#: quotes and empty cells, and the planned requests (the Spark view of raw.planned_requests)
COMPARED = ["main.selection_shares", "main.response_status", "main.replicate_counts", "main.answers",
            "main.t4_story_ranks", "main.unmapped_answers", "main.usage", "main.latency", "main.t3_tradeoff_shares",
            "main.t2_importance_shares",
            "reference.refusal_phrases", "reference.answer_modifiers", "staging.stg_raw__planned_requests"]
TOLERANCE = 1e-9

def request_key_sql(study: str, model: str, item: str, setting: str, replicate: str) -> str:
    """The dbt macro request_key (macros/request_key.sql) rendered for Spark: the key is written
    once in SQL, and this view uses the same text as the models."""
    import jinja2
    from types import SimpleNamespace

    macros = (PROJECT_DIR / "macros" / "request_key.sql").read_text()
    call = "{{ request_key(%r, %r, %r, %r, %r) }}" % (study, model, item, setting, replicate)
    dbt = SimpleNamespace(type_string=lambda: "string")
    return " ".join(jinja2.Environment().from_string(macros + call).render(dbt=dbt).split())


# raw.planned_requests for Spark: collector/store.py's DuckDB view with Spark's explode(sequence())
# for DuckDB's unnest(range()); the key from the request_key macro (hex md5 of the '|'-joined text)
PLANNED_REQUESTS = f"""
create or replace view raw.planned_requests as
select
    {request_key_sql('m.study', 'm.model', 'i.item', 's.setting', 'r.replicate')} as request_key,
    m.study, m.model, i.item, i.task, i.context, s.setting, r.replicate
from (select distinct study, model from raw.models) m
join raw.items i on i.study = m.study
join raw.settings s on s.study = i.study and s.task = i.task
join (select study, max(replicates) as replicates from raw.studies group by study) st on st.study = m.study
lateral view explode(sequence(1, st.replicates)) r as replicate
"""


def log(msg: str) -> None:
    print(f"[spark-check] {msg}", flush=True)


def time_responses(db: Path) -> None:
    """Give the imported answers latencies (imported answers have none), so the latency mart's
    percentiles (macro continuous_percentile) have values to compare."""
    con = duckdb.connect(str(db))
    try:
        con.execute("update raw.responses set latency_ms = 50 + (hash(response_id) % 1000003) / 100.0")
    finally:
        con.close()


def duckdb_build(db: Path, work: Path) -> None:
    from aligned import warehouse
    # the bench's ungated vars: a small simulated study may exceed the mapping-coverage threshold
    # (a data test, which changes no model)
    rc = warehouse.build(db, exclude=EXCLUDE, quiet=True, dbt_vars=UNGATED, target_path=work / "duckdb_target",
                         log_path=work / "duckdb_logs", out=sys.stdout)
    if rc != 0:
        raise SystemExit(f"the DuckDB build failed (exit {rc})")


def export_raw(db: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in RAW_TABLES:
            # one folder per table: a Hive metastore wants a folder as a table's location
            (out / table).mkdir(exist_ok=True)
            con.execute(f"copy raw.{table} to '{out / table / 'data.parquet'}' (format parquet)")
    finally:
        con.close()


def spark_session(work: Path):
    from pyspark.sql import SparkSession
    # Hive support as dbt-spark's session cursor asks for it; the metastore (Derby) and the
    # warehouse files live in the work folder, not in the current directory
    return (SparkSession.builder.master("local[2]").appName("aligned-spark-check")
            .enableHiveSupport()
            .config("spark.sql.warehouse.dir", str(work / "spark-warehouse"))
            .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                    f"jdbc:derby:;databaseName={work / 'metastore_db'};create=true")
            .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={work}")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
            .getOrCreate())


def register_raw(spark, parquet: Path) -> None:
    spark.sql("create database if not exists raw")
    for table in RAW_TABLES:
        spark.sql(f"drop table if exists raw.{table}")
        spark.sql(f"create table raw.{table} using parquet location '{parquet / table}'")
    spark.sql(PLANNED_REQUESTS)


def dbt_spark(args: list[str], work: Path) -> None:
    from dbt.cli.main import dbtRunner
    common = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--target", "spark",
              "--target-path", str(work / "spark_target"), "--log-path", str(work / "spark_logs")]
    res = dbtRunner().invoke([*args, *common])
    failed = [r for r in (getattr(res.result, "results", None) or []) if str(r.status) not in ("success", "pass")]
    for r in failed:
        log(f"FAILED {r.node.name}: {' '.join(str(r.message).split())[:600]}")
    if res.exception is not None or not res.success:
        raise SystemExit(f"dbt {args[0]} on Spark failed: {res.exception or f'{len(failed)} node(s) failed'}")


def _canon(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (list, tuple)):
        return tuple(_canon(v) for v in value)
    if hasattr(value, "tolist"):  # numpy arrays from DuckDB lists
        return tuple(_canon(v) for v in value.tolist())
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return int(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    try:
        from decimal import Decimal
        if isinstance(value, Decimal):
            return float(value)
    except ImportError:
        pass
    return value


def _key(row: tuple) -> tuple:
    """Sort key on the non-float values (floats may differ in the last bits)."""
    return tuple("" if v is None else (f"{v}" if not isinstance(v, float) else "") for v in row)


def compare(table: str, duck_rows: list[tuple], duck_cols: list[str], spark_rows: list[tuple],
            spark_cols: list[str]) -> list[str]:
    problems = []
    if [c.lower() for c in duck_cols] != [c.lower() for c in spark_cols]:
        return [f"{table}: columns differ: duckdb {duck_cols} / spark {spark_cols}"]
    if len(duck_rows) != len(spark_rows):
        problems.append(f"{table}: {len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark")
    d = sorted((tuple(_canon(v) for v in r) for r in duck_rows), key=_key)
    s = sorted((tuple(_canon(v) for v in r) for r in spark_rows), key=_key)
    n_bad = 0
    for a, b in zip(d, s):
        for col, x, y in zip(duck_cols, a, b):
            same = (x == y) or (isinstance(x, (int, float)) and isinstance(y, (int, float))
                                and abs(float(x) - float(y)) <= TOLERANCE)
            if not same:
                n_bad += 1
                if n_bad <= 5:
                    problems.append(f"{table}.{col}: duckdb {x!r} / spark {y!r} in row {a}")
    if n_bad > 5:
        problems.append(f"{table}: {n_bad} differing values in all")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=608, help="size of the small study (bench.warehouse.make_db)")
    ap.add_argument("--no-tests", action="store_true", help="skip the data tests on Spark (about 2 minutes)")
    ap.add_argument("--work", type=Path, default=None, help="work folder (default: a new temporary one)")
    args = ap.parse_args(argv)
    work = (args.work or Path(tempfile.mkdtemp(prefix="aligned-spark-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    timings = {}

    t = time.perf_counter()
    db, n = make_db(work / "study", args.requests)
    log(f"study database {db} ({n} requests)")
    time_responses(db)
    duckdb_build(db, work)
    timings["duckdb build"] = time.perf_counter() - t

    t = time.perf_counter()
    export_raw(db, work / "raw_parquet")
    spark = spark_session(work)
    register_raw(spark, work / "raw_parquet")
    log(f"Spark {spark.version}: raw.* registered from {work / 'raw_parquet'}")
    timings["spark start + raw"] = time.perf_counter() - t

    t = time.perf_counter()
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    dbt_spark(["seed"], work)
    dbt_spark(["run", "--select", SELECT, "--exclude", *EXCLUDE.split()], work)
    timings["dbt seed + run on spark"] = time.perf_counter() - t
    if not args.no_tests:  # the data tests of the seeds and SQL models, on Spark
        t = time.perf_counter()
        dbt_spark(["test", "--exclude", *EXCLUDE.split(), "--vars", json.dumps(UNGATED)], work)
        timings["dbt test on spark"] = time.perf_counter() - t

    con = duckdb.connect(str(db), read_only=True)
    problems = []
    try:
        for table in COMPARED:
            rel = con.sql(f"select * from {table}")
            duck_cols, duck_rows = rel.columns, rel.fetchall()
            df = spark.table(table)
            spark_rows = [tuple(r) for r in df.collect()]
            found = compare(table, duck_rows, duck_cols, spark_rows, df.columns)
            log(f"{table}: {len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark: "
                f"{'same' if not found else f'{len(found)} problem(s)'}")
            problems += found
    finally:
        con.close()
    log("timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    for p in problems:
        log(p)
    spark.stop()
    if problems:
        log("FAILED: Spark and DuckDB differ")
        return 1
    log(f"OK: {', '.join(COMPARED)} equal on Spark and DuckDB (work folder {work})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
