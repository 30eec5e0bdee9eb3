"""The provider registry, and the fake servers' own test hooks."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from collector.providers import (
    PROVIDERS,
    AnthropicProvider,
    GeminiProvider,
    OpenAIProvider,
    SimulatedProvider,
    default_base_url,
    get_provider,
)
from collector.providers.base import ChatRequest, Provider
from tests.fakes import FAKE_KEY, OpenAIFake, start_fake

from .conftest import SENTINEL, send

pytestmark = pytest.mark.timeout(30)


def test_registry():
    assert PROVIDERS == {
        "openai": OpenAIProvider,
        "anthropic": AnthropicProvider,
        "gemini": GeminiProvider,
        "simulated": SimulatedProvider,
    }
    for name, cls in PROVIDERS.items():
        assert get_provider(name) is cls and cls.name == name and issubclass(cls, Provider)
    with pytest.raises(KeyError) as info:
        get_provider("mistral")
    assert "anthropic, gemini, openai, simulated" in str(info.value)


def test_default_base_urls():
    assert default_base_url("openai") == "https://api.openai.com/v1"
    assert default_base_url("anthropic") == "https://api.anthropic.com"
    assert default_base_url("gemini") == "https://generativelanguage.googleapis.com"
    assert default_base_url("simulated") is None
    with pytest.raises(KeyError):
        default_base_url("nope")
    assert OpenAIProvider().base_url == "https://api.openai.com/v1"


@pytest.mark.parametrize("cls", [OpenAIProvider, AnthropicProvider, GeminiProvider, SimulatedProvider])
def test_key_never_in_reprs(cls):
    provider = cls("http://127.0.0.1:1/v1", f"  {SENTINEL}\n")  # stray whitespace is stripped
    http = provider.build(ChatRequest("m", [{"role": "user", "content": "hi"}], seed=1))
    assert SENTINEL in "".join(http.headers.values())  # it is sent...
    assert "\n" not in "".join(http.headers.values())
    for text in (repr(provider), str(provider), repr(http), str(http), http.url):
        assert SENTINEL not in text  # ...but never shown


def test_start_fake_async_and_recording():
    async def main():
        fake = OpenAIFake(api_key=None)
        runner, root = await start_fake(fake)
        try:
            assert root.startswith("http://127.0.0.1:")
            assert fake.app[FAKE_KEY] is fake
            async with aiohttp.ClientSession() as session:
                async with session.get(root + "/v1/models") as resp:
                    assert resp.status == 200
                fake.delay_next(0.3)
                fake.respond_next(503, "upstream down")
                t0 = time.monotonic()
                async with session.post(root + "/v1/chat/completions", json={
                        "model": "m", "messages": [{"role": "user", "content": "x"}]}) as resp:
                    assert resp.status == 200 and (await resp.json())["choices"][0]["message"]["content"] == "echo: x"
                assert time.monotonic() - t0 >= 0.3
                async with session.post(root + "/v1/chat/completions", json={}) as resp:
                    assert resp.status == 503 and await resp.text() == "upstream down"
                async with session.post(root + "/v1/chat/completions", json={"model": "m", "messages": []}) as resp:
                    assert resp.status == 400
            assert [r.path for r in fake.requests] == ["/v1/models"] + ["/v1/chat/completions"] * 3
            assert len(fake.generation_requests()) == 3
            fake.reset()
            assert fake.requests == []
        finally:
            await runner.cleanup()

    asyncio.run(asyncio.wait_for(main(), 15))


def test_fake_checks_auth_before_answering(openai_fake):
    fake, base_url = openai_fake
    status, body = send(OpenAIProvider(base_url, None), ChatRequest("m", [{"role": "user", "content": "x"}]))
    assert status == 401 and "didn't provide an API key" in body["error"]["message"]


@pytest.mark.parametrize("cls", [OpenAIProvider, AnthropicProvider, GeminiProvider, SimulatedProvider])
def test_redact_used_by_the_runner(cls):
    provider = cls("http://127.0.0.1:1", SENTINEL)
    assert provider.redact(f"cannot connect: {SENTINEL}!") == "cannot connect: [API key removed]!"
    assert cls("http://127.0.0.1:1", None).redact("nothing to hide") == "nothing to hide"


def test_error_inside_a_2xx_body_is_a_provider_error():
    from collector.providers.base import ProviderError

    with pytest.raises(ProviderError, match=r"^openai: 2xx body holds an error: server_error: boom$"):
        OpenAIProvider("http://h/v1", None).parse({"error": {"message": "boom", "type": "server_error"}})
    with pytest.raises(ProviderError, match=r"^anthropic: 2xx body holds an error: overloaded_error: Overloaded$"):
        AnthropicProvider().parse({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    with pytest.raises(ProviderError, match=r"^gemini: 2xx body holds an error: INTERNAL: oops$"):
        GeminiProvider().parse({"error": {"code": 500, "message": "oops", "status": "INTERNAL"}})
