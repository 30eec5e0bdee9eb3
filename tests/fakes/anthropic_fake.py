"""A fake Anthropic Messages API (good enough for the official ``anthropic`` SDK).

Route: ``POST /v1/messages``. Checks like the real API:

* credentials: ``x-api-key: <key>`` or ``Authorization: Bearer <key>`` (the SDK may send
  either); missing -> 401 ``x-api-key header is required``, wrong -> 401
  ``authentication_error`` / ``invalid x-api-key``;
* an ``anthropic-version`` header (any value) -> else 400;
* JSON object body; ``model``; ``max_tokens`` (required, int >= 1); non-empty ``messages``
  with roles user/assistant only (a "system" role -> 400 pointing at top-level ``system``);
  ``system`` a string or a list of text blocks; no unknown top-level fields (the real API
  says "Extra inputs are not permitted"); no ``stream`` (not faked).

Answers ``"echo: <last user text>"`` cut to ``max_tokens`` words (``stop_reason:
"max_tokens"``), else ``end_turn``; tokens are whitespace-separated words.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .server import FakeAPI, echo, last_user_text, words

TOP_LEVEL = {
    "model", "max_tokens", "messages", "system", "temperature", "top_p", "top_k",
    "stop_sequences", "metadata", "stream", "tools", "tool_choice", "thinking",
    "service_tier", "container", "mcp_servers", "context_management", "output_config",
    "output_format", "inference_geo", "cache_control",
}


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


class AnthropicFake(FakeAPI):
    def __init__(self, api_key: str | None = "sk-ant-test-key", *, response_model: str | None = None) -> None:
        self.response_model = response_model
        super().__init__(api_key)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self.messages)

    def error_body(self, status: int, message: str | None = None) -> dict[str, Any]:
        kind, default = {
            400: ("invalid_request_error", "Invalid request."),
            401: ("authentication_error", "invalid x-api-key"),
            403: ("permission_error", "Your API key does not have permission to use the specified resource."),
            404: ("not_found_error", "The requested resource could not be found."),
            413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
            429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
            500: ("api_error", "Internal server error"),
            529: ("overloaded_error", "Overloaded"),
        }.get(status, ("api_error" if status >= 500 else "invalid_request_error", f"HTTP {status}"))
        return {
            "type": "error",
            "error": {"type": kind, "message": message or default},
            "request_id": f"req_fake{len(self.requests)}",
        }

    def _invalid(self, message: str) -> web.Response:
        return self.error(400, message)

    def check_auth(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        offered = []
        if request.headers.get("x-api-key"):
            offered.append(request.headers["x-api-key"].strip())
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[len("Bearer "):].strip():
            offered.append(auth[len("Bearer "):].strip())
        if not offered:
            return self.error(401, "x-api-key header is required")
        if self.api_key not in offered:
            return self.error(401, "invalid x-api-key")
        return None

    async def messages(self, request: web.Request) -> web.StreamResponse:
        if (scripted := await self.scripted()) is not None:
            return scripted
        if (denied := self.check_auth(request)) is not None:
            return denied
        if not request.headers.get("anthropic-version"):
            return self._invalid("anthropic-version: header is required")
        try:
            body = json.loads(await request.text())
        except ValueError:
            return self._invalid("There was an issue with your request body: invalid JSON")
        if not isinstance(body, dict):
            return self._invalid("Input should be a valid dictionary")
        extra = sorted(set(body) - TOP_LEVEL)
        if extra:
            return self._invalid(f"{extra[0]}: Extra inputs are not permitted")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return self._invalid("model: Field required")
        limit = body.get("max_tokens")
        if limit is None:
            return self._invalid("max_tokens: Field required")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            return self._invalid("max_tokens: Input should be greater than or equal to 1")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return self._invalid("messages: at least one message is required")
        for i, message in enumerate(messages):
            role = message.get("role") if isinstance(message, dict) else None
            if role == "system":
                return self._invalid(
                    'messages: Unexpected role "system". The Messages API accepts a top-level `system` '
                    'parameter, not "system" as an input message role.'
                )
            if role not in ("user", "assistant"):
                return self._invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
            content = message.get("content")
            if not isinstance(content, (str, list)):
                return self._invalid(f"messages.{i}.content: Field required")
        system = body.get("system")
        if system is not None and not (
            isinstance(system, str)
            or (isinstance(system, list) and all(isinstance(b, dict) and b.get("type") == "text" for b in system))
        ):
            return self._invalid("system: Input should be a valid string or a list of text blocks")
        stops = body.get("stop_sequences")
        if stops is not None and not (isinstance(stops, list) and all(isinstance(s, str) for s in stops)):
            return self._invalid("stop_sequences: Input should be a valid list of strings")
        if body.get("stream"):
            return self._invalid("stream: not supported by this fake")

        text, cut = echo(last_user_text(messages, _text), limit)
        system_text = system if isinstance(system, str) else "".join(b.get("text", "") for b in system or [])
        input_tokens = len(words(system_text)) + sum(len(words(_text(m))) for m in messages)
        return web.json_response(
            {
                "id": f"msg_fake{self.next_id()}",
                "type": "message",
                "role": "assistant",
                "model": self.response_model or model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "max_tokens" if cut else "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": input_tokens,
                    "output_tokens": len(words(text)),
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "service_tier": "standard",
                },
            },
            headers={"request-id": f"req_fake{len(self.requests)}"},
        )
