"""The experiment database: an append-only DuckDB file, versioned, written in short transactions.

Schema ``raw`` holds the resolved design (``studies``, ``items``, ``options``,
``settings``, ``models``), one row per collect/import invocation (``runs``) and
one row per finished request (``responses``). Rows are never updated or
deleted: a failed request that a later run completes keeps its failed row as
history, and the warehouse takes the latest ``ok`` row per request key.
``raw.planned_requests`` is a view: models x items x settings x replicates,
with the same md5 request key :func:`collector.plan.request_key` computes.

Versions: ``raw.schema_migrations`` records the numbered migrations applied to
the file (:data:`MIGRATIONS`); a writer applies the missing ones when it opens
the file, and a file from a newer release is refused in one line.

All writes of answers go through :class:`ResponseWriter`: a thread that appends
each batch to the run's journal (:mod:`collector.journal`, fsync'd) and then opens
the database for just as long as one insert takes. Between flushes the file is
free for readers (status, sql, report, BI tools) and for other writers. One ok
row per request key holds across processes because DuckDB lets one process write
at a time and every insert re-checks, inside its transaction, that the key has
no ok row yet.
"""
from __future__ import annotations

import collections
import json
import os
import re
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable, Iterator

import duckdb
import orjson

from collector import __version__, journal
from collector.design import Design
from collector.errors import LockedError, UserError

DEFAULT_DB = Path("data") / "aligned.duckdb"
#: DuckDB's memory cap while a collect run appends answers (checkpoints spill instead of growing)
COLLECT_MEMORY_LIMIT = "64MB"
#: how long aligned's own commands wait for a database another process holds (ALIGNED_LOCK_WAIT_S)
LOCK_WAIT_S = 10.0

#: the schema of release 0.1.0 (migration 1; every statement is a no-op on a file that has it)
DDL = """
create schema if not exists raw;

create table if not exists raw.studies (
    study              varchar not null,   -- study name from the experiment file
    description        varchar,
    experiment_path    varchar,            -- where the file was read from
    experiment_text    varchar,            -- the whole experiment file, as read
    experiment_hash    varchar,            -- sha256 of experiment_text
    design_hash        varchar not null,   -- sha256 of items, options, settings, replicates, generation
    replicates         integer not null,   -- raising it appends a row: the study's count is the highest
    generation_params  varchar,            -- JSON
    system_prompt      varchar,
    recorded_at        timestamp not null,
    collector_version  varchar
);

create table if not exists raw.items (
    study            varchar not null,
    item             varchar not null,     -- t1 | t2/<context>/<value> | t3/<context>/<a>-over-<b> | t4/<context>
    task             varchar not null,     -- t1 .. t4 (the task's name in the file)
    task_kind        varchar not null,     -- select | rate | tradeoff | rank
    context          varchar,              -- null for tasks without a context (T1)
    value            varchar,              -- rate: the value asked about
    value_a          varchar,              -- tradeoff: the value ensured
    value_b          varchar,              -- tradeoff: the value it may reduce
    k                integer,              -- select: how many to pick
    n_options        integer not null,
    prompt_template  varchar not null
);

create table if not exists raw.options (
    study       varchar not null,
    item        varchar not null,
    option_key  varchar not null,          -- stable id: value slug, scale level key or story id
    label       varchar not null,          -- the text shown (a synonym row shows the alternative name)
    canonical   varchar not null,          -- what an answer maps to: value name, level key or story id
    value       varchar,                   -- the value this option stands for (selected / favoured / embodied)
    ordinal     integer not null,          -- position in the file's order (scale levels: 1 = lowest)
    is_synonym  boolean not null
);

create table if not exists raw.settings (
    study    varchar not null,
    task     varchar not null,
    setting  varchar not null,             -- original | reversed | shuffled | synonyms | ...
    "order"  varchar not null,             -- fixed | reversed | shuffled
    labels   varchar not null              -- names | synonyms
);

create table if not exists raw.models (
    study           varchar not null,
    model           varchar not null,      -- name in the experiment file
    provider        varchar not null,      -- openai | anthropic | gemini | simulated | import
    provider_model  varchar,               -- the provider's model id
    base_url        varchar,
    is_simulated    boolean not null,
    added_at        timestamp not null
);

create table if not exists raw.runs (
    run_id             varchar not null,
    kind               varchar not null,   -- collect | import | demo
    study              varchar not null,
    experiment_hash    varchar,
    options            varchar,            -- JSON of the command's options (never keys)
    started_at         timestamp not null,
    collector_version  varchar
);

create table if not exists raw.run_ends (
    run_id     varchar not null,
    ended_at   timestamp not null,
    outcome    varchar not null,           -- finished | interrupted | error
    planned    bigint,
    ok         bigint,
    failed     bigint
);

create table if not exists raw.responses (
    response_id        varchar not null,   -- unique per row
    request_key        varchar not null,   -- md5(study|model|item|setting|replicate)
    run_id             varchar not null,
    study              varchar not null,
    model              varchar not null,
    provider           varchar not null,
    provider_model     varchar,
    item               varchar not null,
    task               varchar not null,
    context            varchar,
    setting            varchar not null,
    replicate          integer not null,
    external_id        varchar,            -- import: the id in the source file
    options_shown      varchar[],          -- option keys in the order shown
    labels_shown       varchar[],          -- labels in the order shown
    messages           varchar,            -- JSON list of chat messages sent
    params             varchar,            -- JSON generation parameters sent
    seed               bigint,             -- derived from request_key
    response_text      varchar,
    finish_reason      varchar,
    response_model     varchar,            -- model id the server reported
    status             varchar not null,   -- ok | failed
    error              varchar,            -- failed: last error, secret-free
    http_status        integer,
    attempts           integer not null,
    latency_ms         double,             -- last attempt
    prompt_tokens      integer,
    completion_tokens  integer,
    cost_usd           double,
    requested_at       timestamp,          -- first attempt (UTC)
    completed_at       timestamp not null, -- UTC
    collector_version  varchar
);

create or replace view raw.planned_requests as
select
    md5(m.study || '|' || m.model || '|' || i.item || '|' || s.setting || '|' || cast(r.replicate as varchar)) as request_key,
    m.study, m.model, i.item, i.task, i.context, s.setting, r.replicate
from (select distinct study, model from raw.models) m
join raw.items i on i.study = m.study
join raw.settings s on s.study = i.study and s.task = i.task
join (select study, max(replicates) as replicates from raw.studies group by study) st on st.study = m.study
cross join lateral (select unnest(range(1, st.replicates + 1)) as replicate) r;
"""

#: raw.responses as (column, DuckDB type), in table order
RESPONSE_COLUMNS = [
    ("response_id", "VARCHAR"), ("request_key", "VARCHAR"), ("run_id", "VARCHAR"), ("study", "VARCHAR"),
    ("model", "VARCHAR"), ("provider", "VARCHAR"), ("provider_model", "VARCHAR"), ("item", "VARCHAR"),
    ("task", "VARCHAR"), ("context", "VARCHAR"), ("setting", "VARCHAR"), ("replicate", "INTEGER"),
    ("external_id", "VARCHAR"), ("options_shown", "VARCHAR[]"), ("labels_shown", "VARCHAR[]"),
    ("messages", "VARCHAR"), ("params", "VARCHAR"), ("seed", "BIGINT"), ("response_text", "VARCHAR"),
    ("finish_reason", "VARCHAR"), ("response_model", "VARCHAR"), ("status", "VARCHAR"), ("error", "VARCHAR"),
    ("http_status", "INTEGER"), ("attempts", "INTEGER"), ("latency_ms", "DOUBLE"),
    ("prompt_tokens", "INTEGER"), ("completion_tokens", "INTEGER"), ("cost_usd", "DOUBLE"),
    ("requested_at", "TIMESTAMP"), ("completed_at", "TIMESTAMP"), ("collector_version", "VARCHAR"),
]
_COLS = ", ".join(c for c, _ in RESPONSE_COLUMNS)
_ROW_STRUCTURE = json.dumps({c: (["VARCHAR"] if t == "VARCHAR[]" else t) for c, t in RESPONSE_COLUMNS})


def __getattr__(name: str) -> Any:
    if name == "RESPONSE_SCHEMA":  # the same columns as an Arrow schema, for callers that want one
        import pyarrow as pa
        arrow = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(),
                 "TIMESTAMP": pa.timestamp("us"), "VARCHAR[]": pa.list_(pa.string())}
        return pa.schema([(c, arrow[t]) for c, t in RESPONSE_COLUMNS])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _lock_message(path: Path, exc: Exception, waited: float | None = None) -> str:
    return (f"{path}: the database is locked{lock_holder(exc)}; DuckDB allows one writer at a time. "
            + (f"Waited {waited:g} s; w" if waited else "W")
            + "ait for it to finish (or stop it), or query a copy of the file.")


def lock_holder(exc: Exception) -> str:
    """' by process 1234 (aligned collect)' from DuckDB's lock error, or ''."""
    text = str(exc)
    holder = ""
    found = re.search(r"PID (\d+)", text)  # DuckDB: '... is held in /path/to/python (PID 1234). See also ...'
    if found:
        pid = found.group(1)
        holder = f" by process {pid}"
        try:
            args = [a.decode(errors="replace") for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
            if args:
                sub = next((a for a in args[1:] if a in ("collect", "import", "demo", "build", "docs", "validate",
                                                         "report", "sql", "status")), None)
                aligned = any(a == "aligned.cli" or Path(a).name == "aligned" for a in args)
                what = (f"aligned {sub}" if aligned and sub else
                        "a dbt build" if any(Path(a).name == "dbt" for a in args) else
                        " ".join(" ".join(args).split())[:80])  # one line, even for `python -c "..."`
                holder += f" ({what})"
        except OSError:
            pass
    return holder


def _is_lock_error(exc: Exception) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def lock_wait_s() -> float:
    try:
        return max(0.0, float(os.environ.get("ALIGNED_LOCK_WAIT_S", LOCK_WAIT_S)))
    except ValueError:
        return LOCK_WAIT_S


def open_waiting(path: str | Path, *, read_only: bool, config: dict[str, Any] | None = None,
                 wait_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """:func:`duckdb_connect`, retried while another process holds the file, for at most ``wait_s``
    (default :func:`lock_wait_s`); then DuckDB's lock error is raised as it came.

    A collect holds the file only while it flushes a batch (tens of milliseconds a second),
    so a reader normally gets in at the first or second try.
    """
    wait_s = lock_wait_s() if wait_s is None else wait_s
    deadline = time.monotonic() + wait_s
    pause = 0.02
    while True:
        try:
            return duckdb_connect(path, read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 1.5, 0.25)


_RESERVED_STEMS = {"raw", "main", "staging", "intermediate", "reference", "audit", "system", "temp", "memory"}


#: settings of every DuckDB connection the project opens: never download or load an extension
#: behind the user's back (a SQLite file given as --db made DuckDB fetch sqlite_scanner)
SAFE_CONFIG: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
#: bytes 8-11 of every DuckDB database file
_DUCKDB_MAGIC = b"DUCK"


def duckdb_connect(path: str | Path = ":memory:", read_only: bool = False,
                   config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` with :data:`SAFE_CONFIG`; a file that exists but is not a DuckDB
    database is refused with one line before DuckDB tries to read it."""
    if str(path) != ":memory:":
        _require_duckdb_file(Path(path))
    return duckdb.connect(str(path), read_only=read_only, config={**SAFE_CONFIG, **(config or {})})


def _require_duckdb_file(p: Path) -> None:
    try:
        with p.open("rb") as f:
            head = f.read(16)
    except (FileNotFoundError, IsADirectoryError, PermissionError, OSError):
        return  # DuckDB says what is wrong with a missing or unreadable path
    if not head or head[8:12] == _DUCKDB_MAGIC:
        return
    what = "a SQLite database" if head.startswith(b"SQLite format 3") else \
        "a Parquet file" if head.startswith(b"PAR1") else "not a DuckDB database"
    raise UserError(f"{p}: this file is {what}, not a DuckDB database; pass the .duckdb file aligned wrote "
                    "(--db or $ALIGNED_DB)".replace("is not a DuckDB database, not", "is not"))


def connect(path: str | Path, read_only: bool = False, create: bool = True,
            wait_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the experiment database with one-line errors for a missing folder, a lock or a newer release.

    A locked file is waited for up to ``wait_s`` seconds (default ``ALIGNED_LOCK_WAIT_S``, 10 s).
    """
    p = Path(path)
    if p.stem.lower() in _RESERVED_STEMS:
        # DuckDB names the attached catalog after the file, and a catalog called like one of our
        # schemas makes `raw.responses` ambiguous
        raise UserError(f"{p}: a database file may not be named {p.stem!r} (it clashes with the schema of that "
                        f"name); choose another name, e.g. {p.with_name('aligned' + p.suffix)}")
    if read_only or not create:
        if not p.exists():
            raise UserError(f"{p}: no such database; run `aligned collect` or `aligned demo` first, or pass --db")
    elif not p.parent.exists():
        if p.parent == DEFAULT_DB.parent or str(p.parent) in ("", "."):
            p.parent.mkdir(parents=True, exist_ok=True)
        else:
            raise UserError(f"{p}: the folder {p.parent} does not exist; create it or choose another --db path")
    waited = lock_wait_s() if wait_s is None else wait_s
    try:
        con = open_waiting(p, read_only=read_only, wait_s=waited)
    except duckdb.IOException as exc:
        if _is_lock_error(exc):
            raise LockedError(_lock_message(p, exc, waited)) from None
        raise UserError(f"{p}: cannot open the database: {str(exc).splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise UserError(f"{p}: cannot open the database: {str(exc).splitlines()[0]}") from None
    try:
        check_version(con, p)
    except BaseException:
        con.close()
        raise
    return con


# ---------------------------------------------------------------- migrations
#: numbered migrations, applied in order to a file that lacks them (simonw/llm's migrations.py style):
#: append a new function, never edit or reorder a released one
MIGRATIONS: list[Callable[[duckdb.DuckDBPyConnection], None]] = []


def migration(fn: Callable[[duckdb.DuckDBPyConnection], None]) -> Callable[[duckdb.DuckDBPyConnection], None]:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The schema of release 0.1.0 (written before files recorded a version)."""
    con.execute(DDL)


@migration
def m002_runs_host_pid(con: duckdb.DuckDBPyConnection) -> None:
    """Which host and process a run is, so `aligned status` can tell a live run from a killed one."""
    con.execute("alter table raw.runs add column if not exists host varchar")
    con.execute("alter table raw.runs add column if not exists pid integer")


@migration
def m003_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """A study's human reference (the experiment file's `reference:`), append-only: each load is a
    set of rows with one recorded_at, and the latest load per study is current (collector.reference)."""
    con.execute("""
        create table if not exists raw.reference_groups (
            study          varchar not null,
            human_group    varchar not null,   -- group id under reference.groups
            label          varchar not null,
            n_respondents  integer not null,
            citation       varchar not null,   -- provenance of the figures (the load's, on every row)
            caveats        varchar,
            recorded_at    timestamp not null  -- the load's time: the same on every row of a load
        );
        create table if not exists raw.reference_figures (
            study          varchar not null,
            human_group    varchar not null,
            task           varchar not null,
            context        varchar,            -- null: pooled over contexts, or a task without contexts
            value          varchar not null,   -- trade-offs: the side the _a options refer to
            value_b        varchar,            -- trade-offs only
            options        varchar,            -- option keys sorted by the scale's ordinal, joined by '+'; null: select/rank
            share          double not null,    -- share of the group's respondents, 0..1
            n_respondents  integer not null,   -- respondents behind the figure (the group's n when the CSV leaves it empty)
            source_file    varchar not null,   -- as listed under reference.files
            source_sha256  varchar not null,   -- sha256 of that file's bytes
            recorded_at    timestamp not null
        );
        create table if not exists raw.reference_published (
            study        varchar not null,
            task         varchar not null,
            statistic    varchar not null,
            value        double not null,
            n            integer,
            text         varchar,
            recorded_at  timestamp not null
        );
    """)


@migration
def m004_study_checks(con: duckdb.DuckDBPyConnection) -> None:
    """A study's data-test thresholds (the experiment file's `checks:`), append-only: a row whenever
    they change; the latest row per study is current (dbt model int_study_checks)."""
    con.execute("""
        create table if not exists raw.study_checks (
            study              varchar not null,
            max_invalid_share  double,             -- null: the warehouse default (dbt var max_invalid_share)
            coverage_alpha     double,             -- null: the warehouse default (dbt var coverage_alpha)
            recorded_at        timestamp not null
        );
    """)


SCHEMA_VERSION = len(MIGRATIONS)

_VERSION_DDL = """
create schema if not exists raw;
create table if not exists raw.schema_migrations (
    version            integer not null,   -- migration number (1 = the schema of release 0.1.0)
    name               varchar not null,
    applied_at         timestamp not null,
    collector_version  varchar             -- the release that applied it
);
"""


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to the file (0: none recorded, e.g. a file of release 0.1.0)."""
    found = con.execute("select count(*) from information_schema.tables where table_schema = 'raw' "
                        "and table_name = 'schema_migrations'").fetchone()[0]
    if not found:
        return 0
    return con.execute("select coalesce(max(version), 0) from raw.schema_migrations").fetchone()[0]


def check_version(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Refuse, in one line, a file written by a newer release; return its version."""
    v = schema_version(con)
    if v > SCHEMA_VERSION:
        raise UserError(f"{path}: written by a newer release of aligned (schema version {v}; this is aligned "
                        f"{__version__}, which knows versions up to {SCHEMA_VERSION}); upgrade aligned to use it")
    return v


def init_schema(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the file to :data:`SCHEMA_VERSION`, one transaction per migration; returns how many ran."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        check_version(con, "the database")
    ran = 0
    for number, fn in enumerate(MIGRATIONS, 1):
        if number <= current:
            continue
        con.execute("begin")
        try:
            con.execute(_VERSION_DDL)
            fn(con)
            con.execute("insert into raw.schema_migrations values (?, ?, ?, ?)",
                        [number, fn.__name__, utcnow(), __version__])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        ran += 1
    return ran


def design_recorded(con: duckdb.DuckDBPyConnection, design: Design, models: list[dict[str, Any]]) -> bool:
    """True if the study is recorded with this design and every model in ``models`` (nothing to write).

    A changed design is False too: :func:`record_design` decides about it once the file is free.
    """
    exp = design.exp
    # the latest row, as record_design reads it (a raised `replicates` appends one)
    row = con.execute("select design_hash, replicates from raw.studies where study = ? "
                      "order by replicates desc, recorded_at desc limit 1", [exp.study]).fetchone()
    if row is None:
        return False
    if row[0] != design.design_hash:
        return False
    known = {r[0] for r in con.execute("select model from raw.models where study = ?", [exp.study]).fetchall()}
    return all(m["model"] in known for m in models)


def insert_rows(con: duckdb.DuckDBPyConnection, insert: str, rows: list[list[Any]]) -> None:
    """``insert`` (``insert into t [(cols)]``) every row in one statement: each column goes in as one
    list parameter and comes out by ``unnest``.

    DuckDB's ``executemany`` runs one statement per row: a design of a few hundred options
    took most of a second to record, paid before the first request was sent; this takes
    milliseconds.
    """
    if not rows:
        return
    columns = [list(c) for c in zip(*rows)]
    con.execute(f"{insert} select {', '.join(f'unnest(${n})' for n in range(1, len(columns) + 1))}", columns)


def record_design(con: duckdb.DuckDBPyConnection, design: Design, models: list[dict[str, Any]]) -> None:
    """Record the resolved design before any answer, refusing a changed design under the same name.

    ``models`` holds dicts with model, provider, provider_model, base_url. New models are
    appended; a study's items/options/settings are written once.
    """
    exp = design.exp
    # the study's latest row: raising `replicates` appends a row, so the highest count is the latest
    row = con.execute("select design_hash, replicates from raw.studies where study = ? "
                      "order by replicates desc, recorded_at desc limit 1", [exp.study]).fetchone()
    now = utcnow()
    study_row = [exp.study, exp.description, exp.source_path, exp.source_text, exp.file_hash, design.design_hash,
                 exp.replicates, json.dumps(exp.generation, sort_keys=True), exp.system_prompt, now, __version__]
    con.execute("begin")
    try:
        if row is None:
            con.execute("insert into raw.studies values (?,?,?,?,?,?,?,?,?,?,?)", study_row)
            insert_rows(
                con, "insert into raw.items",
                [[exp.study, i.item, i.task, i.kind, i.context, i.value, i.value_a, i.value_b, i.k, len(i.options),
                  i.prompt_template] for i in design.items],
            )
            insert_rows(
                con, "insert into raw.options",
                [[exp.study, i.item, o.key, o.label, o.canonical, o.value, o.ordinal, o.is_synonym]
                 for i in design.items for o in (*i.options, *i.synonyms)],
            )
            insert_rows(
                con, "insert into raw.settings",
                [[exp.study, s.task, s.setting, s.order, s.labels] for s in design.settings],
            )
        elif row[0] != design.design_hash:
            # THE DESIGN CHECK. One study never mixes two designs; only its replicate count may
            # grow: a raised count is a new raw.studies row (append-only), only the new replicates
            # are asked, and the answers already stored stay valid (same prompts, same keys).
            if design.design_hash_at(row[1]) != row[0]:
                con.execute("rollback")
                raise UserError(
                    f"{exp.source_path}: study {exp.study!r} is already in the database with a different design "
                    f"(items, options, settings or generation parameters); one study never mixes two designs: "
                    f"name a new study (study: or --study) instead, or use another database (--db)")
            if exp.replicates < row[1]:
                con.execute("rollback")
                raise UserError(
                    f"{exp.source_path}: replicates: study {exp.study!r} already has {row[1]} replicates in the "
                    f"database and a study's replicate count only grows; ask for {row[1]} or more "
                    f"(replicates: or --replicates), or name a new study")
            con.execute("insert into raw.studies values (?,?,?,?,?,?,?,?,?,?,?)", study_row)
        known = {r[0] for r in con.execute("select model from raw.models where study = ?", [exp.study]).fetchall()}
        new = [m for m in models if m["model"] not in known]
        if new:
            insert_rows(
                con, "insert into raw.models",
                [[exp.study, m["model"], m["provider"], m.get("provider_model"), m.get("base_url"),
                  m["provider"] == "simulated", now] for m in new],
            )
        record_checks(con, exp.study, exp.checks.max_invalid_share, exp.checks.coverage_alpha, now)
        con.execute("commit")
    except UserError:
        raise
    except Exception:
        con.execute("rollback")
        raise


def record_checks(con: duckdb.DuckDBPyConnection, study: str, max_invalid_share: float | None,
                  coverage_alpha: float | None, now: datetime | None = None) -> bool:
    """Append the study's data-test thresholds when they differ from its latest row (or, for a study
    with no row yet, when any is set); True if a row was written. Part of recording an experiment
    file (:func:`record_design`): a file without ``checks:`` means the defaults."""
    row = con.execute("select max_invalid_share, coverage_alpha from raw.study_checks where study = ? "
                      "order by recorded_at desc limit 1", [study]).fetchone()
    if (tuple(row) if row else (None, None)) == (max_invalid_share, coverage_alpha):
        return False
    con.execute("insert into raw.study_checks values (?, ?, ?, ?)",
                [study, max_invalid_share, coverage_alpha, now or utcnow()])
    return True


_RUN_COLS = ("run_id", "kind", "study", "experiment_hash", "options", "started_at", "collector_version", "host", "pid")
_RUN_END_COLS = ("run_id", "ended_at", "outcome", "planned", "ok", "failed")


def new_run(kind: str, study: str, experiment_hash: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """A ``raw.runs`` row for this process (written by :func:`start_run` or through the journal)."""
    return {"run_id": uuid.uuid4().hex, "kind": kind, "study": study, "experiment_hash": experiment_hash,
            "options": json.dumps(options, sort_keys=True, default=str), "started_at": utcnow(),
            "collector_version": __version__, "host": socket.gethostname(), "pid": os.getpid()}


def start_run(con: duckdb.DuckDBPyConnection, kind: str, study: str, experiment_hash: str | None,
              options: dict[str, Any]) -> str:
    run = new_run(kind, study, experiment_hash, options)
    con.execute(f"insert into raw.runs ({', '.join(_RUN_COLS)}) values ({', '.join('?' * len(_RUN_COLS))})",
                [run[c] for c in _RUN_COLS])
    return run["run_id"]


def end_run(con: duckdb.DuckDBPyConnection, run_id: str, outcome: str, planned: int, ok: int, failed: int) -> None:
    con.execute("insert into raw.run_ends values (?,?,?,?,?,?)", [run_id, utcnow(), outcome, planned, ok, failed])


def run_end(run_id: str, outcome: str, planned: int, ok: int, failed: int) -> dict[str, Any]:
    return {"run_id": run_id, "ended_at": utcnow(), "outcome": outcome, "planned": planned, "ok": ok,
            "failed": failed}


def pending_keys(con: duckdb.DuckDBPyConnection, study: str, models: list[str]) -> set[str]:
    """Planned keys without an ok row, as one set operation in SQL."""
    keys = con.sql(
        """
        select request_key from raw.planned_requests where study = ? and list_contains(?, model)
        except
        select request_key from raw.responses where study = ? and status = 'ok'
        """,
        params=[study, models, study],
    ).fetchnumpy()["request_key"]  # one column at once: half the time of fetchall() tuples at 1M keys
    return set(keys.tolist())


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store a {type(value).__name__} in raw.responses")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: Any) -> Any:
    """Lone UTF-16 surrogates (half of an emoji, in a reply cut mid-character: valid JSON, not valid
    Unicode, so not writable as UTF-8) replaced by U+FFFD, in every string of ``value``."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _encode_row(row: dict[str, Any]) -> str:
    """One response row as a JSON line (journal and insert); datetimes as ``_json_default`` writes them."""
    try:
        return orjson.dumps(row, default=_json_default, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()
    except orjson.JSONEncodeError:  # a lone surrogate: the rare reply that needs cleaning first
        return orjson.dumps(_clean(row), default=_json_default, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def insert_responses(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Append rows as given, in one transaction (tests and benchmarks; no re-check of ok keys).

    Each row travels as a JSON object that DuckDB parses into the typed columns
    (missing keys are null). This keeps pyarrow, and the pandas it imports on
    first use (~75 MB together), out of a collect run's memory.
    """
    if not rows:
        return
    con.execute("begin")
    try:
        con.execute(f"insert into raw.responses ({_COLS}) select unnest(from_json(j, '{_ROW_STRUCTURE}')) "
                    f"from unnest(?::varchar[]) t(j)", [[_encode_row(r) for r in rows]])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


_STRUCT = {"run": {c: "VARCHAR" for c in _RUN_COLS} | {"started_at": "TIMESTAMP", "pid": "INTEGER"},
           "run_end": {c: "VARCHAR" for c in _RUN_END_COLS} | {"ended_at": "TIMESTAMP", "planned": "BIGINT",
                                                               "ok": "BIGINT", "failed": "BIGINT"}}


def insert_lines(con: duckdb.DuckDBPyConnection, lines: list[str]) -> int:
    """Put journal lines (runs, run ends, responses) into the tables, inside the caller's transaction.

    Idempotent: a run, run end or response already in the file (same id) is skipped, and so is
    an ok answer whose request key already has an ok row -- the check that keeps one ok row per
    key when several processes write the same file (DuckDB serialises their transactions).
    Returns the number of responses added.
    """
    if not lines:
        return 0
    records = [x for x in lines if '"_kind"' in x]
    answers = [x for x in lines if '"_kind"' not in x] if records else lines
    if records:
        con.execute("create or replace temp table _records as select unnest(?::varchar[]) as j", [records])
        for kind, table, cols in (("run", "runs", _RUN_COLS), ("run_end", "run_ends", _RUN_END_COLS)):
            struct = json.dumps(_STRUCT[kind])
            names = ", ".join(cols)
            con.execute(f"""
                insert into raw.{table} ({names})
                select {names} from (select unnest(from_json(j, '{struct}')) from _records
                                     where j->>'_kind' = '{kind}')
                where run_id not in (select run_id from raw.{table})""")
        con.execute("drop table _records")
    if not answers:
        return 0
    con.execute(f"create or replace temp table _batch as select unnest(from_json(j, '{_ROW_STRUCTURE}')) "
                f"from unnest(?::varchar[]) t(j)", [answers])
    n = con.execute(f"""
        insert into raw.responses ({_COLS})
        select {_COLS} from _batch b
        where b.response_id not in (select x.response_id from raw.responses x
                                    where x.run_id in (select distinct run_id from _batch))
          and (b.status <> 'ok' or b.request_key not in (select x.request_key from raw.responses x
                                                         where x.status = 'ok'
                                                           and x.request_key in (select request_key from _batch)))
        qualify b.status <> 'ok' or row_number() over (partition by b.request_key, b.status
                                                       order by b.completed_at, b.response_id) = 1
    """).fetchone()[0]
    con.execute("drop table _batch")
    return n


@dataclass
class WriterStats:
    rows: int = 0  # answers put into the database
    dropped: int = 0  # ok answers another process had already stored (asked twice; one ok row kept)
    batches: int = 0  # transactions
    seconds: float = 0.0  # spent flushing
    locked: int = 0  # flushes that found the file held by another process
    journaled: int = 0  # answers appended to the journal


LockNotice = Callable[[str], None]


class ResponseWriter:
    """The writer thread: journal each batch (fsync), then put it into the database in one short transaction.

    ``put`` only appends to a thread-safe deque (no lock, no thread wake-up per
    row); the writer thread wakes when ``batch_size`` rows are waiting or
    ``flush_s`` has passed, and on ``close``. The database is opened per flush
    and closed after it, so other processes can read or write between flushes;
    if another process holds it, the rows wait in the journal for the next flush.
    With ``enabled=False`` rows are counted and dropped (benchmarks only).
    """

    #: beyond this many journaled rows waiting for a locked file, they are re-read from the journal
    MAX_IN_MEMORY = 50_000

    def __init__(self, db_path: str | Path | None, run: dict[str, Any] | None = None, *, batch_size: int = 5000,
                 flush_s: float = 1.0, enabled: bool = True, orphans: list[tuple[Path, IO[bytes]]] | None = None,
                 seen_rowid: int = -1, on_locked: LockNotice | None = None, final_wait_s: float | None = None,
                 memory_limit: str | None = COLLECT_MEMORY_LIMIT) -> None:
        self.db_path = Path(db_path) if db_path is not None else None
        self.enabled = enabled and db_path is not None
        self.run_id = run["run_id"] if run else uuid.uuid4().hex
        self.batch_size = batch_size
        self.flush_s = flush_s
        self.stats = WriterStats()
        #: request keys another process answered since this run planned (the runner skips them)
        self.answered_elsewhere: set[str] = set()
        self.error: BaseException | None = None
        self.unflushed_journal: Path | None = None  # set by close() when rows could not reach the database
        self._orphans = list(orphans or [])
        self._seen_rowid = seen_rowid
        self._on_locked = on_locked
        self._told = False
        self._migrated = False
        self._locked_since: float | None = None
        self._final_wait_s = lock_wait_s() if final_wait_s is None else final_wait_s
        self._config = {"memory_limit": memory_limit} if memory_limit else {}
        self._buf: collections.deque[str] = collections.deque()  # rows encoded as JSON
        self._pending: list[str] = []  # journaled, not yet in the database
        self._pending_from = 0  # journal offset where self._pending starts
        self._pending_on_disk_only = False
        self.journal: journal.Journal | None = None
        if self.enabled:
            self.journal = journal.Journal(journal.journal_dir(self.db_path) / f"{self.run_id}.jsonl")
            self._pending_from = self.journal.size
            if run is not None:
                self._buf.append(journal.record("run", run))
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name="aligned-writer", daemon=True)
        self._thread.start()

    def put(self, row: dict[str, Any]) -> None:
        if self.error is not None:
            raise RuntimeError(f"the database writer failed: {self.error}") from self.error
        # encoded here, on the caller's thread: the writer thread then only waits on DuckDB (which
        # releases the GIL), instead of taking the GIL from the event loop at each of its syscalls
        self._buf.append(_encode_row(row) if self.enabled else "")
        if len(self._buf) == self.batch_size:
            self._wake.set()

    def put_record(self, kind: str, fields: dict[str, Any]) -> None:
        """A ``run_end`` (or ``run``) row, journaled and flushed with the answers."""
        if self.enabled:
            self._buf.append(journal.record(kind, fields))

    def close(self) -> None:
        """Flush what is left (waiting up to ``final_wait_s`` for a held file), then release the journal.

        If the file stayed held, the rows are safe in the journal (``unflushed_journal``), and the
        next collect or import on this database puts them in.
        """
        self._closing = True
        self._wake.set()
        self._thread.join()
        if self.journal is not None:
            self.journal.close()
            if not self._pending and not self._pending_on_disk_only and self.error is None:
                journal.retire(self.journal.path)
            else:
                self.unflushed_journal = self.journal.path
        for _, f in self._orphans:  # not replayed (file held to the end): released for the next run
            f.close()
        if self.error is not None:
            raise RuntimeError(f"the database writer failed: {self.error}") from self.error

    # ------------------------------------------------------------ thread
    def _loop(self) -> None:
        buf = self._buf
        while True:
            if len(buf) < self.batch_size and not self._closing:
                # one transaction per flush_s at most, unless a full batch is waiting: opening the file
                # and committing has a fixed cost (tens of milliseconds), paid once per batch
                self._wake.wait(self.flush_s)
                self._wake.clear()
            closing = self._closing  # read before draining: rows put before close() are all in buf
            n = len(buf)
            if self.error is None and (n or self._pending or self._orphans):
                try:
                    self._step([buf.popleft() for _ in range(n)], closing)
                except BaseException as exc:  # surfaced to the runner on the next put/close
                    self.error = exc
            if closing:
                return

    def _step(self, lines: list[str], closing: bool) -> None:
        if not self.enabled:
            self.stats.rows += len(lines)
            self.stats.batches += 1
            return
        assert self.journal is not None
        self.journal.append(lines)
        self.stats.journaled += sum(1 for x in lines if '"_kind"' not in x)
        if not self._pending_on_disk_only:
            self._pending.extend(lines)
            if len(self._pending) > self.MAX_IN_MEMORY:
                self._pending = []
                self._pending_on_disk_only = True
        deadline = time.monotonic() + (self._final_wait_s if closing else 0.0)
        while not self._flush():
            if time.monotonic() >= deadline:
                return
            time.sleep(0.1)

    def _flush(self) -> bool:
        """Put the pending rows (and claimed orphan journals) into the database; False if it is held."""
        assert self.journal is not None and self.db_path is not None
        t0 = time.perf_counter()
        try:
            con = open_waiting(self.db_path, read_only=False, config=self._config, wait_s=0)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise
            self._note_locked(exc)
            return False
        self._locked_since = None
        try:
            if self._pending_on_disk_only:
                lines, end = journal.read_lines(self.journal.path, self._pending_from)
            else:
                lines, end = self._pending, self.journal.size
            if not self._migrated:  # the run may have started while a reader held an older file
                init_schema(con)
                self._migrated = True
            con.execute("begin")
            added = 0
            for path, _ in self._orphans:
                added += insert_lines(con, journal.read_lines(path)[0])
            added += insert_lines(con, lines)
            if self._seen_rowid >= 0:  # keys other processes answered since we planned: not asked by us
                found = con.execute("select request_key, rowid from raw.responses where rowid > ? and status = 'ok' "
                                    "and run_id <> ?", [self._seen_rowid, self.run_id]).fetchall()
                if found:
                    self.answered_elsewhere.update(k for k, _ in found)
                    self._seen_rowid = max(r for _, r in found)
            con.execute("commit")
        except BaseException:
            con.close()
            raise
        con.close()
        for path, f in self._orphans:
            journal.retire(path)
            f.close()
        self._orphans = []
        n_answers = sum(1 for x in lines if '"_kind"' not in x)
        self.stats.rows += added
        self.stats.dropped += max(0, n_answers - added)
        self.stats.batches += 1
        self.stats.seconds += time.perf_counter() - t0
        self._pending = []
        self._pending_on_disk_only = False
        self._pending_from = end
        return True

    def _note_locked(self, exc: Exception) -> None:
        self.stats.locked += 1
        now = time.monotonic()
        if self._locked_since is None:
            self._locked_since = now
        # another collector's flush holds the file for milliseconds: only a longer hold is worth a line
        if not self._told and now - self._locked_since >= 2.0 and self._on_locked is not None:
            self._told = True
            assert self.journal is not None
            self._on_locked(f"{self.db_path}: held{lock_holder(exc)}; answers go to the journal "
                            f"{self.journal.path} meanwhile and into the database when it is free")


def default_db_path() -> Path:
    return Path(os.environ.get("ALIGNED_DB", str(DEFAULT_DB)))
