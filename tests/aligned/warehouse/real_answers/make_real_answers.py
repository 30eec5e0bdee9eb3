"""Collect real SmolLM2 answers to the shipped prompts and write them as the fixture answers.csv.

    python -m tests.aligned.warehouse.real_answers.make_real_answers --replicates 7 [--db PATH]

Runs ``aligned demo --real`` without build or report (llama.cpp's server on 127.0.0.1, the model
as an ordinary ``provider: openai`` entry), then exports every ok answer of record. The labels
(labels_pass1.csv, labels_pass2.csv) are written by people following docs/answer-rubric.md, never
by this script. Re-collecting changes the answers (temperature 1.0), so the labels would have to be
redone: the fixture is collected once and kept.
"""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import duckdb

HERE = Path(__file__).parent
COLUMNS = ["answer_id", "task", "kind", "item_id", "setting", "replicate", "options_shown", "option_keys_shown",
           "prompt", "response_text", "finish_reason", "completion_tokens", "response_model"]

EXPORT_SQL = """
with ok as (
    select *, row_number() over (partition by request_key order by completed_at desc, response_id) as rn
    from raw.responses where status = 'ok'
)
select ok.task, i.task_kind as kind, ok.item as item_id, ok.setting, ok.replicate, ok.labels_shown,
       ok.options_shown, ok.messages, coalesce(ok.response_text, '') as response_text, ok.finish_reason,
       ok.completion_tokens, ok.response_model
from ok join raw.items i on i.study = ok.study and i.item = ok.item
where ok.rn = 1
order by ok.task, ok.item, ok.setting, ok.replicate
"""


def export(db: Path, out: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(EXPORT_SQL).fetchall()
    finally:
        con.close()
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for n, (task, kind, item, setting, rep, labels, keys, messages, text, finish, ctoks, rmodel) in \
                enumerate(rows, 1):
            user = [m["content"] for m in json.loads(messages) if m.get("role") == "user"][-1]
            w.writerow([f"a{n:04d}", task, kind, item, setting, rep, json.dumps(list(labels)),
                        json.dumps(list(keys)), user, text, finish, ctoks, rmodel])
    return len(rows)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicates", type=int, default=7)
    ap.add_argument("--db", type=Path, default=Path("data/real_answers.duckdb"))
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()
    if not args.export_only:
        from aligned.demo import run_demo_real
        rc = run_demo_real(args.db, replicates=args.replicates, progress=False, build=False, report=False)
        if rc:
            return rc
    n = export(args.db, HERE / "answers.csv")
    print(f"wrote {n} answers to {HERE / 'answers.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
