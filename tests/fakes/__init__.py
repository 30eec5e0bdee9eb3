"""Fake LLM APIs (aiohttp.web) that speak each real API's wire format.

``from tests.fakes import OpenAIFake, AnthropicFake, GeminiFake, start_fake, serve_in_thread``
"""
from .anthropic_fake import AnthropicFake
from .gemini_fake import GeminiFake
from .openai_fake import OpenAIFake
from .server import FAKE_KEY, FakeAPI, RecordedRequest, serve_in_thread, start_fake

__all__ = [
    "FAKE_KEY",
    "AnthropicFake",
    "FakeAPI",
    "GeminiFake",
    "OpenAIFake",
    "RecordedRequest",
    "serve_in_thread",
    "start_fake",
]
