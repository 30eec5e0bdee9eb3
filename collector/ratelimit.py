"""Client-side pacing of one model: requests- and tokens-per-minute, and what its 429s teach."""
from __future__ import annotations

import asyncio
import collections
import math


async def sleep_or_stop(seconds: float, stop: asyncio.Event | None) -> bool:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile (Ctrl-C); True if it was.

    Long waits (a Retry-After, a backoff) must not hold a graceful stop; short ones
    (rate spacing) stay a plain sleep, cheap on the hot path.
    """
    if stop is None or seconds < 0.25:
        await asyncio.sleep(seconds)
        return stop is not None and stop.is_set()
    if stop.is_set():
        return True
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        return False
    return True


class RateLimiter:
    """Spaces requests evenly to stay under requests- and tokens-per-minute limits.

    ``acquire`` reserves the next free slot; ``pause_until`` (after a 429 with
    Retry-After) holds back every new request of the model until then, so the
    client backs off as a whole instead of each request finding out alone.

    A server's own limit is learned from its 429s (``rate_limited``): the model
    is then paced at a little under the rate of answers the server let through
    (or, before any answer, one request per sub-second Retry-After), and probes
    upwards slowly while no 429 comes. Without this, every request released
    after a pause races for the same few slots, and a request can meet
    ``max_attempts`` 429s in a row and be recorded as failed.
    """

    LEARN_WINDOW_S = 2.0  # answers counted for the rate the server lets through
    CUT_FACTOR = 0.95  # pace at this share of that rate after a 429
    CUT_EVERY_S = 0.5  # one cut per burst of 429s
    PROBE_AFTER_S = 2.0  # then, without 429s, grow ~5 % per second
    PROBE_STEP = 0.05

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self.interval = 60.0 / rpm if rpm else 0.0
        self.tpm = tpm
        self._next = 0.0
        self._next_tokens = 0.0
        self._paused_until = 0.0
        self.learned_rate: float | None = None  # requests/s the server's 429s taught us
        self._oks: collections.deque[float] = collections.deque()
        self._cut_at = -math.inf

    async def acquire(self, tokens: int = 0, stop: asyncio.Event | None = None) -> bool:
        """Wait for the next slot; False if ``stop`` was set while waiting (then send nothing)."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self._paused_until > now:
                if await sleep_or_stop(self._paused_until - now, stop):
                    return False
                continue
            slot = max(now, self._next)
            if self.tpm and tokens:
                slot = max(slot, self._next_tokens)
                self._next_tokens = slot + tokens * 60.0 / self.tpm
            self._next = slot + (max(self.interval, 1.0 / self.learned_rate) if self.learned_rate else self.interval)
            if slot > now and await sleep_or_stop(slot - now, stop):
                return False
            return True

    def pause_until(self, when: float) -> None:
        self._paused_until = max(self._paused_until, when)

    def answered(self, now: float) -> None:
        """An answer came back (2xx)."""
        oks = self._oks
        oks.append(now)
        while now - oks[0] > self.LEARN_WINDOW_S:
            oks.popleft()
        if self.learned_rate is not None and now - self._cut_at > self.PROBE_AFTER_S:
            self.learned_rate += self.PROBE_STEP  # per answer, so ~5 % of the rate per second

    def rate_limited(self, now: float, retry_after: float | None) -> None:
        """A 429: pause the model for Retry-After and learn to stay under the server's limit."""
        if retry_after is not None:
            self.pause_until(now + retry_after)
        oks = self._oks
        span = now - oks[0] if oks else 0.0
        if len(oks) >= 8 and span >= 0.2:
            if now - self._cut_at >= self.CUT_EVERY_S:
                self.learned_rate = max(0.1, len(oks) / span * self.CUT_FACTOR)
                self._cut_at = now
        elif retry_after is not None and 0 < retry_after < 1.0 and self._cut_at == -math.inf:
            # nothing measured yet: no faster than one request per sub-second Retry-After (the
            # server's next free slot), the slowest pace any of its 429s asked for so far
            self.learned_rate = min(self.learned_rate or math.inf, 1.0 / retry_after)
