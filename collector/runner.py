"""The async collector: every pending request, sent once per (model, item, setting, replicate).

This module owns concurrency, rate limits, timeouts and retries, once, for all
providers (a provider only translates to and from its wire format). Every
request ends as exactly one row handed to the single writer: ``ok`` with the
answer, or ``failed`` with its last error after the configured attempts.
Nothing is dropped: a request that was never finished (Ctrl-C, kill -9) has
no row and is sent by the next run.
"""
from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import math
import random
import signal
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Callable

import aiohttp

from collector import __version__
from collector.config import DEFAULT_SIMULATOR_URL, Experiment, ModelSpec
from collector.design import Design
from collector.errors import UserError
from collector.plan import PlannedRequest, params_for
from collector.providers import ChatRequest, Provider, ProviderError, default_base_url, get_provider
from collector.store import ResponseWriter, utcnow

BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
#: a model whose first requests all fail to connect is stopped after this many
UNREACHABLE_AFTER = 3
#: a 429 is the server pacing the client, not the request failing: up to this many per request
#: do not count against max_attempts (a strict rate limit must slow a study down, not lose answers)
RATE_LIMITED_GRACE = 20


@dataclass(frozen=True)
class ResolvedModel:
    """A model entry with its provider object; the key lives only inside the provider."""

    spec: ModelSpec
    provider: Provider
    base_url: str

    @property
    def name(self) -> str:
        return self.spec.name


def resolve_models(exp: Experiment, names: Iterable[str] | None, env: Mapping[str, str],
                   simulator_url: str | None = None) -> list[ResolvedModel]:
    """Pick the models to run and build their providers; the edge where keys are read from ``env``."""
    wanted = list(names) if names else [m.name for m in exp.models]
    if not exp.models:
        raise UserError(f"{exp.source_path}: models: no models declared; add at least one under models:")
    known = {m.name for m in exp.models}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise UserError(f"--models: unknown model {unknown[0]!r}; models in {exp.source_path}: {', '.join(sorted(known))}")
    out: list[ResolvedModel] = []
    for name in dict.fromkeys(wanted):
        spec = exp.model_spec(name)
        key = None
        if spec.api_key_env:
            key = env.get(spec.api_key_env)
            if not key:
                raise UserError(
                    f"{exp.source_path}: models[{name}].api_key_env: the environment variable {spec.api_key_env} "
                    f"is not set; export it (export {spec.api_key_env}=...) or remove api_key_env")
        if spec.provider == "simulated":
            base_url = spec.base_url or simulator_url or env.get("ALIGNED_SIMULATOR_URL") or DEFAULT_SIMULATOR_URL
            if not spec.base_url and not base_url.startswith(("http://", "https://")):
                where = "--simulator-url" if simulator_url else "ALIGNED_SIMULATOR_URL"
                raise UserError(f"{where}: {base_url!r} is not a URL; give one like {DEFAULT_SIMULATOR_URL}")
        else:
            base_url = spec.base_url or default_base_url(spec.provider)
        if not base_url:
            raise UserError(f"{exp.source_path}: models[{name}].base_url: required for provider {spec.provider}")
        provider = get_provider(spec.provider)(base_url, key)
        out.append(ResolvedModel(spec, provider, base_url))
    return out


async def _sleep(seconds: float, stop: asyncio.Event | None) -> bool:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile (Ctrl-C); True if it was.

    Long waits (a Retry-After, a backoff) must not hold a graceful stop; short ones
    (rate spacing) stay a plain sleep, cheap on the hot path.
    """
    if stop is None or seconds < 0.25:
        await asyncio.sleep(seconds)
        return stop is not None and stop.is_set()
    if stop.is_set():
        return True
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        return False
    return True


class RateLimiter:
    """Spaces requests evenly to stay under requests- and tokens-per-minute limits.

    ``acquire`` reserves the next free slot; ``pause_until`` (after a 429 with
    Retry-After) holds back every new request of the model until then, so the
    client backs off as a whole instead of each request finding out alone.

    A server's own limit is learned from its 429s (``rate_limited``): the model
    is then paced at a little under the rate of answers the server let through
    (or, before any answer, one request per sub-second Retry-After), and probes
    upwards slowly while no 429 comes. Without this, every request released
    after a pause races for the same few slots, and a request can meet
    ``max_attempts`` 429s in a row and be recorded as failed.
    """

    LEARN_WINDOW_S = 2.0  # answers counted for the rate the server lets through
    CUT_FACTOR = 0.95  # pace at this share of that rate after a 429
    CUT_EVERY_S = 0.5  # one cut per burst of 429s
    PROBE_AFTER_S = 2.0  # then, without 429s, grow ~5 % per second
    PROBE_STEP = 0.05

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self.interval = 60.0 / rpm if rpm else 0.0
        self.tpm = tpm
        self._next = 0.0
        self._next_tokens = 0.0
        self._paused_until = 0.0
        self.learned_rate: float | None = None  # requests/s the server's 429s taught us
        self._oks: collections.deque[float] = collections.deque()
        self._cut_at = -math.inf

    async def acquire(self, tokens: int = 0, stop: asyncio.Event | None = None) -> bool:
        """Wait for the next slot; False if ``stop`` was set while waiting (then send nothing)."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self._paused_until > now:
                if await _sleep(self._paused_until - now, stop):
                    return False
                continue
            slot = max(now, self._next)
            if self.tpm and tokens:
                slot = max(slot, self._next_tokens)
                self._next_tokens = slot + tokens * 60.0 / self.tpm
            self._next = slot + (max(self.interval, 1.0 / self.learned_rate) if self.learned_rate else self.interval)
            if slot > now and await _sleep(slot - now, stop):
                return False
            return True

    def pause_until(self, when: float) -> None:
        self._paused_until = max(self._paused_until, when)

    def answered(self, now: float) -> None:
        """An answer came back (2xx)."""
        oks = self._oks
        oks.append(now)
        while now - oks[0] > self.LEARN_WINDOW_S:
            oks.popleft()
        if self.learned_rate is not None and now - self._cut_at > self.PROBE_AFTER_S:
            self.learned_rate += self.PROBE_STEP  # per answer, so ~5 % of the rate per second

    def rate_limited(self, now: float, retry_after: float | None) -> None:
        """A 429: pause the model for Retry-After and learn to stay under the server's limit."""
        if retry_after is not None:
            self.pause_until(now + retry_after)
        oks = self._oks
        span = now - oks[0] if oks else 0.0
        if len(oks) >= 8 and span >= 0.2:
            if now - self._cut_at >= self.CUT_EVERY_S:
                self.learned_rate = max(0.1, len(oks) / span * self.CUT_FACTOR)
                self._cut_at = now
        elif retry_after is not None and 0 < retry_after < 1.0 and self._cut_at == -math.inf:
            # nothing measured yet: no faster than one request per sub-second Retry-After (the
            # server's next free slot), the slowest pace any of its 429s asked for so far
            self.learned_rate = min(self.learned_rate or math.inf, 1.0 / retry_after)


@dataclass
class Counters:
    planned: int = 0
    skipped: int = 0
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


class _Stop(Exception):
    pass


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        ms = headers.get("retry-after-ms")
        return float(ms) / 1000 if ms and ms.replace(".", "", 1).isdigit() else None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def backoff_delay(attempt: int, retry_after: float | None, rng: random.Random) -> float:
    """Exponential backoff with full jitter; a server's Retry-After is a floor, not a suggestion."""
    delay = rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))
    if retry_after is not None:
        floor = retry_after + rng.uniform(0, min(0.25, retry_after * 0.1 + 0.01))
        # the first Retry-After is taken as given; a request told to wait again backs off
        # exponentially beyond it, so the requests a 429 burst hit do not retry in lockstep
        delay = floor if attempt < 2 else max(floor, rng.uniform(0, min(BACKOFF_CAP_S,
                                                                          BACKOFF_BASE_S * 2 ** (attempt - 2))))
    return delay


class Collector:
    """Sends the pending requests of one run and hands every outcome to the writer."""

    def __init__(self, design: Design, models: list[ResolvedModel], writer: ResponseWriter, run_id: str, *,
                 concurrency: int | None = None, on_progress: Callable[[Counters], None] | None = None,
                 rng_seed: int | None = None) -> None:
        self.design = design
        self.models = models
        self.writer = writer
        self.run_id = run_id
        self.concurrency_override = concurrency
        self.on_progress = on_progress
        self.counters = Counters()
        self.stopped: dict[str, str] = {}
        self._stop = asyncio.Event() if False else None  # created in run() inside the loop
        self._rng = random.Random(rng_seed)
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
        interrupted = False
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
                                             json_serialize=json.dumps) as session:
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

    _interrupted = False

    def _on_sigint(self) -> None:
        if self._interrupted:  # second Ctrl-C: stop waiting for in-flight answers
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            return
        self._interrupted = True
        self._stop.set()

    def stop(self) -> None:
        """Stop taking new requests (in-flight ones finish and are written)."""
        self._interrupted = True
        if self._stop is not None:
            self._stop.set()

    # -------------------------------------------------------------- worker
    async def _worker(self, session: aiohttp.ClientSession, m: ResolvedModel, it: Iterator[PlannedRequest]) -> None:
        for req in it:
            if self._stop.is_set() or m.name in self.stopped:
                return
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
            if self.on_progress is not None:
                self.on_progress(self.counters)

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
            retry_after = None
            retryable = True
            status = None
            try:
                async with session.request(http.method, http.url, json=http.json, headers=http.headers,
                                           timeout=timeout) as resp:
                    status = resp.status
                    raw = await resp.read()
                    latency_ms = (time.perf_counter() - t_start) * 1000
                    if 200 <= status < 300:
                        try:
                            body = json.loads(raw)
                            completion = m.provider.parse(body)
                        except (ValueError, UnicodeDecodeError):
                            error = f"HTTP {status}: the body is not complete JSON ({len(raw)} bytes)"
                        except ProviderError as exc:
                            error = m.provider.redact(f"HTTP {status}: {exc}")
                            retryable = False
                        else:
                            self._succeeded.add(m.name)
                            limiter.answered(loop.time())
                            return self._row(m, req, keys_shown, labels_shown, messages, "ok",
                                             completion=completion, http_status=status, attempts=attempts,
                                             latency_ms=latency_ms, requested_at=requested_at)
                    else:
                        try:
                            body = json.loads(raw)
                        except (ValueError, UnicodeDecodeError):
                            body = None
                        error = m.provider.redact(m.provider.error_message(status, body))
                        retryable = m.provider.is_retryable(status)
                        retry_after = _retry_after(resp.headers)
                        if status == 429:
                            rate_limited += 1
                            limiter.rate_limited(loop.time(), retry_after)
                        if status in (401, 403):
                            self._stop_model(m, f"model {m.name}: {error} from {m.base_url}: the API key"
                                                f"{' in ' + spec.api_key_env if spec.api_key_env else ''} was "
                                                f"rejected; fix the key and rerun (its requests stay pending)")
                        elif status == 404:
                            self._stop_model(m, f"model {m.name}: {error} from {m.base_url}: check model: "
                                                f"{spec.model!r} and base_url in the experiment file")
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
                error = m.provider.redact(f"connection error: {type(exc).__name__}: {str(exc)[:200]}")
            if m.name in self.stopped and status is None:
                return None
            if not retryable or attempts - min(rate_limited, RATE_LIMITED_GRACE) >= spec.max_attempts:
                return self._row(m, req, keys_shown, labels_shown, messages, "failed", error=error,
                                 http_status=status, attempts=attempts, latency_ms=latency_ms,
                                 requested_at=requested_at)
            self.counters.retries += 1
            delay = backoff_delay(attempts, retry_after, self._rng)
            if self._stop.is_set():  # stopping: don't wait out long backoffs, leave it pending
                return None
            if await _sleep(delay, self._stop):  # Ctrl-C during the backoff / Retry-After
                return None

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


def pending_requests(design: Design, models: list[str], pending_keys: set[str]) -> dict[str, list[PlannedRequest]]:
    """The planned requests whose keys are pending, grouped by model, in plan order.

    The same walk as :func:`collector.plan.iter_plan`, but a request object is
    only built for a pending key: after a half-done 1M-request run that is half
    the objects, and each key costs one md5 of a shared prefix plus the replicate.
    """
    out: dict[str, list[PlannedRequest]] = {m: [] for m in models}
    if not pending_keys:
        return out
    study = design.exp.study
    replicates = range(1, design.exp.replicates + 1)
    md5 = hashlib.md5
    for model in models:
        found = out[model]
        for item, setting in design.item_settings:
            prefix = f"{study}|{model}|{item.item}|{setting.setting}|"
            for r in replicates:
                key = md5(f"{prefix}{r}".encode()).hexdigest()
                if key in pending_keys:
                    found.append(PlannedRequest(key, study, model, item, setting, r))
    return out
