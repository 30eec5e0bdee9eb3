"""Google Gemini API (AI Studio): POST ``{base_url}/v1beta/models/{model}:generateContent``."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from ._common import (
    as_int,
    as_str,
    clean_key,
    embedded_error,
    format_error,
    message_text,
    require_dict,
    split_system,
    text_error,
    unwrap_list,
)
from .base import ChatRequest, Completion, HttpRequest, Provider, ProviderError

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
API_VERSION = "v1beta"

_ROLES = {"user": "user", "assistant": "model", "model": "model"}
_VERSION_SUFFIX = re.compile(r"/v1(alpha|beta)?\d*$")

#: our (OpenAI-style) param names -> generationConfig field names
_GENERATION = {
    "temperature": "temperature",
    "top_p": "topP",
    "top_k": "topK",
    "max_tokens": "maxOutputTokens",
    "max_completion_tokens": "maxOutputTokens",
    "max_output_tokens": "maxOutputTokens",
}
#: params that go to the top level of the body instead of generationConfig
_TOP_LEVEL = {"safety_settings": "safetySettings", "safetySettings": "safetySettings"}


class GeminiProvider(Provider):
    name = "gemini"
    default_base_url: str | None = DEFAULT_BASE_URL

    def __init__(
        self, base_url: str | None = None, api_key: str | None = None, send_seed: bool = False
    ) -> None:
        super().__init__(base_url or DEFAULT_BASE_URL, clean_key(api_key), send_seed)

    def url_for(self, model: str) -> str:
        if model.startswith("models/"):
            model = model[len("models/") :]
        root = self.base_url
        if not _VERSION_SUFFIX.search(root):  # tolerate ".../v1beta" given as base_url
            root = f"{root}/{API_VERSION}"
        return f"{root}/models/{quote(model, safe='-._~')}:generateContent"

    def build(self, request: ChatRequest) -> HttpRequest:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["x-goog-api-key"] = self._api_key
        system, rest = split_system(request.messages)
        contents = []
        for message in rest:
            role = message.get("role")
            contents.append(
                {
                    # an unknown role is sent as is, so the API rejects it loudly
                    "role": _ROLES.get(role, role),
                    "parts": [{"text": message_text(message.get("content"))}],
                }
            )
        body: dict[str, Any] = {"contents": contents}
        if system is not None:
            body["systemInstruction"] = {"parts": [{"text": system}]}

        config: dict[str, Any] = {}
        for key, value in request.params.items():
            if key in _GENERATION:
                config[_GENERATION[key]] = value
            elif key == "stop":
                config["stopSequences"] = [value] if isinstance(value, str) else list(value)
            elif key in _TOP_LEVEL:
                body[_TOP_LEVEL[key]] = value
            else:  # generationConfig field names (camelCase or snake_case) pass through
                config[key] = value
        if self.send_seed and request.seed is not None:
            config["seed"] = request.seed
        if config:
            body["generationConfig"] = config
        return HttpRequest("POST", self.url_for(request.model), headers, body)

    def _parse(self, body: dict[str, Any]) -> Completion:
        body = require_dict(unwrap_list(body), self.name)
        if isinstance(body.get("error"), dict):
            raise embedded_error(self, body)
        usage = body.get("usageMetadata")
        if not isinstance(usage, dict):
            usage = {}
        prompt_tokens = as_int(usage.get("promptTokenCount"))
        model = as_str(body.get("modelVersion"))

        candidates = body.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            feedback = body.get("promptFeedback")
            reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
            if reason:
                # the API refused the prompt: that is an answer, not a failure
                return Completion(
                    text="",
                    finish_reason=f"blocked:{reason}",
                    prompt_tokens=prompt_tokens,
                    completion_tokens=as_int(usage.get("candidatesTokenCount")),
                    response_model=model,
                )
            raise ProviderError(f"{self.name}: response has no candidates")
        candidate = candidates[0]
        if not isinstance(candidate, dict):
            raise ProviderError(f"{self.name}: candidates[0] is not an object")
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        text = ""
        if isinstance(parts, list):
            text = "".join(
                part["text"]
                for part in parts
                # "thought" parts are the model's thinking summary, not its answer
                if isinstance(part, dict) and isinstance(part.get("text"), str) and not part.get("thought")
            )
        return Completion(
            text=text,
            finish_reason=as_str(candidate.get("finishReason")),
            prompt_tokens=prompt_tokens,
            completion_tokens=as_int(usage.get("candidatesTokenCount")),
            response_model=model,
        )

    def _describe_error(self, status: int, body: Any) -> str:
        """``{"error": {"code", "message", "status", "details": [...]}}``."""
        body = unwrap_list(body)
        if isinstance(body, dict):
            err = body.get("error")
            if isinstance(err, dict):
                message = as_str(err.get("message"))
                reason = _error_reason(err.get("details"))
                if reason and message:
                    message = f"{message} [{reason}]"
                elif reason:
                    message = reason
                return format_error(status, as_str(err.get("status")), message)
            if isinstance(err, str):
                return format_error(status, None, err)
            if isinstance(body.get("message"), str):
                return format_error(status, as_str(body.get("status")), body["message"])
            return f"HTTP {status}"
        return text_error(status, body)


def _error_reason(details: Any) -> str | None:
    """The ``reason`` of a google.rpc.ErrorInfo detail, e.g. ``API_KEY_INVALID``."""
    if isinstance(details, list):
        for detail in details:
            if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
                return detail["reason"]
    return None
