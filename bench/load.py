"""Load benchmarks against the local fixed-latency server: throughput, 429 back-off, write path.

Every figure is a ratio measured side by side in one run (median of 3 rounds,
each round runs the compared variants back to back against the same server).
"""
from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import duckdb
from rich.console import Console

from bench.common import Figure, experiment, local_server, log, median, replicates_for, tempdir
from collector import store
from collector.collect import CollectOptions, collect
from collector.config import Experiment
from collector.design import Design
from collector.plan import iter_plan, params_for
from collector.providers import ChatRequest, get_provider
from collector.runner import run_event_loop


def _quiet() -> Console:
    return Console(file=io.StringIO())


def run_collector(exp: Experiment, db: Path, store_enabled: bool = True) -> dict[str, Any]:
    """One ``collect`` through the library entry point, progress off; rates from its own clock."""
    t0 = time.perf_counter()
    result = collect(exp, db, CollectOptions(progress=False, handle_sigint=False, store_enabled=store_enabled), {},
                     console=_quiet())
    wall = time.perf_counter() - t0
    c = result.counters
    if c.ok != c.planned:
        raise RuntimeError(f"collector: {c.ok} ok of {c.planned} ({c.failed} failed)")
    return {"n": c.ok, "seconds": result.seconds, "wall": wall, "rate": c.ok / result.seconds,
            "wall_rate": c.ok / wall, "retries": c.retries}


def request_bodies(exp: Experiment) -> tuple[str, list[dict[str, Any]], dict[str, str]]:
    """The exact bodies the collector sends for ``exp`` (same renderer, same provider)."""
    design = Design(exp)
    spec = exp.models[0]
    provider = get_provider(spec.provider)(spec.base_url, None)
    params = params_for(design, spec.params)
    url, headers, bodies = "", {}, []
    for req in iter_plan(design, [spec.name], exp.replicates):
        messages, _, _ = req.render(exp.system_prompt)
        http = provider.build(ChatRequest(model=spec.model, messages=messages, params=params, seed=req.seed))
        url, headers = http.url, http.headers
        bodies.append(http.json)
    return url, bodies, headers


def run_bare(url: str, bodies: list[dict[str, Any]], headers: dict[str, str], concurrency: int) -> dict[str, Any]:
    """The floor: a bare aiohttp loop, same server, concurrency and bodies, no store, no bookkeeping."""

    async def main() -> tuple[int, float]:
        t0 = time.perf_counter()
        ok = 0
        it = iter(bodies)
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            async def worker() -> None:
                nonlocal ok
                for body in it:
                    async with session.post(url, json=body, headers=headers) as resp:
                        data = json.loads(await resp.read())
                        if resp.status == 200 and data["choices"]:
                            ok += 1
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return ok, time.perf_counter() - t0

    ok, seconds = run_event_loop(main())  # the collector's event loop: the same loop on both sides
    if ok != len(bodies):
        raise RuntimeError(f"bare loop: {ok} ok of {len(bodies)}")
    return {"n": ok, "seconds": seconds, "rate": ok / seconds}


def whole_waves(n: int, concurrency: int) -> int:
    """Replicates for about ``n`` requests, as a whole number of waves of ``concurrency`` when the 76
    prompts per replicate allow it (a last, part-empty wave would count against the collector)."""
    reps = replicates_for(n)
    for r in range(reps, reps + 64):
        if (r * 76) % concurrency == 0 and r * 76 <= 3.5 * n:
            return r
    return reps


def throughput(concurrency: int, latency_ms: float, seconds: float, rounds: int = 3) -> list[Figure]:
    """Collector vs the ideal min(C / latency, RPM / 60) and vs the bare loop, at one point."""
    ideal = concurrency / (latency_ms / 1000)  # no rpm limit is set: the concurrency bound
    n = int(ideal * seconds)
    n = max(concurrency, n - n % concurrency)
    vs_ideal, vs_bare, rates, bare_rates = [], [], [], []
    with local_server(latency_ms) as base_url, tempdir("tp") as tmp:
        exp = experiment(base_url, concurrency, whole_waves(n, concurrency))
        url, bodies, headers = request_bodies(exp)
        run_bare(url, bodies[: concurrency * 4], headers, concurrency)  # warm the server
        for r in range(rounds):  # side by side, the order alternating from round to round
            if r % 2:
                b = run_bare(url, bodies, headers, concurrency)
                c = run_collector(exp, tmp / f"c{r}.duckdb")
            else:
                c = run_collector(exp, tmp / f"c{r}.duckdb")
                b = run_bare(url, bodies, headers, concurrency)
            rates.append(c["rate"])
            bare_rates.append(b["rate"])
            vs_ideal.append(c["rate"] / ideal)
            vs_bare.append(c["rate"] / b["rate"])
            log(f"C={concurrency} latency={latency_ms:g}ms round {r + 1}: collector {c['rate']:,.0f}/s "
                f"({c['n']:,} in {c['seconds']:.2f} s, wall {c['wall']:.2f} s), bare {b['rate']:,.0f}/s, "
                f"ideal {ideal:,.0f}/s")
    tag = f"C={concurrency},{latency_ms:g}ms"
    detail = (f"collector {median(rates):,.0f}/s, bare {median(bare_rates):,.0f}/s, ideal {ideal:,.0f}/s, "
              f"{exp.replicates * 76:,} requests")
    return [
        Figure(f"throughput {tag} / ideal", median(vs_ideal), ">= 0.90", median(vs_ideal) >= 0.90,
               detail=detail, runs=vs_ideal),
        Figure(f"throughput {tag} / bare aiohttp", median(vs_bare), ">= 0.85", median(vs_bare) >= 0.85,
               detail=detail, runs=vs_bare),
    ]


def rate_limited(rate: float, concurrency: int, latency_ms: float, seconds: float, rounds: int = 3,
                 retry_after_int: bool = False, rpm: float | None = None, target: float | None = 0.90) -> Figure:
    """A server answering 429 + Retry-After above ``rate``: sustained ok rate, and nothing lost.

    ``rpm`` sets the model's requests-per-minute limit in the experiment (what a user who knows
    the provider's limit writes); without it the collector has only the 429s to go by.
    """
    n = int(rate * seconds)
    ratios, lost_total, retries, failed = [], 0, [], 0
    with local_server(latency_ms, rate=rate, retry_after_int=retry_after_int) as base_url, tempdir("429") as tmp:
        exp = experiment(base_url, concurrency, replicates_for(n), rpm=rpm)
        for r in range(rounds):
            db = tmp / f"r{r}.duckdb"
            time.sleep(1.5)  # let the bucket refill: each round starts the same way
            result = collect(exp, db, CollectOptions(progress=False, handle_sigint=False), {}, console=_quiet())
            con = duckdb.connect(str(db), read_only=True)
            try:
                left = len(store.pending_keys(con, exp.study, ["bench"]))
                ok_keys = con.execute("select count(distinct request_key) from raw.responses "
                                      "where status = 'ok'").fetchone()[0]
            finally:
                con.close()
            planned = result.counters.planned
            if ok_keys + left != planned:
                raise RuntimeError(f"429 run: {ok_keys} ok keys + {left} pending != {planned} planned")
            lost_total += left  # planned keys without an ok row
            failed += result.counters.failed
            got = result.counters.ok / result.seconds
            ratios.append(got / rate)
            retries.append(result.counters.retries)
            log(f"429 at {rate:g}/s round {r + 1}: {got:,.1f} ok/s over {result.seconds:.2f} s, "
                f"{result.counters.ok:,} ok of {planned:,}, {result.counters.failed} failed, "
                f"{result.counters.retries:,} retries (429s), {left} without an ok row")
    v = median(ratios)
    kind = "whole s" if retry_after_int else "decimal"
    name = f"429 above {rate:g}/s, Retry-After {kind}{', rpm set' if rpm else ''} / rate"
    detail = (f"{lost_total} keys without an ok row, {failed} failed rows; median {median(retries):,.0f} "
              f"429s for {exp.replicates * 76:,} requests, C={concurrency}, {latency_ms:g} ms")
    if target is None:
        return Figure(name, v, "(info), 0 lost", None if lost_total == 0 else False, detail=detail, runs=ratios)
    return Figure(name, v, f">= {target:.2f}, 0 lost", v >= target and lost_total == 0, detail=detail, runs=ratios)


def write_path(concurrency: int, latency_ms: float, seconds: float, rounds: int = 3) -> Figure:
    """Collection into DuckDB vs the same collection with storage switched off (end-to-end wall time)."""
    ratios, on_rates, off_rates = [], [], []
    with local_server(latency_ms) as base_url, tempdir("wp") as tmp:
        # size from a short probe of what the collector sustains at this point
        probe = run_collector(experiment(base_url, concurrency, replicates_for(concurrency * 8), study="probe"),
                              tmp / "probe.duckdb", store_enabled=False)
        exp = experiment(base_url, concurrency, replicates_for(int(probe["rate"] * seconds)))
        for r in range(rounds):  # side by side, the order alternating from round to round
            if r % 2:
                off = run_collector(exp, tmp / f"off{r}.duckdb", store_enabled=False)
                on = run_collector(exp, tmp / f"on{r}.duckdb", store_enabled=True)
            else:
                on = run_collector(exp, tmp / f"on{r}.duckdb", store_enabled=True)
                off = run_collector(exp, tmp / f"off{r}.duckdb", store_enabled=False)
            on_rates.append(on["wall_rate"])
            off_rates.append(off["wall_rate"])
            ratios.append(on["wall_rate"] / off["wall_rate"])
            log(f"write path C={concurrency} round {r + 1}: stored {on['wall_rate']:,.0f}/s, "
                f"not stored {off['wall_rate']:,.0f}/s ({on['n']:,} requests)")
    v = median(ratios)
    return Figure(f"write path C={concurrency},{latency_ms:g}ms stored / not", v, ">= 0.85", v >= 0.85,
                  detail=f"stored {median(on_rates):,.0f}/s, not stored {median(off_rates):,.0f}/s "
                         f"(wall clock incl. setup and final flush), {exp.replicates * 76:,} requests",
                  runs=ratios)


def run_cli_collect(exp_path: Path, db: Path) -> dict[str, Any]:
    """``aligned collect`` as a user runs it: a new process, progress off; wall clock from spawn to exit
    (interpreter and imports, migrations and design writes, the collection, the final flush)."""
    import subprocess
    import sys

    from bench.common import ROOT
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "aligned.cli", "collect", str(exp_path), "--db", str(db),
                        "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"aligned collect exited {p.returncode}: {p.stderr.strip()[-300:]}")
    con = duckdb.connect(str(db), read_only=True)
    try:
        ok = con.execute("select count(*) from raw.responses where status = 'ok'").fetchone()[0]
    finally:
        con.close()
    return {"n": ok, "wall": wall, "rate": ok / wall}


def end_to_end(concurrency: int, latency_ms: float, seconds: float, rounds: int = 3) -> list[Figure]:
    """`aligned collect` from the command line vs a bare aiohttp loop (and vs C / latency), and the
    inner-loop figure (the collector's own clock, in process) beside it, each round side by side."""
    import yaml

    from bench.common import experiment_data
    ideal = concurrency / (latency_ms / 1000)
    n = int(ideal * seconds)
    e2e, inner, vs_ideal, details = [], [], [], []
    with local_server(latency_ms, max_seconds=3600) as base_url, tempdir("e2e") as tmp:
        data = experiment_data(base_url, concurrency, whole_waves(n, concurrency))
        exp_path = tmp / "bench.yaml"
        exp_path.write_text(yaml.safe_dump(data, sort_keys=False))
        exp = experiment(base_url, concurrency, data["replicates"])
        url, bodies, headers = request_bodies(exp)
        run_bare(url, bodies[: concurrency * 4], headers, concurrency)  # warm the server
        for r in range(rounds):
            b = run_bare(url, bodies, headers, concurrency)
            c = run_cli_collect(exp_path, tmp / f"cli{r}.duckdb")
            i = run_collector(exp, tmp / f"lib{r}.duckdb")
            if c["n"] != len(bodies):
                raise RuntimeError(f"aligned collect: {c['n']} ok of {len(bodies)}")
            e2e.append(c["rate"] / b["rate"])
            inner.append(i["rate"] / b["rate"])
            vs_ideal.append(c["rate"] / ideal)
            details.append(f"cli {c['rate']:,.0f}/s ({c['wall']:.2f} s wall), bare {b['rate']:,.0f}/s "
                           f"({b['seconds']:.2f} s), in-process {i['rate']:,.0f}/s")
            log(f"end to end C={concurrency} {latency_ms:g}ms round {r + 1}: {details[-1]}")
    tag = f"C={concurrency},{latency_ms:g}ms"
    detail = f"{len(bodies):,} requests; median round: {details[len(details) // 2]}"
    return [
        Figure(f"aligned collect (CLI, end to end) {tag} / bare aiohttp", median(e2e), ">= 0.90",
               median(e2e) >= 0.90, detail=detail, runs=e2e),
        Figure(f"aligned collect (CLI, end to end) {tag} / ideal", median(vs_ideal), ">= 0.90",
               median(vs_ideal) >= 0.90, detail=f"ideal {ideal:,.0f}/s", runs=vs_ideal),
        Figure(f"collector inner loop {tag} / bare aiohttp", median(inner), "(info)", None,
               detail="the collector's own clock, in process (no start-up, no final flush)", runs=inner),
    ]
