"""A fake OpenAI chat-completions server (good enough for the official ``openai`` SDK).

Routes (under ``/v1``): ``POST /chat/completions``, ``GET /models``, ``GET /models/{id}``.
Checks like the real API: ``Authorization: Bearer <key>`` (401 ``invalid_api_key``
otherwise, the key masked in the message as OpenAI does), a JSON object body, ``model``,
non-empty ``messages`` with known roles, no ``stream`` (not faked).
Answers ``"echo: <last user text>"``, cut to ``max_tokens``/``max_completion_tokens``
words (then ``finish_reason: "length"``); tokens are whitespace-separated words.
"""
from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from .server import FakeAPI, echo, last_user_text, mask_key, words

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "sim-safety-first")


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


class OpenAIFake(FakeAPI):
    prefix = "/v1"

    def __init__(
        self,
        api_key: str | None = "sk-test-key",
        *,
        models: tuple[str, ...] = DEFAULT_MODELS,
        response_model: str | None = None,
    ) -> None:
        self.models = models
        #: what the answer's "model" says (default: the requested model, as most servers do)
        self.response_model = response_model
        super().__init__(api_key)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self.chat_completions)
        app.router.add_get("/v1/models", self.list_models)
        app.router.add_get("/v1/models/{model}", self.get_model)

    def error_body(self, status: int, message: str | None = None) -> dict[str, Any]:
        kind, code, default = {
            400: ("invalid_request_error", None, "Invalid request."),
            401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
            403: ("invalid_request_error", "unsupported_country_region_territory", "Country, region, or territory not supported"),
            404: ("invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."),
            429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 1s."),
            500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
            503: ("server_error", None, "The engine is currently overloaded, please try again later."),
        }.get(status, ("server_error" if status >= 500 else "invalid_request_error", None, f"HTTP {status}"))
        return {"error": {"message": message or default, "type": kind, "param": None, "code": code}}

    def _invalid(self, message: str, param: str | None = None, code: str | None = None) -> web.Response:
        body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
        return web.json_response(body, status=400)

    def check_auth(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[len("Bearer "):].strip():
            return web.json_response(
                {
                    "error": {
                        "message": "You didn't provide an API key. You need to provide your API key in an "
                        "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                },
                status=401,
            )
        key = auth[len("Bearer "):].strip()
        if key != self.api_key:
            msg = f"Incorrect API key provided: {mask_key(key)}. You can find your API key at https://platform.openai.com/account/api-keys."
            return self.error(401, msg)
        return None

    async def list_models(self, request: web.Request) -> web.Response:
        if (denied := self.check_auth(request)) is not None:
            return denied
        data = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"} for m in self.models]
        return web.json_response({"object": "list", "data": data})

    async def get_model(self, request: web.Request) -> web.Response:
        if (denied := self.check_auth(request)) is not None:
            return denied
        model = request.match_info["model"]
        if model not in self.models:
            return self.error(404, f"The model `{model}` does not exist or you do not have access to it.")
        return web.json_response({"id": model, "object": "model", "created": 1700000000, "owned_by": "fake"})

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        if (scripted := await self.scripted()) is not None:
            return scripted
        if (denied := self.check_auth(request)) is not None:
            return denied
        try:
            body = json.loads(await request.text())
        except ValueError:
            return self._invalid(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
                "using your HTTP library correctly. The OpenAI API expects a JSON payload.)"
            )
        if not isinstance(body, dict):
            return self._invalid("Invalid type for request body: expected an object.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return self._invalid("you must provide a model parameter", "model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return self._invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages")
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                role = message.get("role") if isinstance(message, dict) else None
                return self._invalid(
                    f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', "
                    "'tool', and 'developer'.",
                    f"messages[{i}].role",
                    "invalid_value",
                )
            if "content" not in message and message.get("role") != "assistant":
                return self._invalid(f"Missing required parameter: 'messages[{i}].content'.", f"messages[{i}].content")
        if body.get("stream"):
            return self._invalid("stream=true is not supported by this fake", "stream")
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            return self._invalid(f"Invalid 'max_tokens': integer below minimum value. Got {limit!r}.", "max_tokens")
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            return self._invalid("Invalid 'n'.", "n")

        text, cut = echo(last_user_text(messages, _text), limit)
        prompt_tokens = sum(len(words(_text(m))) for m in messages)
        completion_tokens = len(words(text))
        choice = lambda i: {  # noqa: E731
            "index": i,
            "message": {"role": "assistant", "content": text, "refusal": None, "annotations": []},
            "logprobs": None,
            "finish_reason": "length" if cut else "stop",
        }
        return web.json_response(
            {
                "id": f"chatcmpl-fake{self.next_id()}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.response_model or model,
                "choices": [choice(i) for i in range(n)],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens * n,
                    "total_tokens": prompt_tokens + completion_tokens * n,
                },
                "service_tier": "default",
                "system_fingerprint": "fp_fake" if body.get("seed") is None else f"fp_fake_seed{body['seed']}",
            },
            headers={"x-request-id": f"req_fake{len(self.requests)}"},
        )
