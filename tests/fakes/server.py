"""Shared machinery for the fake LLM APIs: recording, scripted answers, starting servers.

Every fake is a :class:`FakeAPI` subclass with an ``app`` (an ``aiohttp.web.Application``).
Start one with :func:`start_fake` (async) or :func:`serve_in_thread` (sync tests); both
listen on 127.0.0.1 on a free port and give the root URL, e.g. ``http://127.0.0.1:40123``
(OpenAI clients want ``root + "/v1"``: see ``OpenAIFake.prefix``).
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator

from aiohttp import web

@dataclass
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # keys lower-cased
    text: str
    json: Any = None  # the parsed body, or None when it is not JSON

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Scripted:
    status: int | None  # None: answer normally (after the delay)
    body: Any = None  # dict/list -> JSON; str/bytes -> as is; None -> the API's error shape
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def words(text: str) -> list[str]:
    return text.split()


class FakeAPI:
    """Base class: records every request; answers scripted responses first.

    ``api_key=None`` accepts any (or no) credentials.
    """

    #: path prefix a client's base_url needs on top of the root URL
    prefix = ""

    def __init__(self, api_key: str | None = "test-key") -> None:
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.app = web.Application(middlewares=[self._record_middleware])
        self.app[FAKE_KEY] = self
        self.add_routes(self.app)

    # ----------------------------------------------------------------- for tests
    def respond_next(
        self,
        status: int,
        body: Any = None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` generation requests with ``status`` and ``body``
        (default: this API's own error shape for that status), without any checks."""
        with self._lock:
            for _ in range(times):
                self._script.append(Scripted(status, body, dict(headers or {}), delay))

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Answer the next ``times`` generation requests normally, but only after ``seconds``."""
        with self._lock:
            for _ in range(times):
                self._script.append(Scripted(None, None, {}, seconds))

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]

    def generation_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST"]

    # ------------------------------------------------------------- for subclasses
    def add_routes(self, app: web.Application) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def error_body(self, status: int, message: str | None = None) -> Any:  # pragma: no cover
        raise NotImplementedError

    def error(self, status: int, message: str | None = None, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response(self.error_body(status, message), status=status, headers=headers)

    def next_id(self) -> int:
        return next(self._ids)

    async def scripted(self) -> web.StreamResponse | None:
        """Pop the next scripted answer, if any (call first in each generation handler)."""
        with self._lock:
            item = self._script.popleft() if self._script else None
        if item is None:
            return None
        if item.delay:
            await asyncio.sleep(item.delay)
        if item.status is None:
            return None
        body = item.body
        if body is None:
            body = self.error_body(item.status)
        if isinstance(body, (dict, list)):
            return web.json_response(body, status=item.status, headers=item.headers)
        if isinstance(body, bytes):
            return web.Response(body=body, status=item.status, headers=item.headers)
        return web.Response(text=str(body), status=item.status, headers=item.headers)

    @web.middleware
    async def _record_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        text = await request.text() if request.can_read_body else ""
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers={k.lower(): v for k, v in request.headers.items()},
                text=text,
                json=parsed,
            )
        )
        return await handler(request)


#: ``app[FAKE_KEY]`` is the FakeAPI that owns ``app``
FAKE_KEY = web.AppKey("fake_api", FakeAPI)


def _as_app(app: FakeAPI | web.Application) -> web.Application:
    return app.app if isinstance(app, FakeAPI) else app


async def start_fake(app: FakeAPI | web.Application, host: str = "127.0.0.1") -> tuple[web.AppRunner, str]:
    """Serve ``app`` on ``host`` at a free port; returns ``(runner, root_url)``.

    Stop it with ``await runner.cleanup()``.
    """
    runner = web.AppRunner(_as_app(app), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://{host}:{port}"


@contextlib.contextmanager
def serve_in_thread(app: FakeAPI | web.Application, *, timeout: float = 10.0) -> Iterator[str]:
    """Run ``app`` in its own event loop in a daemon thread; yields the root URL."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            runner, url = loop.run_until_complete(start_fake(app))
        except BaseException as exc:  # pragma: no cover - reported to the caller
            box["error"] = exc
            started.set()
            loop.close()
            return
        box["url"] = url
        started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    thread = threading.Thread(target=run, name="fake-llm-api", daemon=True)
    thread.start()
    if not started.wait(timeout):
        raise RuntimeError("fake server did not start")
    if "error" in box:
        raise box["error"]
    try:
        yield box["url"]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)


def last_user_text(messages: list[Any], text_of: Any) -> str:
    """The text of the last message with role user (``text_of`` extracts a message's text)."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role", "user") == "user":
            return text_of(message)
    return ""


def echo(user_text: str, max_words: int | None) -> tuple[str, bool]:
    """``"echo: <user text>"``, cut to ``max_words`` words; returns (text, was_cut)."""
    reply = f"echo: {user_text}"
    if max_words is not None and len(words(reply)) > max_words:
        return " ".join(words(reply)[:max_words]), True
    return reply, False


def mask_key(key: str) -> str:
    """How OpenAI shows a wrong key in its error message: a few leading and the last 4 chars."""
    if len(key) <= 8:
        return "*" * len(key)
    return f"{key[:3]}{'*' * 6}{key[-4:]}"
