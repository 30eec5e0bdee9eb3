"""What an HTTP error means for the collector, decided in one place for every provider.

:func:`classify` maps a status and its headers to one of four verdicts: retry the
request, the model is rate limited until a moment (429), the request is final
(recorded as failed), or stop the model (its key or model id is wrong, so every
other request would fail the same way). Providers only describe their error
bodies (``Provider.error_message``); they do not decide what to retry.
Failures without a status (timeouts, refused connections) are the loop's business.
"""
from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

RETRY = "retry"
RATE_LIMITED = "rate_limited"
FINAL = "final"
STOP_MODEL = "stop_model"

BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
#: the longest Retry-After obeyed: a server asking for more (a daily quota's reset time, a
#: misconfigured proxy) is asked again after this many seconds instead of parking the model for hours
MAX_RETRY_AFTER_S = 300.0


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str  # RETRY | RATE_LIMITED | FINAL | STOP_MODEL
    retry_after: float | None = None  # seconds the server asked for (capped), if it did


def classify(status: int, headers: Mapping[str, str]) -> Verdict:
    """The verdict for a non-2xx answer.

    429 is rate limiting; 408, 409 and 5xx (including Anthropic's 529) are transient;
    401 and 403 (key rejected) and 404 (no such model or endpoint) stop the model;
    every other 4xx is final for the request.
    """
    wait = retry_after(headers)
    if status == 429:
        return Verdict(RATE_LIMITED, wait)
    if status in (408, 409) or 500 <= status <= 599:
        return Verdict(RETRY, wait)
    if status in (401, 403, 404):
        return Verdict(STOP_MODEL)
    return Verdict(FINAL)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``, capped at
    :data:`MAX_RETRY_AFTER_S`; None if absent or unreadable."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    seconds: float | None
    if not value:
        ms = headers.get("retry-after-ms")
        seconds = float(ms) / 1000 if ms and ms.replace(".", "", 1).isdigit() else None
    else:
        try:
            seconds = max(0.0, float(value))
        except ValueError:
            try:
                seconds = max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                seconds = None
    return None if seconds is None else min(seconds, MAX_RETRY_AFTER_S)


def backoff_delay(attempt: int, retry_after: float | None, rng: random.Random) -> float:
    """Exponential backoff with full jitter; a server's Retry-After is a floor, not a suggestion."""
    delay = rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))
    if retry_after is not None:
        floor = retry_after + rng.uniform(0, min(0.25, retry_after * 0.1 + 0.01))
        # the first Retry-After is taken as given; a request told to wait again backs off
        # exponentially beyond it, so the requests a 429 burst hit do not retry in lockstep
        delay = floor if attempt < 2 else max(floor, rng.uniform(0, min(BACKOFF_CAP_S,
                                                                          BACKOFF_BASE_S * 2 ** (attempt - 2))))
    return delay
