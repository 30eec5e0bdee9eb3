"""A fake Gemini API (AI Studio) ``generateContent`` (good enough for ``google-genai``).

Route: ``POST /{version}/models/{model}:generateContent`` for version v1, v1beta, v1alpha
(the installed google-genai defaults to ``v1``; our provider uses ``v1beta``).
Checks like the real API:

* key from the ``x-goog-api-key`` header or the ``?key=`` query parameter; missing ->
  403 PERMISSION_DENIED, wrong -> 400 INVALID_ARGUMENT "API key not valid" with an
  ErrorInfo detail ``reason: API_KEY_INVALID`` (what Google answers);
* JSON object body with only known fields (Google rejects unknown names, camelCase or
  snake_case), non-empty ``contents`` with roles user/model, each with non-empty ``parts``;
  ``generationConfig`` with only known fields.

Answers ``"echo: <last user text>"`` cut to ``maxOutputTokens`` words (``finishReason:
"MAX_TOKENS"``), else ``STOP``; tokens are whitespace-separated words;
``modelVersion`` is the requested model (or ``response_model``).
"""
from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from .server import FakeAPI, echo, last_user_text, words

VERSIONS = {"v1", "v1beta", "v1alpha"}


def _both(*names: str) -> set[str]:
    """Each camelCase name and its snake_case spelling (Google's JSON accepts both)."""
    out = set()
    for name in names:
        out.add(name)
        out.add(re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower())
    return out


TOP_LEVEL = _both(
    "contents", "systemInstruction", "generationConfig", "safetySettings", "tools",
    "toolConfig", "cachedContent", "labels", "model",
)
GENERATION_CONFIG = _both(
    "temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "candidateCount",
    "seed", "presencePenalty", "frequencyPenalty", "responseMimeType", "responseSchema",
    "responseJsonSchema", "responseLogprobs", "logprobs", "thinkingConfig",
    "responseModalities", "speechConfig", "mediaResolution", "enableEnhancedCivicAnswers",
    "imageConfig", "routingConfig", "audioTimestamp", "modelSelectionConfig",
)
STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _text(content: dict[str, Any]) -> str:
    parts = content.get("parts")
    if not isinstance(parts, list):
        return ""
    return "".join(p.get("text", "") for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str))


class GeminiFake(FakeAPI):
    def __init__(self, api_key: str | None = "AIza-test-key", *, response_model: str | None = None) -> None:
        self.response_model = response_model
        super().__init__(api_key)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/{version}/models/{target}", self.models_post)

    def error_body(self, status: int, message: str | None = None, details: list[Any] | None = None) -> dict[str, Any]:
        defaults = {
            429: "Resource has been exhausted (e.g. check quota).",
            500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
            503: "The model is overloaded. Please try again later.",
        }
        error: dict[str, Any] = {
            "code": status,
            "message": message or defaults.get(status, f"HTTP {status}"),
            "status": STATUS.get(status, "UNKNOWN"),
        }
        if details:
            error["details"] = details
        return {"error": error}

    def _invalid(self, message: str) -> web.Response:
        return self.error(400, message)

    def check_auth(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if not key:
            return web.json_response(
                self.error_body(
                    403,
                    "Method doesn't allow unregistered callers (callers without established identity). "
                    "Please use API Key or other form of API consumer identity to call this API.",
                ),
                status=403,
            )
        if key.strip() != self.api_key:
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": "API key not valid. Please pass a valid API key.",
                },
            ]
            return web.json_response(
                self.error_body(400, "API key not valid. Please pass a valid API key.", details), status=400
            )
        return None

    async def models_post(self, request: web.Request) -> web.StreamResponse:
        version = request.match_info["version"]
        model, _, method = request.match_info["target"].rpartition(":")
        if version not in VERSIONS or not model:
            return self.error(404, f"Not found: {request.path}")
        if method != "generateContent":
            return self.error(404, f"Method {method!r} is not faked")
        if (scripted := await self.scripted()) is not None:
            return scripted
        if (denied := self.check_auth(request)) is not None:
            return denied
        try:
            body = json.loads(await request.text())
        except ValueError:
            return self._invalid("Invalid JSON payload received.")
        if not isinstance(body, dict):
            return self._invalid("Invalid JSON payload received. Root element must be a message.")
        for name in body:
            if name not in TOP_LEVEL:
                return self._invalid(f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.')
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return self._invalid("* GenerateContentRequest.contents: contents is not specified\n")
        for i, content in enumerate(contents):
            if not isinstance(content, dict):
                return self._invalid(f"Invalid value at 'contents[{i}]'")
            if content.get("role", "user") not in ("user", "model"):
                return self._invalid("Please use a valid role: user, model.")
            parts = content.get("parts")
            if not isinstance(parts, list) or not parts:
                return self._invalid(f"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n")
        system = body.get("systemInstruction", body.get("system_instruction"))
        if system is not None and not (isinstance(system, dict) and isinstance(system.get("parts"), list)):
            return self._invalid("Invalid value at 'system_instruction'")
        config = body.get("generationConfig", body.get("generation_config")) or {}
        if not isinstance(config, dict):
            return self._invalid("Invalid value at 'generation_config'")
        for name in config:
            if name not in GENERATION_CONFIG:
                return self._invalid(
                    f'Invalid JSON payload received. Unknown name "{name}" at \'generation_config\': Cannot find field.'
                )
        limit = config.get("maxOutputTokens", config.get("max_output_tokens"))
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            return self._invalid("Invalid value at 'generation_config.max_output_tokens'")

        text, cut = echo(last_user_text(contents, _text), limit)
        prompt_tokens = sum(len(words(_text(c))) for c in contents)
        if isinstance(system, dict):
            prompt_tokens += len(words(_text(system)))
        candidates_tokens = len(words(text))
        return web.json_response(
            {
                "candidates": [
                    {
                        "content": {"parts": [{"text": text}], "role": "model"},
                        "finishReason": "MAX_TOKENS" if cut else "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": prompt_tokens,
                    "candidatesTokenCount": candidates_tokens,
                    "totalTokenCount": prompt_tokens + candidates_tokens,
                    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
                },
                "modelVersion": self.response_model or model,
                "responseId": f"fake{self.next_id()}",
            }
        )
