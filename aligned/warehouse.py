"""The warehouse build: a thin wrapper that runs the dbt project on the experiment database.

dbt runs in-process (``dbtRunner``) with the repository root as both project and profiles
directory; the database path reaches ``profiles.yml`` through ``ALIGNED_DB``. dbt's own
output (target/, logs/) goes beside the database (``<db folder>/dbt_target``,
``<db folder>/dbt_logs``) unless told otherwise, so two databases never share a manifest.
Failures come back as one line per failing model or test, naming it.
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, TextIO

from collector.errors import UserError

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""Repository root: holds dbt_project.yml and profiles.yml."""

_FAILED = {"error", "fail", "runtime error"}
_REPORTED = _FAILED | {"warn"}


@contextmanager
def _env(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _check_database(db_path: Path) -> None:
    """Fail with one line before dbt starts: missing file, lock held elsewhere, no raw schema."""
    from collector import store  # local: importing dbt is slow enough

    con = store.connect(db_path, create=False)  # raises LockedError / UserError
    try:
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'responses'"
        ).fetchone()
    finally:
        con.close()
    if not found or found[0] == 0:
        raise UserError(f"{db_path}: no raw.responses table; run `aligned collect`, `aligned import` or "
                        f"`aligned demo` on this database first")


def _release_database() -> None:
    """Close the DuckDB instance dbt-duckdb keeps for the process, so the file is free for the
    caller (a report in the same process, another process) as soon as build() returns."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter
        return
    env = getattr(DuckDBConnectionManager, "_ENV", None)
    if env is not None:
        try:
            env.close()
        except Exception:  # closing is best effort; the handle dies with the process anyway
            pass
    DuckDBConnectionManager.close_all_connections()


def _stored_failures(db_path: Path, relation: str, limit: int = 5) -> list[str]:
    """The first offending rows a test stored (store_failures), one indented line each."""
    import duckdb

    from collector import store

    try:
        con = store.duckdb_connect(db_path, read_only=True)
    except (duckdb.Error, UserError):
        return []
    try:
        cur = con.execute(f"select * from {relation} limit {limit}")
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()
    out = []
    for row in rows:
        cells = ", ".join(f"{n}={' '.join(str(v).split())[:60]!s}" for n, v in zip(names, row) if v is not None)
        out.append(f"    {cells}"[:400])
    return out


def _failure_lines(result: Any, db_path: Path) -> list[str]:
    lines: list[str] = []
    for r in getattr(result, "results", None) or []:
        status = str(getattr(r, "status", "")).lower()
        if status not in _REPORTED:
            continue
        node = getattr(r, "node", None)
        kind = getattr(node, "resource_type", "node")
        name = getattr(node, "name", None) or getattr(node, "unique_id", "?")
        message = " ".join(str(getattr(r, "message", "") or "").split())
        failures = getattr(r, "failures", None)
        detail = f"{failures} offending row(s)" if failures else message
        lines.append(f"{status.upper()} {kind} {name}: {detail}"[:400])
        relation = getattr(node, "relation_name", None)
        if failures and relation and str(kind) == "test":
            lines.extend(_stored_failures(db_path, relation))
    return lines


def _invoke(args: list[str], db_path: Path, quiet: bool, out: TextIO) -> int:
    from dbt.cli.main import dbtRunner

    db_path = Path(db_path).resolve()
    common = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    if quiet:  # only our one-line summaries of failures, and a progress line on a terminal
        args = ["--log-level", "none", *args]
    with _env(ALIGNED_DB=str(db_path), DBT_SEND_ANONYMOUS_USAGE_STATS="false"), _node_progress(quiet, out) as callbacks:
        from collector.store import lock_wait_s
        deadline = time.monotonic() + lock_wait_s()
        while True:
            try:
                res = dbtRunner(callbacks=callbacks).invoke([*args, *common])
            finally:
                _release_database()
            # a running collect holds the file for a flush now and then: dbt's open met one, try again
            if (res.exception is None or "could not set lock" not in str(res.exception).lower()
                    or time.monotonic() > deadline):
                break
            time.sleep(0.2)
    if res.exception is not None:
        print(f"dbt: {' '.join(str(res.exception).split())[:400]}", file=out)
        return 2
    lines = _failure_lines(res.result, db_path)
    for line in lines:
        print(line, file=out)
    if not res.success:
        lines = [line for line in lines if not line.startswith("WARN")]
        if not lines:
            print("dbt: the build failed (see the dbt log above)", file=out)
        return 1
    if quiet:
        kinds: dict[str, int] = {}
        for r in getattr(res.result, "results", None) or []:
            kind = str(getattr(getattr(r, "node", None), "resource_type", "node"))
            kinds[kind] = kinds.get(kind, 0) + 1
        if kinds:
            print("dbt: " + ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(kinds.items()))
                  + " passed", file=out)
    return 0


@contextmanager
def _node_progress(quiet: bool, out: TextIO) -> Iterator[list]:
    """A progress bar fed by dbt's NodeFinished events when dbt's own log is silenced."""
    if not quiet or not getattr(out, "isatty", lambda: False)():
        yield []
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("[bold]dbt build"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.fields[node]}"), console=Console(file=out), transient=True)
    task = progress.add_task("dbt", total=None, node="")

    def on_event(event: Any) -> None:
        name = event.info.name
        if name == "FoundStats":
            msg = event.data.stat_line  # "19 models, 275 data tests, 6 seeds, ..."
            total = sum(int(part.split()[0]) for part in msg.split(", ") if part.split()[0].isdigit()
                        and not any(w in part for w in ("macro", "source", "operation", "exposure", "metric",
                                                            "semantic", "saved", "unit", "group")))
            progress.update(task, total=total or None)
        elif name == "NodeFinished":
            progress.update(task, advance=1, node=getattr(event.data.node_info, "node_name", ""))

    with progress:
        yield [on_event]


def _paths(db_path: Path, target_path: str | Path | None, log_path: str | Path | None) -> list[str]:
    base = Path(db_path).resolve().parent
    return ["--target-path", str(target_path or base / "dbt_target"),
            "--log-path", str(log_path or base / "dbt_logs")]


def model_sql(name: str) -> str:
    """The SQL of model ``name`` as DuckDB runs it straight on ``raw.*``, no build needed.

    Each ``ref()`` is replaced by the referenced model's own SQL (recursively, as a subquery)
    and each ``source()`` by the raw table, so a command that must work before ``aligned
    build`` (``aligned status``) runs the warehouse's definition rather than a copy of it.
    Only models whose Jinja uses ``ref``, ``source``, ``config`` and ``dbt.type_*`` qualify.
    """
    import jinja2
    from types import SimpleNamespace

    paths = {p.stem: p for p in (PROJECT_DIR / "dbt_project" / "models").rglob("*.sql")}
    types = SimpleNamespace(type_string=lambda: "varchar", type_bigint=lambda: "bigint",
                            type_int=lambda: "integer", type_float=lambda: "double")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)

    def render(model: str) -> str:
        return env.from_string(paths[model].read_text()).render(
            ref=lambda ref_name: f"({render(ref_name)}) as {ref_name}",
            source=lambda schema, table: f"{schema}.{table}", config=lambda **_: "", dbt=types)

    return render(name)


def build(db_path: str | Path, select: str | None = None, quiet: bool = False, threads: int | None = None, *,
          exclude: str | None = None, indirect_selection: str | None = None, dbt_vars: dict[str, Any] | None = None,
          target_path: str | Path | None = None, log_path: str | Path | None = None,
          out: TextIO | None = None) -> int:
    """Run ``dbt build`` (seeds, models, tests) on the database; return dbt's exit code.

    0: everything built and passed; 1: a model or test failed (one line each on ``out``);
    2: dbt could not run. Raises LockedError if another process holds the database.
    """
    db_path = Path(db_path)
    _check_database(db_path)
    args = ["build", *_paths(db_path, target_path, log_path)]
    if select:
        args += ["--select", select]
    if exclude:
        args += ["--exclude", exclude]
    if indirect_selection:  # eager (dbt's default) / cautious / buildable / empty
        args += ["--indirect-selection", indirect_selection]
    if threads:
        args += ["--threads", str(threads)]
    if dbt_vars:
        import json
        args += ["--vars", json.dumps(dbt_vars)]
    return _invoke(args, db_path, quiet, out or sys.stderr)


def docs(db_path: str | Path, out_dir: str | Path, quiet: bool = True, out: TextIO | None = None) -> int:
    """Run ``dbt docs generate`` into ``out_dir``.

    ``--static`` also writes ``static_index.html``, one file with the manifest and catalog
    inside, which opens from disk (browsers refuse to fetch the JSON files for a file:// page).
    """
    db_path = Path(db_path)
    _check_database(db_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    args = ["docs", "generate", "--static", *_paths(db_path, out_dir, Path(out_dir) / "logs")]
    rc = _invoke(args, db_path, quiet, out or sys.stderr)
    if rc == 0:
        print(f"dbt docs: {out_dir / 'static_index.html'} (opens offline; "
              f"or serve the folder: python -m http.server -d {out_dir})", file=out or sys.stderr)
    return rc
