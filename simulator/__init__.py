"""The simulated panel: a local OpenAI-compatible server whose "models" are
seeded synthetic respondents (``sim-*``), not real LLMs.

It exists so the whole pipeline (collector, warehouse, reports) can run end to
end, offline and reproducibly, and so the normaliser meets messy answers.
"""
from .panel import PANEL, Decision, Profile, Style, answer, decide, get_profile, panel_model_names
from .server import FAULT_KINDS, SimulatorThread, create_app, serve, start_simulator

__all__ = [
    "FAULT_KINDS", "PANEL", "Decision", "Profile", "SimulatorThread", "Style", "answer", "create_app", "decide",
    "get_profile", "panel_model_names", "serve", "start_simulator",
]
