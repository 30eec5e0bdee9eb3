"""Small helpers shared by the provider implementations (not part of the contract)."""
from __future__ import annotations

from typing import Any

from .base import ProviderError

#: longest error text we pass on
MAX_MESSAGE = 300


def clean_key(api_key: str | None) -> str | None:
    """Strip whitespace (a trailing newline from a key file breaks HTTP headers); "" means no key."""
    if api_key is None:
        return None
    api_key = api_key.strip()
    return api_key or None


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(str(text).split())  # one line, no runs of whitespace
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_int(value: Any) -> int | None:
    """An int token count, or None for anything missing or malformed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def unwrap_list(body: Any) -> Any:
    """Google sometimes wraps an error body in a one-element list."""
    if isinstance(body, list) and len(body) == 1:
        return body[0]
    return body


def require_dict(body: Any, provider: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ProviderError(f"{provider}: response body is {type(body).__name__}, not a JSON object")
    return body


def format_error(status: int, kind: str | None, message: str | None) -> str:
    """``HTTP <status> <kind>: <message>``, clipped (callers pass it through ``Provider.redact``)."""
    head = f"HTTP {status}"
    if kind:
        head += f" {clip(str(kind), 60)}"
    if message:
        return f"{head}: {clip(str(message))}"
    return head


def embedded_error(provider: Any, body: Any) -> ProviderError:
    """A ProviderError for a 2xx body that carries an error object instead of an answer."""
    message = provider.error_message(200, body)
    message = message.removeprefix("HTTP 200").lstrip(" :") or "no details"
    return ProviderError(f"{provider.name}: 2xx body holds an error: {message}")


def text_error(status: int, body: Any) -> str:
    """Fallback for a body that is not a recognised JSON error (plain text, HTML, ...)."""
    if isinstance(body, (str, bytes)):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        text = clip(text, 200)
        if text:
            return f"HTTP {status}: {text}"
    return f"HTTP {status}"


def split_system(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """Pull every system message out; join their texts with a blank line.

    Returns ``(system_text or None, the other messages in order)``.
    """
    system: list[str] = []
    rest: list[dict[str, Any]] = []
    for message in messages:
        if message.get("role") == "system":
            system.append(message_text(message.get("content")))
        else:
            rest.append(message)
    return ("\n\n".join(system) if system else None), rest


def message_text(content: Any) -> str:
    """A message's content as text: a string, or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
        return "".join(out)
    return str(content)
