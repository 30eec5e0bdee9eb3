"""Safe ad hoc SQL over the experiment database: ``aligned sql``.

A query goes through three independent gates before any row is read:

1. :func:`check_and_transpile` parses it with sqlglot (in the dialect it was written
   in, default duckdb) and refuses anything that is not one read-only query: the top
   level must be a SELECT / set operation / VALUES / PIVOT / DESCRIBE / SHOW TABLES /
   SUMMARIZE, and a walk over every node refuses statements nested anywhere (DDL,
   DML, COPY, ATTACH, ... even inside a CTE), ``SELECT ... INTO``, functions that read
   files, URLs or settings, table functions not on a short allow list, and table names
   that look like file paths (DuckDB's ``FROM 'file.csv'``). The query is then written
   out as DuckDB SQL, parsed again and checked again: what runs is what was checked.
2. DuckDB's own parser must see exactly one statement of type SELECT.
3. The file is opened ``read_only`` with external access (files, URLs, extensions)
   disabled and the configuration locked, so a statement that slipped past both
   checks still cannot write the file or read another one.

Every failure is a :class:`collector.errors.UserError` with a one-line message.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import math
import re
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TextIO

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, Dialects
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, TokenError, UnsupportedError
from sqlglot.tokens import TokenType

from aligned.terminal import printable
from collector.errors import LockedError, UserError
from collector.store import DEFAULT_DB, _lock_message, open_waiting

__all__ = [
    "FORMATS",
    "DIALECTS",
    "check_and_transpile",
    "open_readonly",
    "execute",
    "write_rows",
    "run_query",
]

FORMATS = ("table", "csv", "json")
DEFAULT_DIALECT = "duckdb"
DIALECTS: tuple[str, ...] = tuple(sorted(d.value for d in Dialects if d.value))
# Common spellings mapped to sqlglot's dialect names.
_DIALECT_ALIASES = {
    "postgresql": "postgres", "pg": "postgres", "psql": "postgres",
    "mssql": "tsql", "sqlserver": "tsql", "sql_server": "tsql",
    "bq": "bigquery", "spark3": "spark", "sparksql": "spark",
}

READ_ONLY_WHAT = ("aligned sql runs one read-only query "
                  "(SELECT, WITH ... SELECT, VALUES, PIVOT, DESCRIBE, SHOW TABLES, SUMMARIZE)")

# -- limits (docs/reliability.md, "Limits") ---------------------------------------------
#: rows the table format prints unless --limit N or --all says otherwise
DEFAULT_ROW_LIMIT = 1000
#: seconds a query may run (--timeout); then it is interrupted with one line
DEFAULT_TIMEOUT_S = 60.0
#: memory DuckDB may use for a query (--memory-limit); nothing spills to disk
DEFAULT_MEMORY_LIMIT = "1GB"
#: deepest nesting of parentheses in a query (sqlglot's parser is recursive)
MAX_NESTING = 32
#: rows fetched at a time when streaming csv / json
_CHUNK = 10_000

# Connection settings: no files, URLs or extensions; no Python-variable scans; bounded
# memory, no spilling to disk; locked (a query cannot change any of this).
# ``temp_directory`` '' (no spilling) cannot be given together with external access off,
# so open_readonly sets it first and then applies :data:`LOCKDOWN` with SET, in this order,
# before any query runs. (``max_temp_directory_size = 0`` instead leaves a recursive query
# deaf to Ctrl-C and to the time limit.)
CONNECT_CONFIG: dict[str, Any] = {
    "memory_limit": DEFAULT_MEMORY_LIMIT,
    "temp_directory": "",
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "python_enable_replacements": False,
}
LOCKDOWN: dict[str, Any] = {
    "enable_external_access": False,
    "lock_configuration": True,
}

# -- allow / deny rules ---------------------------------------------------------------

# Top-level statement kinds that are read-only.
_TOP_ALLOWED: tuple[type[exp.Expression], ...] = (
    exp.Select, exp.SetOperation, exp.Subquery, exp.Values, exp.Describe, exp.Show, exp.Summarize, exp.Pivot,
)
_SHOW_ALLOWED = {"TABLES", "ALL TABLES"}

# Node kinds refused anywhere in the tree (statements nested in CTEs, subqueries, ...).
_FORBIDDEN_NAMES = (
    "Command", "DML", "DDL", "Create", "Drop", "Alter", "AlterColumn", "AlterRename", "RenameTable",
    "TruncateTable", "Attach", "Detach", "Copy", "Install", "Pragma", "Set", "SetItem", "Use",
    "Transaction", "Commit", "Rollback", "Comment", "Into", "LoadData", "Grant", "Revoke", "Analyze",
    "Cache", "Uncache", "Refresh", "Merge", "Insert", "Update", "Delete", "Export", "Declare",
    "Kill", "Execute", "Returning",
)
_FORBIDDEN: tuple[type[exp.Expression], ...] = tuple(
    c for c in (getattr(exp, n, None) for n in _FORBIDDEN_NAMES) if isinstance(c, type)
)
# PIVOT / UNPIVOT statements are reads; DuckDB runs a PIVOT without an IN list as
# several statements, which the DuckDB gate in :func:`execute` refuses.

# Functions that read files/URLs, scan other databases, run SQL from strings, or
# reveal the environment. Plus any name starting with read_ or ending with _scan.
DENIED_FUNCTIONS = frozenset({
    "glob", "sniff_csv", "query", "query_table", "read_csv", "read_csv_auto", "read_parquet",
    "parquet_scan", "read_json", "read_json_auto", "read_json_objects", "read_ndjson",
    "read_ndjson_auto", "read_ndjson_objects", "read_text", "read_blob", "read_xlsx",
    "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata",
    "parquet_bloom_probe", "iceberg_scan", "iceberg_metadata", "iceberg_snapshots", "delta_scan",
    "postgres_scan", "postgres_scan_pushdown", "postgres_query", "postgres_execute", "postgres_attach",
    "mysql_scan", "mysql_query", "mysql_execute", "sqlite_scan", "sqlite_attach", "sqlite_query",
    "json_execute_serialized_sql", "getenv", "current_setting", "duckdb_settings", "duckdb_secrets",
    "which_secret", "duckdb_extensions", "duckdb_databases", "duckdb_temporary_files",
    "duckdb_memory", "duckdb_logs", "duckdb_log_contexts", "load_extension", "checkpoint",
    "force_checkpoint", "set_config", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file",
    "lo_import", "lo_export", "load_file", "system", "shell", "exec", "execute", "setvariable",
    "enable_logging", "disable_logging", "truncate_duckdb_logs", "enable_profiling",
})
_DENIED_PREFIXES = ("read_", "pragma_", "pg_read", "pg_ls", "sqlite_", "postgres_", "mysql_", "iceberg_", "delta_")
_DENIED_SUFFIXES = ("_scan",)

# Table functions (a function used as a relation in FROM / JOIN) allowed at all.
ALLOWED_TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest",
    # catalog metadata about this database only
    "duckdb_tables", "duckdb_columns", "duckdb_views", "duckdb_schemas", "duckdb_constraints",
    "duckdb_indexes", "duckdb_types",
})
_ALLOWED_TABLE_FUNC_CLASSES: tuple[type[exp.Expression], ...] = tuple(
    c for c in (getattr(exp, n, None) for n in ("GenerateSeries", "Unnest", "ExplodingGenerateSeries"))
    if isinstance(c, type)
)
# Table names that are catalog views leaking the environment.
_DENIED_TABLE_NAMES = frozenset({"duckdb_settings", "duckdb_secrets", "duckdb_extensions", "duckdb_databases",
                                 "duckdb_temporary_files", "duckdb_memory", "duckdb_logs", "pragma_database_list"})
# A table "name" with these is a file path, URL or glob (DuckDB scans it as a file).
_PATHLIKE = re.compile(r"[/\\:.*?~%{}\[\]]")

# First keywords of statements that can never be read-only (used to refuse clearly
# even when sqlglot cannot parse the statement, e.g. EXPORT DATABASE).
_NON_READ_KEYWORDS = frozenset({
    "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "CREATE", "DROP", "ALTER", "TRUNCATE",
    "ATTACH", "DETACH", "COPY", "EXPORT", "IMPORT", "INSTALL", "FORCE", "LOAD", "PRAGMA", "SET", "RESET",
    "CALL", "USE", "CHECKPOINT", "VACUUM", "ANALYZE", "BEGIN", "START", "COMMIT", "ROLLBACK", "ABORT",
    "END", "PREPARE", "EXECUTE", "DEALLOCATE", "COMMENT", "GRANT", "REVOKE", "EXPLAIN", "UNLOCK", "LOCK",
    "KILL", "DECLARE", "RENAME", "CACHE", "UNCACHE", "REFRESH", "MSCK", "OPTIMIZE", "UNDROP",
})


def _refuse(what: str) -> UserError:
    return UserError(f"refused: {what}; {READ_ONLY_WHAT}")


# -- dialects, parse errors ---------------------------------------------------------

def _dialect(read_dialect: str | None) -> str:
    name = (read_dialect or DEFAULT_DIALECT).strip().lower()
    name = _DIALECT_ALIASES.get(name, name)
    if name not in DIALECTS:
        raise UserError(f"unknown SQL dialect {read_dialect!r} for --read; valid: {', '.join(DIALECTS)}")
    return name


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to a Command; the refusal says it instead."""
    log = logging.getLogger("sqlglot")
    before = log.disabled
    log.disabled = True
    try:
        yield
    finally:
        log.disabled = before


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _parse_error_message(exc: ParseError, dialect: str) -> str:
    errors = getattr(exc, "errors", None) or []
    if not errors:
        return f"SQL syntax error ({dialect}): {_one_line(str(exc).splitlines()[0] if str(exc) else exc)}"
    e = errors[0]
    desc = re.sub(r"<class '(?:[\w.]+\.)?(\w+)'>", r"\1", str(e.get("description") or "invalid syntax"))
    line, col, near = e.get("line"), e.get("col"), e.get("highlight") or ""
    if isinstance(col, int) and near and "\n" not in near and col - len(near) + 1 >= 1:
        col = col - len(near) + 1  # sqlglot reports the token's last column; show its first
    where = f"line {line}, col {col}" if line is not None else "unknown position"
    near_txt = f" near {_one_line(near)[:40]!r}" if near.strip() else ""
    return _one_line(f"SQL syntax error at {where}{near_txt} ({dialect}): {desc}")


# -- the checks -----------------------------------------------------------------------

def _too_deep() -> UserError:
    return UserError(f"the query is nested more than {MAX_NESTING} levels deep (parentheses, subqueries or "
                     "chained operators); write it with fewer levels, e.g. with a WITH clause")


def _statement_keywords(sql: str, dialect: str) -> list[str]:
    """The first keyword of each statement (comments ignored), by sqlglot's tokenizer.

    Refuses a query nested deeper than :data:`MAX_NESTING` parentheses before it is parsed.
    """
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except (TokenError, SqlglotError, ValueError):
        return []
    firsts: list[str] = []
    expect = True
    depth = 0
    for tok in tokens:
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
            if depth > MAX_NESTING:
                raise _too_deep()
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        if tok.token_type == TokenType.SEMICOLON:
            expect = True
            continue
        if expect:
            firsts.append(tok.text.upper())
            expect = False
    return firsts


def _func_names(node: exp.Func) -> set[str]:
    names: set[str] = set()
    if isinstance(node, exp.Anonymous):
        names.add(str(node.name).lower())
    else:
        try:
            names.update(n.lower() for n in type(node).sql_names())
        except Exception:  # pragma: no cover - defensive
            pass
        names.add(node.key.lower())
    return {n for n in names if n}


def _is_denied_function(name: str) -> bool:
    return (name in DENIED_FUNCTIONS or name.startswith(_DENIED_PREFIXES) or name.endswith(_DENIED_SUFFIXES))


def _is_relation_position(node: exp.Expression) -> bool:
    """True for a function used as a relation: FROM f(), JOIN f(), LATERAL f(), t AS f()."""
    return node.arg_key == "this" and isinstance(node.parent, (exp.Table, exp.From, exp.Join, exp.Lateral))


def _table_parts(table: exp.Table) -> list[exp.Expression]:
    return [p for p in (table.args.get("this"), table.args.get("db"), table.args.get("catalog")) if p is not None]


def _check_tree(tree: exp.Expression) -> None:
    """Refuse ``tree`` unless it is one read-only query; raises UserError."""
    if not isinstance(tree, _TOP_ALLOWED):
        kind = str(tree.name if isinstance(tree, exp.Command) else tree.key).upper() or type(tree).__name__.upper()
        if kind == "SHOW" and isinstance(tree, exp.Command):
            what = _one_line(tree.expression.name if isinstance(tree.expression, exp.Expression)
                             else str(tree.args.get("expression") or "")).upper()
            raise _refuse(f"SHOW {what[:40]} (only SHOW TABLES and SHOW ALL TABLES are allowed)")
        raise _refuse(f"{kind} is not a read-only query")
    if isinstance(tree, exp.Show):
        what = _one_line(str(tree.this or "")).upper()
        extra = [k for k, v in tree.args.items() if k != "this" and v not in (None, False, [])]
        if what not in _SHOW_ALLOWED or extra:
            raise _refuse(f"SHOW {what} (only SHOW TABLES and SHOW ALL TABLES are allowed)")
    if isinstance(tree, exp.Describe):
        if not isinstance(tree.this, (exp.Table, exp.Query)):
            raise _refuse("DESCRIBE of something other than a table or a query")
    if isinstance(tree, exp.Summarize):
        if not isinstance(tree.this, (exp.Table, exp.Query)):
            raise _refuse("SUMMARIZE of something other than a table or a query")

    for node in tree.walk():
        if node is tree and isinstance(node, (exp.Describe, exp.Show, exp.Summarize)):
            continue
        if isinstance(node, _FORBIDDEN):
            if isinstance(node, exp.Command):
                kind = str(node.this).upper()
            elif isinstance(node, exp.Into):
                kind = "SELECT ... INTO"
            elif isinstance(node, exp.Returning):
                kind = "RETURNING"
            else:
                kind = node.key.upper()
            raise _refuse(f"{kind} is not allowed (found inside the query)" if node is not tree
                          else f"{kind} is not a read-only query")
        if isinstance(node, exp.Select) and node.args.get("into") is not None:
            raise _refuse("SELECT ... INTO writes a table")
        if isinstance(node, exp.Func):
            names = _func_names(node)
            bad = sorted(n for n in names if _is_denied_function(n))
            if bad:
                raise _refuse(f"function {bad[0]}() reads files, other databases or settings")
            if _is_relation_position(node):
                ok = isinstance(node, _ALLOWED_TABLE_FUNC_CLASSES) or (
                    isinstance(node, exp.Anonymous) and node.name.lower() in ALLOWED_TABLE_FUNCTIONS)
                if not ok:
                    shown = node.name if isinstance(node, exp.Anonymous) else next(iter(sorted(names)), node.key)
                    raise _refuse(f"table function {shown.lower()}() (allowed: "
                                  f"{', '.join(sorted(ALLOWED_TABLE_FUNCTIONS))})")
        if isinstance(node, exp.Table):
            for part in _table_parts(node):
                if isinstance(part, exp.Func):
                    continue  # a table function: checked by the function rules
                name = str(part.name)
                if isinstance(part, exp.Literal) or _PATHLIKE.search(name):
                    raise _refuse(f"{name!r} as a table (files and URLs cannot be read)")
                if name.lower() in _DENIED_TABLE_NAMES:
                    raise _refuse(f"{name} reveals settings of this machine")


def _parse(sql: str, dialect: str) -> list[exp.Expression]:
    with _quiet_sqlglot():
        trees = sqlglot.parse(sql, read=dialect, error_level=ErrorLevel.RAISE)
    return [t for t in trees if t is not None and not isinstance(t, exp.Semicolon)]


def check_and_transpile(sql: str | None, read_dialect: str | None = None) -> str:
    """Check that ``sql`` is exactly one read-only query and return it as DuckDB SQL.

    ``read_dialect`` is a sqlglot dialect name (default duckdb). Raises UserError with a
    one-line message for an unknown dialect, a syntax error (with line and column), a
    query nested too deeply, or anything that is not a read-only query.
    """
    try:
        return _check_and_transpile(sql, read_dialect)
    except RecursionError:  # nesting the parenthesis count does not see (e.g. 1+1+...+1 thousands of times)
        raise _too_deep() from None


def _check_and_transpile(sql: str | None, read_dialect: str | None) -> str:
    dialect = _dialect(read_dialect)
    if sql is None or not sql.strip():
        raise UserError("no SQL query given; pass one as an argument or on stdin")

    firsts = _statement_keywords(sql, dialect)
    if len(firsts) > 1:
        raise _refuse(f"{len(firsts)} statements ({'; '.join(firsts)}); run one statement at a time")
    if firsts and firsts[0] in _NON_READ_KEYWORDS:
        raise _refuse(f"{firsts[0]} is not a read-only query")

    try:
        trees = _parse(sql, dialect)
    except ParseError as exc:
        raise UserError(_parse_error_message(exc, dialect)) from None
    except TokenError as exc:
        near = _one_line(str(exc).removeprefix("Error tokenizing ").strip())[-40:]
        raise UserError(f"SQL syntax error ({dialect}): an unclosed quote or comment, near {near}") from None
    except SqlglotError as exc:
        raise UserError(f"SQL error ({dialect}): {_one_line(str(exc))[:200]}") from None
    if not trees:
        raise UserError("no SQL query given (only comments or semicolons)")
    if len(trees) > 1:
        kinds = "; ".join(t.key.upper() for t in trees)
        raise _refuse(f"{len(trees)} statements ({kinds}); run one statement at a time")
    tree = trees[0]
    _check_tree(tree)

    try:
        with _quiet_sqlglot():
            out = tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE, comments=False)
    except UnsupportedError as exc:
        raise UserError(f"cannot translate this {dialect} query to DuckDB: {_one_line(str(exc))[:200]}") from None
    except SqlglotError as exc:
        raise UserError(f"cannot translate this {dialect} query to DuckDB: {_one_line(str(exc))[:200]}") from None

    # Check again what will actually run.
    try:
        again = _parse(out, "duckdb")
    except SqlglotError:
        raise UserError(f"cannot translate this {dialect} query to DuckDB (the result does not parse)") from None
    if len(again) != 1:
        raise _refuse("the query translates to several statements")
    _check_tree(again[0])
    return out


# -- the database -----------------------------------------------------------------------

def open_readonly(db_path: str | Path | None, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database read-only, with no file/URL/extension access, bounded memory and locked settings."""
    p = Path(db_path) if db_path is not None else _default_db()
    if not p.exists():
        raise UserError(f"{p}: no such database; run `aligned collect` or `aligned demo` first, or pass --db")
    if p.is_dir():
        raise UserError(f"{p}: is a folder, not a database file; pass the .duckdb file with --db")
    try:
        config = dict(CONNECT_CONFIG)
        if memory_limit is not None:
            config["memory_limit"] = memory_limit
        # waits (bounded) while a collect flushes a batch, then names the holder
        con = open_waiting(p, read_only=True, config=config)
        try:
            for name, value in LOCKDOWN.items():
                # connections to one file in one process share its settings: set each once
                if con.execute("select current_setting(?)", [name]).fetchone()[0] != value:
                    con.execute(f"set {name} = {'true' if value else 'false'}")
        except BaseException:
            con.close()
            raise
        return con
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            # one line even when the holder's command line has newlines (python -c "...")
            raise LockedError(_one_line(_lock_message(p, exc))) from None
        raise UserError(f"{p}: cannot open the database: {str(exc).splitlines()[0]}") from None
    except duckdb.Error as exc:
        if memory_limit is not None and "memory" in str(exc).lower():
            raise UserError(f"--memory-limit: {memory_limit!r} is not a size DuckDB knows; write e.g. 500MB or "
                            "2GB") from None
        raise UserError(f"{p}: cannot open the database: {str(exc).splitlines()[0]}") from None


def _default_db() -> Path:
    try:
        from collector.store import default_db_path
    except ImportError:  # pragma: no cover - older store without $ALIGNED_DB
        return DEFAULT_DB
    return default_db_path()


_LINE_RE = re.compile(r"^LINE (\d+): (.*)$")


def _duckdb_error_message(exc: Exception, user_sql: str, run_sql: str) -> str:
    """One line from a DuckDB error: the first line, a hint, and the position in the user's SQL."""
    lines = str(exc).splitlines() or [type(exc).__name__]
    head = lines[0].strip()
    hint = next((ln.strip() for ln in lines[1:3] if ln.strip() and not ln.startswith("LINE ")), "")
    position = ""
    for i, ln in enumerate(lines):
        m = _LINE_RE.match(ln)
        if not m or i + 1 >= len(lines):
            continue
        prefix = len(ln) - len(m.group(2))
        caret_line = lines[i + 1]
        start = caret_line.find("^")
        if start < 0:
            break
        end = start
        while end < len(caret_line) and caret_line[end] == "^":
            end += 1
        shown = ln[prefix:]
        token = ln[start:end].strip()
        # Where the shown snippet sits in the SQL that ran (DuckDB may elide with "...").
        run_lines = run_sql.splitlines() or [run_sql]
        lineno = int(m.group(1))
        run_line = run_lines[lineno - 1] if 0 < lineno <= len(run_lines) else run_sql
        core = shown.removeprefix("...").removesuffix("...")
        lead = len(shown) - len(shown.removeprefix("..."))
        base = run_line.find(core)
        occurrence = 0
        if base >= 0 and token:
            offset_in_line = base + (start - prefix - lead)
            abs_off = sum(len(x) + 1 for x in run_lines[: lineno - 1]) + offset_in_line
            occurrence = _occurrences(run_sql, token, limit=abs_off)
        pos = _find_nth(user_sql, token, occurrence) if token else -1
        if pos >= 0:
            uline = user_sql.count("\n", 0, pos) + 1
            ucol = pos - (user_sql.rfind("\n", 0, pos) + 1) + 1
            position = f" (line {uline}, col {ucol}: {token[:40]!r})"
        elif token:
            position = f" (at {token[:40]!r})"
        break
    msg = head + position + (f"; {hint}" if hint else "")
    return _one_line(msg)


def _occurrences(text: str, token: str, limit: int) -> int:
    """How many case-insensitive occurrences of ``token`` start before ``limit``."""
    low, tok = text.lower(), token.lower()
    n, i = 0, low.find(tok)
    while 0 <= i < limit:
        n += 1
        i = low.find(tok, i + 1)
    return n


def _find_nth(text: str, token: str, n: int) -> int:
    low, tok = text.lower(), token.lower()
    found = []
    i = low.find(tok)
    while i >= 0:
        found.append(i)
        i = low.find(tok, i + 1)
    if not found:
        return -1
    return found[min(n, len(found) - 1)]


def execute(con: duckdb.DuckDBPyConnection, run_sql: str, user_sql: str | None = None) -> duckdb.DuckDBPyConnection:
    """Run checked DuckDB SQL: DuckDB's parser must also see one SELECT. Returns the cursor."""
    user_sql = user_sql if user_sql is not None else run_sql
    try:
        statements = con.extract_statements(run_sql)
    except duckdb.Error as exc:
        raise UserError(_duckdb_error_message(exc, user_sql, run_sql)) from None
    if len(statements) != 1:
        raise _refuse(f"DuckDB sees {len(statements)} statements; run one statement at a time")
    kind = statements[0].type
    if kind == duckdb.StatementType.MULTI:
        raise _refuse("DuckDB would run this as several statements (for PIVOT, list the values: ON col IN (...))")
    if kind != duckdb.StatementType.SELECT:
        raise _refuse(f"DuckDB sees a {str(kind).split('.')[-1]} statement")
    try:
        return con.execute(statements[0])
    except (duckdb.InterruptException, duckdb.OutOfMemoryException):
        raise  # run_query says which limit (or Ctrl-C) stopped it
    except duckdb.Error as exc:
        if _is_interrupt(exc):
            raise
        raise UserError(_duckdb_error_message(exc, user_sql, run_sql)) from None


# -- output -------------------------------------------------------------------------------

def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, Decimal):
        f = float(v)
        return f if math.isfinite(f) else str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_jsonable(x) for x in v]
    return str(v)


def _text(v: Any) -> str:
    """A value as text for csv and table output (NULL handled by the caller)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format(v, ".10g") if math.isfinite(v) else ("NaN" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(_jsonable(v), ensure_ascii=False)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    return str(v)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def _rows_word(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


_PLAIN_CELL_MAX = 100


def _plain_cell(v: Any) -> str:
    if v is None:
        return "NULL"
    s = printable(_text(v).replace("\r", "\\r"), keep_newlines=False)
    return s if len(s) <= _PLAIN_CELL_MAX else s[: _PLAIN_CELL_MAX - 1] + "…"


def _footer(n: int, truncated: bool) -> str:
    if truncated:
        return (f"({_rows_word(n)} shown; the query returned more: --limit N shows more, --all shows every row, "
                "--format csv writes them all)")
    return f"({_rows_word(n)})"


def _numeric_columns(rows: list[tuple], n_columns: int) -> list[bool]:
    """Columns whose non-NULL values are all numbers (right-aligned in tables)."""
    return [any(r[i] is not None for r in rows) and all(r[i] is None or _is_number(r[i]) for r in rows)
            for i in range(n_columns)]


def _write_plain_table(columns: list[str], rows: list[tuple], out: TextIO, truncated: bool) -> None:
    cells = [[_plain_cell(v) for v in row] for row in rows]
    columns = [printable(c, keep_newlines=False) for c in columns]
    numeric = _numeric_columns(rows, len(columns))
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def fmt(vals: list[str]) -> str:
        padded = (v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(vals, widths)))
        return "  ".join(padded).rstrip()

    out.write(fmt(columns) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write(fmt(r) + "\n")
    out.write(_footer(len(rows), truncated) + "\n")


def _write_rich_table(columns: list[str], rows: list[tuple], out: TextIO, truncated: bool) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, caption=_footer(len(rows), truncated), caption_justify="left")
    for c, numeric in zip(columns, _numeric_columns(rows, len(columns))):
        table.add_column(Text(printable(c, keep_newlines=False)), justify="right" if numeric else "left",
                         overflow="fold")
    for r in rows:
        table.add_row(*[Text("NULL", style="dim") if v is None else Text(printable(_text(v))) for v in r])
    Console(file=out, highlight=False).print(table)


def _unique_keys(columns: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    keys = []
    for c in columns:
        if c in seen:
            seen[c] += 1
            k = f"{c}_{seen[c]}"
            while k in seen:
                seen[c] += 1
                k = f"{c}_{seen[c]}"
            seen[k] = 1
            keys.append(k)
        else:
            seen[c] = 1
            keys.append(c)
    return keys


def _is_tty(out: TextIO) -> bool:
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError):
        return False


def write_rows(columns: list[str], rows: Iterable[tuple], fmt: str = "table", out: TextIO = sys.stdout,
               truncated: bool = False) -> int:
    """Write a result in ``fmt``; returns the number of rows written.

    ``table``: a rich table on a terminal, else plain aligned text (NULL shown as NULL,
    newlines as \\n, cells over 100 characters cut), both with a row-count footer.
    ``csv``: header then rows (NULL empty, lists/structs as JSON text, dates ISO).
    ``json``: an array of objects (dates ISO strings, decimals as numbers; a repeated
    column name gets a _2 suffix).
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown output format {fmt!r}; valid: {', '.join(FORMATS)}")
    # on a terminal, control characters in the data are shown as escapes, not obeyed;
    # into a file or a pipe, csv and json carry the data as it is
    clean = printable if _is_tty(out) else (lambda t: t)
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow([clean(c) for c in columns])
        n = 0
        for r in rows:
            w.writerow(["" if v is None else clean(_text(v)) for v in r])
            n += 1
        return n
    if fmt == "json":
        keys = _unique_keys(columns)
        out.write("[")
        n = 0
        for r in rows:
            out.write(",\n" if n else "\n")
            # ensure_ascii=False keeps C1 controls (\x9b is a terminal's CSI) raw: clean them on a terminal
            out.write(clean(json.dumps(dict(zip(keys, (_jsonable(v) for v in r))), ensure_ascii=False,
                                       allow_nan=False)))
            n += 1
        out.write("\n]\n" if n else "]\n")
        return n
    rows = list(rows)
    if _is_tty(out):
        _write_rich_table(columns, rows, out, truncated)
    else:
        _write_plain_table(columns, rows, out, truncated)
    return len(rows)


def _guarded(con: duckdb.DuckDBPyConnection, seconds: float | None, work: Callable[[], None]) -> bool:
    """Run ``work`` (the query and its output) in a worker thread while this thread keeps the time.

    DuckDB has no statement timeout, and its Python client notices signals only while the
    process has no other thread, so neither a SIGALRM nor a watchdog thread can be relied
    on to stop it. Here the main thread stays in Python: at the time limit, or on Ctrl-C
    (KeyboardInterrupt), it calls ``con.interrupt()`` and waits for the worker. Returns
    whether the time limit stopped the query; re-raises what ``work`` raised.
    """
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # handed to the main thread
            failure.append(exc)

    def stop() -> None:
        # interrupt() only reaches a statement that runs: repeat it until the worker is done
        for _ in range(100):  # at most 5 s; then the caller abandons the worker (a daemon thread)
            try:
                con.interrupt()
            except duckdb.Error:  # busy in a call that does not take interrupts: ask again
                pass
            worker.join(0.05)
            if not worker.is_alive():
                return

    worker = threading.Thread(target=target, name="aligned-sql-query", daemon=True)
    _workers.append(worker)
    worker.start()
    deadline = time.monotonic() + seconds if seconds else None
    timed_out = False
    try:
        while worker.is_alive():
            worker.join(0.05)
            if deadline is not None and time.monotonic() > deadline:
                timed_out = True
                stop()
    except KeyboardInterrupt:
        stop()
        raise
    if failure:
        exc = failure[0]
        if timed_out and _is_interrupt(exc):
            raise _TimeLimit from None
        raise exc
    if timed_out:  # interrupted between two statements: it still ran too long
        raise _TimeLimit
    return timed_out


class _TimeLimit(Exception):
    """The time limit stopped the query."""


_workers: list[threading.Thread] = []  # the last one may still hold the connection after Ctrl-C


def _is_interrupt(exc: BaseException) -> bool:
    # con.interrupt() raises InterruptException; Ctrl-C while DuckDB runs surfaces as RuntimeError
    return isinstance(exc, duckdb.InterruptException) or (
        isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower())


def _stream(cur: duckdb.DuckDBPyConnection, max_rows: int | None) -> Iterator[tuple]:
    """The result rows, fetched a chunk at a time (never the whole result in memory)."""
    left = max_rows
    while left is None or left > 0:
        chunk = cur.fetchmany(_CHUNK if left is None else min(_CHUNK, left))
        if not chunk:
            return
        yield from chunk
        if left is not None:
            left -= len(chunk)


def _fetch(cur: duckdb.DuckDBPyConnection, max_rows: int) -> tuple[list[tuple], bool]:
    rows = cur.fetchmany(max_rows + 1)
    return rows[:max_rows], len(rows) > max_rows


def run_query(db_path: str | Path | None, sql: str | None, read_dialect: str | None = None, fmt: str = "table",
              out: TextIO = sys.stdout, max_rows: int | None = -1, timeout_s: float | None = DEFAULT_TIMEOUT_S,
              memory_limit: str | None = None) -> int:
    """Check, transpile and run one read-only query; write the result to ``out``.

    ``sql`` None reads the query from stdin; ``db_path`` None is the default database
    ($ALIGNED_DB or data/aligned.duckdb). Returns 0, the exit code (the CLI returns it);
    every failure is a one-line UserError (LockedError, exit code 3, for a locked file).
    ``max_rows`` cuts the output (the table footer says so; csv/json get a stderr note);
    -1 means the default: :data:`DEFAULT_ROW_LIMIT` for the table format, every row (streamed)
    for csv and json; None means every row. ``timeout_s`` (None: no limit) interrupts a
    query that runs longer; ``memory_limit`` replaces :data:`DEFAULT_MEMORY_LIMIT`.
    Ctrl-C raises KeyboardInterrupt (the CLI prints one line and exits 130).
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown output format {fmt!r}; valid: {', '.join(FORMATS)}")
    if max_rows == -1:
        max_rows = DEFAULT_ROW_LIMIT if fmt == "table" else None
    if max_rows is not None and max_rows < 0:
        raise UserError(f"max rows must be 0 or more, not {max_rows}")
    if timeout_s is not None and not timeout_s > 0:
        raise UserError(f"--timeout must be more than 0 seconds, not {timeout_s:g}")
    if sql is None:
        if _is_tty(sys.stdin):
            raise UserError("no SQL query given; pass one as an argument or pipe it on stdin")
        sql = sys.stdin.read()
    run_sql = check_and_transpile(sql, read_dialect)
    con = open_readonly(db_path, memory_limit)

    def work() -> None:
        cur = execute(con, run_sql, sql)
        columns = [d[0] for d in (cur.description or [])]
        if fmt == "table" or max_rows is not None:
            rows, truncated = _fetch(cur, max_rows) if max_rows is not None else (cur.fetchall(), False)
            if truncated and fmt != "table":
                print(f"aligned sql: output cut to the first {_rows_word(max_rows or 0)} (--limit)", file=sys.stderr)
            write_rows(columns, rows, fmt, out, truncated)
        else:
            write_rows(columns, _stream(cur, None), fmt, out)

    try:
        _guarded(con, timeout_s, work)
        return 0
    except _TimeLimit:
        raise UserError(f"the query ran longer than {timeout_s:g} s, the time limit of aligned sql; "
                        "narrow it (WHERE, LIMIT) or give --timeout SECONDS") from None
    except (duckdb.Error, RuntimeError) as exc:
        if _is_interrupt(exc):
            raise KeyboardInterrupt from None
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise UserError(f"the query needs more than {memory_limit or DEFAULT_MEMORY_LIMIT} of memory, the "
                            "limit of aligned sql; narrow it (WHERE, LIMIT, fewer columns) or give "
                            "--memory-limit SIZE") from None
        if isinstance(exc, duckdb.Error):
            raise UserError(_duckdb_error_message(exc, sql, run_sql)) from None
        raise
    except RecursionError:
        raise _too_deep() from None
    finally:
        if not (_workers and _workers[-1].is_alive()):  # closing a connection in use would abort
            try:
                con.close()
            except duckdb.Error:  # still busy after a Ctrl-C: the process is about to end anyway
                pass
