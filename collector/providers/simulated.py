"""The local simulator: an OpenAI-compatible server that is deterministic given the seed."""
from __future__ import annotations

from .openai import OpenAIProvider


class SimulatedProvider(OpenAIProvider):
    """OpenAI wire format; sends the seed by default. Has no default base_url."""

    name = "simulated"
    default_base_url: str | None = None

    def __init__(
        self, base_url: str | None = None, api_key: str | None = None, send_seed: bool = True
    ) -> None:
        super().__init__(base_url, api_key, send_seed)
