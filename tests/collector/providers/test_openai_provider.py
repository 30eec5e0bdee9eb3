"""OpenAIProvider / SimulatedProvider against the fake over real HTTP, and parse() edge cases."""
from __future__ import annotations

import pytest

from collector.providers import OpenAIProvider, SimulatedProvider
from collector.providers.base import ChatRequest, ProviderError
from collector.retry import RATE_LIMITED, RETRY, classify
from tests.fakes import OpenAIFake, serve_in_thread

from .conftest import SENTINEL, send

pytestmark = pytest.mark.timeout(30)

MESSAGES = [
    {"role": "system", "content": "Answer with a number."},
    {"role": "user", "content": "How much do you agree?"},
]


def test_roundtrip_text_finish_and_tokens(openai_fake):
    fake, base_url = openai_fake
    provider = OpenAIProvider(base_url, "sk-test-key")
    request = ChatRequest("gpt-4o-mini", MESSAGES, {"temperature": 0.7, "max_tokens": 50}, seed=42)
    status, body = send(provider, request)
    assert status == 200
    done = provider.parse(body)
    assert done.text == "echo: How much do you agree?"
    assert done.finish_reason == "stop"
    assert (done.prompt_tokens, done.completion_tokens) == (9, 6)
    assert done.response_model == "gpt-4o-mini"

    rec = fake.last
    assert rec.method == "POST" and rec.path == "/v1/chat/completions"
    assert rec.header("Authorization") == "Bearer sk-test-key"
    assert rec.json == {
        "model": "gpt-4o-mini",
        "messages": MESSAGES,  # system stays a message in this wire format
        "temperature": 0.7,
        "max_tokens": 50,
    }  # and no seed: send_seed is off by default


def test_seed_only_when_asked(openai_fake):
    fake, base_url = openai_fake
    provider = OpenAIProvider(base_url, "sk-test-key", send_seed=True)
    send(provider, ChatRequest("gpt-4o", MESSAGES, seed=7))
    assert fake.last.json["seed"] == 7
    send(provider, ChatRequest("gpt-4o", MESSAGES, seed=None))
    assert "seed" not in fake.last.json


def test_length_finish_reason(openai_fake):
    fake, base_url = openai_fake
    provider = OpenAIProvider(base_url, "sk-test-key")
    status, body = send(provider, ChatRequest("m", [{"role": "user", "content": "a b c d"}], {"max_tokens": 3}))
    done = provider.parse(body)
    assert (done.text, done.finish_reason, done.completion_tokens) == ("echo: a b", "length", 3)


def test_no_key_no_authorization_header():
    fake = OpenAIFake(api_key=None)  # like a local vLLM/Ollama server
    with serve_in_thread(fake) as root:
        provider = OpenAIProvider(root + "/v1", None)
        status, body = send(provider, ChatRequest("llama3", MESSAGES))
    assert status == 200 and provider.parse(body).text.startswith("echo:")
    assert fake.last.header("Authorization") is None
    assert OpenAIProvider("http://x/v1", "").build(ChatRequest("m", MESSAGES)).headers.get("Authorization") is None


def test_simulated_sends_seed_by_default():
    fake = OpenAIFake(api_key=None)
    with serve_in_thread(fake) as root:
        provider = SimulatedProvider(root + "/v1")
        assert provider.name == "simulated" and provider.send_seed is True
        status, body = send(provider, ChatRequest("sim-safety-first", MESSAGES, {"temperature": 1.0}, seed=3))
    assert status == 200
    assert fake.last.json["seed"] == 3
    assert provider.parse(body).text == "echo: How much do you agree?"
    assert SimulatedProvider("http://x/v1", None, send_seed=False).send_seed is False
    with pytest.raises(ValueError):
        SimulatedProvider()  # no public default: the simulator is always local


def test_wrong_key_error_message_is_short_and_secret_free(openai_fake):
    fake, base_url = openai_fake
    provider = OpenAIProvider(base_url, SENTINEL)
    status, body = send(provider, ChatRequest("gpt-4o", MESSAGES))
    assert status == 401 and not classify(status, {}).kind in (RETRY, RATE_LIMITED)
    msg = provider.error_message(status, body)
    assert msg.startswith("HTTP 401 invalid_api_key: Incorrect API key provided")
    assert SENTINEL not in msg and SENTINEL not in repr(provider)
    assert SENTINEL not in repr(provider.build(ChatRequest("gpt-4o", MESSAGES)))


def test_error_message_redacts_an_echoed_key(openai_fake):
    fake, base_url = openai_fake
    provider = OpenAIProvider(base_url, SENTINEL)
    fake.respond_next(400, {"error": {"message": f"bad key {SENTINEL} given", "type": "invalid_request_error"}})
    status, body = send(provider, ChatRequest("gpt-4o", MESSAGES))
    msg = provider.error_message(status, body)
    assert status == 400 and SENTINEL not in msg and "[API key removed]" in msg


def test_scripted_rate_limit_then_normal(openai_fake):
    fake, base_url = openai_fake
    provider = OpenAIProvider(base_url, "sk-test-key")
    fake.respond_next(429, times=2, headers={"Retry-After": "1"})
    for _ in range(2):
        status, body = send(provider, ChatRequest("m", MESSAGES))
        assert status == 429 and classify(status, {}).kind in (RETRY, RATE_LIMITED)
        assert provider.error_message(status, body).startswith("HTTP 429 rate_limit_exceeded: Rate limit")
    status, body = send(provider, ChatRequest("m", MESSAGES))
    assert status == 200
    assert len(fake.generation_requests()) == 3


def test_params_cannot_override_model_or_messages():
    http = OpenAIProvider("http://h/v1/", "k").build(
        ChatRequest("real", MESSAGES, {"model": "other", "messages": [], "top_p": 0.5})
    )
    assert http.url == "http://h/v1/chat/completions"
    assert http.json["model"] == "real" and http.json["messages"] == MESSAGES and http.json["top_p"] == 0.5


# ---------------------------------------------------------------- parse() cases
def _body(message, **extra):
    return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}], **extra}


def test_parse_null_content_and_missing_usage():
    done = OpenAIProvider("http://h/v1", None).parse(_body({"role": "assistant", "content": None}))
    assert (done.text, done.prompt_tokens, done.completion_tokens, done.response_model) == ("", None, None, None)


def test_parse_refusal_when_content_null():
    body = _body({"role": "assistant", "content": None, "refusal": "I can't help with that."}, model="gpt-4o")
    done = OpenAIProvider("http://h/v1", None).parse(body)
    assert done.text == "I can't help with that." and done.response_model == "gpt-4o"


def test_parse_list_of_content_parts():
    parts = [{"type": "text", "text": "Agree"}, {"type": "image_url", "image_url": {}}, {"type": "text", "text": "."}]
    done = OpenAIProvider("http://h/v1", None).parse(_body({"role": "assistant", "content": parts}, usage=None))
    assert done.text == "Agree." and done.prompt_tokens is None


@pytest.mark.parametrize(
    "body",
    [{}, {"choices": []}, {"choices": None}, {"choices": ["x"]}, {"choices": [{"finish_reason": "stop"}]},
     {"error": {"message": "model overloaded"}}, [], "text"],
)
def test_parse_without_choices_raises_provider_error(body):
    with pytest.raises(ProviderError) as info:
        OpenAIProvider("http://h/v1", SENTINEL).parse(body)
    assert SENTINEL not in str(info.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"message": "Incorrect API key", "type": "invalid_request_error", "code": "invalid_api_key"}},
         "HTTP 401 invalid_api_key: Incorrect API key"),
        ({"object": "error", "message": "model not found", "type": "NotFoundError", "code": 404},  # vLLM
         "HTTP 401 NotFoundError: model not found"),
        ({"error": "model 'x' not found"}, "HTTP 401: model 'x' not found"),  # Ollama
        ({"detail": {"error": "Unauthorized"}}, "HTTP 401: Unauthorized"),  # DeepInfra / FastAPI
        ({"detail": "Not authenticated"}, "HTTP 401: Not authenticated"),
        ("<html>Bad   gateway</html>", "HTTP 401: <html>Bad gateway</html>"),
        ({"unexpected": 1}, "HTTP 401"),
        (None, "HTTP 401"),
    ],
)
def test_error_message_shapes(body, expected):
    assert OpenAIProvider("http://h/v1", None).error_message(401, body) == expected


def test_error_message_is_clipped():
    msg = OpenAIProvider("http://h/v1", None).error_message(500, {"error": {"message": "x" * 5000}})
    assert len(msg) < 400
