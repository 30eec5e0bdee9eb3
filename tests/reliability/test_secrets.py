"""Secrets: an API key read from the environment never reaches the database file (before
and after CHECKPOINT), its WAL or journal, the recorded run options, error rows, the lines the CLI
prints, or any file the commands write (reports included), even when a server echoes it.
"""
from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from collector.providers.base import KEY_MARKER
from simulator import SimulatorThread
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import serve_in_thread

from .support import RAW_TABLES, cli_env, find_secret, run_cli, small_study, write_yaml

KEY_VAR = "ALIGNED_REL_SECRET"


def _model(name: str, url: str, model: str, **kw) -> dict:
    return {"name": name, "provider": "openai", "model": model, "base_url": url, "api_key_env": KEY_VAR, **kw}


def test_the_api_key_is_nowhere_in_what_aligned_writes_or_prints(tmp_path):
    key = "sk-aligned-sentinel-" + secrets.token_hex(16)
    env = {KEY_VAR: key}
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    db = out_dir / "aligned.duckdb"
    printed: dict[str, str] = {}

    # a server that accepts the key, with faults; one that rejects it (401); one that echoes it
    # in 500 errors; one that echoes it in a 401; one slow enough to be killed mid-run
    echo500 = OpenAIFake(api_key=key, models=("gpt-echo",))
    echo500.respond_next(500, body={"error": {"message": f"upstream said: Authorization: Bearer {key} [/v1]"}},
                         times=8)
    echo401 = OpenAIFake(api_key="sk-another-key-0000000000", models=("gpt-echo",))
    echo401.respond_next(401, body={"error": {"message": f"Incorrect API key provided: {key} [/v1/chat]"}}, times=2)
    faults = ("rate_limit", "server_error", "unavailable", "truncated", "dropped")
    with SimulatorThread(api_key=key, fault_rate=0.3, fault_kinds=faults, retry_after_s=0.05, seed=3) as ok_url, \
            SimulatorThread(api_key="sk-not-the-sentinel-key-0000") as rejecting_url, \
            SimulatorThread(api_key=key, latency_ms=250) as slow_url, \
            serve_in_thread(echo500) as echo500_root, serve_in_thread(echo401) as echo401_root:
        exp = write_yaml(tmp_path / "secret.yaml", small_study([
            _model("accepted", ok_url, "sim-us-public", max_attempts=2, concurrency=4),
            _model("rejected", rejecting_url, "sim-noisy", concurrency=2),
            _model("echo-500", echo500_root + "/v1", "gpt-echo", max_attempts=2, concurrency=1),
            _model("echo-401", echo401_root + "/v1", "gpt-echo", concurrency=1),
            _model("slow", slow_url, "sim-practitioner", concurrency=1),  # 8 x 250 ms
        ], replicates=2))
        argv = ["collect", str(exp), "--db", str(db)]

        # 1. kill -9 mid-run, so that the journal holds answers (the writer fsyncs each batch there before
        # the database; the file itself is checkpointed at every flush): read it before the rerun replays it
        proc = subprocess.Popen([sys.executable, "-m", "aligned.cli", *argv], cwd=tmp_path, env=cli_env(env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        journals = Path(str(db) + ".journal")

        def journal_bytes() -> bytes:
            return b"".join(p.read_bytes() for p in journals.rglob("*.jsonl")) if journals.exists() else b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and b'"response_id"' not in journal_bytes():
            time.sleep(0.05)  # until the journal holds a response row
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        printed["killed collect"] = out + err
        raw = journal_bytes()
        assert b'"response_id"' in raw and proc.returncode == -signal.SIGKILL, "killed with no answer journaled"
        assert key.encode() not in raw and key[6:-6].encode() not in raw
        wal = Path(str(db) + ".wal")
        if wal.exists():
            assert key.encode() not in wal.read_bytes()

        # 2. the rerun finishes; the models whose key was rejected are stopped with one line each
        r = run_cli(argv, cwd=tmp_path, env=env)
        printed["collect"] = r.out + r.err
        assert r.code == 1, r.err
        stopped = [line for line in r.err_lines if line.startswith("stopped ")]
        assert len(stopped) == 2, r.err
        assert any(f"{KEY_MARKER} [/v1/chat]" in line for line in stopped), stopped  # echoed key removed, text kept
        assert all(f"the API key in {KEY_VAR} was rejected" in line for line in stopped)
    assert "Traceback" not in printed["collect"] + printed["killed collect"]
    # the key did reach the servers that needed it (else this test would prove nothing)
    assert echo500.generation_requests()[0].header("authorization") == f"Bearer {key}"

    # 3. everything else a user runs on the file
    for name, args in {
        "plan": ["plan", str(exp)],
        "status": ["status", "--db", str(db)],
        "sql runs": ["sql", "select * from raw.runs", "--db", str(db), "--format", "json"],
        "sql errors": ["sql", "select model, status, error from raw.responses where status = 'failed'", "--db",
                       str(db), "--format", "csv"],
        "report": ["report", "--db", str(db), "--out", str(out_dir / "reports")],
    }.items():
        r = run_cli(args, cwd=tmp_path, env=env, subprocess_=name == "status")
        printed[name] = r.out + r.err
        assert r.code == 0, (name, r.err)
        assert "Traceback" not in printed[name]
    assert (out_dir / "reports" / "report.html").exists()

    con = duckdb.connect(str(db), read_only=True)
    errors = [e for (e,) in con.execute("select error from raw.responses where status = 'failed'").fetchall()]
    options = [json.loads(o) for (o,) in con.execute("select options from raw.runs").fetchall()]
    dump = "\n".join(str(con.execute(f"select * from raw.{t}").fetchall()) for t in RAW_TABLES)
    ok_accepted = con.execute("select count(*) from raw.responses where model = 'accepted' and status = 'ok'"
                              ).fetchone()[0]
    con.close()
    assert ok_accepted > 0
    assert sum(KEY_MARKER in e for e in errors) >= 2  # the echoed 500s were stored, redacted
    assert all(set(o) <= {"models", "replicates", "concurrency", "experiment"} for o in options)
    printed["every raw table"] = dump
    printed["run options"] = json.dumps(options)

    # 4. the files as the commands left them, then after a CHECKPOINT (every row in the main file)
    assert find_secret(key, root=tmp_path) == []
    con = duckdb.connect(str(db))
    con.execute("checkpoint")
    con.close()

    # a canary proves the scan works
    (out_dir / "canary.txt").write_text(f"x{key}x")
    assert find_secret(key, root=out_dir) == [str(out_dir / "canary.txt")]
    (out_dir / "canary.txt").unlink()

    assert find_secret(key, texts=printed, root=tmp_path) == []


def test_a_key_pasted_into_api_key_env_is_not_echoed(tmp_path):
    # a Gemini-style key that fits the variable-name pattern: "variable ... is not set" would repeat it
    pasted = "AIzaSy" + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
                                for _ in range(33))
    exp = write_yaml(tmp_path / "pasted.yaml", small_study(
        [{"name": "gemini", "provider": "gemini", "model": "gemini-2.5-flash", "api_key_env": pasted}]))
    db = tmp_path / "pasted.duckdb"
    for argv, sub in ((["collect", str(exp), "--db", str(db)], True), (["plan", str(exp)], False)):
        r = run_cli(argv, cwd=tmp_path, subprocess_=sub)
        assert r.code == 2, r.err
        assert r.err_lines == [f"aligned {argv[0]}: error: {exp}: models[0].api_key_env: this looks like an API key "
                               "itself, not the name of a variable (value not shown); write the variable's name, "
                               "e.g. api_key_env: GEMINI_API_KEY, and export the key there"]
        assert find_secret(pasted, texts={"out": r.out, "err": r.err}) == []
    assert not db.exists()
