"""The experiment database: an append-only DuckDB file.

Schema ``raw`` holds the resolved design (``studies``, ``items``, ``options``,
``settings``, ``models``), one row per collect/import invocation (``runs``) and
one row per finished request (``responses``). Rows are never updated or
deleted: a failed request that a later run completes keeps its failed row as
history, and the warehouse takes the latest ``ok`` row per request key.
``raw.planned_requests`` is a view: models x items x settings x replicates,
with the same md5 request key :func:`collector.plan.request_key` computes.

All writes of responses go through :class:`ResponseWriter`, one writer fed by
a queue, committing in batches (one statement per transaction), so a kill -9
loses at most the answers not yet committed, and a rerun asks only for those.
"""
from __future__ import annotations

import collections
import json
import os
import re
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import duckdb

from collector import __version__
from collector.design import Design
from collector.errors import LockedError, UserError

DEFAULT_DB = Path("data") / "aligned.duckdb"
#: DuckDB's memory cap while a collect run appends answers (checkpoints spill instead of growing)
COLLECT_MEMORY_LIMIT = "64MB"

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
_INSERT_RESPONSES = (f"insert into raw.responses ({_COLS}) "
                     f"select unnest(from_json(j, '{_ROW_STRUCTURE}')) from unnest(?::varchar[]) t(j)")


def __getattr__(name: str) -> Any:
    if name == "RESPONSE_SCHEMA":  # the same columns as an Arrow schema, for callers that want one
        import pyarrow as pa
        arrow = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(),
                 "TIMESTAMP": pa.timestamp("us"), "VARCHAR[]": pa.list_(pa.string())}
        return pa.schema([(c, arrow[t]) for c, t in RESPONSE_COLUMNS])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _lock_message(path: Path, exc: Exception) -> str:
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
    return (f"{path}: the database is locked{holder}; DuckDB allows one writer at a time. "
            f"Wait for it to finish (or stop it), or query a copy of the file.")


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


def connect(path: str | Path, read_only: bool = False, create: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the experiment database with one-line errors for a missing folder or a lock."""
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
    try:
        return duckdb_connect(p, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise LockedError(_lock_message(p, exc)) from None
        raise UserError(f"{p}: cannot open the database: {str(exc).splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise UserError(f"{p}: cannot open the database: {str(exc).splitlines()[0]}") from None


def init_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


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
            con.executemany(
                "insert into raw.items values (?,?,?,?,?,?,?,?,?,?,?)",
                [[exp.study, i.item, i.task, i.kind, i.context, i.value, i.value_a, i.value_b, i.k, len(i.options),
                  i.prompt_template] for i in design.items],
            )
            con.executemany(
                "insert into raw.options values (?,?,?,?,?,?,?,?)",
                [[exp.study, i.item, o.key, o.label, o.canonical, o.value, o.ordinal, o.is_synonym]
                 for i in design.items for o in (*i.options, *i.synonyms)],
            )
            con.executemany(
                "insert into raw.settings values (?,?,?,?,?)",
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
            con.executemany(
                "insert into raw.models values (?,?,?,?,?,?,?)",
                [[exp.study, m["model"], m["provider"], m.get("provider_model"), m.get("base_url"),
                  m["provider"] == "simulated", now] for m in new],
            )
        con.execute("commit")
    except UserError:
        raise
    except Exception:
        con.execute("rollback")
        raise


def start_run(con: duckdb.DuckDBPyConnection, kind: str, study: str, experiment_hash: str | None,
              options: dict[str, Any]) -> str:
    run_id = uuid.uuid4().hex
    con.execute("insert into raw.runs values (?,?,?,?,?,?,?)",
                [run_id, kind, study, experiment_hash, json.dumps(options, sort_keys=True, default=str), utcnow(),
                 __version__])
    return run_id


def end_run(con: duckdb.DuckDBPyConnection, run_id: str, outcome: str, planned: int, ok: int, failed: int) -> None:
    con.execute("insert into raw.run_ends values (?,?,?,?,?,?)", [run_id, utcnow(), outcome, planned, ok, failed])


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


_encode_row = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode


def insert_responses(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Append rows in one transaction, one statement per batch (no per-row statements).

    Each row travels as a JSON object that DuckDB parses into the typed columns
    (missing keys are null). This keeps pyarrow, and the pandas it imports on
    first use (~75 MB together), out of a collect run's memory.
    """
    if rows:
        _insert_encoded(con, [_encode_row(r) for r in rows])


def _insert_encoded(con: duckdb.DuckDBPyConnection, payload: list[str]) -> None:
    con.execute("begin")
    try:
        con.execute(_INSERT_RESPONSES, [payload])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


@dataclass
class WriterStats:
    rows: int = 0
    batches: int = 0
    seconds: float = 0.0


class ResponseWriter:
    """The single writer: a thread that drains a buffer into batched transactions.

    ``put`` only appends to a thread-safe deque (no lock, no thread wake-up per
    row); the writer thread wakes when ``batch_size`` rows are waiting or
    ``flush_s`` has passed, and on ``close``, and commits what it finds.
    With ``enabled=False`` rows are counted and dropped (benchmarks only).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection | None, batch_size: int = 500, flush_s: float = 0.25,
                 enabled: bool = True) -> None:
        self.con = con.cursor() if con is not None else None  # its own connection to the same database
        self.batch_size = batch_size
        self.flush_s = flush_s
        self.enabled = enabled
        self.stats = WriterStats()
        #: request keys another process answered since this run planned (the runner skips them)
        self.answered_elsewhere: set[str] = set()
        self.error: BaseException | None = None
        self._buf: collections.deque[str] = collections.deque()  # rows encoded as JSON
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

    def close(self) -> None:
        self._closing = True
        self._wake.set()
        self._thread.join()
        if self.con is not None:
            self.con.close()
        if self.error is not None:
            raise RuntimeError(f"the database writer failed: {self.error}") from self.error

    def _loop(self) -> None:
        buf = self._buf
        while True:
            if len(buf) < self.batch_size and not self._closing:
                # one transaction per flush_s at most, unless a full batch is waiting: a commit has a
                # fixed cost (milliseconds), so draining every trickle of rows would cost more than the rows
                self._wake.wait(self.flush_s)
                self._wake.clear()
            closing = self._closing  # read before draining: rows put before close() are all in buf
            n = min(len(buf), self.batch_size)
            if n and self.error is None:
                self._flush([buf.popleft() for _ in range(n)])
            if closing and (not buf or self.error is not None):
                return

    def _flush(self, batch: list[str]) -> None:
        t0 = time.perf_counter()
        try:
            if self.enabled and self.con is not None:
                _insert_encoded(self.con, batch)
        except BaseException as exc:  # surfaced to the runner on the next put/close
            self.error = exc
            return
        self.stats.rows += len(batch)
        self.stats.batches += 1
        self.stats.seconds += time.perf_counter() - t0


def default_db_path() -> Path:
    return Path(os.environ.get("ALIGNED_DB", str(DEFAULT_DB)))
