"""One collection run, end to end: record the design, work out what is left, send it, store it.

The CLI, the demo and the tests call :func:`collect`; it wires the store, the
runner and the progress bar together and holds no logic of its own beyond that.
"""
from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, \
    TimeRemainingColumn

from collector import journal, reference, store
from collector.config import Experiment
from collector.design import Design
from collector.errors import LockedError
from collector.plan import check_plan_size
from collector.models import resolve_models
from collector.pending import pending_requests
from collector.runner import Collector, CollectResult, Counters, run_event_loop


@dataclass(frozen=True)
class CollectOptions:
    models: tuple[str, ...] | None = None
    concurrency: int | None = None
    progress: bool = True
    store_enabled: bool = True  # False only for benchmarks: answers are counted, not stored
    kind: str = "collect"
    handle_sigint: bool = True


def with_overrides(exp: Experiment, replicates: int | None = None, study: str | None = None) -> Experiment:
    """The experiment with command-line overrides applied (they become part of the recorded design)."""
    update = {}
    if replicates is not None:
        update["replicates"] = replicates
    if study is not None:
        update["study"] = study
    return exp.model_copy(update=update) if update else exp


def collect(exp: Experiment, db_path: str | Path, opts: CollectOptions, env: Mapping[str, str],
            simulator_url: str | None = None, console: Console | None = None) -> CollectResult:
    """Collect every pending request of ``exp`` into the database at ``db_path``.

    The file is held only at the start (migrate, record the design, read what is left)
    and for each flush of the writer; see :mod:`collector.store` and :mod:`collector.journal`.
    """
    console = console or Console(stderr=True)
    design = Design(exp)
    resolved = resolve_models(exp, opts.models, env, simulator_url)
    names = [m.name for m in resolved]
    check_plan_size(design, names)  # bounded memory: refuse a plan too large to work out (plan.py)
    ref = reference.load_reference(exp, design)  # checked before anything is written
    db_path = Path(db_path)
    run = store.new_run(opts.kind, exp.study, exp.file_hash, {
        "models": names, "replicates": exp.replicates, "concurrency": opts.concurrency,
        "experiment": exp.source_path})
    models = [{"model": m.name, "provider": m.spec.provider, "provider_model": m.spec.model, "base_url": m.base_url}
              for m in resolved]
    orphans = journal.claim_orphans(db_path) if opts.store_enabled else []
    try:
        keys, total_planned, seen_rowid = _prepare(db_path, design, models, names, console, ref)
        for path, _ in orphans:  # answers of a run that ended before its journal reached the file
            keys -= journal.ok_keys(journal.read_lines(path)[0])
    except BaseException:
        for _, f in orphans:
            f.close()
        raise
    pending = pending_requests(design, names, keys)
    del keys
    todo = sum(len(v) for v in pending.values())
    announce = f"study {exp.study}: {todo:,} pending of {total_planned:,} planned requests ({', '.join(names)})"
    writer = store.ResponseWriter(db_path, run, enabled=opts.store_enabled, orphans=orphans, seen_rowid=seen_rowid,
                                  on_locked=lambda line: console.print(line, highlight=False, soft_wrap=True))
    collector = Collector(design, resolved, writer, run["run_id"], concurrency=opts.concurrency)
    outcome = "error"
    result: CollectResult | None = None
    t0 = time.perf_counter()
    try:
        result = run_event_loop(_run_with_progress(collector, pending, total_planned, opts, console, announce))
        outcome = "interrupted" if result.interrupted else "finished"
    except asyncio.CancelledError:  # a second Ctrl-C abandoned the requests in flight: they stay pending
        result = CollectResult(collector.counters, True, dict(collector.stopped), time.perf_counter() - t0)
        outcome = "interrupted"
    finally:
        c = collector.counters
        writer.put_record("run_end", store.run_end(run["run_id"], outcome, c.planned, c.ok, c.failed))
        writer.close()
        if writer.unflushed_journal is not None:
            console.print(f"{db_path}: still held by another process; the answers are safe in "
                          f"{writer.unflushed_journal}, and the next `aligned collect` or `aligned import` "
                          f"on this database puts them in", highlight=False, soft_wrap=True)
    return result


def _prepare(db_path: Path, design: Design, models: list[dict], names: list[str],
             console: Console, ref: reference.LoadedReference | None = None) -> tuple[set[str], int, int]:
    """Migrate the file, record the design and the human reference, then read what is left:
    (pending keys, planned, max rowid).

    If another process holds the file (a notebook's read-only connection), a study whose design
    and models are already recorded is read read-only and collected all the same: the answers
    go to the journal until the file is free.
    """
    exp = design.exp
    try:
        con = store.connect(db_path)
    except LockedError as exc:
        if not db_path.exists():
            raise
        try:
            con = store.connect(db_path, read_only=True, wait_s=0)
        except LockedError:
            raise exc from None
        if not store.design_recorded(con, design, models):
            con.close()
            raise LockedError(f"{exc}; the study's design or models are not recorded yet, which needs the file "
                              f"for a moment") from None
        if ref is not None:
            console.print(f"reference: not recorded (the file is held); run `aligned reference "
                          f"{exp.source_path} --db {db_path}` later", highlight=False, soft_wrap=True)
    else:
        try:
            store.init_schema(con)
            store.record_design(con, design, models)
            if ref is not None:
                console.print(reference.record_reference(con, ref).line(), highlight=False, soft_wrap=True)
        except BaseException:
            con.close()
            raise
    try:
        keys = store.pending_keys(con, exp.study, names)
        total_planned = con.execute(
            "select count(*) from raw.planned_requests where study = ? and list_contains(?, model)",
            [exp.study, names]).fetchone()[0]
        seen_rowid = con.execute("select coalesce(max(rowid), -1) from raw.responses").fetchone()[0]
    finally:
        con.close()
    return keys, total_planned, seen_rowid


async def _run_with_progress(collector: Collector, pending: dict, total_planned: int, opts: CollectOptions,
                             console: Console, announce: str) -> CollectResult:
    todo = sum(len(v) for v in pending.values())
    already = total_planned - todo
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        TextColumn("{task.fields[extra]}"),
        console=console, disable=not opts.progress, transient=False, refresh_per_second=5,
    )
    with progress:
        task = progress.add_task("collect", total=total_planned, completed=already, rate="", extra="")
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        def refresh(c: Counters) -> None:
            elapsed = max(loop.time() - t0, 1e-9)
            extra = f"ok {c.ok} · failed {c.failed} · retries {c.retries} · tokens {c.prompt_tokens + c.completion_tokens:,}"
            if c.cost_usd:
                extra += f" · ${c.cost_usd:,.4f}"
            progress.update(task, completed=already + c.done, rate=f"{c.done / elapsed:,.0f}/s", extra=extra)

        async def ticker() -> None:
            while True:
                await asyncio.sleep(0.2)
                refresh(collector.counters)

        tick = asyncio.create_task(ticker())
        try:
            result = await collector.run(pending, handle_sigint=opts.handle_sigint,
                                         on_started=lambda: console.print(announce, highlight=False))
        finally:
            tick.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tick
            refresh(collector.counters)
    return result
