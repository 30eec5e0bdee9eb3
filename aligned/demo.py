"""``aligned demo``: the shipped study, end to end, against the local simulated panel.

Starts the simulator (synthetic respondents, not LLMs) on a free port on
127.0.0.1, collects every pending request of the shipped experiment for the
whole simulated panel, builds the warehouse and writes the report. Rerunning
resumes: answers already in the file are not asked again.
"""
from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console

from collector.collect import CollectOptions, collect, with_overrides
from collector.config import load_experiment


def run_demo(db_path: Path, replicates: int | None = None, fault_rate: float = 0.0, out: Path = Path("reports"),
             progress: bool = True, console: Console | None = None, build: bool = True, report: bool = True) -> int:
    from simulator import SimulatorThread

    console = console or Console(stderr=True)
    exp = with_overrides(load_experiment(), replicates)
    sim_models = tuple(m.name for m in exp.models if m.provider == "simulated")
    console.print(f"[bold]aligned demo[/bold]: study {exp.study!r}, {len(sim_models)} simulated models "
                  f"(synthetic respondents, not real LLMs), {exp.replicates} replicates -> {db_path}")
    with SimulatorThread(fault_rate=fault_rate) as base_url:
        result = collect(exp, db_path, CollectOptions(models=sim_models, progress=progress, kind="demo"),
                         os.environ, simulator_url=base_url, console=console)
    c = result.counters
    console.print(f"collected {c.done:,} requests in {result.seconds:.1f} s ({c.ok:,} ok, {c.failed:,} failed)")
    if result.interrupted:
        console.print("interrupted: rerun `aligned demo` to resume")
        return 130
    if c.failed:
        console.print(f"{c.failed:,} requests failed after retries; rerun `aligned demo` to complete them")
    rc = 0
    if build:
        from aligned.warehouse import build as dbt_build
        console.print("building the warehouse (dbt build) ...")
        rc = dbt_build(db_path, quiet=True)
        if rc != 0:
            console.print("[red]dbt build failed[/red]; see the lines above")
            return rc
    if report:
        try:
            from aligned.report import write_report
        except ImportError:
            return rc
        path = write_report(db_path, out)
        console.print(f"report: {path}")
    return rc
