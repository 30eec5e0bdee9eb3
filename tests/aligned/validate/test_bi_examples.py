"""Every ```sql block of docs/bi.md runs through `aligned sql` against a real built database
and returns rows (so the examples match the warehouse as it is)."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from aligned.sqlshell import run_query

pytestmark = pytest.mark.slow

BI_DOC = Path(__file__).resolve().parents[3] / "docs" / "bi.md"
_BLOCK = re.compile(r"^```sql[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def sql_blocks() -> list[tuple[str, str]]:
    """(id, sql) for every ```sql block; the id is the nearest heading above it and its line."""
    text = BI_DOC.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        heading = re.findall(r"^#+ (.+)$", text[: m.start()], re.M)
        label = re.sub(r"\W+", "_", heading[-1]).strip("_").lower() if heading else "top"
        out.append((f"{label}@{line}", m.group(1)))
    return out


BLOCKS = sql_blocks()


def test_the_doc_has_a_query_for_each_table_of_the_study():
    sql = "\n".join(s for _, s in BLOCKS).lower()
    assert len(BLOCKS) >= 15
    for mart in ["selection_shares", "t1_human_alignment", "t2_human_alignment", "t3_tradeoff_shares",
                 "t3_human_alignment", "t4_consistency_summary", "t4_consistency", "t4_story_ranks",
                 "t1_robustness", "model_similarity", "response_status", "unmapped_answers", "answers",
                 "raw.responses", "human_figures"]:
        assert re.search(rf"\bfrom {re.escape(mart)}\b|\bjoin {re.escape(mart)}\b", sql), mart


@pytest.mark.parametrize("sql", [s for _, s in BLOCKS], ids=[i for i, _ in BLOCKS])
def test_example_query_runs_and_returns_rows(built_db: Path, sql: str):
    out = io.StringIO()
    assert run_query(built_db, sql, fmt="csv", out=out) == 0
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(rows) >= 2, f"no rows from:\n{sql}"  # header + at least one row
