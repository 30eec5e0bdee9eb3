"""Output hygiene for the terminal: text from answers, servers or files is shown, never obeyed.

A stored answer or a server's error text may hold terminal escape codes (``ESC [ 2 J``
clears the screen, OSC 8 writes links, OSC 52 sets the clipboard) or bidirectional
overrides that reorder what is shown. :func:`printable` writes every such character as
a visible escape (``\\x1b``, ``\\u202e``) so nothing reaches the terminal as a command.
"""
from __future__ import annotations

import re

# C0 controls (but tab and newline, which callers handle), DEL, C1 controls, and the
# Unicode bidirectional embeddings, overrides and isolates
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c <= 0xFF else f"\\u{c:04x}"


def printable(text: str, keep_newlines: bool = True) -> str:
    """``text`` with control characters written as visible escapes (newlines kept or escaped)."""
    text = _CONTROL.sub(_escape, text)
    if not keep_newlines:
        text = text.replace("\n", "\\n").replace("\t", "\\t")
    return text


def has_controls(text: str) -> bool:
    return _CONTROL.search(text) is not None
