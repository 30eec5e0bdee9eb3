"""Suite-wide fixtures and the two passes of `make test`.

Built databases that several test files need are built once per session (per pytest-xdist worker)
and shared: ``release_built`` (the 0.1.0 fixture study, built as `aligned build` builds it) and
``demo_built(n)`` / ``demo_db`` (`aligned demo --replicates n`: collected from the simulated panel
and built). They are templates: read them (DuckDB read-only) or copy them (``Built.copy``); a test
that writes to its database takes a copy. A new test that needs a `dbt build` of a study of that
kind should use one of these rather than build its own.

`make test` runs the suite in two passes (see the Makefile):

1. everything not marked ``serial``, on two pytest-xdist workers with ``--dist loadgroup``. Tests
   that share an expensive fixture are put in one xdist group here, so that the fixture is built
   on one worker only: the users of each shared session build above, and the tests of a module
   that has a module-scoped fixture (a module's own build, server or database).
2. the tests listed in :data:`SERIAL`, alone: they measure time, kill or interrupt processes at
   chosen moments, or run llama.cpp, and must not share the two cores with another worker.
"""
from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

TESTS = Path(__file__).resolve().parent
RELEASE_FIXTURE = TESTS / "fixtures" / "release-0.1.0.duckdb"
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


@pytest.fixture(scope="session")
def release_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """tests/fixtures/release-0.1.0.duckdb (a file of release 0.1.0: raw answers, never migrated),
    copied and built by `aligned build`'s code with the project's own settings."""
    from aligned import warehouse

    work = tmp_path_factory.mktemp("release_built")
    db = work / "fixture.duckdb"
    shutil.copyfile(RELEASE_FIXTURE, db)
    out = io.StringIO()
    code = warehouse.build(db, quiet=True, target_path=work / "target", log_path=work / "logs", out=out)
    return Built(db, code, out.getvalue())


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Built]:
    """``demo_built(n)``: what `aligned demo --replicates n` leaves (the shipped study collected from
    the simulated panel, then built; no report), run once per n in the session."""
    from rich.console import Console

    from aligned.demo import run_demo

    done: dict[int, Built] = {}

    def get(replicates: int) -> Built:
        if replicates not in done:
            db = tmp_path_factory.mktemp(f"demo_{replicates}") / "demo.duckdb"
            console = Console(file=io.StringIO(), width=200)
            code = run_demo(db, replicates=replicates, progress=False, console=console, report=False)
            done[replicates] = Built(db, code, console.file.getvalue())
        return done[replicates]

    return get


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


def _groups(item: pytest.Item) -> set[str]:
    """The shared expensive fixtures ``item`` uses, as xdist group names."""
    names = set(getattr(item, "fixturenames", ()))
    out = set()
    if "release_built" in names:
        out.add("release_built")
    if "demo_db" in names:
        out.add(f"demo_{DEMO_REPLICATES}")
    elif "demo_built" in names:
        n = getattr(item, "callspec", None) and item.callspec.params.get("replicates")
        out.add(f"demo_{n or 'any'}")
    info = getattr(item, "_fixtureinfo", None)
    for name in names:
        defs = info.name2fixturedefs.get(name) if info else None
        if defs and defs[-1].scope == "module":
            out.add(item.nodeid.split("::")[0])
    return out


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups and before -m deselects
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

    # one xdist group per connected set of tests sharing an expensive fixture
    parent: dict[str, str] = {}

    def find(g: str) -> str:
        while parent.setdefault(g, g) != g:
            g = parent[g]
        return g

    per_item = [_groups(item) for item in items]
    for gs in per_item:
        first, *rest = sorted(gs) or [None]
        for g in rest:
            parent[find(g)] = find(first)
    for item, gs in zip(items, per_item):
        if gs:
            item.add_marker(pytest.mark.xdist_group(find(min(gs)).replace("/", "_")))
