"""The fakes are faithful enough that each provider's OFFICIAL SDK works against them."""
from __future__ import annotations

import anthropic
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

pytestmark = pytest.mark.timeout(30)


# ------------------------------------------------------------------------ OpenAI
def _openai(base_url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=10)


def test_openai_sdk_chat_completion(openai_fake):
    fake, base_url = openai_fake
    with _openai(base_url, "sk-test-key") as client:
        resp = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": "Answer briefly."},
                {"role": "user", "content": "Is honesty important?"},
            ],
            temperature=0.0,
        )
    assert resp.choices[0].message.content == "echo: Is honesty important?"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.prompt_tokens == 5 and resp.usage.completion_tokens == 4
    assert resp.model == "gpt-4o-mini"
    rec = fake.last
    assert rec.path == "/v1/chat/completions"
    assert rec.header("Authorization") == "Bearer sk-test-key"
    assert rec.json["temperature"] == 0.0


def test_openai_sdk_max_tokens_and_models(openai_fake):
    fake, base_url = openai_fake
    with _openai(base_url, "sk-test-key") as client:
        resp = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "one two three four"}], max_tokens=2
        )
        assert resp.choices[0].message.content == "echo: one"
        assert resp.choices[0].finish_reason == "length"
        assert [m.id for m in client.models.list()] == list(fake.models)


def test_openai_sdk_bad_key_raises_authentication_error(openai_fake):
    fake, base_url = openai_fake
    with _openai(base_url, "sk-wrong-key-123456") as client:
        with pytest.raises(openai.AuthenticationError) as info:
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert "sk-wrong-key-123456" not in str(info.value)  # masked, as OpenAI does


def test_openai_sdk_sees_scripted_errors(openai_fake):
    fake, base_url = openai_fake
    fake.respond_next(429, times=1)
    with _openai(base_url, "sk-test-key") as client:
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        # the script is used up: the next call is answered normally
        resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert resp.choices[0].message.content == "echo: hi"


# --------------------------------------------------------------------- Anthropic
def test_anthropic_sdk_messages_create(anthropic_fake):
    fake, base_url = anthropic_fake
    with anthropic.Anthropic(base_url=base_url, api_key="sk-ant-test-key", max_retries=0, timeout=10) as client:
        msg = client.messages.create(
            model="claude-fake-1",
            max_tokens=64,
            system="Answer briefly.",
            messages=[{"role": "user", "content": "Is honesty important?"}],
        )
    assert msg.content[0].type == "text"
    assert msg.content[0].text == "echo: Is honesty important?"
    assert msg.stop_reason == "end_turn"
    assert msg.usage.input_tokens == 5 and msg.usage.output_tokens == 4
    assert msg.model == "claude-fake-1"
    rec = fake.last
    assert rec.path == "/v1/messages"
    assert rec.header("anthropic-version")  # the SDK sends its own pinned version
    # the installed SDK sends an api_key as x-api-key and/or Authorization: Bearer
    assert "sk-ant-test-key" in (rec.header("x-api-key") or rec.header("Authorization") or "")


def test_anthropic_sdk_auth_token_sends_bearer(anthropic_fake):
    fake, base_url = anthropic_fake
    with anthropic.Anthropic(base_url=base_url, auth_token="sk-ant-test-key", max_retries=0, timeout=10) as client:
        msg = client.messages.create(
            model="claude-fake-2", max_tokens=2, messages=[{"role": "user", "content": "a b c"}]
        )
    assert msg.content[0].text == "echo: a"
    assert msg.stop_reason == "max_tokens"
    assert fake.last.header("Authorization") == "Bearer sk-ant-test-key"
    assert fake.last.header("x-api-key") is None


def test_anthropic_sdk_bad_key_raises_authentication_error(anthropic_fake):
    fake, base_url = anthropic_fake
    with anthropic.Anthropic(base_url=base_url, api_key="sk-ant-wrong", max_retries=0, timeout=10) as client:
        with pytest.raises(anthropic.AuthenticationError) as info:
            client.messages.create(model="claude-x", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 401
    assert info.value.body["error"]["type"] == "authentication_error"


def test_anthropic_sdk_overloaded_529(anthropic_fake):
    fake, base_url = anthropic_fake
    fake.respond_next(529)
    with anthropic.Anthropic(base_url=base_url, api_key="sk-ant-test-key", max_retries=0, timeout=10) as client:
        with pytest.raises(anthropic.APIStatusError) as info:
            client.messages.create(model="claude-x", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 529
    assert info.value.body["error"]["type"] == "overloaded_error"


# ------------------------------------------------------------------------ Gemini
def _genai(base_url: str, key: str) -> genai.Client:
    options = genai_types.HttpOptions(
        base_url=base_url, timeout=10_000, retry_options=genai_types.HttpRetryOptions(attempts=1)
    )
    return genai.Client(api_key=key, http_options=options)


def test_genai_sdk_generate_content(gemini_fake):
    fake, base_url = gemini_fake
    client = _genai(base_url, "AIza-test-key")
    resp = client.models.generate_content(
        model="gemini-2.5-flash",
        contents="Is honesty important?",
        config=genai_types.GenerateContentConfig(
            system_instruction="Answer briefly.", temperature=0.0, max_output_tokens=100
        ),
    )
    assert resp.text == "echo: Is honesty important?"
    assert resp.candidates[0].finish_reason == genai_types.FinishReason.STOP
    assert resp.usage_metadata.prompt_token_count == 5
    assert resp.usage_metadata.candidates_token_count == 4
    assert resp.model_version == "gemini-2.5-flash"
    rec = fake.last
    # the installed google-genai defaults to the "v1" API version, key in a header
    assert rec.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert rec.header("x-goog-api-key") == "AIza-test-key"
    assert rec.json["systemInstruction"]["parts"][0]["text"] == "Answer briefly."
    assert rec.json["generationConfig"]["maxOutputTokens"] == 100


def test_genai_sdk_v1beta_and_max_tokens(gemini_fake):
    fake, base_url = gemini_fake
    options = genai_types.HttpOptions(base_url=base_url, api_version="v1beta", timeout=10_000)
    client = genai.Client(api_key="AIza-test-key", http_options=options)
    resp = client.models.generate_content(
        model="gemini-2.5-pro", contents="one two three", config={"max_output_tokens": 2}
    )
    assert resp.text == "echo: one"
    assert resp.candidates[0].finish_reason == genai_types.FinishReason.MAX_TOKENS
    assert fake.last.path == "/v1beta/models/gemini-2.5-pro:generateContent"


def test_genai_sdk_bad_key_raises_client_error(gemini_fake):
    fake, base_url = gemini_fake
    client = _genai(base_url, "AIza-wrong")
    with pytest.raises(genai_errors.ClientError) as info:
        client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert info.value.code == 400
    assert info.value.status == "INVALID_ARGUMENT"
    assert "API key not valid" in info.value.message
    assert info.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"


def test_gemini_fake_accepts_key_query_param(gemini_fake):
    import json
    import urllib.request

    fake, base_url = gemini_fake
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": "q"}]}]}).encode()
    req = urllib.request.Request(
        f"{base_url}/v1beta/models/gemini-x:generateContent?key=AIza-test-key",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        answer = json.load(resp)
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == "echo: q"
