"""Planning a 1M-request study and working out what is left after a half-done run."""
from __future__ import annotations

import time

from bench.common import Figure, experiment, log, median, size, tempdir
from collector import store
from collector.design import Design
from collector.pending import pending_requests

MODELS = 8


def planning(n_requests: int, rounds: int = 3, limit_s: float = 10.0) -> Figure:
    per_replicate = 76 * MODELS
    replicates = -(-n_requests // per_replicate)
    exp = experiment("http://127.0.0.1:9/v1", 8, replicates, study="bench_plan", models=MODELS)
    names = [m.name for m in exp.models]
    times, details = [], ""
    with tempdir("plan") as tmp:
        db = tmp / "plan.duckdb"
        con = store.connect(db)
        con.execute("set enable_progress_bar = false")
        try:
            store.init_schema(con)
            store.record_design(con, Design(exp), [{"model": n, "provider": "openai"} for n in names])
            # a half-done run: every other planned key (by hash) has an ok row
            t0 = time.perf_counter()
            con.execute("""
                insert into raw.responses (response_id, request_key, run_id, study, model, provider, item, task,
                    context, setting, replicate, response_text, status, attempts, completed_at)
                select request_key || '-half', request_key, 'half', study, model, 'openai', item, task, context,
                       setting, replicate, 'Safety', 'ok', 1, now()::timestamp
                from raw.planned_requests where study = 'bench_plan' and hash(request_key) % 2 = 0
            """)
            planned = con.execute("select count(*) from raw.planned_requests").fetchone()[0]
            done = con.execute("select count(*) from raw.responses").fetchone()[0]
            log(f"planning: {planned:,} planned, {done:,} done (setup {time.perf_counter() - t0:.1f} s)")
        finally:
            con.close()
        for r in range(rounds):
            con = store.connect(db, read_only=True)
            con.execute("set enable_progress_bar = false")
            try:
                t0 = time.perf_counter()
                design = Design(exp)
                t_design = time.perf_counter()
                keys = store.pending_keys(con, exp.study, names)
                t_keys = time.perf_counter()
                pending = pending_requests(design, names, keys)
                t_reqs = time.perf_counter()
                left = sum(len(v) for v in pending.values())
                total = t_reqs - t0
            finally:
                con.close()
            times.append(total)
            details = (f"{planned:,} planned, {left:,} left: design {t_design - t0:.2f} s, "
                       f"pending_keys {t_keys - t_design:.2f} s, pending_requests {t_reqs - t_keys:.2f} s")
            log(f"planning round {r + 1}: {total:.2f} s ({details})")
            del pending, keys
    v = median(times)
    return Figure(f"plan {size(planned)} + what is left (s)", v, f"<= {limit_s:g} s", v <= limit_s,
                  unit="s", detail=details, runs=times)
