"""Shared pieces of the benchmarks: the local server process, experiments, medians, results."""
from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from collector.config import DEFAULT_EXPERIMENT, Experiment, parse_experiment

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PROMPTS_PER_REPLICATE = 76  # the shipped design: 4 + 28 + 40 + 4


@dataclass
class Figure:
    """One printed line: a measured value against its target."""

    name: str
    value: float | None  # None: not measured (skipped or failed to run)
    target: str
    passed: bool | None  # None: skipped, or informational (no target)
    unit: str = "x"
    detail: str = ""
    runs: list[float] = field(default_factory=list)
    suite: str = ""

    def line(self) -> str:
        if self.value is None:
            verdict = "SKIP" if self.passed is None else "FAIL"
            return f"{self.name:<46} {'-':>14}  target {self.target:<18} {verdict}  {self.detail}"
        v = f"{self.value:,.3f}" if abs(self.value) < 100 else f"{self.value:,.0f}"
        verdict = "INFO" if self.passed is None else "PASS" if self.passed else "FAIL"
        return f"{self.name:<46} {v + ' ' + self.unit:>14}  target {self.target:<18} {verdict}  {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def size(n: float) -> str:
    """1,000,160 -> '1M', 100,320 -> '100k', 10,336 -> '10k'."""
    return f"{n / 1e6:.3g}M" if n >= 1e6 else f"{n / 1e3:.3g}k" if n >= 1e3 else f"{n:g}"


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def log(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


@contextmanager
def local_server(latency_ms: float, rate: float | None = None, burst: float | None = None,
                 retry_after_int: bool = False, max_seconds: float = 600.0) -> Iterator[str]:
    """Start ``bench.server`` in its own process on 127.0.0.1; yield its base URL; stop it (by pid)."""
    cmd = [PYTHON, "-m", "bench.server", "--latency-ms", str(latency_ms), "--max-seconds", str(max_seconds)]
    if rate:
        cmd += ["--rate", str(rate)]
    if burst:
        cmd += ["--burst", str(burst)]
    if retry_after_int:
        cmd.append("--retry-after-int")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"bench server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def experiment_data(base_url: str, concurrency: int, replicates: int, study: str = "bench",
                    max_attempts: int = 6, timeout_s: float = 30.0, models: int = 1,
                    rpm: float | None = None) -> dict[str, Any]:
    """The shipped design with the local server as its only model(s) (``provider: openai``, no key)."""
    data = yaml.safe_load(DEFAULT_EXPERIMENT.read_text())
    data["study"] = study
    data["replicates"] = replicates
    data["models"] = [{"name": "bench" if models == 1 else f"bench-{n}", "provider": "openai", "model": "bench",
                       "base_url": base_url, "concurrency": concurrency, "max_attempts": max_attempts,
                       "timeout_s": timeout_s, **({"rpm": rpm} if rpm else {})} for n in range(models)]
    data.pop("reference", None)  # bench.yaml has no CSV beside it; a benchmark measures answers
    return data


def experiment(base_url: str, concurrency: int, replicates: int, **kw: Any) -> Experiment:
    data = experiment_data(base_url, concurrency, replicates, **kw)
    return parse_experiment(yaml.safe_dump(data, sort_keys=False), "bench.yaml")


def replicates_for(requests: int) -> int:
    return max(1, math.ceil(requests / PROMPTS_PER_REPLICATE))


@contextmanager
def tempdir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"aligned-bench-{prefix}-") as d:
        yield Path(d)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gb": ram_gb, "python": sys.version.split()[0]}
