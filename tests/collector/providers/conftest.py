"""Fixtures: each fake API served on 127.0.0.1 in a background thread, per test."""
from __future__ import annotations

import asyncio
from typing import Any, Iterator

import aiohttp
import pytest

from collector.providers.base import ChatRequest, Provider
from tests.fakes import AnthropicFake, GeminiFake, OpenAIFake, serve_in_thread

#: a key that must never show up in a repr, message or exception
SENTINEL = "sk-SENTINEL-do-not-leak-7f3a9c"

#: credentials that the SDKs could pick up from the environment and send instead of ours
_ENV = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID",
    "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL",
    "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def openai_fake() -> Iterator[tuple[OpenAIFake, str]]:
    """(fake, base_url with /v1) for OpenAI clients."""
    fake = OpenAIFake(api_key="sk-test-key")
    with serve_in_thread(fake) as root:
        yield fake, root + fake.prefix


@pytest.fixture
def anthropic_fake() -> Iterator[tuple[AnthropicFake, str]]:
    fake = AnthropicFake(api_key="sk-ant-test-key")
    with serve_in_thread(fake) as root:
        yield fake, root


@pytest.fixture
def gemini_fake() -> Iterator[tuple[GeminiFake, str]]:
    fake = GeminiFake(api_key="AIza-test-key")
    with serve_in_thread(fake) as root:
        yield fake, root


async def _send(provider: Provider, request: ChatRequest) -> tuple[int, Any]:
    http = provider.build(request)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.request(http.method, http.url, headers=http.headers, json=http.json) as resp:
            try:
                body: Any = await resp.json(content_type=None)
            except ValueError:
                body = await resp.text()
            return resp.status, body


def send(provider: Provider, request: ChatRequest) -> tuple[int, Any]:
    """build() -> POST over real HTTP with aiohttp -> (status, decoded body)."""
    return asyncio.run(_send(provider, request))
