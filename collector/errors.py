"""Errors a user can cause. The CLI prints them as one line, never a traceback."""
from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input: one line saying what, where and how to fix it."""

    exit_code = 2


class LockedError(UserError):
    """The DuckDB file is held by another process."""

    exit_code = 3
