"""``python -m bench [--quick] [--only NAME]``: every speed and memory figure, one line each.

Each line: name, measured value (a ratio measured side by side in this run, or an
absolute value where the target is one), target, PASS/FAIL. Ratios are the
median of 3 rounds (the compared variants run back to back in each round). All
lines go to ``bench/results.json`` with the machine they ran on. Network traffic
goes only to ``bench.server`` processes started here on 127.0.0.1, which stop by
themselves. ``--quick`` shrinks every size for a ~1 minute smoke run (its
figures are not the targets' sizes).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from bench.common import Figure, machine

RESULTS = Path(__file__).resolve().parent / "results.json"
#: suites whose target is an absolute figure at a given size: --quick runs them smaller, as information
SIZED = {"import", "memory", "planning", "normalise"}


def _suites(quick: bool) -> dict[str, Callable[[], list[Figure]]]:
    from bench import data, load, memory, planning, warehouse

    rounds = 1 if quick else 3
    secs = 2.0 if quick else 7.0
    return {
        "throughput": lambda: [
            *load.throughput(16, 50, secs, rounds),
            *load.throughput(64, 50, secs, rounds),
            *load.throughput(256, 500, 7.0, rounds),  # 19 full waves of 256 (~10 s) even in --quick
        ],
        "endtoend": lambda: load.end_to_end(64, 50, 4.0 if quick else 20.0, rounds),
        "ratelimit": lambda: [
            load.rate_limited(200, 64, 50, 3.0 if quick else 8.0, rounds),
            *([] if quick else [
                load.rate_limited(200, 64, 50, 15.0, 1, retry_after_int=True, target=None),
                load.rate_limited(200, 64, 50, 8.0, 1, retry_after_int=True, rpm=200 * 60)]),
        ],
        "writepath": lambda: [load.write_path(256, 50, secs, rounds)],
        "import": lambda: [data.import_speed(100_000 if quick else 1_000_000, rounds)],
        "memory": lambda: [memory.collect_peak_rss(10_000 if quick else 100_000)],
        "planning": lambda: [planning.planning(100_000 if quick else 1_000_000, rounds)],
        "normalise": lambda: warehouse.normalise_speed(100_000 if quick else 1_000_000, rounds),
        "build": lambda: ([Figure("warm build 1M / trivial", None, "<= 1.6", None, detail="skipped: --quick")]
                          if quick else warehouse.build_ratio(1_000_000, rounds)),
        "scaling": lambda: warehouse.scaling([10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one round: a ~1 minute smoke run")
    ap.add_argument("--only", action="append", metavar="NAME",
                    help="run only this suite (repeatable): throughput, endtoend, ratelimit, writepath, import, memory, "
                         "planning, normalise, build, scaling")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"results file (default: {RESULTS})")
    ap.add_argument("--markdown", action="store_true",
                    help="run nothing: print the results file as a Markdown table (as in the README)")
    args = ap.parse_args(argv)
    if args.markdown:
        if not args.out.exists():
            ap.error(f"{args.out} not found: run `make bench` first")
        print(markdown(json.loads(args.out.read_text())))
        return 0
    suites = _suites(args.quick)
    names = args.only or [n for n in suites if not (args.quick and n == "scaling")]
    unknown = [n for n in names if n not in suites]
    if unknown:
        ap.error(f"unknown suite {unknown[0]!r}; choose from {', '.join(suites)}")
    m = machine()
    print(f"aligned benchmarks{' (quick)' if args.quick else ''}: {m['nproc']} cores, {m['cpu']}, "
          f"{m['ram_gb']} GB RAM, Python {m['python']}", flush=True)
    figures: list[Figure] = []
    t0 = time.perf_counter()
    for name in names:
        try:
            got = suites[name]()
        except Exception as exc:  # one broken suite must not hide the others
            traceback.print_exc()
            got = [Figure(name, None, "-", False, detail=f"error: {type(exc).__name__}: {exc}")]
        for f in got:
            f.suite = name
            if args.quick and name in SIZED and f.passed is not None:  # a smaller size than the target's
                f.passed, f.target = None, f"{f.target} at full size"
            print(f.line(), flush=True)
        figures.extend(got)
    out = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": m,
        "seconds": round(time.perf_counter() - t0, 1),
        "figures": [f.as_dict() for f in figures],
    }
    if args.only and args.out.exists():  # keep the other suites' last figures
        try:
            old = json.loads(args.out.read_text())
            if old.get("quick") == args.quick:
                kept = [f for f in old.get("figures", []) if f.get("suite") not in names]
                out["figures"] = kept + out["figures"]
        except (ValueError, KeyError):
            pass
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    failed = [f for f in figures if f.passed is False]
    print(f"{len(figures)} figures in {out['seconds']:.0f} s: {len(failed)} FAIL, "
          f"{sum(f.passed is None for f in figures)} skipped; written to {args.out}", flush=True)
    return 1 if failed else 0


def _value(f: dict) -> str:
    v = f["value"]
    if v is None:
        return "-"
    unit = f.get("unit") or ""
    if unit == "/s":
        return f"{v:,.0f}/s"
    if unit == "x":
        return f"{v:.3f} x"  # three places, as printed: 0.897 must not read as 0.90
    return f"{v:,.1f} {unit}".rstrip()


def markdown(results: dict) -> str:
    """The figures of a results file as a Markdown table, with the machine they were measured on."""
    m = results["machine"]
    verdict = {True: "PASS", False: "FAIL", None: "info"}
    lines = [f"Measured {results['when'][:10]} on {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, "
             f"Python {m['python']}{' (--quick)' if results.get('quick') else ''}; median of the rounds shown.",
             "", "| figure | measured | target | | detail |", "| --- | --- | --- | --- | --- |"]
    for f in results["figures"]:
        detail = f["detail"].replace("|", "/")
        lines.append(f"| {f['name']} | {_value(f)} | {f['target']} | {verdict[f['passed']]} | {detail} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
