"""OpenAI chat completions, and every server that speaks the same wire format
(vLLM, Ollama, DeepInfra, llama.cpp, LM Studio, the local simulator, ...).

``base_url`` includes the version prefix: ``https://api.openai.com/v1``,
``http://127.0.0.1:8000/v1``. We POST ``{base_url}/chat/completions``.
"""
from __future__ import annotations

from typing import Any

from ._common import (
    as_int,
    as_str,
    clean_key,
    embedded_error,
    format_error,
    require_dict,
    text_error,
    unwrap_list,
)
from .base import ChatRequest, Completion, HttpRequest, Provider, ProviderError

DEFAULT_BASE_URL = "https://api.openai.com/v1"

#: body keys the provider owns; a params entry with one of these names is ignored
_RESERVED = frozenset({"model", "messages"})


class OpenAIProvider(Provider):
    """Any OpenAI-compatible ``/chat/completions`` endpoint."""

    name = "openai"
    default_base_url: str | None = DEFAULT_BASE_URL

    def __init__(
        self, base_url: str | None = None, api_key: str | None = None, send_seed: bool = False
    ) -> None:
        base_url = base_url or self.default_base_url
        if not base_url:
            raise ValueError(f"{type(self).__name__} needs a base_url")
        super().__init__(base_url, clean_key(api_key), send_seed)

    def build(self, request: ChatRequest) -> HttpRequest:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:  # local servers (vLLM, Ollama, the simulator) need none
            headers["Authorization"] = f"Bearer {self._api_key}"
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [dict(m) for m in request.messages],
        }
        for key, value in request.params.items():
            if key not in _RESERVED:
                body[key] = value
        if self.send_seed and request.seed is not None:
            body["seed"] = request.seed
        return HttpRequest("POST", f"{self.base_url}/chat/completions", headers, body)

    def _parse(self, body: dict[str, Any]) -> Completion:
        body = require_dict(body, self.name)
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices:
            if body.get("error") is not None:  # some servers say 200 and put an error inside
                raise embedded_error(self, body)
            raise ProviderError(f"{self.name}: response has no choices")
        choice = choices[0]
        if not isinstance(choice, dict):
            raise ProviderError(f"{self.name}: choices[0] is not an object")

        message = choice.get("message")
        if isinstance(message, dict):
            text = _content_text(message.get("content"))
            if not text and isinstance(message.get("refusal"), str):
                # OpenAI puts a safety refusal here with content null: that *is* the answer
                text = message["refusal"]
        elif isinstance(choice.get("text"), str):  # legacy /completions-style choice
            text = choice["text"]
        else:
            raise ProviderError(f"{self.name}: choices[0] has no message")

        usage = body.get("usage")
        if not isinstance(usage, dict):
            usage = {}
        return Completion(
            text=text,
            finish_reason=as_str(choice.get("finish_reason")),
            prompt_tokens=as_int(usage.get("prompt_tokens")),
            completion_tokens=as_int(usage.get("completion_tokens")),
            response_model=as_str(body.get("model")),
        )

    def _describe_error(self, status: int, body: Any) -> str:
        """OpenAI: ``{"error": {"message", "type", "code"}}``; vLLM: ``{"object": "error",
        "message", "type"}``; Ollama: ``{"error": "..."}``; FastAPI-style: ``{"detail": ...}``."""
        body = unwrap_list(body)
        if isinstance(body, dict):
            err = body.get("error")
            if isinstance(err, dict):
                kind = err.get("code") or err.get("type")
                return format_error(status, _s(kind), _s(err.get("message")))
            if isinstance(err, str):
                return format_error(status, None, err)
            if isinstance(body.get("message"), str):
                return format_error(status, _s(body.get("type")), body["message"])
            detail = body.get("detail")
            if isinstance(detail, dict):
                detail = detail.get("error") or detail.get("message")
            if isinstance(detail, str):
                return format_error(status, None, detail)
            if detail is not None:
                return format_error(status, None, str(detail))
            return f"HTTP {status}"
        return text_error(status, body)


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _content_text(content: Any) -> str:
    """``message.content``: a string, null, or a list of parts (text parts are joined)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict) and part.get("type") in (None, "text", "output_text"):
                if isinstance(part.get("text"), str):
                    out.append(part["text"])
        return "".join(out)
    raise ProviderError(f"message.content is {type(content).__name__}, not text")
