"""Keys never leak (issue 18, "Keys"): redirects are not followed, the key is removed from the
whole of every text before any cut, and an echoed key is replaced by a marker.

Every server is a fake started by the test on 127.0.0.1.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import duckdb
import pytest

from collector.providers import AnthropicProvider, GeminiProvider, OpenAIProvider
from collector.providers._common import MAX_MESSAGE
from collector.providers.base import KEY_FRAGMENT, KEY_MARKER
from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.gemini_fake import GeminiFake
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import serve_in_thread

from .support import find_secret, run_cli, small_study, write_yaml

KEY_VAR = "ALIGNED_KEYS_TEST"


def _key() -> str:
    # 52 characters, as in the probe; no run of it can occur in the padding the tests use
    return "sk-" + secrets.token_hex(24) + "Zz"


def _leaks(key: str, text: str) -> list[str]:
    """Every run of KEY_FRAGMENT characters of ``key`` that appears in ``text``."""
    return [key[i:i + KEY_FRAGMENT] for i in range(len(key) - KEY_FRAGMENT + 1) if key[i:i + KEY_FRAGMENT] in text]


def _short_leaks(key: str, text: str, n: int = 6) -> list[str]:
    """Runs of ``n`` characters of the key's random part (after "sk-") that appear in ``text``."""
    body = key[3:]
    return [body[i:i + n] for i in range(len(body) - n + 1) if body[i:i + n] in text]


# ------------------------------------------------------------------ the cuts, for every provider
# Each provider describes an error body by cutting the message (MAX_MESSAGE characters), the
# error kind (60) and a plain-text body (200). A key placed so that it straddles each cut, at
# every offset, must leave no character run of itself behind.
def _bodies(provider: str, key: str, cut: str, offset: int) -> object:
    if cut == "message":
        text = "e" * (MAX_MESSAGE - 3 - offset) + key + " tail"
        return {"openai": {"error": {"message": text, "type": "invalid_request_error"}},
                "anthropic": {"type": "error", "error": {"type": "invalid_request_error", "message": text}},
                "gemini": {"error": {"code": 400, "message": text, "status": "INVALID_ARGUMENT"}}}[provider]
    if cut == "kind":
        kind = "k" * (60 - 3 - offset) + key
        return {"openai": {"error": {"message": "m", "code": kind}},
                "anthropic": {"type": "error", "error": {"type": kind, "message": "m"}},
                "gemini": {"error": {"code": 400, "message": "m", "status": kind}}}[provider]
    return "p" * (200 - 3 - offset) + key + " tail"  # a plain-text (HTML, proxy) error body


PROVIDERS = {"openai": OpenAIProvider, "anthropic": AnthropicProvider, "gemini": GeminiProvider}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@pytest.mark.parametrize("cut", ["message", "kind", "text"])
def test_a_key_straddling_every_cut_leaves_nothing_of_itself(provider: str, cut: str):
    key = _key()
    p = PROVIDERS[provider]("http://127.0.0.1:9", key)
    seen_marker = False
    for offset in range(-4, len(key) + 4):  # the key before, across (every position) and after the cut
        msg = p.error_message(400, _bodies(provider, key, cut, offset))
        assert _leaks(key, msg) == [] and _short_leaks(key, msg) == [], (offset, msg)
        seen_marker |= "[API key" in msg
    assert seen_marker  # the key was there to be removed, and the marker says so


def test_redact_removes_what_another_cut_left_behind():
    # code that cuts before redacting (an exception text cut at 200) leaves a piece of the key:
    # any run of KEY_FRAGMENT characters of it is removed as well
    key = _key()
    p = OpenAIProvider("http://127.0.0.1:9", key)
    for cut in range(len(key)):
        text = ("connection error: " + key)[: len("connection error: ") + cut]
        out = p.redact(text)
        assert _leaks(key, out) == [], (cut, out)
        assert (KEY_MARKER in out) == (cut >= KEY_FRAGMENT)
    tail = p.redact(key[-20:] + " was the key")
    assert tail == f"{KEY_MARKER} was the key"
    assert p.redact("nothing secret here") == "nothing secret here"


# ------------------------------------------------------------------ answers that echo the key
def _echo_body(provider: str, key: str) -> dict:
    text = f"Safety\nPrivacy, and by the way your key is {key}."
    if provider == "openai":
        return {"id": "x", "object": "chat.completion", "model": f"gpt-echo-{key}",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": f"stop {key}"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1}}
    if provider == "anthropic":
        half = len(text) // 2 + 20  # the key split over two text blocks: removed after joining
        return {"type": "message", "role": "assistant", "model": f"claude-{key}",
                "content": [{"type": "text", "text": text[:half]}, {"type": "text", "text": text[half:]}],
                "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}}
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
            "modelVersion": f"gemini-{key}", "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1}}


def _fake(provider: str, key: str):
    return {"openai": lambda: OpenAIFake(api_key=key, models=("echo",)),
            "anthropic": lambda: AnthropicFake(api_key=key),
            "gemini": lambda: GeminiFake(api_key=key)}[provider]()


def _model(provider: str, root: str, fake) -> dict:
    return {"name": f"{provider}-echo", "provider": provider, "model": "echo", "base_url": root + fake.prefix,
            "api_key_env": KEY_VAR, "concurrency": 1, "max_attempts": 2}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_a_key_echoed_in_a_200_answer_is_stored_as_a_marker(provider: str, tmp_path: Path):
    key = _key()
    fake = _fake(provider, key)
    fake.respond_next(200, body=_echo_body(provider, key), times=4)
    db = tmp_path / "echo.duckdb"
    with serve_in_thread(fake) as root:
        exp = write_yaml(tmp_path / "echo.yaml", small_study([_model(provider, root, fake)]))
        r = run_cli(["collect", str(exp), "--db", str(db), "--no-progress"], cwd=tmp_path, env={KEY_VAR: key},
                    subprocess_=False)
    assert r.code == 0, r.err
    assert fake.generation_requests(), "the fake was never asked"
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("select status, response_text, response_model from raw.responses").fetchall()
    con.close()
    assert len(rows) == 4 and all(s == "ok" for s, _, _ in rows)
    for _, text, model in rows:
        assert text.startswith("Safety\nPrivacy") and text.endswith(f"your key is {KEY_MARKER}.")
        assert model.endswith(KEY_MARKER)
    assert find_secret(key, texts={"out": r.out, "err": r.err}, root=tmp_path) == []


# ------------------------------------------------------------------ redirects
@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_a_redirect_to_another_origin_is_a_final_error_and_the_key_stays_home(provider: str, tmp_path: Path):
    key = _key()
    home, elsewhere = _fake(provider, key), _fake(provider, None)
    db = tmp_path / "redirect.duckdb"
    with serve_in_thread(elsewhere) as other_root, serve_in_thread(home) as root:
        # a 307 keeps the method and the body: a client that follows it sends the key along
        home.respond_next(307, body="", headers={"Location": f"{other_root}{elsewhere.prefix}/moved?from=home"},
                          times=8)
        exp = write_yaml(tmp_path / "redirect.yaml", small_study([_model(provider, root, home)]))
        r = run_cli(["collect", str(exp), "--db", str(db), "--no-progress"], cwd=tmp_path, env={KEY_VAR: key},
                    subprocess_=False)
    assert "Traceback" not in r.err, r.err
    assert elsewhere.requests == [], "the request was sent to the redirect's target"
    assert len(home.generation_requests()) == 4  # one attempt each: a redirect is final, not retried
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("select status, http_status, attempts, error from raw.responses").fetchall()
    con.close()
    assert len(rows) == 4
    for status, http_status, attempts, error in rows:
        assert (status, http_status, attempts) == ("failed", 307, 1)
        assert f"redirects to {other_root}; redirects are never followed" in error
        assert "moved" not in error and "from=home" not in error  # the origin only
    assert find_secret(key, texts={"out": r.out, "err": r.err}, root=tmp_path) == []
