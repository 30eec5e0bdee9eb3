"""aligned: a declarative experiment database for LLM value alignment studies."""

__version__ = "0.1.0"
