"""Providers by name: ``provider: openai`` in an experiment file picks :class:`OpenAIProvider`."""
from __future__ import annotations

from .anthropic import AnthropicProvider
from .base import ChatRequest, Completion, HttpRequest, Provider, ProviderError
from .gemini import GeminiProvider
from .openai import OpenAIProvider
from .simulated import SimulatedProvider

PROVIDERS: dict[str, type[Provider]] = {
    cls.name: cls
    for cls in (OpenAIProvider, AnthropicProvider, GeminiProvider, SimulatedProvider)
}


def get_provider(name: str) -> type[Provider]:
    """The provider class registered as ``name``; KeyError naming the known ones otherwise."""
    try:
        return PROVIDERS[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(PROVIDERS))
        raise KeyError(f"unknown provider {name!r}; known providers: {known}") from None


def default_base_url(name: str) -> str | None:
    """The public endpoint for ``name`` (None for ``simulated``, which is always local)."""
    return getattr(get_provider(name), "default_base_url", None)


__all__ = [
    "PROVIDERS",
    "AnthropicProvider",
    "ChatRequest",
    "Completion",
    "GeminiProvider",
    "HttpRequest",
    "OpenAIProvider",
    "Provider",
    "ProviderError",
    "SimulatedProvider",
    "default_base_url",
    "get_provider",
]
