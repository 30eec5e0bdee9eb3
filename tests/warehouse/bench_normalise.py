"""Benchmark: normalise N simulated answers (realistic formats and repetition) with dbt.

    .venv/bin/python -m tests.warehouse.bench_normalise --answers 1000000 --db /tmp/bench.duckdb

Builds a database with the shipped design and answers from the simulated panel (8 profiles),
then times ``dbt build --select +answers`` (tests on those models included) and reports the
per-model times from run_results.json. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from collector import store, warehouse
from tests.warehouse import simulated
from tests.warehouse.conftest import shipped_design


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=Path("/tmp/aligned-bench.duckdb"))
    ap.add_argument("--reuse", action="store_true", help="keep an existing database, only rebuild")
    args = ap.parse_args()
    from collector.simulator.panel import panel_model_names

    models = panel_model_names()
    design0 = shipped_design(1)
    per_replicate = len(models) * len(design0.item_settings)
    replicates = max(1, round(args.answers / per_replicate))
    design = shipped_design(replicates)
    if not args.reuse or not args.db.exists():
        args.db.unlink(missing_ok=True)
        t0 = time.perf_counter()
        con = store.connect(args.db)
        store.init_schema(con)
        store.record_design(con, design, [{"model": m, "provider": "simulated"} for m in models])
        batch = []
        for row, _, _ in simulated.simulated_rows(design, models, replicates):
            row["messages"] = None
            batch.append(row)
            if len(batch) == 50_000:
                store.insert_responses(con, batch)
                batch = []
        store.insert_responses(con, batch)
        n, distinct = con.execute("select count(*), count(distinct item || response_text) from raw.responses").fetchone()
        con.close()
        print(f"generated {n:,} answers ({distinct:,} distinct item/text pairs) in {time.perf_counter() - t0:.0f} s")
    work = args.db.parent / (args.db.stem + "_dbt")
    t0 = time.perf_counter()
    code = warehouse.build(args.db, select="+answers", indirect_selection="cautious", quiet=True,
                           target_path=work / "target", log_path=work / "logs")
    wall = time.perf_counter() - t0
    results = json.loads((work / "target" / "run_results.json").read_text())
    models_s = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]
                if r["unique_id"].startswith("model.")}
    print(f"dbt build --select +answers: exit {code}, {wall:.1f} s wall, dbt elapsed {results['elapsed_time']:.1f} s")
    for name, s in sorted(models_s.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {name:28s} {s:6.2f} s")
    chain = sum(s for n, s in models_s.items() if n.startswith("int_") or n == "answers")
    print(f"normalisation models (int_* + answers): {chain:.1f} s")


if __name__ == "__main__":
    main()
