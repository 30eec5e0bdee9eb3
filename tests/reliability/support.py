"""Helpers for the reliability suite: run the CLI (as a subprocess or in process), write
experiment files derived from the shipped study, snapshot a database, hold a DuckDB lock.

Every server a test uses listens on 127.0.0.1 and is started by the test itself; every
wait is bounded.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import duckdb
import yaml

from collector.config import DEFAULT_EXPERIMENT

ROOT = Path(__file__).resolve().parents[2]
RAW_TABLES = ("studies", "items", "options", "settings", "models", "runs", "run_ends", "responses")


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def cli_env(extra: Mapping[str, str] | None = None, drop: tuple[str, ...] = ()) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in drop and k != "ALIGNED_DB"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("COLUMNS", "80")  # what a log file or CI runner gets; lines must not be wrapped anyway
    env.update(extra or {})
    return env


def run_cli(argv: list[str], *, cwd: Path, env: Mapping[str, str] | None = None, subprocess_: bool = True,
            timeout: float = 90, stdin: str | None = None) -> CliResult:
    """``python -m aligned.cli ARGV`` as a real process, or ``aligned.cli.main(ARGV)`` in this one."""
    if subprocess_:
        p = subprocess.run([sys.executable, "-m", "aligned.cli", *argv], cwd=cwd, env=cli_env(env),
                           capture_output=True, text=True, timeout=timeout, input=stdin if stdin is not None else "")
        return CliResult(p.returncode, p.stdout, p.stderr)
    from aligned.cli import main
    out, err = io.StringIO(), io.StringIO()
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    try:
        os.environ.pop("ALIGNED_DB", None)
        os.environ.update(env or {})
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # a traceback: make it visible to the assertions like a process would
                import traceback
                traceback.print_exc(file=err)
                code = 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return CliResult(int(code or 0), out.getvalue(), err.getvalue())


def shipped() -> dict[str, Any]:
    """The shipped study without its `reference:` (its CSV is not copied beside a test's YAML)."""
    data = yaml.safe_load(DEFAULT_EXPERIMENT.read_text())
    data.pop("reference", None)
    return data


def small_study(models: list[dict[str, Any]], *, tasks: tuple[str, ...] = ("t1",), replicates: int = 1,
                study: str = "small") -> dict[str, Any]:
    data = shipped()
    data["study"] = study
    data["replicates"] = replicates
    data["tasks"] = {k: v for k, v in data["tasks"].items() if k in tasks}
    data["models"] = models
    return data


def write_yaml(path: Path, data: dict[str, Any], mutate: Callable[[dict[str, Any]], Any] | None = None) -> Path:
    data = copy.deepcopy(data)
    if mutate is not None:
        mutate(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def free_port() -> int:
    """A port nothing listens on (bound and released; nothing else in the test binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(db: Path) -> dict[str, int]:
    """Row counts of every raw table (what 'nothing partial was written' compares)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RAW_TABLES}
    finally:
        con.close()


@contextlib.contextmanager
def lock_holder(db: Path, seconds: float = 60) -> Iterator[subprocess.Popen]:
    """Another process holding a write connection to ``db`` (for at most ``seconds``)."""
    code = ("import sys, time, duckdb\n"
            "con = duckdb.connect(sys.argv[1])\n"
            "con.execute('select 1').fetchall()\n"
            "print('ready', flush=True)\n"
            "time.sleep(float(sys.argv[2]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # bounded: the holder prints 'ready' or dies
        assert line.strip() == "ready", proc.stderr.read()
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=30)


def find_secret(secret: str, *, texts: Mapping[str, str] = {}, root: Path | None = None) -> list[str]:
    """Where ``secret`` (or a long piece of it) shows up: named texts and every file under ``root``."""
    needles = {secret.encode(), secret[6:-6].encode()}
    hits: list[str] = []
    for name, text in texts.items():
        if any(n.decode() in text for n in needles):
            hits.append(name)
    if root is not None:
        for dirpath, _, files in os.walk(root):
            for f in files:
                p = Path(dirpath) / f
                try:
                    data = p.read_bytes()
                except OSError:
                    continue
                if any(n in data for n in needles):
                    hits.append(str(p))
    return hits


@contextlib.contextmanager
def serve_cancelling(app: "web.Application") -> Iterator[str]:
    """Serve an aiohttp app on 127.0.0.1 in a thread, cancelling handlers whose client went away
    (so a fake told to answer slowly leaves no pending task behind); yields the root URL."""
    import asyncio
    import threading

    from aiohttp import web

    loop = asyncio.new_event_loop()
    box: dict[str, Any] = {}
    started = threading.Event()

    async def start() -> None:
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box["runner"], box["url"] = runner, f"http://127.0.0.1:{runner.addresses[0][1]}"

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # reported to the caller
            box["error"] = exc
        finally:
            started.set()
        if "error" in box:
            loop.close()
            return
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(box["runner"].cleanup())
            loop.close()

    thread = threading.Thread(target=run, name="reliability-server", daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the test server did not start")
    if "error" in box:
        raise box["error"]
    try:
        yield box["url"]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
