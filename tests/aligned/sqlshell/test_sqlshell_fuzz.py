"""Generated statements: a seeded mix of reads (built with sqlglot.select) and non-reads
(built with sqlglot's expression builders), written in several dialects.

Reads must run and return what DuckDB returns for the same query; non-reads must all be
refused; the database file (and the folder around it) must not change.
"""
from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from aligned import sqlshell
from collector.errors import UserError
from aligned.sqlshell import run_query
from sqlshell_support import folder_state, sha256

SEED = 20240501
N_READS = 150
N_WRITES = 150
DIALECTS = ["duckdb", "postgres", "bigquery", "snowflake"]

PREDICATES = [
    "r.status = 'ok'", "r.status <> 'failed'", "r.replicate = 1", "r.replicate = 2", "r.latency_ms > 110",
    "r.latency_ms <= 120.5", "r.task IN ('t1', 't2')", "r.attempts BETWEEN 1 AND 2", "r.model LIKE 'g%'",
    "r.context IS NULL", "r.context IS NOT NULL", "NOT r.item = 't1'", "r.cost_usd < 0.02",
]
JOINED_PREDICATES = ["m.provider = 'openai'", "m.is_simulated = FALSE", "i.task_kind <> 'select'", "i.n_options = 5"]
GROUPS = ["r.model", "r.task", "r.status", "r.replicate"]
JOINED_GROUPS = ["m.provider", "i.task_kind"]
PLAIN_COLUMNS = ["r.model", "r.item", "r.status", "r.attempts", "r.latency_ms", "r.replicate", "r.completed_at"]
TARGETS = ["raw.responses", "raw.runs", "raw.models", "raw.items", "main.people"]


def build_read(rng: random.Random) -> exp.Query:
    join_models, join_items = rng.random() < 0.4, rng.random() < 0.3
    preds = rng.sample(PREDICATES, rng.randint(0, 3))
    if join_models:
        preds += rng.sample(JOINED_PREDICATES[:2], rng.randint(0, 1))
    if join_items:
        preds += rng.sample(JOINED_PREDICATES[2:], rng.randint(0, 1))
    groups = GROUPS + (["m.provider"] if join_models else []) + (["i.task_kind"] if join_items else [])

    def base(select: exp.Select) -> exp.Select:
        q = select.from_("raw.responses AS r")
        if join_models:
            q = q.join("raw.models AS m", on="m.model = r.model AND m.study = r.study")
        if join_items:
            q = q.join("raw.items AS i", on="i.item = r.item AND i.study = r.study", join_type="left")
        for p in preds:
            q = q.where(p)
        return q

    kind = rng.choice(["aggregate", "aggregate", "plain", "cte", "union"])
    if kind in ("aggregate", "cte", "union"):
        g = rng.choice(groups)
        q = base(sqlglot.select(f"{g} AS g", "COUNT(*) AS n", "SUM(r.attempts) AS s", "MAX(r.latency_ms) AS mx",
                                "MIN(r.completed_at) AS first_at")).group_by(g)
        if rng.random() < 0.3:
            q = q.having(f"COUNT(*) > {rng.randint(0, 5)}")
        if kind == "cte":
            return sqlglot.select("q.g AS g", "q.n AS n").from_("q").with_("q", as_=q).where("q.n >= 1").order_by("g")
        if kind == "union":
            other = sqlglot.select(f"{g} AS g", "COUNT(*) AS n", "SUM(r.attempts) AS s", "MAX(r.latency_ms) AS mx",
                                   "MIN(r.completed_at) AS first_at").from_("raw.responses AS r").group_by(g)
            if join_models or join_items:  # keep the union's columns typed alike
                other = base(sqlglot.select(f"{g} AS g", "COUNT(*) AS n", "SUM(r.attempts) AS s",
                                            "MAX(r.latency_ms) AS mx", "MIN(r.completed_at) AS first_at")).group_by(g)
            return exp.union(q, other, distinct=rng.random() < 0.5)
        return q.order_by("g")
    cols = ["r.response_id AS id"] + [f"{c} AS c{i}" for i, c in enumerate(rng.sample(PLAIN_COLUMNS, 3))]
    q = base(sqlglot.select(*cols)).order_by("id")
    if rng.random() < 0.5:
        q = q.limit(rng.randint(1, 10))
        if rng.random() < 0.5:
            q = q.offset(rng.randint(0, 5))
    return q


def build_non_read(rng: random.Random) -> exp.Expression | str:
    t = rng.choice(TARGETS)
    table = exp.to_table(t)
    read = build_read(rng)
    choice = rng.randrange(16)
    if choice == 0:
        return exp.insert(f"SELECT * FROM {t}", t)
    if choice == 1:
        return exp.insert(exp.values([("x", "collect", "demo")]), "raw.runs", columns=["run_id", "kind", "study"])
    if choice == 2:
        return exp.delete(t, where=rng.choice(["TRUE", "1 = 1", "status = 'failed'"]))
    if choice == 3:
        return exp.update("raw.responses", {"status": exp.Literal.string("ok")},
                          where=rng.choice([None, "status = 'failed'"]))
    if choice == 4:
        return exp.Drop(tables=[table], kind=rng.choice(["TABLE", "VIEW"]), exists=rng.random() < 0.5)
    if choice == 5:
        return exp.Create(this=exp.to_table("raw.evil"), kind="TABLE", expression=read)
    if choice == 6:
        return exp.Create(this=exp.to_table("raw.planned_requests"), kind="VIEW", replace=True, expression=read)
    if choice == 7:
        return exp.TruncateTable(expressions=[table])
    if choice == 8:
        return exp.Alter(this=table, kind="TABLE",
                         actions=[exp.ColumnDef(this=exp.to_identifier("evil"), kind=exp.DataType.build("int"))])
    if choice == 9:
        return exp.Copy(this=table, kind=False, files=[exp.Literal.string(rng.choice(["out.csv", "out.parquet"]))])
    if choice == 10:  # a DML statement hidden in a CTE
        return sqlglot.select("*").from_("x").with_("x", as_=exp.delete(t, where="TRUE"))
    if choice == 11:  # SELECT ... INTO
        into = read.copy() if isinstance(read, exp.Select) else sqlglot.select("1 AS one")
        into.set("into", exp.Into(this=exp.to_table("evil")))
        return into
    if choice == 12:  # a scalar function that reads a file, inside an otherwise fine read
        f = rng.choice(["read_text", "read_blob", "getenv", "current_setting"])
        q = sqlglot.select("1 AS one").from_("raw.models")
        return q.select(exp.Anonymous(this=f, expressions=[exp.Literal.string("/etc/passwd")]).as_("leak"))
    if choice == 13:  # a table function that reads a file, joined to a real table
        f = rng.choice(["read_csv", "read_csv_auto", "read_parquet", "read_json", "glob", "sniff_csv",
                        "parquet_scan", "sqlite_scan", "query_table"])
        src = exp.Table(this=exp.Anonymous(this=f, expressions=[exp.Literal.string("/etc/passwd")]),
                        alias=exp.TableAlias(this=exp.to_identifier("f")))
        return sqlglot.select("*").from_("raw.models AS m").join(src, on="TRUE")
    if choice == 14:  # a file path used as a table
        return sqlglot.select("*").from_(exp.Table(this=exp.to_identifier(
            rng.choice(["/etc/passwd", "data.csv", "s3://b/k.parquet", "~/x.json"]), quoted=True)))
    # a read followed by a write: several statements
    return read.sql("duckdb") + "; " + exp.delete(t, where="TRUE").sql("duckdb")


def render(stmt: exp.Expression | str, dialect: str, rng: random.Random) -> str:
    sql = stmt if isinstance(stmt, str) else stmt.sql(dialect=dialect)
    mode = rng.randrange(4)
    if mode == 1:
        sql = sql.lower()
    elif mode == 2:
        sql = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in sql)
    elif mode == 3:
        sql = f"/* generated */ {sql}\n-- end"
    return sql


def _normal(rows: list) -> list:
    return sorted((json.dumps(r, sort_keys=True) for r in rows))


@pytest.fixture(scope="module")
def corpus() -> tuple[list[tuple[exp.Query, str]], list[tuple[exp.Expression | str, str, str]]]:
    rng = random.Random(SEED)
    reads = [(build_read(rng), rng.choice(DIALECTS)) for _ in range(N_READS)]
    writes = []
    for _ in range(N_WRITES):
        stmt = build_non_read(rng)
        d = rng.choice(DIALECTS)
        writes.append((stmt, d, render(stmt, d, rng)))
    return reads, writes


def test_generated_reads_run_and_only_reads_run(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                corpus) -> None:
    monkeypatch.chdir(tmp_path)
    reads, writes = corpus
    assert len(reads) + len(writes) >= 300
    before_db, before_dir = sha256(db), folder_state(tmp_path)
    rng = random.Random(SEED + 1)
    jobs = [("read", r) for r in reads] + [("write", w) for w in writes]
    rng.shuffle(jobs)

    # DuckDB shares one instance per file and process, so the expected side uses the same settings.
    expected_con = sqlshell.open_readonly(db)
    nonempty = 0
    try:
        for kind, job in jobs:
            if kind == "read":
                query, dialect = job
                sql = query.sql(dialect=dialect)
                out = io.StringIO()
                try:
                    assert run_query(db, sql, dialect, "json", out) == 0
                except UserError as exc:  # pragma: no cover - shows the failing query
                    pytest.fail(f"read refused or failed ({dialect}): {sql}\n{exc}")
                got = [list(r.values()) for r in json.loads(out.getvalue())]
                cur = expected_con.execute(query.sql(dialect="duckdb"))
                want = json.loads(json.dumps([[sqlshell._jsonable(v) for v in row] for row in cur.fetchall()]))
                assert _normal(got) == _normal(want), f"{dialect}: {sql}"
                nonempty += bool(got)
            else:
                stmt, dialect, sql = job
                with pytest.raises(UserError) as info:
                    run_query(db, sql, dialect, "csv", io.StringIO())
                msg = str(info.value)
                assert "\n" not in msg, msg
                # the AST check alone (no keyword pre-check) also refuses every statement built as a tree
                if isinstance(stmt, exp.Expression):
                    with pytest.raises(UserError):
                        sqlshell._check_tree(stmt)
    finally:
        expected_con.close()
    assert nonempty > N_READS // 2  # the reads actually return rows
    assert sha256(db) == before_db
    assert folder_state(tmp_path) == before_dir


def test_generated_reads_pass_the_tree_check(corpus) -> None:
    reads, _ = corpus
    for query, dialect in reads:
        sqlshell._check_tree(query)
        sqlshell._check_tree(sqlglot.parse_one(query.sql(dialect=dialect), read=dialect))
