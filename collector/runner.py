"""The collection loop: every pending request, sent once per (model, item, setting, replicate).

This module owns concurrency, timeouts and the retry loop, once, for all providers
(a provider only translates to and from its wire format; :mod:`collector.retry`
decides what an error status means; :mod:`collector.ratelimit` paces a model).
Every request ends as exactly one row handed to the writer: ``ok`` with the
answer, or ``failed`` with its last error after the configured attempts.
Nothing is dropped: a request that was never finished (Ctrl-C, kill -9) has
no row and is sent by the next run.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
import orjson

from collector import __version__, retry
from collector.design import Design
from collector.models import ResolvedModel
from collector.plan import PlannedRequest, params_for
from collector.providers import ChatRequest, ProviderError
from collector.ratelimit import RateLimiter, sleep_or_stop
from collector.store import ResponseWriter, utcnow

#: a model whose first requests all fail to connect is stopped after this many
UNREACHABLE_AFTER = 3
#: a 429 is the server pacing the client, not the request failing: up to this many per request
#: do not count against max_attempts (a strict rate limit must slow a study down, not lose answers)
RATE_LIMITED_GRACE = 20

T = TypeVar("T")


def _loads(raw: bytes) -> Any:
    """A response body as JSON: orjson (a tenth of the CPU of json), or json for what orjson refuses
    but JSON allows (a lone surrogate escape such as a reply cut inside an emoji)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _dumps(body: Any) -> str:
    """A request body as JSON text (aiohttp's ``json_serialize``): orjson, json where orjson refuses."""
    try:
        return orjson.dumps(body).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(body)


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on uvloop when it is installed (a dependency of aligned), else on
    asyncio's own loop. Measured here (2 cores, C=64 against a 50 ms server): uvloop spends about
    10% less CPU per request than asyncio's loop; the wall-clock rate was the same within this
    machine's noise (bench ``endtoend`` with ``ALIGNED_EVENT_LOOP=asyncio``). Ctrl-C behaves as with
    :func:`asyncio.run` (both go through :class:`asyncio.Runner`). ``ALIGNED_EVENT_LOOP=asyncio`` in
    the environment picks asyncio's loop (for debugging, or to compare)."""
    try:
        if os.environ.get("ALIGNED_EVENT_LOOP", "").lower() == "asyncio":
            raise ImportError
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


@dataclass
class Counters:
    planned: int = 0
    ok: int = 0
    failed: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    per_model: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.ok + self.failed


@dataclass
class CollectResult:
    counters: Counters
    interrupted: bool
    stopped_models: dict[str, str]  # model -> one-line reason it was stopped
    seconds: float

    @property
    def left(self) -> int:
        return self.counters.planned - self.counters.done


class Collector:
    """Sends the pending requests of one run and hands every outcome to the writer."""

    def __init__(self, design: Design, models: list[ResolvedModel], writer: ResponseWriter, run_id: str, *,
                 concurrency: int | None = None) -> None:
        self.design = design
        self.models = models
        self.writer = writer
        self.run_id = run_id
        self.concurrency_override = concurrency
        self.counters = Counters()
        self.stopped: dict[str, str] = {}
        self._stop: asyncio.Event  # created in run(), inside the event loop
        self._interrupted = False
        self._rng = random.Random()
        self._limiters = {m.name: RateLimiter(m.spec.rpm, m.spec.tpm) for m in models}
        # the same for every request of a model: built once, not once per request
        self._params = {m.name: params_for(design, m.spec.params) for m in models}
        self._params_json = {name: json.dumps(p, sort_keys=True) for name, p in self._params.items()}
        self._timeouts = {m.name: aiohttp.ClientTimeout(total=m.spec.timeout_s) for m in models}
        self._unreachable: dict[str, int] = {}
        self._succeeded: set[str] = set()

    def concurrency_of(self, m: ResolvedModel) -> int:
        return self.concurrency_override or m.spec.concurrency

    # ----------------------------------------------------------------- run
    async def run(self, pending: Mapping[str, list[PlannedRequest]], handle_sigint: bool = True,
                  on_started: Callable[[], None] | None = None) -> CollectResult:
        """Send ``pending`` (requests by model); ``on_started`` runs once Ctrl-C is handled gracefully."""
        t0 = time.perf_counter()
        self._stop = asyncio.Event()
        self.counters.planned = sum(len(v) for v in pending.values())
        for m in self.models:
            self.counters.per_model[m.name] = {"planned": len(pending.get(m.name, [])), "ok": 0, "failed": 0}
        loop = asyncio.get_running_loop()
        sigint_installed = False
        if handle_sigint:
            try:
                loop.add_signal_handler(signal.SIGINT, self._on_sigint)
                loop.add_signal_handler(signal.SIGTERM, self._on_sigint)
                sigint_installed = True
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        if on_started is not None:
            on_started()
        total_conc = sum(self.concurrency_of(m) for m in self.models if pending.get(m.name))
        connector = aiohttp.TCPConnector(limit=max(1, total_conc), limit_per_host=0, ttl_dns_cache=300,
                                         enable_cleanup_closed=True)
        try:
            async with aiohttp.ClientSession(connector=connector, raise_for_status=False,
                                             json_serialize=_dumps) as session:
                workers = []
                for m in self.models:
                    reqs = pending.get(m.name) or []
                    if not reqs:
                        continue
                    it = iter(reqs)
                    workers += [asyncio.create_task(self._worker(session, m, it))
                                for _ in range(min(self.concurrency_of(m), len(reqs)))]
                if workers:
                    await asyncio.gather(*workers)
        finally:
            if sigint_installed:
                loop.remove_signal_handler(signal.SIGINT)
                loop.remove_signal_handler(signal.SIGTERM)
        interrupted = self._stop.is_set() and self._interrupted
        return CollectResult(self.counters, interrupted, dict(self.stopped), time.perf_counter() - t0)

    def _on_sigint(self) -> None:
        if self._interrupted:  # second Ctrl-C: stop waiting for in-flight answers
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            return
        self._interrupted = True
        self._stop.set()

    # -------------------------------------------------------------- worker
    async def _worker(self, session: aiohttp.ClientSession, m: ResolvedModel, it: Iterator[PlannedRequest]) -> None:
        skip = self.writer.answered_elsewhere  # keys another process answered meanwhile (shared set)
        for req in it:
            if self._stop.is_set() or m.name in self.stopped:
                return
            if req.key in skip:
                self.counters.planned -= 1
                self.counters.per_model[m.name]["planned"] -= 1
                continue
            row = await self._one(session, m, req)
            if row is None:  # model stopped while this request was in flight: leave it pending
                return
            self.writer.put(row)
            pm = self.counters.per_model[m.name]
            if row["status"] == "ok":
                self.counters.ok += 1
                pm["ok"] += 1
            else:
                self.counters.failed += 1
                pm["failed"] += 1
            self.counters.prompt_tokens += row["prompt_tokens"] or 0
            self.counters.completion_tokens += row["completion_tokens"] or 0
            self.counters.cost_usd += row["cost_usd"] or 0.0

    async def _one(self, session: aiohttp.ClientSession, m: ResolvedModel, req: PlannedRequest) -> dict[str, Any] | None:
        spec = m.spec
        messages, keys_shown, labels_shown = req.render(self.design.exp.system_prompt)
        params = self._params[m.name]
        chat = ChatRequest(model=spec.model, messages=messages, params=params, seed=req.seed)
        http = m.provider.build(chat)
        est_tokens = sum(len(x["content"]) for x in messages) // 4 + 64
        limiter = self._limiters[m.name]
        requested_at = utcnow()
        timeout = self._timeouts[m.name]
        attempts = 0
        rate_limited = 0  # 429s of this request, forgiven up to RATE_LIMITED_GRACE
        status: int | None = None
        error = ""
        latency_ms: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            attempts += 1
            if not await limiter.acquire(est_tokens, self._stop):
                return None  # Ctrl-C while the model was paused (429) or spaced: leave it pending
            t_start = time.perf_counter()
            wait = None
            final = False
            status = None
            try:
                # never follow a redirect: aiohttp would send x-api-key / x-goog-api-key along to any origin
                async with session.request(http.method, http.url, json=http.json, headers=http.headers,
                                           timeout=timeout, allow_redirects=False) as resp:
                    status = resp.status
                    raw = await resp.read()
                    latency_ms = (time.perf_counter() - t_start) * 1000
                    if 200 <= status < 300:
                        try:
                            completion = m.provider.parse(_loads(raw))
                        except (ValueError, UnicodeDecodeError, RecursionError):  # cut off in transit: ask again
                            error = f"HTTP {status}: the body is not complete JSON ({len(raw)} bytes)"
                        except ProviderError as exc:
                            error = m.provider.redact(f"HTTP {status}: {exc}")
                            final = True
                        else:
                            self._succeeded.add(m.name)
                            limiter.answered(loop.time())
                            return self._row(m, req, keys_shown, labels_shown, messages, "ok",
                                             completion=completion, http_status=status, attempts=attempts,
                                             latency_ms=latency_ms, requested_at=requested_at)
                    else:
                        try:
                            body = _loads(raw)
                        except (ValueError, UnicodeDecodeError, RecursionError):
                            body = None
                        error = m.provider.redact(m.provider.error_message(status, body, resp.headers))
                        verdict = retry.classify(status, resp.headers)
                        wait = verdict.retry_after
                        if verdict.kind == retry.RATE_LIMITED:
                            rate_limited += 1
                            limiter.rate_limited(loop.time(), wait)
                        elif verdict.kind == retry.FINAL:
                            final = True
                        elif verdict.kind == retry.STOP_MODEL:
                            final = True
                            self._stop_model(m, self._stop_reason(m, status, error))
            except asyncio.TimeoutError:
                latency_ms = (time.perf_counter() - t_start) * 1000
                error = f"timeout after {spec.timeout_s:g} s"
            except aiohttp.ClientConnectorError as exc:
                latency_ms = (time.perf_counter() - t_start) * 1000
                error = m.provider.redact(f"cannot connect to {m.base_url}: {exc.os_error.strerror or exc}")
                if m.name not in self._succeeded:
                    n = self._unreachable.get(m.name, 0) + 1
                    self._unreachable[m.name] = n
                    if n >= UNREACHABLE_AFTER * max(1, min(self.concurrency_of(m), 4)):
                        self._stop_model(m, f"model {m.name}: cannot reach {m.base_url} "
                                            f"({exc.os_error.strerror or 'connection failed'}); is the server "
                                            f"running? check base_url (its requests stay pending)")
            except (aiohttp.ClientError, ConnectionError) as exc:
                latency_ms = (time.perf_counter() - t_start) * 1000
                error = f"connection error: {type(exc).__name__}: {m.provider.redact(str(exc))[:200]}"
            if m.name in self.stopped and status is None:
                return None
            if final or attempts - min(rate_limited, RATE_LIMITED_GRACE) >= spec.max_attempts:
                return self._row(m, req, keys_shown, labels_shown, messages, "failed", error=error,
                                 http_status=status, attempts=attempts, latency_ms=latency_ms,
                                 requested_at=requested_at)
            self.counters.retries += 1
            delay = retry.backoff_delay(attempts, wait, self._rng)
            if self._stop.is_set():  # stopping: don't wait out long backoffs, leave it pending
                return None
            if await sleep_or_stop(delay, self._stop):  # Ctrl-C during the backoff / Retry-After
                return None

    @staticmethod
    def _stop_reason(m: ResolvedModel, status: int, error: str) -> str:
        spec = m.spec
        if status == 404:
            return (f"model {m.name}: {error} from {m.base_url}: check model: {spec.model!r} and base_url in "
                    f"the experiment file")
        return (f"model {m.name}: {error} from {m.base_url}: the API key"
                f"{' in ' + spec.api_key_env if spec.api_key_env else ''} was rejected; fix the key and rerun "
                f"(its requests stay pending)")

    def _stop_model(self, m: ResolvedModel, reason: str) -> None:
        self.stopped.setdefault(m.name, reason)

    def _row(self, m: ResolvedModel, req: PlannedRequest, keys_shown: list[str], labels_shown: list[str],
             messages: list[dict[str, str]], status: str, *, completion=None,
             error: str | None = None, http_status: int | None, attempts: int, latency_ms: float | None,
             requested_at: datetime) -> dict[str, Any]:
        spec = m.spec
        pt = completion.prompt_tokens if completion else None
        ct = completion.completion_tokens if completion else None
        cost = None
        if spec.price_in_per_1k is not None or spec.price_out_per_1k is not None:
            cost = (pt or 0) / 1000 * (spec.price_in_per_1k or 0) + (ct or 0) / 1000 * (spec.price_out_per_1k or 0)
        return {
            "response_id": f"{req.key}-{self.run_id[:12]}-{attempts}",
            "request_key": req.key, "run_id": self.run_id, "study": req.study, "model": m.name,
            "provider": spec.provider, "provider_model": spec.model, "item": req.item.item, "task": req.item.task,
            "context": req.item.context, "setting": req.setting.setting, "replicate": req.replicate,
            "external_id": None, "options_shown": keys_shown, "labels_shown": labels_shown,
            "messages": json.dumps(messages, ensure_ascii=False), "params": self._params_json[m.name],
            "seed": req.seed, "response_text": completion.text if completion else None,
            "finish_reason": completion.finish_reason if completion else None,
            "response_model": completion.response_model if completion else None, "status": status,
            "error": error, "http_status": http_status, "attempts": attempts, "latency_ms": latency_ms,
            "prompt_tokens": pt, "completion_tokens": ct, "cost_usd": cost, "requested_at": requested_at,
            "completed_at": utcnow(), "collector_version": __version__,
        }
