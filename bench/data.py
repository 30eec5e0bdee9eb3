"""Synthetic but realistic answer files: the shipped design, the simulated panel's messy texts.

A million lines cost a few seconds: each (model, item, setting) gets a small
pool of answers from the simulator (``simulator.answer`` on the
prompt the collector would send), and the lines cycle through it.
"""
from __future__ import annotations

import json
import math
import random
from functools import lru_cache
from pathlib import Path

from collector.collect import with_overrides
from collector.config import Experiment, load_experiment
from collector.design import Design
from collector.plan import PlannedRequest, request_key
from simulator import PANEL, answer, get_profile

MODELS = tuple(p.name for p in PANEL)  # 8 simulated respondents
POOL = 64  # at most this many distinct answers per (model, item, setting); lines cycle through them


def import_experiment(n_answers: int, models: tuple[str, ...] = MODELS, study: str = "bench_import") -> Experiment:
    """The shipped design with enough replicates that ``models`` x items x settings x replicates >= n."""
    per_replicate = len(Design(load_experiment()).item_settings) * len(models)
    return with_overrides(load_experiment(), replicates=max(1, math.ceil(n_answers / per_replicate)), study=study)


@lru_cache(maxsize=4)
def _pools(models: tuple[str, ...], size: int) -> dict[tuple[str, str, str], list[tuple[str, str | None]]]:
    """(model, item, setting) -> [(response JSON string, options_shown JSON or None)]."""
    design = Design(load_experiment())
    pools: dict[tuple[str, str, str], list[tuple[str, str | None]]] = {}
    for model in models:
        profile = get_profile(model)
        for item, setting in design.item_settings:
            pool = []
            for r in range(1, size + 1):
                req = PlannedRequest(request_key("pool", model, item.item, setting.setting, r), "pool", model, item,
                                     setting, r)
                messages, keys, _ = req.render(None)
                text = answer(profile, messages, random.Random(req.seed))
                shown = json.dumps(keys) if item.kind == "rank" else None
                pool.append((json.dumps(text, ensure_ascii=False), shown))
            pools[(model, item.item, setting.setting)] = pool
    return pools


def write_jsonl(path: Path, n_answers: int, models: tuple[str, ...] = MODELS) -> int:
    """Write exactly ``n_answers`` import records (model-major, then replicate); return the count."""
    design = Design(load_experiment())
    pairs = design.item_settings
    size = min(POOL, math.ceil(n_answers / (len(pairs) * len(models))))
    pools = _pools(models, size)
    written = 0
    with path.open("w", encoding="utf-8") as f:
        r = 0
        while written < n_answers:
            r += 1
            lines = []
            for model in models:
                m = json.dumps(model)
                for item, setting in pairs:
                    if written + len(lines) >= n_answers:
                        break
                    text, shown = pools[(model, item.item, setting.setting)][(r - 1) % size]
                    extra = f', "options_shown": {shown}' if shown else ""
                    lines.append(f'{{"model": {m}, "item": "{item.item}", "setting": "{setting.setting}", '
                                 f'"replicate": {r}, "response": {text}{extra}}}\n')
            f.writelines(lines)
            written += len(lines)
    return written


def import_speed(n_answers: int, rounds: int = 3, target: float = 100_000) -> "Figure":
    """``aligned import`` of an ``n_answers``-line JSONL file into a fresh database: answers per second."""
    import time

    from bench.common import Figure, log, median, size, tempdir
    from collector.importer import import_file

    rates, secs = [], []
    with tempdir("import") as tmp:
        src = tmp / "answers.jsonl"
        t0 = time.perf_counter()
        n = write_jsonl(src, n_answers)
        mb = src.stat().st_size / 1e6
        log(f"import: wrote {n:,} lines ({mb:,.0f} MB) in {time.perf_counter() - t0:.1f} s")
        exp = import_experiment(n)
        for r in range(rounds):
            db = tmp / f"import{r}.duckdb"
            t0 = time.perf_counter()
            added, seen = import_file(src, db, exp)
            s = time.perf_counter() - t0
            if added != n or seen:
                raise RuntimeError(f"import: {added:,} added, {seen:,} already present, of {n:,}")
            rates.append(added / s)
            secs.append(s)
            log(f"import round {r + 1}: {added:,} answers in {s:.2f} s = {added / s:,.0f}/s "
                f"(database {db.stat().st_size / 1e6:,.0f} MB)")
            db.unlink()
    v = median(rates)
    return Figure(f"import {size(n)}-line JSONL (answers/s)", v, f">= {target:,.0f}/s", v >= target, unit="/s",
                  detail=f"{median(secs):.1f} s for {n:,} lines, {mb:,.0f} MB", runs=rates)
