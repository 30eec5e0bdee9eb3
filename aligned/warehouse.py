"""The warehouse build: a thin wrapper that runs the dbt project on the experiment database.

dbt runs in-process (``dbtRunner``) with the repository root as both project and profiles
directory; the database path reaches ``profiles.yml`` through ``ALIGNED_DB``. dbt's own
output (target/, logs/) goes beside the database (``<db folder>/dbt_target``,
``<db folder>/dbt_logs``) unless told otherwise, so two databases never share a manifest.
Failures come back as one line per failing model or test, naming it.

Studies are isolated (:func:`build`): models first, then the data tests, so a failing test never
stops a mart; each failing test is attributed to the studies its failing rows name, recorded
per study in ``main.build_checks``, and judged per study (``--study``).
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, TextIO

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


def _check_database(db_path: Path) -> list[str]:
    """Fail with one line before dbt starts: missing file, lock held elsewhere, no raw schema.

    Brings a file written by an older release to the current schema (the migrations only add
    tables and columns, which the sources need), and returns the studies it holds."""
    from collector import store  # local: importing dbt is slow enough

    con = store.connect(db_path, create=False)  # raises LockedError / UserError
    try:
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'responses'"
        ).fetchone()
        if not found or found[0] == 0:
            raise UserError(f"{db_path}: no raw.responses table; run `aligned collect`, `aligned import` or "
                            f"`aligned demo` on this database first")
        store.init_schema(con)
        return [r[0] for r in con.execute("select distinct study from raw.studies order by 1").fetchall()]
    finally:
        con.close()


def check_study(study: str | None, studies: list[str], db_path: Path) -> None:
    """``--study NAME`` must name a study of the database: else one line listing them (exit 2)."""
    if study is not None and study not in studies:
        known = ", ".join(studies) if studies else "none yet"
        raise UserError(f"--study {study!r}: no such study in {db_path}; the studies there: {known}")


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


def _run_dbt(args: list[str], db_path: Path, quiet: bool, out: TextIO) -> Any:
    """One in-process dbt invocation (waiting out a collect's brief flushes); dbt's result object."""
    from dbt.cli.main import dbtRunner

    common = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    if quiet:  # only our one-line summaries of failures, and a progress line on a terminal
        args = ["--log-level", "none", *args]
    with _env(ALIGNED_DB=str(db_path), DBT_SEND_ANONYMOUS_USAGE_STATS="false"), _node_progress(quiet, out) as callbacks:
        from collector.store import lock_wait_s
        first_locked = None
        while True:
            try:
                res = dbtRunner(callbacks=callbacks).invoke([*args, *common])
            finally:
                _release_database()
            # a running collect holds the file for a flush now and then: dbt's open met one, try again
            # (the wait counts from the first refusal, not from the start: parsing takes seconds)
            if res.exception is None or "could not set lock" not in str(res.exception).lower():
                return res
            first_locked = first_locked or time.monotonic()
            if time.monotonic() - first_locked > lock_wait_s():
                return res
            time.sleep(0.2)


def _passed_line(results: list[Any]) -> str:
    kinds: dict[str, int] = {}
    for r in results:
        kind = str(getattr(getattr(r, "node", None), "resource_type", "node"))
        kinds[kind] = kinds.get(kind, 0) + 1
    return "dbt: " + ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(kinds.items())) + " passed"


def _invoke(args: list[str], db_path: Path, quiet: bool, out: TextIO) -> int:
    db_path = Path(db_path).resolve()
    res = _run_dbt(args, db_path, quiet, out)
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
    results = getattr(res.result, "results", None) or []
    if quiet and results:
        print(_passed_line(results), file=out)
    return 0


# -- per-study checks ----------------------------------------------------------------------------

BUILD_CHECKS = "main.build_checks"
"""The latest outcome of every data test (and of every model that failed) of ``aligned build``,
per study; written by :func:`build` after dbt finishes. See :data:`BUILD_CHECKS_DDL`."""

BUILD_CHECKS_DDL = f"""
create table if not exists {BUILD_CHECKS} (
    study          varchar not null,   -- a study of raw.studies
    test           varchar not null,   -- the dbt test (or model) name
    resource_type  varchar not null,   -- test (a data test) or model (a model that failed or was skipped)
    status         varchar not null,   -- pass, warn, fail, error (could not run), skipped
    failing_rows   bigint,             -- the test's failing rows naming this study; null: the rows name no study
    attributed     boolean not null,   -- false: the rows carry no study column, so every study is flagged
    message        varchar,            -- dbt's message for an error, else null
    built_at       timestamp not null  -- when the build that judged it ended (UTC)
)
"""

_FAILING = {"fail", "error", "runtime error", "skipped"}


@dataclass
class Check:
    study: str
    test: str
    resource_type: str
    status: str
    failing_rows: int | None
    attributed: bool
    message: str | None = None
    rows: list[str] = field(default_factory=list)  # the first failing rows of this study, one line each

    @property
    def failed(self) -> bool:
        return self.status in _FAILING

    def line(self) -> str:
        where = f"study {self.study}" if self.attributed else f"study {self.study} (the rows name no study)"
        detail = (f"{self.failing_rows} offending row(s)" if self.failing_rows else self.message or self.status)
        return f"{self.status.upper()} {where}: {self.resource_type} {self.test}: {detail}"[:400]


def _rows_of(con: Any, node: Any) -> tuple[list[str], list[tuple]] | None:
    """The failing rows of a test: the relation it stored (store_failures), else its own SQL re-run."""
    import duckdb

    relation = getattr(node, "relation_name", None)
    sql = f"select * from {relation}" if relation else None
    code = getattr(node, "compiled_code", None)
    for query in (sql, f"select * from ({code}) as failing" if code else None):
        if not query:
            continue
        try:
            cur = con.execute(query)
            return [d[0] for d in cur.description], cur.fetchall()
        except duckdb.Error:
            continue
    return None


#: generic tests whose failing rows name the offending value(s), not the row: dbt's column tests
#: (field of the failing rows holding the value; None: the rows where the column is null) and the
#: project's unique_combination (the failing combinations). The failing values are looked up again
#: in the tested model, whose rows carry their study.
_VALUE_TESTS = {"not_null": None, "unique": "unique_field", "accepted_values": "value_field",
                "relationships": "from_field", "unique_combination": "columns"}


def _quoted(column: str) -> str:
    return column if column.startswith('"') else f'"{column}"'


def _rows_by_study(con: Any, node: Any) -> tuple[list[str], list[tuple]] | None:
    """The tested model's rows behind a failing generic test of ``_VALUE_TESTS``, when the model
    has a ``study`` column; else None."""
    import duckdb

    meta = getattr(node, "test_metadata", None)
    kind = getattr(meta, "name", None)
    attached = str(getattr(node, "attached_node", None) or "")
    code = getattr(node, "compiled_code", None)
    if kind not in _VALUE_TESTS or not attached or not code:
        return None
    model = attached.split(".")[-1]
    found = con.execute("select table_schema from information_schema.columns where table_name = ? "
                        "and lower(column_name) = 'study'", [model]).fetchall()
    if len(found) != 1:
        return None
    field = _VALUE_TESTS[kind]
    if field == "columns":
        columns = list((getattr(meta, "kwargs", None) or {}).get("columns") or [])
        if not columns:
            return None
        match = " and ".join(f"failing.{_quoted(c)} is not distinct from tested.{_quoted(c)}" for c in columns)
        where = f"exists (select 1 from ({code}) as failing where {match})"
    else:
        column = getattr(node, "column_name", None)
        if not column:
            return None
        where = f"tested.{_quoted(column)} is null" if field is None else (
            f"exists (select 1 from ({code}) as failing "
            f"where cast(failing.{field} as varchar) = cast(tested.{_quoted(column)} as varchar))")
    try:
        cur = con.execute(f'select * from "{found[0][0]}"."{model}" as tested where {where}')
        return [d[0] for d in cur.description], cur.fetchall()
    except duckdb.Error:
        return None


def _row_line(names: list[str], row: tuple) -> str:
    cells = ", ".join(f"{n}={' '.join(str(v).split())[:60]!s}" for n, v in zip(names, row) if v is not None)
    return f"    {cells}"[:400]


def judge(test_results: list[Any], model_results: list[Any], studies: list[str], con: Any) -> list[Check]:
    """Every study's outcome of every data test that ran, and of every model that failed.

    A failing test counts against the studies its failing rows name (a ``study`` column);
    rows without one, a test that could not run and a failed model count against every study."""
    checks: list[Check] = []
    for r in model_results:
        status = str(getattr(r, "status", "")).lower()
        node = getattr(r, "node", None)
        kind = str(getattr(node, "resource_type", "node"))
        if status not in _FAILING:
            continue
        message = " ".join(str(getattr(r, "message", "") or "").split())[:300] or None
        name = getattr(node, "name", None) or getattr(node, "unique_id", "?")
        checks += [Check(s, name, kind, "skipped" if status == "skipped" else "error", None, False, message)
                   for s in studies]
    for r in test_results:
        status = str(getattr(r, "status", "")).lower()
        status = "error" if status == "runtime error" else status
        node = getattr(r, "node", None)
        name = getattr(node, "name", None) or getattr(node, "unique_id", "?")
        kind = str(getattr(node, "resource_type", "test"))
        message = " ".join(str(getattr(r, "message", "") or "").split())[:300] or None
        failures = getattr(r, "failures", None)
        if status == "pass" or (status in ("fail", "warn") and not failures):
            checks += [Check(s, name, kind, "pass", 0, True) for s in studies]
            continue
        found = _rows_of(con, node) if status in ("fail", "warn") else None
        if found and "study" not in [n.lower() for n in found[0]]:
            found = _rows_by_study(con, node) or found
        names = [n.lower() for n in found[0]] if found else []
        if found and "study" in names and any(row[names.index("study")] is None for row in found[1]):
            names = []  # rows without a study (a null study is itself the failure): every study's
        if not found or "study" not in names:
            rows = [_row_line(found[0], row) for row in found[1][:5]] if found else []
            checks += [Check(s, name, kind, status, failures if status != "error" else None, False,
                             message if status == "error" else None, rows) for s in studies]
            continue
        at = names.index("study")
        per_study: dict[str, list[tuple]] = {}
        for row in found[1]:
            per_study.setdefault(str(row[at]), []).append(row)
        for s in studies:
            mine = per_study.get(s, [])
            checks.append(Check(s, name, kind, status if mine else "pass", len(mine), True, None,
                                [_row_line(found[0], row) for row in mine[:5]]))
        for other in sorted(set(per_study) - set(studies)):  # rows naming a study raw.studies lacks
            mine = per_study[other]
            checks.append(Check(other, name, kind, status, len(mine), True, None,
                                [_row_line(found[0], row) for row in mine[:5]]))
    return checks


def _record_checks(con: Any, checks: list[Check], built_at: Any, ran: Iterable[str] = ()) -> None:
    """Replace the rows of every test and model this build ran (``ran``) or judged; keep the
    others' (a ``--select``ed build). A build that ran also clears an earlier "could not run"."""
    con.execute("begin")
    try:
        con.execute(BUILD_CHECKS_DDL)
        judged = sorted({c.test for c in checks} | set(ran))
        if judged:
            con.execute(f"delete from {BUILD_CHECKS} where list_contains(?, test)", [judged])
        if ran:
            con.execute(f"delete from {BUILD_CHECKS} where resource_type = 'build'")
        if checks:
            con.executemany(f"insert into {BUILD_CHECKS} values (?, ?, ?, ?, ?, ?, ?, ?)",
                            [[c.study, c.test, c.resource_type, c.status, c.failing_rows, c.attributed,
                              c.message, built_at] for c in checks])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _could_not_run(exception: BaseException, db_path: Path, studies: list[str], out: TextIO) -> int:
    """dbt did not run (a project that does not compile, a lock never freed): say so, and record
    it for every study, so no reader takes the previous build's marts for this one's."""
    from datetime import datetime, timezone

    from collector import store

    message = " ".join(str(exception).split())[:400]
    print(f"dbt: {message}", file=out)
    try:
        con = store.connect(db_path, create=False)
    except Exception:  # noqa: BLE001 - the file itself is the problem; the line above says what
        return 2
    try:
        _record_checks(con, [Check(s, "dbt", "build", "error", None, False, message[:300]) for s in studies],
                       datetime.now(timezone.utc).replace(tzinfo=None))
    except Exception:  # noqa: BLE001 - best effort; exit 2 says the build did not run
        pass
    finally:
        con.close()
    return 2


def _read_json(path: Path) -> Any:
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _merge_run_results(path: Path, first: Any) -> None:
    """One run_results.json for the whole build, as a single ``dbt build`` would leave: the first
    invocation's nodes (seeds, unit tests, models), then the data tests'."""
    import json

    second = _read_json(path)
    if not isinstance(first, dict) or not isinstance(second, dict):
        return
    merged = {**second, "results": [*(first.get("results") or []), *(second.get("results") or [])],
              "elapsed_time": (first.get("elapsed_time") or 0) + (second.get("elapsed_time") or 0)}
    path.write_text(json.dumps(merged), encoding="utf-8")


def _drop_unbuilt(con: Any, model_results: list[Any]) -> list[str]:
    """Drop the relation of every model that failed or was skipped, so no reader meets an old
    table as if it were current (a mart of the previous build); returns their names."""
    import duckdb

    dropped = []
    for r in model_results:
        node = getattr(r, "node", None)
        if str(getattr(r, "status", "")).lower() not in _FAILING or str(getattr(node, "resource_type", "")) != "model":
            continue
        schema, name = getattr(node, "schema", None), getattr(node, "alias", None) or getattr(node, "name", None)
        if not schema or not name:
            continue
        row = con.execute("select table_type from information_schema.tables where table_schema = ? "
                          "and table_name = ?", [schema, name]).fetchone()
        if row is None:
            continue
        try:
            con.execute(f'drop {"view" if row[0] == "VIEW" else "table"} if exists "{schema}"."{name}" cascade')
            dropped.append(name)
        except duckdb.Error:
            pass
    return dropped


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


def project_vars() -> dict[str, Any]:
    """dbt_project.yml's ``vars`` (the warehouse defaults)."""
    import yaml

    doc = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    return dict(doc.get("vars") or {})


def model_sql(name: str, dbt_vars: dict[str, Any] | None = None) -> str:
    """The SQL of model ``name`` as DuckDB runs it straight on ``raw.*``, no build needed.

    Each ``ref()`` is replaced by the referenced model's own SQL (recursively, as a subquery)
    and each ``source()`` by the raw table, so a command that must work before ``aligned
    build`` (``aligned status``) runs the warehouse's definition rather than a copy of it.
    ``var()`` reads dbt_project.yml's ``vars`` (``dbt_vars`` overrides them, as ``--vars`` would).
    Only models whose Jinja uses ``ref``, ``source``, ``config``, ``var`` and ``dbt.type_*`` qualify.
    """
    import jinja2
    from types import SimpleNamespace

    paths = {p.stem: p for p in (PROJECT_DIR / "dbt_project" / "models").rglob("*.sql")}
    types = SimpleNamespace(type_string=lambda: "varchar", type_bigint=lambda: "bigint",
                            type_int=lambda: "integer", type_float=lambda: "double")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    values = {**project_vars(), **(dbt_vars or {})}

    def render(model: str) -> str:
        return env.from_string(paths[model].read_text()).render(
            ref=lambda ref_name: f"({render(ref_name)}) as {ref_name}",
            source=lambda schema, table: f"{schema}.{table}", config=lambda **_: "", dbt=types,
            var=lambda var_name, *default: values[var_name] if var_name in values or not default else default[0])

    return render(name)


def build(db_path: str | Path, select: str | None = None, quiet: bool = False, threads: int | None = None, *,
          exclude: str | None = None, indirect_selection: str | None = None, dbt_vars: dict[str, Any] | None = None,
          target_path: str | Path | None = None, log_path: str | Path | None = None,
          out: TextIO | None = None, study: str | None = None) -> int:
    """Build the warehouse, studies isolated; return 0, 1 or 2.

    Two dbt invocations: ``dbt build`` without data tests (seeds, unit tests, models), then
    ``dbt test`` (the data tests), so a failing data test never stops a mart of any study.
    A model that fails (or is skipped after a failed unit test) has its old relation dropped.
    Each data test is then judged per study (:func:`judge`) and recorded in ``main.build_checks``.

    ``study``: judge and print only that study's checks (everything is built and recorded all the
    same); an unknown name is a :class:`UserError` listing the known ones.

    0: every (judged) study's models built and tests passed; 1: a study's test failed or a model
    failed (one line per failing study and test on ``out``); 2: dbt could not run.
    Raises LockedError if another process holds the database.
    """
    import duckdb
    from datetime import datetime, timezone

    from collector import store

    out = out or sys.stderr
    db_path = Path(db_path)
    studies = _check_database(db_path)
    check_study(study, studies, db_path)
    db_path = db_path.resolve()
    paths = _paths(db_path, target_path, log_path)
    results_file = Path(paths[1]) / "run_results.json"
    common = [*paths]
    if select:
        common += ["--select", select]
    if exclude:
        common += ["--exclude", exclude]
    if indirect_selection:  # eager (dbt's default) / cautious / buildable / empty
        common += ["--indirect-selection", indirect_selection]
    if threads:
        common += ["--threads", str(threads)]
    if dbt_vars:
        import json
        common += ["--vars", json.dumps(dbt_vars)]

    built = _run_dbt(["build", *common, "--exclude-resource-type", "test"], db_path, quiet, out)
    if built.exception is not None:
        return _could_not_run(built.exception, db_path, studies, out)
    model_results = list(getattr(built.result, "results", None) or [])
    first_results = _read_json(results_file)
    con = store.connect(db_path, create=False)  # waits out a collect's flush
    try:
        dropped = _drop_unbuilt(con, model_results)
    finally:
        con.close()
    for line in _failure_lines(built.result, db_path):
        print(line, file=out)
    if dropped:
        print(f"dropped the old table(s) of {len(dropped)} model(s) that did not build, so none is read as "
              f"current: {', '.join(sorted(dropped))}"[:400], file=out)

    tested = _run_dbt(["test", *common, "--exclude-resource-type", "unit_test"], db_path, quiet, out)
    if tested.exception is not None:
        return _could_not_run(tested.exception, db_path, studies, out)
    test_results = list(getattr(tested.result, "results", None) or [])
    _merge_run_results(results_file, first_results)
    con = store.connect(db_path, create=False)
    try:
        checks = judge(test_results, model_results, studies, con)
        ran = {getattr(getattr(r, "node", None), "name", "") for r in model_results + test_results}
        _record_checks(con, checks, datetime.now(timezone.utc).replace(tzinfo=None), ran - {""})
    except duckdb.Error as exc:
        print(f"build_checks: could not record the checks ({' '.join(str(exc).split())[:200]})", file=out)
        return 2
    finally:
        con.close()

    judged = [c for c in checks if study is None or c.study == study]
    # models and unit tests that failed are printed once above (they are no study's own)
    reported = [c for c in judged if c.status != "pass" and c.resource_type == "test"]
    for c in reported:
        print(c.line(), file=out)
        if c.rows:
            for row in c.rows:
                print(row, file=out)
    failed_models = [r for r in model_results if str(getattr(r, "status", "")).lower() in _FAILING]
    failing = sorted({c.study for c in judged if c.failed})
    if study is not None:
        others = sorted({c.study for c in checks if c.failed and c.study != study})
        if others:
            print(f"(not judged: {len(others)} other stud{'y' if len(others) == 1 else 'ies'} with failing "
                  f"checks: {', '.join(others)})"[:400], file=out)
    if failing or failed_models:
        print(f"build: failing checks in {len(failing)} of {len(studies) if study is None else 1} "
              f"stud{'y' if (len(studies) if study is None else 1) == 1 else 'ies'}"
              + (f" ({', '.join(failing)})" if failing else "") + "; the marts of every study are built"
              + (" except the models named above" if failed_models else ""), file=out)
        return 1
    if quiet and (model_results or test_results):
        print(_passed_line(model_results + test_results), file=out)
    return 0


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


def failing_checks(db_or_con: Any, study: str | None = None) -> dict[str, list[tuple[str, str, int | None]]] | None:
    """The checks of the latest build that did not pass, by study: [(test, status, failing_rows)].

    None when the database has no ``main.build_checks`` (never built by this release). A reader
    (the report) flags a study listed here: its marts are built, but a data test failed on them,
    or (status error/skipped) a model could not be built and its mart was dropped."""
    from collector import store

    con = store.connect(db_or_con, read_only=True) if isinstance(db_or_con, (str, Path)) else db_or_con
    try:
        schema, table = BUILD_CHECKS.split(".")
        found = con.execute("select count(*) from information_schema.tables where table_schema = ? "
                            "and table_name = ?", [schema, table]).fetchone()[0]
        if not found:
            return None
        rows = con.execute(f"select study, test, status, failing_rows from {BUILD_CHECKS} "
                           f"where status not in ('pass', 'warn') {'and study = ?' if study else ''} "
                           f"order by study, test", [study] if study else []).fetchall()
    finally:
        if con is not db_or_con:
            con.close()
    out: dict[str, list[tuple[str, str, int | None]]] = {}
    for s, test, status, n in rows:
        out.setdefault(s, []).append((test, status, n))
    return out
