"""``aligned demo``: the shipped study, end to end, against the local simulated panel or a real model.

Starts the simulator (synthetic respondents, not LLMs) on a free port on
127.0.0.1, collects every pending request of the shipped experiment for the
whole simulated panel, builds the warehouse and writes the report. Rerunning
resumes: answers already in the file are not asked again.

``aligned demo --real`` does the same with a real but tiny LLM instead of the panel:
SmolLM2-135M-Instruct served by llama.cpp's OpenAI-compatible server (aligned.llamaserver),
collected as an ordinary ``provider: openai`` model whose base_url is that server. Its
database holds that model only, so nothing simulated is mixed in.
"""
from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console

from collector.collect import CollectOptions, collect, with_overrides
from collector.config import ModelSpec, load_experiment

#: the real model's name in the database (and the report)
REAL_MODEL_NAME = "smollm2-135m"
#: generation cap for the real model: it rambles, and a 2-core machine writes ~50 tokens/s.
#: Answers cut here have finish_reason "length" and are flagged in `answers` (is_truncated).
REAL_MAX_TOKENS = 256
REAL_NOTE = ("This study's model is a real LLM, but a tiny one: SmolLM2-135M-Instruct (135M parameters, "
             "4-bit), run on this machine by llama.cpp. It often ignores the answer format, and its answers "
             "say little about how large LLMs state their values; they show the pipeline on real model output.")


def default_real_db_path() -> Path:
    from collector.store import default_db_path
    base = default_db_path()
    return base.with_name(base.stem + "_real" + base.suffix)


def real_model_spec(base_url: str, alias: str, max_tokens: int = REAL_MAX_TOKENS) -> ModelSpec:
    """The local server as an ordinary OpenAI-compatible model entry, as a user would write it."""
    return ModelSpec(name=REAL_MODEL_NAME, provider="openai", model=alias, base_url=base_url, concurrency=1,
                     timeout_s=300, params={"max_tokens": max_tokens})


def run_demo_real(db_path: Path | None = None, replicates: int | None = None, out: Path = Path("reports"),
                  progress: bool = True, console: Console | None = None, build: bool = True,
                  report: bool = True) -> int:
    """Collect the shipped study from SmolLM2 (llama.cpp, local), build the warehouse, write the report."""
    from aligned.llamaserver import LlamaServer
    console = console or Console(stderr=True)
    db_path = db_path or default_real_db_path()
    exp = with_overrides(load_experiment(), replicates)
    server = LlamaServer()
    with server as base_url:
        exp = exp.model_copy(update={"models": (real_model_spec(base_url, server.alias),)})
        console.print(f"[bold]aligned demo --real[/bold]: study {exp.study!r}, model {REAL_MODEL_NAME} "
                      f"({server.alias}, llama.cpp on {base_url}), {exp.replicates} replicates -> {db_path}")
        result = collect(exp, db_path, CollectOptions(models=(REAL_MODEL_NAME,), progress=progress,
                                                      kind="demo-real"), os.environ, console=console)
    # the tiny model's poor format-following is a finding, shown in the report's data-quality
    # section, not a reason to stop: its build does not enforce the coverage threshold
    return _finish(result, db_path, out, console, build, report, note=REAL_NOTE, resume="aligned demo --real",
                   dbt_vars={"max_invalid_share": 1.0})


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
    return _finish(result, db_path, out, console, build, report)


def _finish(result, db_path: Path, out: Path, console: Console, build: bool, report: bool,
            note: str | None = None, resume: str = "aligned demo", dbt_vars: dict | None = None) -> int:
    c = result.counters
    console.print(f"collected {c.done:,} requests in {result.seconds:.1f} s ({c.ok:,} ok, {c.failed:,} failed)")
    if result.interrupted:
        console.print(f"interrupted: rerun `{resume}` to resume")
        return 130
    if c.failed:
        console.print(f"{c.failed:,} requests failed after retries; rerun `{resume}` to complete them")
    rc = 0
    if build:
        from aligned.warehouse import build as dbt_build
        console.print("building the warehouse (dbt build) ...")
        rc = dbt_build(db_path, quiet=True, dbt_vars=dbt_vars)
        if rc == 1:  # a data test failed: every study's marts are built, and the report flags the study
            console.print("[red]dbt build: failing checks[/red] (see the lines above); the report flags them")
        elif rc != 0:
            console.print("[red]dbt build failed[/red]; see the lines above")
            return rc
    if report:
        try:
            from aligned.report import write_report
        except ImportError:
            return rc
        path = write_report(db_path, out, note=note) if note else write_report(db_path, out)
        console.print(f"report: {path}")
    return rc
