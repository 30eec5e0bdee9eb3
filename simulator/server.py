"""The simulator's HTTP server: the OpenAI chat-completions wire format on localhost.

Its "models" are the synthetic respondents of :mod:`.panel`, not LLMs: every
name starts with ``sim-``, every answer carries ``system_fingerprint:
"aligned-simulator"`` and an ``x-aligned-simulator`` header, and ``/v1/models``
lists them as owned by ``aligned-simulator``.

Answers are deterministic given (model, messages, seed) when the request sends
a ``seed``. Faults are drawn from a separate rng, so a retry of the same
request can succeed and still get the same answer.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
import signal
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .panel import PANEL, answer, get_profile, panel_model_names
from .prompts import message_text

FAULT_KINDS: tuple[str, ...] = ("rate_limit", "server_error", "unavailable", "slow", "truncated", "dropped")
FINGERPRINT = "aligned-simulator"
LABEL = "aligned simulator (synthetic models, not real LLMs)"
_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_CREATED = 1_735_689_600  # 2025-01-01, the "created" of every simulated model
_HEADERS = {"x-aligned-simulator": "synthetic respondents, not a real LLM"}


class _State:
    def __init__(self, *, latency_ms: float, fault_rate: float, seed: int, retry_after_s: float,
                 slow_s: float, api_key: str | None, fault_kinds: Sequence[str]) -> None:
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be within [0, 1], got {fault_rate}")
        if latency_ms < 0 or slow_s < 0 or retry_after_s < 0:
            raise ValueError("latency_ms, slow_s and retry_after_s must not be negative")
        unknown = set(fault_kinds) - set(FAULT_KINDS)
        if unknown or not fault_kinds:
            raise ValueError(f"fault_kinds: choose from {', '.join(FAULT_KINDS)} (got {sorted(unknown)})")
        self.latency_s = latency_ms / 1000.0
        self.fault_rate = fault_rate
        self.retry_after_s = retry_after_s
        self.slow_s = slow_s
        self.api_key = api_key
        self.fault_kinds = tuple(fault_kinds)
        self.fault_rng = random.Random(f"faults:{seed}")  # never the answer rng: retries can succeed
        self.answer_rng = random.Random(f"answers:{seed}")  # for requests without a seed

    def draw_fault(self) -> str | None:
        if self.fault_rate <= 0.0:
            return None
        if self.fault_rng.random() >= self.fault_rate:
            return None
        return self.fault_rng.choice(self.fault_kinds)


_STATE = web.AppKey("aligned_simulator_state", _State)


def create_app(*, latency_ms: float = 0, fault_rate: float = 0.0, seed: int = 0, retry_after_s: float = 1.0,
               slow_s: float = 30.0, api_key: str | None = None,
               fault_kinds: Sequence[str] = FAULT_KINDS) -> web.Application:
    """The simulator as an aiohttp application.

    ``latency_ms`` is slept before every answer; with probability ``fault_rate``
    a request gets one of ``fault_kinds`` instead: 429 with Retry-After
    (``retry_after_s``), 500, 503, a slow answer (``slow_s``), a truncated JSON
    body, or a dropped connection. ``api_key``: if set, other keys get 401.
    """
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app[_STATE] = _State(latency_ms=latency_ms, fault_rate=fault_rate, seed=seed, retry_after_s=retry_after_s,
                         slow_s=slow_s, api_key=api_key, fault_kinds=fault_kinds)
    app.router.add_post("/v1/chat/completions", _chat)
    app.router.add_post("/chat/completions", _chat)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/models", _models)
    app.router.add_get("/v1/models/{model}", _model)
    app.router.add_get("/models/{model}", _model)
    app.router.add_get("/", _index)
    return app


# --- responses ------------------------------------------------------------------------


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=json.dumps(body, ensure_ascii=False).encode(), status=status,
                        content_type="application/json", headers={**_HEADERS, **(headers or {})})


def _error(status: int, message: str, *, type_: str = "invalid_request_error", param: str | None = None,
           code: str | None = None, headers: dict[str, str] | None = None) -> web.Response:
    return _json({"error": {"message": message, "type": type_, "param": param, "code": code}}, status, headers)


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _model_object(name: str) -> dict[str, Any]:
    profile = get_profile(name)
    return {"id": name, "object": "model", "created": _CREATED, "owned_by": FINGERPRINT,
            "description": f"(simulated) {profile.description if profile else ''}".strip()}


async def _index(request: web.Request) -> web.Response:
    return web.Response(text=f"{LABEL}\nmodels: {', '.join(panel_model_names())}\n", headers=_HEADERS)


async def _models(request: web.Request) -> web.Response:
    if (denied := _check_key(request)) is not None:
        return denied
    return _json({"object": "list", "data": [_model_object(p.name) for p in PANEL]})


async def _model(request: web.Request) -> web.Response:
    if (denied := _check_key(request)) is not None:
        return denied
    name = request.match_info["model"]
    if get_profile(name) is None:
        return _not_found(name)
    return _json(_model_object(name))


def _not_found(name: str) -> web.Response:
    return _error(404, f"The model `{name}` does not exist or you do not have access to it. "
                       f"The aligned simulator serves: {', '.join(panel_model_names())}.",
                  code="model_not_found")


def _check_key(request: web.Request) -> web.Response | None:
    expected = request.app[_STATE].api_key
    if expected is None:
        return None
    auth = request.headers.get("Authorization", "")
    if not auth:
        return _error(401, "You didn't provide an API key. You need to provide your API key in an Authorization "
                           "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
    scheme, _, key = auth.partition(" ")
    if scheme.lower() != "bearer" or key.strip() != expected:
        shown = key.strip()
        shown = f"{shown[:3]}...{shown[-4:]}" if len(shown) > 8 else "***"
        return _error(401, f"Incorrect API key provided: {shown}.", code="invalid_api_key")
    return None


# --- chat completions ----------------------------------------------------------------


def _validate(body: Any) -> web.Response | None:
    """OpenAI's checks, in OpenAI's words, for what the simulator uses."""
    if not isinstance(body, dict):
        return _error(400, "We could not parse the JSON body of your request. The OpenAI-compatible aligned "
                           "simulator expects a JSON object.")
    if "model" not in body or body["model"] in (None, ""):
        return _error(400, "you must provide a model parameter", param="model", code="missing_required_parameter")
    if not isinstance(body["model"], str):
        return _error(400, "Invalid type for 'model': expected a string.", param="model", code="invalid_type")
    messages = body.get("messages")
    if messages is None:
        return _error(400, "Missing required parameter: 'messages'.", param="messages",
                      code="missing_required_parameter")
    if not isinstance(messages, list):
        return _error(400, "Invalid type for 'messages': expected an array of objects.", param="messages",
                      code="invalid_type")
    if not messages:
        return _error(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
                           "empty array instead.", param="messages", code="empty_array")
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            return _error(400, f"Invalid type for 'messages[{i}]': expected an object.", param=f"messages[{i}]",
                          code="invalid_type")
        role = m.get("role")
        if role is None:
            return _error(400, f"Missing required parameter: 'messages[{i}].role'.", param=f"messages[{i}].role",
                          code="missing_required_parameter")
        if role not in _ROLES:
            return _error(400, f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', "
                               f"'tool', 'function', and 'developer'.", param=f"messages[{i}].role",
                          code="invalid_value")
        if "content" not in m and role != "assistant":
            return _error(400, f"Missing required parameter: 'messages[{i}].content'.",
                          param=f"messages[{i}].content", code="missing_required_parameter")
    for name, lo, hi in (("temperature", 0, 2), ("top_p", 0, 1), ("presence_penalty", -2, 2),
                         ("frequency_penalty", -2, 2)):
        v = body.get(name)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return _error(400, f"Invalid type for '{name}': expected a decimal.", param=name, code="invalid_type")
        if v < lo or v > hi:
            side, bound, code = (("below minimum", f">= {lo}", "decimal_below_min_value") if v < lo
                                 else ("above maximum", f"<= {hi}", "decimal_above_max_value"))
            return _error(400, f"Invalid '{name}': decimal {side} value. Expected a value {bound}, but got {v} "
                               "instead.", param=name, code=code)
    for name, lo in (("n", 1), ("max_tokens", 1), ("max_completion_tokens", 1), ("seed", None)):
        v = body.get(name)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int):
            return _error(400, f"Invalid type for '{name}': expected an integer.", param=name, code="invalid_type")
        if lo is not None and v < lo:
            return _error(400, f"Invalid '{name}': integer below minimum value. Expected a value >= {lo}, but got "
                               f"{v} instead.", param=name, code="integer_below_min_value")
    if body.get("n", 1) > 128:
        return _error(400, "Invalid 'n': integer above maximum value. Expected a value <= 128.", param="n",
                      code="integer_above_max_value")
    if "stream" in body and not isinstance(body["stream"], bool) and body["stream"] is not None:
        return _error(400, "Invalid type for 'stream': expected a boolean.", param="stream", code="invalid_type")
    return None


def _answer_rng(state: _State, model: str, messages: list[dict[str, str]], seed: int | None) -> random.Random:
    if seed is None:
        return random.Random(state.answer_rng.getrandbits(64))
    key = json.dumps([model, [[m["role"], m["content"]] for m in messages], seed], ensure_ascii=False)
    return random.Random(int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big"))


async def _chat(request: web.Request) -> web.StreamResponse:
    state = request.app[_STATE]
    if (denied := _check_key(request)) is not None:
        return denied
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
                           "using your HTTP library correctly. The aligned simulator expects a JSON payload.)")
    if (invalid := _validate(body)) is not None:
        return invalid
    model = body["model"]
    profile = get_profile(model)
    if profile is None:
        return _not_found(model)

    fault = state.draw_fault()
    if fault == "dropped":
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)  # never reaches the client
    if fault == "rate_limit":
        ra = f"{state.retry_after_s:g}"
        return _error(429, f"Rate limit reached for {model} (aligned simulator fault injection) on requests per "
                           f"min (RPM): Limit 60, Used 60, Requested 1. Please try again in {ra}s.",
                      type_="requests", code="rate_limit_exceeded",
                      headers={"Retry-After": ra, "retry-after-ms": f"{state.retry_after_s * 1000:g}",
                               "x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "0",
                               "x-ratelimit-reset-requests": f"{ra}s"})
    if fault == "server_error":
        return _error(500, "The server had an error while processing your request. Sorry about that! "
                           "(aligned simulator fault injection)", type_="server_error")
    if fault == "unavailable":
        return _error(503, "The server is overloaded or not ready yet. (aligned simulator fault injection)",
                      type_="server_error")

    if state.latency_s > 0:
        await asyncio.sleep(state.latency_s)
    if fault == "slow":
        await asyncio.sleep(state.slow_s)

    messages = [{"role": m["role"], "content": message_text(m.get("content"))} for m in body["messages"]]
    temperature = body.get("temperature")
    rng = _answer_rng(state, model, messages, body.get("seed"))
    n = body.get("n") or 1
    texts = [answer(profile, messages, rng, temperature=1.0 if temperature is None else float(temperature))
             for _ in range(n)]
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    finish = ["stop"] * n
    if limit:
        for i, t in enumerate(texts):
            if _tokens(t) > limit:
                texts[i], finish[i] = t[: limit * 4], "length"
    prompt_tokens = sum(_tokens(m["content"]) + 4 for m in messages)
    completion_tokens = sum(_tokens(t) for t in texts)
    completion_id = "chatcmpl-" + uuid.uuid4().hex[:29]
    created = int(time.time())
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
             "total_tokens": prompt_tokens + completion_tokens}

    if body.get("stream"):
        return await _stream(request, body, completion_id, created, model, texts, finish, usage)

    payload = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "system_fingerprint": FINGERPRINT,
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": t, "refusal": None, "annotations": []},
             "logprobs": None, "finish_reason": f}
            for i, (t, f) in enumerate(zip(texts, finish))
        ],
        "usage": usage,
        "service_tier": "default",
    }
    if fault == "truncated":
        raw = json.dumps(payload, ensure_ascii=False).encode()
        return web.Response(body=raw[: len(raw) // 2], content_type="application/json", headers=_HEADERS)
    return _json(payload, headers={"x-request-id": "req_" + completion_id[9:]})


async def _stream(request: web.Request, body: dict[str, Any], completion_id: str, created: int, model: str,
                  texts: list[str], finish: list[str], usage: dict[str, int]) -> web.StreamResponse:
    """Server-sent events like OpenAI's: role chunk, content chunks, finish chunk, [DONE]."""
    resp = web.StreamResponse(headers={**_HEADERS, "Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await resp.prepare(request)

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        obj = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
               "system_fingerprint": FINGERPRINT, "choices": choices, **extra}
        return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"

    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    extra = {"usage": None} if include_usage else {}
    for i, text in enumerate(texts):
        await resp.write(chunk([{"index": i, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                                 "finish_reason": None}], **extra))
        step = max(16, len(text) // 4 + 1)
        for start in range(0, len(text), step):
            await resp.write(chunk([{"index": i, "delta": {"content": text[start:start + step]}, "logprobs": None,
                                     "finish_reason": None}], **extra))
        await resp.write(chunk([{"index": i, "delta": {}, "logprobs": None, "finish_reason": finish[i]}], **extra))
    if include_usage:
        await resp.write(chunk([], usage=usage))
    await resp.write(b"data: [DONE]\n\n")
    await resp.write_eof()
    return resp


# --- running it ------------------------------------------------------------------------


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/v1" if ":" in host else f"http://{host}:{port}/v1"


async def start_simulator(host: str = "127.0.0.1", port: int = 0, **app_kwargs: Any) -> tuple[web.AppRunner, str]:
    """Start the simulator on the running loop; returns the runner (``await runner.cleanup()``
    to stop) and the base URL, e.g. ``http://127.0.0.1:PORT/v1``. ``port=0`` picks a free port."""
    app = create_app(**app_kwargs)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1]
    return runner, _url(host, bound)


class SimulatorThread:
    """Run the simulator in a background thread with its own event loop.

    >>> with SimulatorThread(latency_ms=0) as base_url:  # doctest: +SKIP
    ...     openai.OpenAI(base_url=base_url, api_key="x").chat.completions.create(...)
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **app_kwargs: Any) -> None:
        self.host, self.port = host, port
        self._kwargs = app_kwargs
        self.base_url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> str:
        create_app(**self._kwargs)  # raise bad arguments here, in the caller's thread
        self._thread = threading.Thread(target=self._run, name="aligned-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the aligned simulator did not start within 30 s")
        if self._error is not None:
            raise self._error
        assert self.base_url is not None
        return self.base_url

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        runner = None
        try:
            runner, self.base_url = loop.run_until_complete(start_simulator(self.host, self.port, **self._kwargs))
            self.port = int(self.base_url.rsplit(":", 1)[1].split("/")[0])
        except BaseException as exc:  # surfaced to start()
            self._error = exc
        finally:
            self._ready.set()
        try:
            if runner is not None:
                loop.run_forever()
                loop.run_until_complete(runner.cleanup())
        finally:
            loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def banner(base_url: str) -> str:
    return f"{LABEL} on {base_url} \u2014 models: {', '.join(panel_model_names())}"


def serve(port: int = 0, host: str = "127.0.0.1", **app_kwargs: Any) -> None:
    """Serve until SIGINT/SIGTERM; prints one line with the URL first (flushed)."""
    asyncio.run(_serve(port, host, app_kwargs))


async def _serve(port: int, host: str, app_kwargs: dict[str, Any]) -> None:
    runner, base_url = await start_simulator(host, port, **app_kwargs)
    line = banner(base_url)
    try:
        print(line, flush=True)
    except UnicodeEncodeError:
        print(line.encode("ascii", "replace").decode(), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        sys.stdout.flush()
