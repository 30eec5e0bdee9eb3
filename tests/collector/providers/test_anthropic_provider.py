"""AnthropicProvider against the fake over real HTTP, and parse() edge cases."""
from __future__ import annotations

import pytest

from collector.providers import AnthropicProvider
from collector.providers.base import ChatRequest, ProviderError
from collector.retry import RATE_LIMITED, RETRY, classify

from .conftest import SENTINEL, send

pytestmark = pytest.mark.timeout(30)

MESSAGES = [
    {"role": "system", "content": "You are a survey respondent."},
    {"role": "system", "content": "Answer with a number."},
    {"role": "user", "content": "How much do you agree?"},
]


def test_roundtrip_text_finish_and_tokens(anthropic_fake):
    fake, base_url = anthropic_fake
    provider = AnthropicProvider(base_url, "sk-ant-test-key", send_seed=True)
    request = ChatRequest("claude-fake", MESSAGES, {"temperature": 0.2, "top_p": 0.9, "stop": "\n\n"}, seed=5)
    status, body = send(provider, request)
    assert status == 200, body
    done = provider.parse(body)
    assert done.text == "echo: How much do you agree?"
    assert done.finish_reason == "end_turn"
    assert (done.prompt_tokens, done.completion_tokens) == (14, 6)
    assert done.response_model == "claude-fake"

    rec = fake.last
    assert rec.path == "/v1/messages"
    assert rec.header("x-api-key") == "sk-ant-test-key"
    assert rec.header("Authorization") is None
    assert rec.header("anthropic-version") == "2023-06-01"
    assert rec.header("content-type").startswith("application/json")
    assert rec.json == {
        "model": "claude-fake",
        "max_tokens": 1024,  # required by the API: our default
        "system": "You are a survey respondent.\n\nAnswer with a number.",
        "messages": [{"role": "user", "content": "How much do you agree?"}],
        "stop_sequences": ["\n\n"],
        "temperature": 0.2,
        "top_p": 0.9,
    }  # no seed: the Messages API has none


def test_max_tokens_param_and_stop_reason(anthropic_fake):
    fake, base_url = anthropic_fake
    provider = AnthropicProvider(base_url, "sk-ant-test-key")
    status, body = send(provider, ChatRequest("c", [{"role": "user", "content": "a b c d"}], {"max_tokens": 2}))
    done = provider.parse(body)
    assert fake.last.json["max_tokens"] == 2 and "system" not in fake.last.json
    assert (done.text, done.finish_reason, done.completion_tokens) == ("echo: a", "max_tokens", 2)


def test_conversation_roles_are_kept(anthropic_fake):
    fake, base_url = anthropic_fake
    provider = AnthropicProvider(base_url, "sk-ant-test-key")
    convo = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "second"},
    ]
    status, body = send(provider, ChatRequest("c", convo))
    assert status == 200 and provider.parse(body).text == "echo: second"
    assert fake.last.json["messages"] == convo


def test_fake_rejects_what_the_api_rejects(anthropic_fake):
    """The fake is strict where the API is: a wrong translation would not pass silently."""
    fake, base_url = anthropic_fake
    provider = AnthropicProvider(base_url, "sk-ant-test-key")
    status, body = send(provider, ChatRequest("c", [{"role": "user", "content": "x"}], {"frequency_penalty": 1}))
    assert status == 400
    assert provider.error_message(status, body) == (
        "HTTP 400 invalid_request_error: frequency_penalty: Extra inputs are not permitted"
    )


def test_wrong_key_error_message_is_secret_free(anthropic_fake):
    fake, base_url = anthropic_fake
    provider = AnthropicProvider(base_url, SENTINEL)
    http = provider.build(ChatRequest("c", MESSAGES))
    status, body = send(provider, ChatRequest("c", MESSAGES))
    assert status == 401 and not classify(status, {}).kind in (RETRY, RATE_LIMITED)
    assert body["type"] == "error"
    msg = provider.error_message(status, body)
    assert msg == "HTTP 401 authentication_error: invalid x-api-key"
    for text in (msg, repr(provider), repr(http), str(provider.__dict__.get("base_url"))):
        assert SENTINEL not in text
    fake.respond_next(400, {"type": "error", "error": {"type": "invalid_request_error", "message": SENTINEL}})
    status, body = send(provider, ChatRequest("c", MESSAGES))
    assert SENTINEL not in provider.error_message(status, body)


def test_overloaded_is_retryable(anthropic_fake):
    fake, base_url = anthropic_fake
    provider = AnthropicProvider(base_url, "sk-ant-test-key")
    fake.respond_next(529)
    status, body = send(provider, ChatRequest("c", MESSAGES))
    assert status == 529 and classify(status, {}).kind in (RETRY, RATE_LIMITED)
    assert provider.error_message(status, body) == "HTTP 529 overloaded_error: Overloaded"


def test_defaults_and_url_forms():
    assert AnthropicProvider().base_url == "https://api.anthropic.com"
    assert AnthropicProvider().url == "https://api.anthropic.com/v1/messages"
    assert AnthropicProvider("https://proxy.example/v1/", "k").url == "https://proxy.example/v1/messages"
    http = AnthropicProvider(None, None).build(ChatRequest("c", [{"role": "user", "content": "x"}]))
    assert "x-api-key" not in http.headers
    http = AnthropicProvider(None, "k").build(
        ChatRequest("c", [{"role": "user", "content": "x"}], {"max_completion_tokens": 9, "stop": ["A", "B"]})
    )
    assert http.json["max_tokens"] == 9 and http.json["stop_sequences"] == ["A", "B"]
    assert "max_completion_tokens" not in http.json and "stop" not in http.json


# ---------------------------------------------------------------- parse() cases
def test_parse_concatenates_text_blocks_only():
    body = {
        "type": "message",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "s"},
            {"type": "text", "text": "Strongly "},
            {"type": "tool_use", "id": "t", "name": "f", "input": {}},
            {"type": "text", "text": "agree"},
        ],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 3, "output_tokens": 2},
        "model": "claude-x-20250101",
    }
    done = AnthropicProvider().parse(body)
    assert (done.text, done.finish_reason, done.prompt_tokens, done.completion_tokens, done.response_model) == (
        "Strongly agree", "end_turn", 3, 2, "claude-x-20250101")


def test_parse_refusal_with_empty_content():
    done = AnthropicProvider().parse({"content": [], "stop_reason": "refusal"})
    assert (done.text, done.finish_reason, done.prompt_tokens) == ("", "refusal", None)


@pytest.mark.parametrize(
    "body",
    [{}, {"content": None}, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, []],
)
def test_parse_non_answers_raise(body):
    with pytest.raises(ProviderError):
        AnthropicProvider(None, SENTINEL).parse(body)


def test_error_message_other_shapes():
    p = AnthropicProvider()
    assert p.error_message(502, "<html>bad gateway</html>") == "HTTP 502: <html>bad gateway</html>"
    assert p.error_message(500, {}) == "HTTP 500"
    assert p.error_message(500, {"error": {"type": "api_error"}}) == "HTTP 500 api_error"
