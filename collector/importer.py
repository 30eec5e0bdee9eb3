"""``aligned import``: answers collected elsewhere, stored like collected ones (provider ``import``).

Records (JSONL objects or CSV rows) carry ``model``, ``item``, ``setting``
(default ``original``), ``replicate`` and ``response``, and optionally
``external_id``, ``options_shown`` (a JSON list of option keys in the order
shown; required for rank items, whose answers refer to positions) and
``collected_at``. The file is read and validated in DuckDB, set-based, so a
million lines import in seconds. A file with any bad record is rejected whole
(up to 20 line numbers and reasons); importing the same file twice adds nothing.

A collector's journal (``<db>.journal/*.jsonl``, see :mod:`collector.journal`) is
recognised by its rows and imported as it is: the answers keep their run, ids and
provenance, so a collection that ran on another machine is stored as if it ran here.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from collector import __version__, journal, reference, store
from collector.config import MODEL_NAME_PATTERN, Experiment
from collector.design import Design
from collector.errors import UserError
from collector.plan import request_key

REQUIRED = ("model", "item", "replicate", "response")
OPTIONAL = ("setting", "external_id", "options_shown", "collected_at")
MAX_REPORTED = 20


def _records_sql(path: Path) -> str:
    """A query yielding (line_no, model, item, setting, replicate, response, external_id, options_shown, collected_at, problem)."""
    p = str(path).replace("'", "''")
    if path.suffix.lower() == ".csv":
        return f"""
        select row_number() over () + 1 as line_no, * from read_csv('{p}', all_varchar = true, header = true)
        """
    return f"""
    with raw_lines as (
        select unnest(generate_series(1, len(parts))) as line_no, unnest(parts) as line
        from (select string_split(replace(content, chr(13), ''), chr(10)) as parts from read_text('{p}'))
    )
    select line_no, line from raw_lines where trim(line) <> ''
    """


def _load(con: duckdb.DuckDBPyConnection, path: Path, shown: Path) -> None:
    """Read ``path`` line by line into ``recs``; messages name ``shown`` (the file the user gave)."""
    if path.suffix.lower() == ".csv":
        try:
            con.execute(f"create temp table src as {_records_sql(path)}")
        except duckdb.Error as exc:
            raise UserError(f"{shown}: cannot read the CSV file: {str(exc).splitlines()[0].replace(str(path), str(shown))}") from None
        cols = [r[0] for r in con.execute("describe src").fetchall()]
        missing = [c for c in REQUIRED if c not in cols]
        unknown = [c for c in cols if c not in (*REQUIRED, *OPTIONAL, "line_no")]
        if missing or unknown:
            raise UserError(
                f"{shown}: wrong CSV header: "
                + (f"missing column(s) {', '.join(missing)}" if missing else "")
                + ("; " if missing and unknown else "")
                + (f"unknown column(s) {', '.join(unknown)}" if unknown else "")
                + f"; expected {', '.join(REQUIRED)} and optionally {', '.join(OPTIONAL)}")
        sel = ", ".join(f"{c}" if c in cols else f"null::varchar as {c}" for c in (*REQUIRED, *OPTIONAL))
        con.execute(f"""
            create temp table recs as
            select line_no, {sel}, null::varchar as problem from src
        """)
        return
    try:
        con.execute(f"create temp table src as {_records_sql(path)}")
    except duckdb.Error as exc:
        raise UserError(f"{shown}: cannot read the file: {str(exc).splitlines()[0].replace(str(path), str(shown))}") from None
    keys = ", ".join(f"'{c}'" for c in (*REQUIRED, *OPTIONAL))
    con.execute(f"""
        create temp table recs as
        with parsed as (
            -- invalid lines become null so that no json function ever sees them
            select line_no, json_valid(line) as ok_json,
                   case when json_valid(line) then line::json end as line
            from src
        )
        select line_no,
               case when ok_json then line->>'model' end as model,
               case when ok_json then line->>'item' end as item,
               case when ok_json then line->>'replicate' end as replicate,
               case when ok_json then line->>'response' end as response,
               case when ok_json then line->>'setting' end as setting,
               case when ok_json then line->>'external_id' end as external_id,
               case when ok_json then (case when json_type(line->'options_shown') = 'ARRAY'
                                            then (line->'options_shown')::varchar
                                            else line->>'options_shown' end) end as options_shown,
               case when ok_json then line->>'collected_at' end as collected_at,
               case
                 when not ok_json then 'invalid JSON'
                 when json_type(line) <> 'OBJECT' then 'expected a JSON object'
                 when json_type(line->'replicate') not in ('UBIGINT', 'BIGINT')
                      and (line->'replicate') is not null then 'replicate must be a whole number'
                 when json_type(line->'response') <> 'VARCHAR' and (line->'response') is not null
                      then 'response must be a string'
                 else (select string_agg(k, ', ') from unnest(json_keys(line)) t(k)
                       where k not in ({keys}))
                      -- unknown keys are reported below
               end as problem
        from parsed
    """)
    con.execute("""
        update recs set problem = 'unknown field(s): ' || problem
        where problem is not null and problem not in ('invalid JSON', 'expected a JSON object',
              'replicate must be a whole number', 'response must be a string')
    """)


_FIELDS = (*REQUIRED, *OPTIONAL)


def _load_fast(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """JSONL only: the same ``recs`` as :func:`_load`, parsing each line once, in parallel.

    DuckDB's newline-delimited JSON reader splits and parses the file on every
    core, and one multi-path extraction per line replaces a parse per field.
    Blank lines are skipped by the reader, so ``line_no`` is the record's
    position, not always its line: a file with any problem is therefore
    re-read by :func:`_load`, whose line numbers are exact. Returns False
    (nothing created) when the reader refuses the file.
    """
    if path.suffix.lower() == ".csv":
        return False
    p = str(path).replace("'", "''")
    paths = ", ".join(f"'$.{c}'" for c in _FIELDS)
    keys = ", ".join(f"'{c}'" for c in _FIELDS)
    try:
        con.execute(f"""
            create temp table recs as
            with parsed as (
                select row_number() over () as line_no,
                       json_extract_string(json, [{paths}]) as v,
                       json_type(json, ['$', '$.replicate', '$.response', '$.options_shown']) as t,
                       list_filter(json_keys(json), lambda k: not list_contains([{keys}], k)) as unknown
                from read_json_objects('{p}', format = 'newline_delimited')
            )
            select line_no, {", ".join(f"v[{n}] as {c}" for n, c in enumerate(_FIELDS, 1))},
                   case
                     when t[1] <> 'OBJECT' then 'expected a JSON object'
                     when t[2] not in ('UBIGINT', 'BIGINT') then 'replicate must be a whole number'
                     when t[3] <> 'VARCHAR' then 'response must be a string'
                     when len(unknown) > 0 then 'unknown field(s): ' || array_to_string(unknown, ', ')
                   end as problem
            from parsed
        """)
    except duckdb.Error:
        con.execute("drop table if exists recs")
        return False
    return True


def import_file(path: str | Path, db_path: str | Path, exp: Experiment,
                on_reference: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Validate and append the records of ``path``; return (rows added, records already present).

    With ``on_reference`` (the CLI passes it when given an experiment file), the study's human
    reference is checked first and recorded with the design; the one-line outcome goes to it.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a folder; pass a .jsonl or .csv file")
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".json", ".csv"):
        raise UserError(f"{path}: unknown file type {path.suffix!r}; use .jsonl (one JSON object per line) or .csv")
    design = Design(exp)
    ref = reference.load_reference(exp, design) if on_reference is not None else None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the file ({type(exc).__name__})") from None
    if not data.strip():
        raise UserError(f"{path}: the file is empty; nothing imported")
    file_hash = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() in (".jsonl", ".ndjson") and _is_journal(data):
        return import_journal(path, data, db_path, exp, file_hash, on_reference)
    # DuckDB's readers take a file name as a glob ('ans[12].jsonl' reads ans1.jsonl, 'ans*.jsonl' every match):
    # they read a private copy of exactly the bytes read and hashed above, under a name with no glob characters
    with tempfile.TemporaryDirectory(prefix="aligned-import-") as tmp:
        copy = Path(tmp) / ("records" + path.suffix.lower())
        copy.write_bytes(data)
        records = _read_records(copy, design, path)

    models = sorted(set(records.column("model").to_pylist()))
    con = store.connect(db_path)
    try:
        store.init_schema(con)
        store.record_design(con, design, [{"model": m, "provider": "import"} for m in models])
        _record_reference(con, ref, on_reference)
        _replay_orphans(con, db_path)
        run_id = store.start_run(con, "import", exp.study, exp.file_hash, {"file": str(path), "sha256": file_hash,
                                                                         "bytes": len(data),
                                                                         "records": records.num_rows})
        con.register("_imp", records)
        before = con.execute("select count(*) from raw.responses").fetchone()[0]
        con.execute("begin")
        try:
            con.execute("""
                insert into raw.responses
                with keyed as (
                    select md5(? || '|' || r.model || '|' || r.item || '|' || r.setting || '|' || r.replicate::varchar)
                               as request_key, r.*
                    from _imp r
                )
                select
                    k.request_key || '-import-' || substr(?, 1, 12) as response_id, k.request_key, ? as run_id,
                    ? as study, k.model, 'import' as provider, null as provider_model, k.item, i.task, i.context,
                    k.setting, k.replicate, k.external_id,
                    coalesce(k.options_shown::varchar[], null) as options_shown, null as labels_shown,
                    null as messages, null as params, null as seed, k.response as response_text,
                    null as finish_reason, null as response_model, 'ok' as status, null as error,
                    null as http_status, 1 as attempts, null as latency_ms, null as prompt_tokens,
                    null as completion_tokens, null as cost_usd, k.collected_at as requested_at,
                    coalesce(k.collected_at, now()::timestamp) as completed_at, ? as collector_version
                from keyed k
                join raw.items i on i.study = ? and i.item = k.item
                where k.request_key not in (
                    select request_key from raw.responses where study = ? and status = 'ok')
            """, [exp.study, run_id, run_id, exp.study, __version__, exp.study, exp.study])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        added = con.execute("select count(*) from raw.responses").fetchone()[0] - before
        store.end_run(con, run_id, "finished", records.num_rows, added, 0)
        return added, records.num_rows - added
    finally:
        con.close()


def _read_records(copy: Path, design: Design, path: Path):  # -> pyarrow.Table
    """Validate the records of ``copy`` (the bytes of ``path``, which error messages name)."""
    work = store.duckdb_connect()  # validation happens in memory; the database is touched only if all is well
    try:
        try:
            if not _load_fast(work, copy):
                raise UserError("")
            _validate(work, design, path)
        except UserError:  # refused or has problems: read it again line by line, for exact line numbers
            work.close()
            work = store.duckdb_connect()
            _load(work, copy, path)
            _validate(work, design, path)
        return work.sql("""
            select model, item, coalesce(setting, 'original') as setting, replicate::integer as replicate, response,
                   external_id, options_shown, try_cast(collected_at as timestamp) as collected_at
            from recs order by line_no
        """).to_arrow_table()
    finally:
        work.close()


def _is_journal(data: bytes) -> bool:
    """A collector's journal (rows of raw.responses and runs), not a file of import records."""
    first = data.lstrip().split(b"\n", 1)[0]
    try:
        row = json.loads(first)
    except ValueError:
        return False
    return isinstance(row, dict) and ("_kind" in row or "response_id" in row)


def import_journal(path: Path, data: bytes, db_path: str | Path, exp: Experiment,
                   file_hash: str, on_reference: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Put a collector's journal (copied from another machine, or left by a run) into the database.

    Its rows keep their run, ids and timestamps; every answer must belong to ``exp``'s design
    (same study, items, settings, and the request key :func:`collector.plan.request_key` gives).
    Answers already in the database are skipped, so nothing is stored -- or asked -- twice.
    """
    design = Design(exp)
    ref = reference.load_reference(exp, design) if on_reference is not None else None
    lines = journal.split_lines(data)  # the bytes read and hashed, not a second read of the file
    items = {i.item for i in design.items}
    settings = {(s.task, s.setting) for s in design.settings}
    task_of = {i.item: i.task for i in design.items}
    models: dict[str, dict] = {}
    n_answers = 0
    for no, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except ValueError:
            raise UserError(f"{path}: line {no}: not JSON; a journal holds one JSON object per line") from None
        if not isinstance(row, dict) or "_kind" in row:
            continue
        n_answers += 1
        where = f"{path}: line {no}"
        if row.get("study") != exp.study:
            raise UserError(f"{where}: study {row.get('study')!r}, but {exp.source_path} is study {exp.study!r}; "
                            f"pass the experiment file the journal was collected with (or --study)")
        item, setting = row.get("item"), row.get("setting")
        if item not in items or (task_of[item], setting) not in settings:
            raise UserError(f"{where}: item {item!r} / setting {setting!r} is not in the design of "
                            f"{exp.source_path}; pass the experiment file the journal was collected with")
        try:
            key = request_key(exp.study, row["model"], item, setting, int(row["replicate"]))
        except (KeyError, TypeError, ValueError):
            raise UserError(f"{where}: model or replicate missing; the line is not a journal row") from None
        if row.get("request_key") != key:
            raise UserError(f"{where}: request_key does not match study|model|item|setting|replicate; "
                            f"the journal was edited or is from another design")
        models.setdefault(row["model"], {"model": row["model"], "provider": row.get("provider") or "import",
                                         "provider_model": row.get("provider_model")})
    if not n_answers:
        raise UserError(f"{path}: no answers in this journal; nothing imported")
    con = store.connect(db_path)
    try:
        store.init_schema(con)
        store.record_design(con, design, list(models.values()))
        _record_reference(con, ref, on_reference)
        _replay_orphans(con, db_path)
        run_id = store.start_run(con, "import", exp.study, exp.file_hash,
                                 {"file": str(path), "sha256": file_hash, "records": n_answers, "journal": True})
        con.execute("begin")
        try:
            added = store.insert_lines(con, lines)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        store.end_run(con, run_id, "finished", n_answers, added, 0)
    finally:
        con.close()
    return added, n_answers - added


def _record_reference(con: duckdb.DuckDBPyConnection, ref: reference.LoadedReference | None,
                      on_reference: Callable[[str], None] | None) -> None:
    if ref is not None and on_reference is not None:
        on_reference(reference.record_reference(con, ref).line())


def _replay_orphans(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> None:
    """Journals left by runs that could not flush them (kill -9, a file held to the end) go in first."""
    for path, f in journal.claim_orphans(db_path):
        try:
            con.execute("begin")
            try:
                store.insert_lines(con, journal.read_lines(path)[0])
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise
            journal.retire(path)
        finally:
            f.close()


def _validate(con: duckdb.DuckDBPyConnection, design: Design, path: Path) -> None:
    if con.execute("select count(*) from recs").fetchone()[0] == 0:
        raise UserError(f"{path}: no records found")
    con.execute("create temp table d_items (item varchar, task varchar, kind varchar, keys varchar[])")
    store.insert_rows(con, "insert into d_items",
                    [[i.item, i.task, i.kind, sorted(o.key for o in i.options)] for i in design.items])
    con.execute("create temp table d_settings (task varchar, setting varchar)")
    store.insert_rows(con, "insert into d_settings", [[s.task, s.setting] for s in design.settings])
    problems = con.execute("""
        with r as (
            select recs.*, d.task, d.kind, d.keys,
                   try_cast(recs.replicate as integer) as rep,
                   case when options_shown is null then null
                        else try_cast(options_shown as varchar[]) end as shown
            from recs left join d_items d using (item)
        ), checks as (
            select line_no, coalesce(problem,
                case
                  when model is null or trim(model) = '' then 'missing field: model'
                  when not regexp_full_match(model, ?)
                       then 'model name ' || to_json(left(model, 40)) || ' is not allowed (letters, digits and . _ : / -, '
                            || 'starting with a letter or digit, as in an experiment file)'
                  when item is null then 'missing field: item'
                  when replicate is null then 'missing field: replicate'
                  when response is null then 'missing field: response'
                  when task is null then 'unknown item ' || item
                  when rep is null then 'replicate must be a whole number, got ' || replicate
                  when rep < 1 or rep > ? then 'replicate ' || replicate || ' is outside 1..' || ?
                  when (task, coalesce(setting, 'original')) not in (select (task, setting) from d_settings)
                       then 'unknown setting ' || coalesce(setting, 'original') || ' for item ' || item
                  when options_shown is not null and shown is null
                       then 'options_shown must be a JSON list of option keys'
                  when shown is not null and list_sort(shown) <> keys
                       then 'options_shown must list each option key of ' || item || ' once'
                  when kind = 'rank' and shown is null
                       then 'options_shown is required for rank items (their answers refer to positions)'
                  when collected_at is not null and try_cast(collected_at as timestamp) is null
                       then 'collected_at is not a timestamp: ' || collected_at
                end) as problem
            from r
        ), dups as (
            select line_no, 'the same (model, item, setting, replicate) as line ' || first_line as problem
            from (select line_no, min(line_no) over (partition by model, item, coalesce(setting, 'original'),
                         replicate) as first_line from recs)
            where line_no <> first_line
        )
        select line_no, problem from checks where problem is not null
        union all select * from dups
        order by line_no
    """, [MODEL_NAME_PATTERN.strip("^$"), design.exp.replicates, design.exp.replicates]).fetchall()
    if problems:
        shown = "; ".join(f"line {n}: {p}" for n, p in problems[:MAX_REPORTED])
        more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
        raise UserError(f"{path}: {len(problems)} bad record(s), nothing imported: {shown}{more}")
