"""Anthropic Messages API: POST ``{base_url}/v1/messages``."""
from __future__ import annotations

from typing import Any

from ._common import (
    as_int,
    as_str,
    clean_key,
    embedded_error,
    format_error,
    require_dict,
    split_system,
    text_error,
    unwrap_list,
)
from .base import ChatRequest, Completion, HttpRequest, Provider, ProviderError

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
#: the API requires max_tokens; used when params has none
DEFAULT_MAX_TOKENS = 1024

#: params we translate ourselves; every other params entry is passed through unchanged
#: (top_k, stop_sequences, metadata, thinking, ...), so the API itself rejects what it
#: does not know instead of us dropping it silently
_HANDLED = frozenset({"max_tokens", "max_completion_tokens", "stop", "model", "messages", "system"})


class AnthropicProvider(Provider):
    name = "anthropic"
    default_base_url: str | None = DEFAULT_BASE_URL

    def __init__(
        self, base_url: str | None = None, api_key: str | None = None, send_seed: bool = False
    ) -> None:
        # send_seed is accepted for a uniform constructor; the Messages API has no seed
        super().__init__(base_url or DEFAULT_BASE_URL, clean_key(api_key), send_seed)

    @property
    def url(self) -> str:
        # tolerate a base_url that already ends in the version ("https://api.anthropic.com/v1")
        if self.base_url.endswith("/v1"):
            return f"{self.base_url}/messages"
        return f"{self.base_url}/v1/messages"

    def build(self, request: ChatRequest) -> HttpRequest:
        headers = {
            "content-type": "application/json",
            "accept": "application/json",
            "anthropic-version": API_VERSION,
        }
        if self._api_key:
            headers["x-api-key"] = self._api_key
        system, rest = split_system(request.messages)
        params = request.params
        max_tokens = params.get("max_tokens")
        if max_tokens is None:
            max_tokens = params.get("max_completion_tokens")
        if max_tokens is None:
            max_tokens = DEFAULT_MAX_TOKENS
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": max_tokens,
            "messages": [
                {"role": m.get("role"), "content": m.get("content")} for m in rest
            ],
        }
        if system is not None:
            body["system"] = system
        stop = params.get("stop")
        if stop is not None:
            body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        for key, value in params.items():
            if key not in _HANDLED:
                body[key] = value  # temperature, top_p, top_k, ... have the same names
        return HttpRequest("POST", self.url, headers, body)

    def _parse(self, body: dict[str, Any]) -> Completion:
        body = require_dict(body, self.name)
        if body.get("type") == "error":
            raise embedded_error(self, body)
        content = body.get("content")
        if not isinstance(content, list):
            raise ProviderError(f"{self.name}: response has no content list")
        text = "".join(
            block["text"]
            for block in content
            if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str)
        )
        usage = body.get("usage")
        if not isinstance(usage, dict):
            usage = {}
        return Completion(
            text=text,
            finish_reason=as_str(body.get("stop_reason")),
            prompt_tokens=as_int(usage.get("input_tokens")),
            completion_tokens=as_int(usage.get("output_tokens")),
            response_model=as_str(body.get("model")),
        )

    def _describe_error(self, status: int, body: Any) -> str:
        """``{"type": "error", "error": {"type": "...", "message": "..."}}``."""
        body = unwrap_list(body)
        if isinstance(body, dict):
            err = body.get("error")
            if isinstance(err, dict):
                return format_error(status, as_str(err.get("type")), as_str(err.get("message")))
            if isinstance(err, str):
                return format_error(status, None, err)
            if isinstance(body.get("message"), str):
                return format_error(status, None, body["message"])
            return f"HTTP {status}"
        return text_error(status, body)
