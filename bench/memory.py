"""Peak memory of ``aligned collect`` (a real subprocess) for a large run against the fast local server."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import yaml

from bench.common import PYTHON, ROOT, Figure, experiment_data, local_server, log, replicates_for, size, tempdir


_LAUNCHER = """
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
json.dump({"ru_maxrss_kb": peak, "exit": code}, open(sys.argv[1], "w"))
sys.exit(code)
"""


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def collect_peak_rss(n_requests: int, concurrency: int = 64, latency_ms: float = 1.0, limit_mb: float = 300.0,
                     timeout_s: float = 900.0) -> Figure:
    reps = replicates_for(n_requests)
    with local_server(latency_ms, max_seconds=timeout_s + 60) as base_url, tempdir("mem") as tmp:
        exp_file = tmp / "bench.yaml"
        exp_file.write_text(yaml.safe_dump(experiment_data(base_url, concurrency, reps, study="bench_mem"),
                                           sort_keys=False))
        cmd = [PYTHON, "-m", "aligned.cli", "collect", str(exp_file), "--db", str(tmp / "mem.duckdb"),
               "--no-progress"]
        # A small launcher starts it and reads getrusage(RUSAGE_CHILDREN).ru_maxrss: forked straight
        # from this (large) process, the child's peak would count our pages from before its exec.
        report = tmp / "rusage.json"
        t0 = time.perf_counter()
        proc = subprocess.Popen([PYTHON, "-c", _LAUNCHER, str(report), *cmd], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        polled = [0]
        stop = threading.Event()

        def poll() -> None:  # a second opinion: the kernel's high-water mark of the collector, while it runs
            while not stop.is_set():
                for child in _children(proc.pid):
                    polled[0] = max(polled[0], _vm_hwm_kb(child))
                stop.wait(0.2)

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        try:
            _, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:  # stop the collector (by pid), then its launcher
            for child in _children(proc.pid):
                os.kill(child, signal.SIGKILL)
            proc.kill()
            _, err = proc.communicate()
        stop.set()
        watcher.join()
        seconds = time.perf_counter() - t0
        err = err.strip().splitlines()
        if proc.returncode != 0 or not report.exists():
            raise RuntimeError(f"aligned collect exited {proc.returncode}: {' / '.join(err[-3:])}")
        usage = json.loads(report.read_text())
        peak_mb = usage["ru_maxrss_kb"] / 1024
        log(f"memory: aligned collect of {reps * 76:,} requests in {seconds:.1f} s, peak RSS {peak_mb:.0f} MB "
            f"(VmHWM polled {polled[0] / 1024:.0f} MB); {err[-1] if err else ''}")
    return Figure(f"collect {size(reps * 76)} requests peak RSS (MB)", peak_mb, f"<= {limit_mb:g} MB",
                  peak_mb <= limit_mb, unit="MB",
                  detail=f"aligned collect subprocess, C={concurrency}, {latency_ms:g} ms server, {seconds:.0f} s",
                  runs=[peak_mb])
