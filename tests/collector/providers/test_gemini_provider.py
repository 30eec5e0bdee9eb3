"""GeminiProvider against the fake over real HTTP, and parse() edge cases."""
from __future__ import annotations

import pytest

from collector.providers import GeminiProvider
from collector.providers.base import ChatRequest, ProviderError
from collector.retry import RATE_LIMITED, RETRY, classify

from .conftest import SENTINEL, send

pytestmark = pytest.mark.timeout(30)

MESSAGES = [
    {"role": "system", "content": "Answer with a number."},
    {"role": "user", "content": "first"},
    {"role": "assistant", "content": "3"},
    {"role": "user", "content": "How much do you agree?"},
]


def test_roundtrip_text_finish_and_tokens(gemini_fake):
    fake, base_url = gemini_fake
    provider = GeminiProvider(base_url, "AIza-test-key")
    params = {"temperature": 0.5, "top_p": 0.8, "max_tokens": 64}
    status, body = send(provider, ChatRequest("gemini-2.5-flash", MESSAGES, params, seed=9))
    assert status == 200, body
    done = provider.parse(body)
    assert done.text == "echo: How much do you agree?"
    assert done.finish_reason == "STOP"
    assert (done.prompt_tokens, done.completion_tokens) == (11, 6)
    assert done.response_model == "gemini-2.5-flash"

    rec = fake.last
    assert rec.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert rec.query == {}  # the key travels in a header, never in the URL
    assert rec.header("x-goog-api-key") == "AIza-test-key"
    assert rec.json == {
        "contents": [
            {"role": "user", "parts": [{"text": "first"}]},
            {"role": "model", "parts": [{"text": "3"}]},
            {"role": "user", "parts": [{"text": "How much do you agree?"}]},
        ],
        "systemInstruction": {"parts": [{"text": "Answer with a number."}]},
        "generationConfig": {"temperature": 0.5, "topP": 0.8, "maxOutputTokens": 64},
    }  # no seed unless send_seed


def test_seed_stop_and_max_tokens(gemini_fake):
    fake, base_url = gemini_fake
    provider = GeminiProvider(base_url, "AIza-test-key", send_seed=True)
    request = ChatRequest("models/gemini-x", [{"role": "user", "content": "a b c"}], {"max_tokens": 2, "stop": "END"}, seed=1)
    status, body = send(provider, request)
    assert status == 200, body
    assert fake.last.path == "/v1beta/models/gemini-x:generateContent"
    assert fake.last.json["generationConfig"] == {"maxOutputTokens": 2, "stopSequences": ["END"], "seed": 1}
    assert "systemInstruction" not in fake.last.json
    done = provider.parse(body)
    assert (done.text, done.finish_reason, done.completion_tokens) == ("echo: a", "MAX_TOKENS", 2)


def test_blocked_prompt_is_an_answer(gemini_fake):
    fake, base_url = gemini_fake
    provider = GeminiProvider(base_url, "AIza-test-key")
    fake.respond_next(
        200,
        {"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []},
         "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7}, "modelVersion": "gemini-x"},
    )
    status, body = send(provider, ChatRequest("gemini-x", MESSAGES))
    done = provider.parse(body)
    assert status == 200
    assert (done.text, done.finish_reason, done.prompt_tokens, done.completion_tokens, done.response_model) == (
        "", "blocked:SAFETY", 7, None, "gemini-x")


def test_bad_key_error_message(gemini_fake):
    fake, base_url = gemini_fake
    provider = GeminiProvider(base_url, SENTINEL)
    status, body = send(provider, ChatRequest("gemini-x", MESSAGES))
    assert status == 400 and not classify(status, {}).kind in (RETRY, RATE_LIMITED)
    msg = provider.error_message(status, body)
    assert msg == "HTTP 400 INVALID_ARGUMENT: API key not valid. Please pass a valid API key. [API_KEY_INVALID]"
    http = provider.build(ChatRequest("gemini-x", MESSAGES))
    for text in (msg, repr(provider), repr(http), http.url):
        assert SENTINEL not in text


def test_missing_key_and_scripted_errors(gemini_fake):
    fake, base_url = gemini_fake
    provider = GeminiProvider(base_url, None)
    status, body = send(provider, ChatRequest("gemini-x", MESSAGES))
    assert status == 403 and provider.error_message(status, body).startswith("HTTP 403 PERMISSION_DENIED: ")
    fake.respond_next(429)
    status, body = send(provider, ChatRequest("gemini-x", MESSAGES))
    assert status == 429 and classify(status, {}).kind in (RETRY, RATE_LIMITED)
    assert provider.error_message(status, body).startswith("HTTP 429 RESOURCE_EXHAUSTED: Resource has been exhausted")


def test_unknown_param_rejected_by_fake_like_google(gemini_fake):
    fake, base_url = gemini_fake
    provider = GeminiProvider(base_url, "AIza-test-key")
    status, body = send(provider, ChatRequest("g", MESSAGES, {"bogus_knob": 1}))
    assert status == 400
    assert 'Unknown name "bogus_knob"' in provider.error_message(status, body)
    # real generationConfig fields pass through, in either spelling
    status, body = send(provider, ChatRequest("g", MESSAGES, {"candidateCount": 1, "presence_penalty": 0.1}))
    assert status == 200, body


def test_defaults_and_url_forms():
    assert GeminiProvider().base_url == "https://generativelanguage.googleapis.com"
    assert GeminiProvider().url_for("gemini-2.5-flash") == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent")
    assert GeminiProvider("http://h/v1beta/").url_for("m") == "http://h/v1beta/models/m:generateContent"
    http = GeminiProvider().build(ChatRequest("m", [{"role": "user", "content": "x"}], {"safety_settings": []}))
    assert http.json == {"contents": [{"role": "user", "parts": [{"text": "x"}]}], "safetySettings": []}
    assert "x-goog-api-key" not in http.headers


# ---------------------------------------------------------------- parse() cases
def test_parse_joins_parts_and_skips_thoughts():
    body = {
        "candidates": [{
            "content": {"role": "model", "parts": [
                {"text": "thinking...", "thought": True}, {"text": "Strongly "}, {"text": "agree"}]},
            "finishReason": "STOP",
        }],
        "usageMetadata": {"promptTokenCount": 4},
        "modelVersion": "gemini-2.5-pro-001",
    }
    done = GeminiProvider().parse(body)
    assert (done.text, done.finish_reason, done.prompt_tokens, done.completion_tokens, done.response_model) == (
        "Strongly agree", "STOP", 4, None, "gemini-2.5-pro-001")


def test_parse_candidate_without_content():
    done = GeminiProvider().parse({"candidates": [{"finishReason": "SAFETY"}]})
    assert (done.text, done.finish_reason) == ("", "SAFETY")


@pytest.mark.parametrize(
    "body", [{}, {"candidates": []}, {"candidates": ["x"]}, {"promptFeedback": {}}, {"error": {"message": "x"}}]
)
def test_parse_non_answers_raise(body):
    with pytest.raises(ProviderError):
        GeminiProvider(None, SENTINEL).parse(body)


def test_error_message_other_shapes():
    p = GeminiProvider(None, SENTINEL)
    wrapped = [{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}]
    assert p.error_message(503, wrapped) == "HTTP 503 UNAVAILABLE: The model is overloaded."
    assert p.error_message(500, "oops") == "HTTP 500: oops"
    assert p.error_message(500, {"error": {"code": 500, "message": f"key={SENTINEL}"}}) == "HTTP 500: key=[API key removed]"
