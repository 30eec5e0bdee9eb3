"""The simulator speaks OpenAI's wire format: the official SDK parses it, errors map
to the SDK's exception classes, seeds make answers reproducible, faults are injected."""
from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import aiohttp
import openai
import pytest

from simulator import FAULT_KINDS, SimulatorThread, create_app, panel_model_names, start_simulator

from .conftest import t1_prompt, t2_prompt, t4_prompt

REPO = Path(__file__).resolve().parents[2]


_CLIENTS: list[openai.OpenAI] = []


def client(url: str, key: str = "x", **kw) -> openai.OpenAI:
    """An SDK client without retries (closed after the test)."""
    c = openai.OpenAI(base_url=url, api_key=key, **{"max_retries": 0, "timeout": 10, **kw})
    _CLIENTS.append(c)
    return c


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while _CLIENTS:
        _CLIENTS.pop().close()


def post(url: str, body: object, *, path: str = "/chat/completions", headers: dict[str, str] | None = None,
         timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    """Raw POST; returns (status, headers, body) for any status."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def chat_body(model: str = "sim-us-public", **kw) -> dict:
    return {"model": model, "messages": t1_prompt(), **kw}


# --- wire likeness through the official SDK ---------------------------------------------------


def test_sdk_parses_a_chat_completion(sim_url):
    for seed in range(10):  # skip the profile's rare refusals / off-format replies
        r = client(sim_url).chat.completions.create(model="sim-safety-first",
                                                    messages=t2_prompt("medical", "Safety"), temperature=1.0, seed=seed)
        if "important" in r.choices[0].message.content.lower():
            break
    assert r.id.startswith("chatcmpl-") and r.object == "chat.completion"
    assert r.model == "sim-safety-first" and r.system_fingerprint == "aligned-simulator"
    assert abs(r.created - time.time()) < 60
    choice = r.choices[0]
    assert choice.index == 0 and choice.finish_reason == "stop"
    assert choice.message.role == "assistant" and "important" in choice.message.content.lower()
    text = choice.message.content
    assert r.usage.completion_tokens == -(-len(text) // 4)
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens > 0


def test_sdk_lists_and_retrieves_the_simulated_models(sim_url):
    c = client(sim_url)
    models = list(c.models.list())
    assert [m.id for m in models] == panel_model_names()
    assert all(m.owned_by == "aligned-simulator" and m.object == "model" for m in models)
    assert all("(simulated)" in m.model_extra["description"] for m in models)
    assert c.models.retrieve("sim-noisy").id == "sim-noisy"
    with pytest.raises(openai.NotFoundError):
        c.models.retrieve("gpt-4o")


def test_sdk_streaming_gives_the_same_answer_as_a_plain_call(sim_url):
    c = client(sim_url)
    plain = c.chat.completions.create(model="sim-noisy", messages=t4_prompt("banking"), seed=3)
    stream = c.chat.completions.create(model="sim-noisy", messages=t4_prompt("banking"), seed=3, stream=True,
                                       stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == plain.choices[0].message.content
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens


def test_n_choices_and_max_tokens(sim_url):
    c = client(sim_url)
    r = c.chat.completions.create(model="sim-contrarian", messages=t1_prompt(), n=3, seed=1)
    assert [ch.index for ch in r.choices] == [0, 1, 2]
    r = c.chat.completions.create(model="sim-privacy-hawk", messages=t1_prompt(), max_tokens=2, seed=1)
    assert r.choices[0].finish_reason == "length" and len(r.choices[0].message.content) <= 8


@pytest.mark.parametrize("prefix", ["/v1", ""])
def test_chat_completions_path_and_alias(sim_url, prefix):
    status, _, body = post(sim_url.removesuffix("/v1") + prefix, chat_body())
    assert status == 200 and json.loads(body)["choices"][0]["message"]["content"]


# --- errors are OpenAI-shaped and map to the SDK's classes -------------------------------------


def test_sdk_raises_authentication_error_for_a_wrong_key():
    with SimulatorThread(api_key="sk-right-key") as url:
        with pytest.raises(openai.AuthenticationError) as exc:
            client(url, key="sk-wrong-key-123").chat.completions.create(model="sim-noisy", messages=t1_prompt())
        assert exc.value.code == "invalid_api_key"
        ok = client(url, key="sk-right-key").chat.completions.create(model="sim-noisy", messages=t1_prompt())
        assert ok.choices[0].message.content
        status, _, body = post(url, chat_body())  # no Authorization header at all
        assert status == 401 and json.loads(body)["error"]["type"] == "invalid_request_error"
        with pytest.raises(openai.AuthenticationError):
            client(url, key="nope").models.list()


def test_any_key_is_accepted_without_api_key(sim_url):
    assert client(sim_url, key="anything").chat.completions.create(model="sim-noisy", messages=t1_prompt())


def test_sdk_raises_not_found_for_an_unknown_model(sim_url):
    with pytest.raises(openai.NotFoundError) as exc:
        client(sim_url).chat.completions.create(model="gpt-4o", messages=t1_prompt())
    assert exc.value.code == "model_not_found"


def test_sdk_raises_bad_request_for_invalid_requests(sim_url):
    c = client(sim_url)
    with pytest.raises(openai.BadRequestError) as exc:
        c.chat.completions.create(model="sim-noisy", messages=[])
    assert exc.value.param == "messages"
    with pytest.raises(openai.BadRequestError) as exc:
        c.chat.completions.create(model="sim-noisy", messages=t1_prompt(), temperature=3)
    assert exc.value.param == "temperature"
    with pytest.raises(openai.BadRequestError):
        c.chat.completions.create(model="sim-noisy", messages=[{"role": "robot", "content": "hi"}])


@pytest.mark.parametrize("body,param,code", [
    ({"messages": t1_prompt()}, "model", "missing_required_parameter"),
    ({"model": "sim-noisy"}, "messages", "missing_required_parameter"),
    ({"model": "sim-noisy", "messages": "hi"}, "messages", "invalid_type"),
    ({"model": "sim-noisy", "messages": [{"content": "hi"}]}, "messages[0].role", "missing_required_parameter"),
    ({"model": "sim-noisy", "messages": t1_prompt(), "n": 0}, "n", "integer_below_min_value"),
    ({"model": "sim-noisy", "messages": t1_prompt(), "seed": "x"}, "seed", "invalid_type"),
    (b"{not json", None, None),
    ([1, 2], None, None),
])
def test_invalid_bodies_get_openai_shaped_400s(sim_url, body, param, code):
    status, headers, raw = post(sim_url, body)
    assert status == 400 and headers["Content-Type"].startswith("application/json")
    err = json.loads(raw)["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["type"] == "invalid_request_error" and err["message"]
    assert (err["param"], err["code"]) == (param, code)


def test_unknown_model_is_a_404_with_model_not_found(sim_url):
    status, _, raw = post(sim_url, chat_body("gpt-4o"))
    err = json.loads(raw)["error"]
    assert status == 404 and err["code"] == "model_not_found" and "gpt-4o" in err["message"]


# --- reproducibility ------------------------------------------------------------------------


def test_same_seed_same_answer_different_seeds_vary(sim_url):
    c = client(sim_url)

    def ask(seed=None, model="sim-us-public", msgs=None):
        kw = {} if seed is None else {"seed": seed}
        return c.chat.completions.create(model=model, messages=msgs or t1_prompt(), **kw).choices[0].message.content

    assert ask(5) == ask(5)
    assert ask(5, msgs=t2_prompt("banking", "Privacy")) == ask(5, msgs=t2_prompt("banking", "Privacy"))
    assert len({ask(s) for s in range(20)}) >= 10
    assert len({ask() for _ in range(20)}) >= 10
    assert ask(5, "sim-contrarian") != ask(5, "sim-safety-first")


def test_answers_do_not_depend_on_the_server_instance(sim_url):
    body = chat_body("sim-practitioner", seed=99)
    with SimulatorThread(seed=123, latency_ms=1) as other:
        a = json.loads(post(sim_url, body)[2])["choices"][0]["message"]["content"]
        b = json.loads(post(other, body)[2])["choices"][0]["message"]["content"]
    assert a == b


def test_latency_is_slept_before_answering():
    with SimulatorThread(latency_ms=150) as url:
        t0 = time.perf_counter()
        assert post(url, chat_body())[0] == 200
        assert time.perf_counter() - t0 >= 0.14


# --- fault injection ----------------------------------------------------------------------------


def classify(url: str, body: dict, timeout: float) -> tuple[str, dict[str, str]]:
    """What a client sees: the fault kind (or "ok") and the response headers."""
    try:
        status, headers, raw = post(url, body, timeout=timeout)
    except (http.client.RemoteDisconnected, ConnectionResetError, urllib.error.URLError) as exc:
        if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, TimeoutError):
            return "slow", {}
        return "dropped", {}
    except TimeoutError:
        return "slow", {}
    if status == 429:
        return "rate_limit", headers
    if status in (500, 503):
        kind = {500: "server_error", 503: "unavailable"}[status]
        assert json.loads(raw)["error"]["type"] == "server_error"
        return kind, headers
    assert status == 200
    try:
        json.loads(raw)
    except ValueError:
        return "truncated", headers
    return "ok", headers


def test_fault_rate_one_produces_every_fault_kind():
    with SimulatorThread(fault_rate=1.0, retry_after_s=0.2, slow_s=0.5, seed=1) as url:
        seen: Counter[str] = Counter()
        for i in range(120):
            kind, headers = classify(url, chat_body(seed=i), timeout=0.25)
            seen[kind] += 1
            if kind == "rate_limit":
                assert headers["Retry-After"] == "0.2"
            if len(seen) == len(FAULT_KINDS):
                break
    assert set(seen) == set(FAULT_KINDS), seen


def test_sdk_sees_rate_limits_and_dropped_connections_as_its_own_errors():
    with SimulatorThread(fault_rate=1.0, fault_kinds=("rate_limit",), retry_after_s=0.2) as url:
        with pytest.raises(openai.RateLimitError) as exc:
            client(url).chat.completions.create(model="sim-noisy", messages=t1_prompt())
        assert exc.value.code == "rate_limit_exceeded"
        assert exc.value.response.headers["retry-after"] == "0.2"
    for kind, error in (("server_error", openai.InternalServerError), ("unavailable", openai.InternalServerError),
                        ("dropped", openai.APIConnectionError)):
        with SimulatorThread(fault_rate=1.0, fault_kinds=(kind,)) as url:
            with pytest.raises(error):
                client(url).chat.completions.create(model="sim-noisy", messages=t1_prompt())
    with SimulatorThread(fault_rate=1.0, fault_kinds=("slow",), slow_s=2) as url:
        with pytest.raises(openai.APITimeoutError):
            client(url, timeout=0.2).chat.completions.create(model="sim-noisy", messages=t1_prompt())


def test_retries_succeed_with_the_same_answer_because_faults_use_their_own_rng(sim_url):
    body = chat_body("sim-order-biased", seed=2024)
    expected = json.loads(post(sim_url, body)[2])["choices"][0]["message"]["content"]
    failures, got = [], None
    with SimulatorThread(fault_rate=0.6, slow_s=0.5, seed=2) as url:  # seed 2: the first request faults
        for _ in range(40):
            try:
                status, _, raw = post(url, body, timeout=0.25)
            except (OSError, http.client.HTTPException) as exc:
                failures.append(type(exc).__name__)
                continue
            if status != 200:
                failures.append(status)
                continue
            try:
                got = json.loads(raw)["choices"][0]["message"]["content"]
                break
            except ValueError:
                failures.append("truncated")
    assert failures, "expected at least one injected fault before the success"
    assert got == expected


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="fault_rate"):
        create_app(fault_rate=1.5)
    with pytest.raises(ValueError, match="fault_kinds"):
        create_app(fault_kinds=("meteor",))


# --- ways to run it ----------------------------------------------------------------------------


def test_start_simulator_on_a_running_loop():
    async def main() -> str:
        runner, url = await start_simulator(port=0, latency_ms=0)
        try:
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url)
            async with aiohttp.ClientSession() as s:
                async with s.get(url + "/models") as r:
                    data = await r.json()
                async with s.post(url + "/chat/completions", json=chat_body(seed=1)) as r:
                    assert r.status == 200 and r.headers["x-aligned-simulator"]
                    return (await r.json())["choices"][0]["message"]["content"]
        finally:
            await runner.cleanup()

    assert asyncio.run(main())


def test_module_entry_point_prints_the_url_first():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "--port", "0", "--latency-ms", "0",
                             "--fault-rate", "0"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "synthetic models, not real LLMs" in line
        url = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line).group(1)
        assert all(name in line for name in panel_model_names())
        status, _, raw = post(url, chat_body(seed=1))
        assert status == 200 and json.loads(raw)["system_fingerprint"] == "aligned-simulator"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert proc.returncode in (0, -15)
