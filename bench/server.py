"""A minimal fixed-latency OpenAI-compatible server for the load benchmarks.

``python -m bench.server --latency-ms 50 [--rate 200 --burst 20]`` listens on
127.0.0.1 (a free port unless ``--port``), prints ``PORT <n>`` on stdout once it
accepts connections, and answers every ``POST /v1/chat/completions`` with the
same tiny chat completion after ``latency_ms``. With ``--rate`` it keeps a
token bucket (``rate`` tokens per second, ``burst`` deep) and answers a request
that finds it empty at once with 429 and ``Retry-After`` (seconds until the
next token, as a decimal; ``--retry-after-int`` rounds it up to whole seconds
as many gateways do). ``GET /stats`` returns the counts.

It runs in its own process (so it has its own core) and stops by itself: after
``--max-seconds``, after ``--max-requests`` requests, or when its parent exits.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time

from aiohttp import web

COMPLETION = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "bench",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Safety, Privacy and Fairness."},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 120, "completion_tokens": 8, "total_tokens": 128},
}).encode()
RATE_LIMITED = json.dumps({"error": {"message": "Rate limit reached for requests", "type": "requests",
                                     "code": "rate_limit_exceeded"}}).encode()


class Bucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.t = time.monotonic()

    def take(self) -> float:
        """0.0 if a token was taken, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def make_handler(latency_ms: float, rate: float | None, burst: float | None, retry_after_int: bool,
                 max_requests: int, done: asyncio.Event):
    """aiohttp.web's low-level server handler (no router, no middlewares: the least work per request)."""
    stats = {"requests": 0, "ok": 0, "rate_limited": 0}
    bucket = Bucket(rate, burst or max(1.0, rate * 0.1)) if rate else None
    delay = latency_ms / 1000.0
    sleep = asyncio.sleep
    json_headers = {"Content-Type": "application/json"}

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        if request.method == "POST" and request.path.endswith("/chat/completions"):
            await request.read()
            stats["requests"] += 1
            if stats["requests"] >= max_requests:
                done.set()
            if bucket is not None:
                wait = bucket.take()
                if wait > 0:
                    stats["rate_limited"] += 1
                    ra = str(max(1, math.ceil(wait))) if retry_after_int else f"{max(wait, 0.001):.3f}"
                    return web.Response(status=429, body=RATE_LIMITED,
                                        headers={**json_headers, "Retry-After": ra})
            if delay:
                await sleep(delay)
            stats["ok"] += 1
            return web.Response(body=COMPLETION, headers=json_headers)
        if request.method == "GET" and request.path == "/stats":
            return web.Response(body=json.dumps(stats).encode(), headers=json_headers)
        return web.Response(status=404, body=b'{"error": {"message": "not found"}}', headers=json_headers)

    return handle


async def main_async(args: argparse.Namespace) -> None:
    done = asyncio.Event()
    handler = make_handler(args.latency_ms, args.rate, args.burst, args.retry_after_int, args.max_requests, done)
    runner = web.ServerRunner(web.Server(handler, access_log=None), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, backlog=4096)
    await site.start()
    port = runner.addresses[0][1]
    print(f"PORT {port}", flush=True)
    parent = os.getppid()
    deadline = time.monotonic() + args.max_seconds
    try:
        while not done.is_set() and time.monotonic() < deadline and os.getppid() == parent:
            try:
                await asyncio.wait_for(done.wait(), 0.5)
            except asyncio.TimeoutError:
                pass
        if done.is_set():  # the last requests still get their answers
            await asyncio.sleep(delay_s(args) + 0.5)
    finally:
        await runner.cleanup()


def delay_s(args: argparse.Namespace) -> float:
    return args.latency_ms / 1000.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--rate", type=float, default=None, help="token bucket rate (req/s); above it: 429")
    ap.add_argument("--burst", type=float, default=None, help="token bucket depth (default: rate x 0.1 s)")
    ap.add_argument("--retry-after-int", action="store_true", help="Retry-After in whole seconds (rounded up)")
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--max-requests", type=int, default=2_000_000)
    args = ap.parse_args(argv)
    try:
        asyncio.run(main_async(args))  # asyncio's loop: its timers keep the latency exact (uvloop's are whole ms)
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
