"""The journal: a durable, append-only local file of everything a run writes, beside the database.

Every batch of answers is appended to ``<db>.journal/<run_id>.jsonl`` and fsync'd
*before* the collector tries to put it into the database. The database file is
opened only for the length of one flush, so while anything else holds it (a
notebook's read-only connection, a dbt build, another collector's flush) the
answers simply wait in the journal and go in at the next flush that gets the lock.

Format: JSON Lines. A line with ``"_kind": "run"`` or ``"_kind": "run_end"`` is a
row of ``raw.runs`` / ``raw.run_ends``; every other line is one row of
``raw.responses`` (same column names). A torn last line (kill -9 during a write)
is ignored. Putting a journal into a database is idempotent (rows already there,
by ``response_id`` and ``run_id``, are skipped; an ok answer whose key already has
an ok row is skipped), so a journal may be replayed any number of times.

Liveness: a writer holds an exclusive ``flock`` on its journal while it runs. A
journal nobody holds belongs to a run that ended without flushing it (kill -9, or
a reader held the file to the end): the next collect or import on the database
claims it (takes the flock), subtracts its answers from what it will ask, and
replays it into the database at its first flush. A journal fully in the database
moves to ``<db>.journal/done/``, kept as provenance: it can be copied to another
machine and read there with ``aligned import``.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO, Any

SUFFIX = ".journal"


def journal_dir(db_path: str | Path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + SUFFIX)


class Journal:
    """This run's journal file: append + fsync, held with an exclusive flock while open."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._f: IO[bytes] | None = open(path, "ab")
        fcntl.flock(self._f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.size = self._f.tell()

    def append(self, lines: list[str]) -> None:
        """Append lines and fsync: when this returns they survive kill -9 and power loss."""
        if not lines:
            return
        assert self._f is not None
        data = ("\n".join(lines) + "\n").encode()
        self._f.write(data)
        self._f.flush()
        os.fsync(self._f.fileno())
        self.size += len(data)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()  # releases the flock
            self._f = None


def read_lines(path: Path, start: int = 0) -> tuple[list[str], int]:
    """Complete lines of a journal from byte ``start``; returns (lines, offset after the last one)."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read()
    end = data.rfind(b"\n") + 1
    return split_lines(data), start + end


def split_lines(data: bytes) -> list[str]:
    """The complete lines of journal bytes (a torn last line, from kill -9 mid-write, is left out)."""
    end = data.rfind(b"\n") + 1
    return [x for x in data[:end].decode("utf-8", "replace").split("\n") if x.strip()]


def claim_orphans(db_path: str | Path) -> list[tuple[Path, IO[bytes]]]:
    """Journals of runs that are gone (nobody holds their flock), claimed by this process.

    The returned file objects hold the flock until closed: a journal is replayed by one process only.
    """
    d = journal_dir(db_path)
    if not d.is_dir():
        return []
    out = []
    for path in sorted(d.glob("*.jsonl")):
        f = open(path, "rb")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live run's journal
            f.close()
            continue
        out.append((path, f))
    return out


def retire(path: Path) -> None:
    """Move a journal that is wholly in the database to ``done/`` (kept as provenance)."""
    done = path.parent / "done"
    done.mkdir(exist_ok=True)
    try:
        os.replace(path, done / path.name)
    except FileNotFoundError:
        pass


def ok_keys(lines: list[str]) -> set[str]:
    """Request keys with an ok answer in these journal lines (what a new run must not ask again)."""
    keys = set()
    for line in lines:
        try:
            row: Any = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and row.get("status") == "ok" and "_kind" not in row and row.get("request_key"):
            keys.add(row["request_key"])
    return keys


def record(kind: str, fields: dict[str, Any]) -> str:
    """A ``run`` / ``run_end`` line."""
    return json.dumps({"_kind": kind, **fields}, default=str, sort_keys=True)


def orphan_backlog(db_path: str | Path) -> tuple[int, int]:
    """(journals of ended runs not yet replayed, their answer lines): what `aligned status` mentions."""
    files = lines = 0
    for path, f in claim_orphans(db_path):
        try:
            found, _ = read_lines(path)
            files += 1
            lines += sum(1 for x in found if '"_kind"' not in x)
        finally:
            f.close()
    return files, lines
