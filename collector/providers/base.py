"""The one small interface every provider implements.

A provider only translates: our :class:`ChatRequest` into its HTTP wire format
(:meth:`Provider.build`), and its HTTP answer back into a :class:`Completion`
(:meth:`Provider.parse`). Retry, rate limits, concurrency and timeouts live in
``collector.runner`` once, for all providers; the runner decides what to retry
from the HTTP status (and :meth:`Provider.is_retryable` for quirks).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any


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

    @abstractmethod
    def parse(self, body: dict[str, Any]) -> Completion:
        """Parse a 2xx JSON body; raise :class:`ProviderError` if it is not an answer."""

    def error_message(self, status: int, body: Any) -> str:
        """A short, secret-free description of an error body: the provider's wording, key redacted."""
        return self.redact(self._describe_error(status, body))

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
        """Remove the key from any text that may end up in a row, a log or an exception."""
        if self._api_key and len(self._api_key) >= 4:
            text = text.replace(self._api_key, "[redacted]")
        return text

    def is_retryable(self, status: int) -> bool:
        """408, 409, 429 and 5xx are transient; every other 4xx is final."""
        return status in (408, 409, 429) or 500 <= status <= 599
