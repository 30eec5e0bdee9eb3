"""The one small interface every provider implements.

A provider only translates: our :class:`ChatRequest` into its HTTP wire format
(:meth:`Provider.build`), and its HTTP answer back into a :class:`Completion`
(:meth:`Provider.parse`). Retry, rate limits, concurrency and timeouts live in
``collector.runner`` once, for all providers; ``collector.retry.classify`` decides
what to retry from the HTTP status and headers. A provider only describes its error bodies.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

#: what replaces an API key (or a long piece of one) in any text that is stored or printed
KEY_MARKER = "[API key removed]"
#: a run of this many characters of the key is removed too (a server that echoes part of it)
KEY_FRAGMENT = 12


@dataclass(frozen=True)
class ChatRequest:
    """What the collector wants to ask, independent of any wire format."""

    model: str  # the provider's model id, e.g. "gpt-4o" or "sim-safety-first"
    messages: list[dict[str, str]]  # [{"role": "system"|"user"|"assistant", "content": str}]
    params: dict[str, Any] = field(default_factory=dict)  # temperature, max_tokens, ...
    seed: int | None = None  # sent only by providers that support it and are asked to


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP call, ready for aiohttp. Headers may hold secrets: never log them."""

    method: str
    url: str
    headers: dict[str, str] = field(repr=False)  # may hold the API key: keep out of reprs
    json: dict[str, Any]


@dataclass(frozen=True)
class Completion:
    """A parsed successful answer."""

    text: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    response_model: str | None = None


class ProviderError(Exception):
    """The server answered 2xx but the body is not a usable answer (final, not retried)."""


class Provider(ABC):
    """Translate requests and responses for one wire format."""

    #: short name used in the experiment file (``provider: openai``)
    name: str = ""
    #: the public endpoint used when the experiment gives no base_url (None: must be given)
    default_base_url: str | None = None

    def __init__(self, base_url: str, api_key: str | None, send_seed: bool = False) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.send_seed = send_seed

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @abstractmethod
    def build(self, request: ChatRequest) -> HttpRequest:
        """Build the HTTP call for ``request``."""

    def parse(self, body: dict[str, Any]) -> Completion:
        """Parse a 2xx JSON body; raise :class:`ProviderError` if it is not an answer.

        Every text of the answer (the text, the reported model, the finish reason) has the
        key removed, whole, after the provider joined its parts and before anything stores it.
        """
        c = self._parse(body)
        return replace(c, text=self.redact(c.text), finish_reason=self._redact_opt(c.finish_reason),
                       response_model=self._redact_opt(c.response_model))

    @abstractmethod
    def _parse(self, body: dict[str, Any]) -> Completion:
        """The provider's own parsing of a 2xx body (see :meth:`parse`)."""

    def error_message(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> str:
        """A short, secret-free description of an error answer: the provider's wording.

        The key is removed from the whole body before any of it is cut to length, and from
        the result again. A redirect (3xx) names the origin it points to: it is never followed,
        because a custom key header (``x-api-key``, ``x-goog-api-key``) would go along.
        """
        if 300 <= status < 400:
            return self.redact(redirect_message(status, headers or {}))
        return self.redact(self._describe_error(status, self._redact_body(body)))

    def _redact_body(self, body: Any) -> Any:
        if not self._api_key or body is None:
            return body
        if isinstance(body, (str, bytes)):
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            return self.redact(text)
        try:
            text = json.dumps(body, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            return None
        cleaned = self.redact(text)
        return body if cleaned == text else json.loads(cleaned)

    def _redact_opt(self, text: str | None) -> str | None:
        return None if text is None else self.redact(text)

    def _describe_error(self, status: int, body: Any) -> str:
        """Describe an error body; providers override this for their own error shapes."""
        if isinstance(body, dict):
            err = body.get("error")
            if isinstance(err, dict):
                msg = err.get("message") or err.get("type")
                if msg:
                    return f"HTTP {status}: {str(msg)[:300]}"
            elif isinstance(err, str):
                return f"HTTP {status}: {err[:300]}"
        return f"HTTP {status}"

    def redact(self, text: str) -> str:
        """Remove the key from any text that may end up in a row, a log or an exception.

        The whole key becomes :data:`KEY_MARKER`, and so does any run of at least
        :data:`KEY_FRAGMENT` characters of it (a server echoing part of the key, or a text
        some other code cut in the middle of the key). Call it on the whole text, before
        cutting it to length.
        """
        key = self._api_key
        if not key or len(key) < 4 or not text:
            return text
        text = text.replace(key, KEY_MARKER)
        if len(key) > KEY_FRAGMENT:
            text = _remove_fragments(text, key)
        return text


def _remove_fragments(text: str, key: str) -> str:
    """Replace every run of >= KEY_FRAGMENT characters of ``key`` found in ``text`` by the marker.

    Any such run contains one whole aligned chunk of KEY_FRAGMENT // 2 characters of the key,
    so a few substring searches (C speed) clear a text; only a hit is extended both ways.
    """
    step = KEY_FRAGMENT // 2
    chunks = [(p, key[p:p + step]) for p in range(0, len(key) - step + 1, step)]
    spans: list[tuple[int, int]] = []
    for p, chunk in chunks:
        t = text.find(chunk)
        while t >= 0:
            left = 0
            while p - left > 0 and t - left > 0 and key[p - left - 1] == text[t - left - 1]:
                left += 1
            right = step
            while p + right < len(key) and t + right < len(text) and key[p + right] == text[t + right]:
                right += 1
            if left + right >= KEY_FRAGMENT:
                spans.append((t - left, t + right))
            t = text.find(chunk, t + 1)
    if not spans:
        return text
    spans.sort()
    out, pos = [], 0
    for start, end in spans:
        if end <= pos:
            continue
        if start > pos:
            out.append(text[pos:start])
            out.append(KEY_MARKER)
        elif not out or out[-1] != KEY_MARKER:
            out.append(KEY_MARKER)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redirect_message(status: int, headers: Mapping[str, str]) -> str:
    """``HTTP 307: redirected to https://host:port, not followed ...`` (the origin only)."""
    location = headers.get("Location") or headers.get("location") or ""
    try:
        parts = urlsplit(location.strip())
        port = parts.port
    except ValueError:
        parts, port = urlsplit(""), None
    if parts.scheme and parts.netloc:
        target = f"{parts.scheme}://{parts.hostname or ''}{':' + str(port) if port else ''}"
    elif location:
        target = "another path on the same server"
    else:
        target = "an address the server did not give"
    return (f"HTTP {status}: the server redirects to {target}; redirects are never followed (the API key would "
            "be sent along): set base_url to the address that answers")
