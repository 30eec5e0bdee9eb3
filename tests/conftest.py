"""Suite-wide fixtures and the two passes of `make test`.

Built databases that several test files need are built once per session and shared:
``release_built`` (the 0.1.0 fixture study, built as `aligned build` builds it) and
``demo_built(n)`` / ``demo_db`` (`aligned demo --replicates n`: collected from the simulated panel
and built). Under pytest-xdist the first worker to need one builds it, under a file lock, in the
session's temp folder that the workers share; the others wait for it and reuse it. They are
templates: read them (DuckDB read-only) or copy them (``Built.copy``); a test that writes to its
database takes a copy. A new test that needs a `dbt build` of a study of that kind should use one
of these rather than build its own.

`make test` runs the suite in two passes (see the Makefile and docs/testing.md):

1. everything not marked ``serial``, on two pytest-xdist workers with ``--dist loadfile`` (the
   tests of a file stay on one worker, so a module-scoped fixture is built once);
2. the tests listed in :data:`SERIAL`, alone: they measure time, kill or interrupt processes at
   chosen moments, or run llama.cpp, and must not share the two cores with another worker.
"""
from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

#: the replicates of the demo database most tests share (``demo_db``)
DEMO_REPLICATES = 2

#: tests that run in the second pass, alone (node id, or a prefix of it ending in ".py"), and why
SERIAL = {
    "tests/reliability/test_live.py": "readers and collectors racing for the file, kill -9 mid-collect",
    "tests/reliability/test_interrupt.py": "Ctrl-C at chosen moments of a collect",
    "tests/reliability/test_build_lock.py": "a build and status while a collect holds the file",
    "tests/reliability/test_faults.py": "1 s request timeouts against the simulator",
    "tests/collector/test_resume.py": "kill -9 and Ctrl-C after a second of answers",
    "tests/reliability/test_limits.py::test_ten_million_rows_print_a_thousand_fast": "an upper time bound",
    "tests/reliability/test_limits.py::test_an_endless_query_stops_at_the_time_limit_with_one_line":
        "the query time limit",
    "tests/reliability/test_limits.py::test_ctrl_c_is_one_line_and_exit_130": "Ctrl-C 3 s after the start",
    "tests/aligned/sqlshell/test_sqlshell_queries.py::test_locked_file_gives_the_lock_line": "an upper time bound",
    "tests/aligned/test_real_model.py": "llama.cpp uses every core",
}


@dataclass(frozen=True)
class Built:
    """A database built once for the session: never write to ``db``, take a ``copy`` to change it."""

    db: Path
    code: int  # what the build returned (aligned.warehouse.build / run_demo)
    log: str  # its output: one line per failing model or test

    def copy(self, folder: Path, name: str | None = None) -> Path:
        dst = Path(folder) / (name or self.db.name)
        shutil.copyfile(self.db, dst)
        return dst


def _shared(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], Built]) -> Built:
    """``build(folder)`` run once per session: by the first xdist worker that asks, under a lock,
    in the session's folder shared by the workers; later callers (any worker) get its result."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # basetemp is <session>/popen-gwN: the session's folder is shared
    folder = root / "shared" / name
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even on an error
        done = folder / "built.json"
        if done.exists():
            d = json.loads(done.read_text())
            return Built(Path(d["db"]), d["code"], d["log"])
        built = build(folder)
        done.write_text(json.dumps({"db": str(built.db), "code": built.code, "log": built.log}))
        return built


@pytest.fixture(scope="session")
def release_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """tests/fixtures/release-0.1.0.duckdb built as the marts snapshot builds it
    (tests/aligned/warehouse/marts_snapshot.py: a copy, the shipped study's reference recorded, then
    `aligned build`'s code with the project's own settings)."""
    from tests.aligned.warehouse import marts_snapshot

    def build(work: Path) -> Built:
        out = io.StringIO()
        db, code = marts_snapshot.build_fixture(work, out)
        return Built(db, code, out.getvalue())

    return _shared(tmp_path_factory, "release_built", build)


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Built]:
    """``demo_built(n)``: what `aligned demo --replicates n` leaves (the shipped study collected from
    the simulated panel, then built; no report), run once per n in the session."""
    from rich.console import Console

    from aligned.demo import run_demo

    def build(replicates: int, work: Path) -> Built:
        db = work / "demo.duckdb"
        console = Console(file=io.StringIO(), width=200)
        out = io.StringIO()  # dbt's one-line failures (run_demo's build prints them to stdout)
        with contextlib.redirect_stdout(out):
            code = run_demo(db, replicates=replicates, progress=False, console=console, report=False)
        return Built(db, code, console.file.getvalue() + out.getvalue())

    return lambda replicates: _shared(tmp_path_factory, f"demo_{replicates}", lambda work: build(replicates, work))


@pytest.fixture(scope="session")
def demo_db(demo_built: Callable[[int], Built]) -> Built:
    """The demo at :data:`DEMO_REPLICATES` replicates."""
    return demo_built(DEMO_REPLICATES)


# ------------------------------------------------------------------ the passes of `make test`

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "serial: runs alone, in the second pass of `make test` (tests/conftest.py)")


def _is_serial(nodeid: str) -> str | None:
    for entry in SERIAL:
        if nodeid == entry or nodeid.startswith(entry + ("::" if entry.endswith(".py") else "[")):
            return entry
    return None


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    used = set()
    for item in items:
        entry = _is_serial(item.nodeid)
        if entry:
            used.add(entry)
            item.add_marker(pytest.mark.serial)
    files = {item.nodeid.split("::")[0] for item in items}
    stale = [e for e in SERIAL if e not in used and e.split("::")[0] in files]
    if stale and not any("::" in arg for arg in config.args):  # whole files were collected: a test renamed?
        raise pytest.UsageError(f"tests/conftest.py: SERIAL names tests that do not exist: {', '.join(stale)}")

    # the files with slow tests (dbt builds, collects, subprocesses) first, so that under xdist
    # (--dist loadfile --no-loadscope-reorder) no worker is left with a long build at the end
    slow_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow_files)  # stable: order kept within

