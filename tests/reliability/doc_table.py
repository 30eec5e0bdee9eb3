"""Rewrite the bad-input table in docs/reliability.md from a run of test_bad_input.py.

    ALIGNED_RELIABILITY_TABLE=/tmp/t.jsonl .venv/bin/python -m pytest tests/reliability/test_bad_input.py -q
    .venv/bin/python -m tests.reliability.doc_table /tmp/t.jsonl
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
MARK = "<!-- generated from ALIGNED_RELIABILITY_TABLE output; one row per case in test_bad_input.CASES -->\n"


def _code(text: str) -> str:
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def table(rows: list[dict]) -> str:
    lines = ["| case | input | command | the line it prints on stderr | exit | the database afterwards |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        what = r["what"].replace("|", "\\|")
        lines.append(f"| `{r['id']}` | {what} | {_code(r['argv'])} | {_code(r['line'])} | {r['code']} | {r['db']} |")
    return "\n".join(lines) + "\n"


def main(path: str) -> None:
    rows = list({r["id"]: r for r in map(json.loads, Path(path).read_text().splitlines())}.values())
    doc = DOC.read_text()
    start = doc.index(MARK) + len(MARK)
    end = doc.index("\n## ", start)
    DOC.write_text(doc[:start] + table(rows) + doc[end:])
    print(f"{DOC}: {len(rows)} rows")


if __name__ == "__main__":
    main(sys.argv[1])
