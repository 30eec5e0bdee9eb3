"""collector.retry: one classification of error statuses, Retry-After parsing and its cap."""
from __future__ import annotations

import random
import time
from email.utils import formatdate

import pytest

from collector import retry
from collector.retry import FINAL, MAX_RETRY_AFTER_S, RATE_LIMITED, RETRY, STOP_MODEL, classify


@pytest.mark.parametrize("status, kind", [
    (429, RATE_LIMITED), (408, RETRY), (409, RETRY), (500, RETRY), (503, RETRY), (529, RETRY),
    (401, STOP_MODEL), (403, STOP_MODEL), (404, STOP_MODEL), (400, FINAL), (422, FINAL), (413, FINAL),
])
def test_each_status_has_one_verdict(status, kind):
    assert classify(status, {}).kind == kind


def test_retry_after_in_seconds_milliseconds_and_http_date():
    assert classify(429, {"Retry-After": "2.5"}).retry_after == 2.5
    assert classify(503, {"retry-after": "3"}).retry_after == 3.0
    assert classify(429, {"retry-after-ms": "250"}).retry_after == 0.25
    when = classify(429, {"Retry-After": formatdate(time.time() + 20, usegmt=True)}).retry_after
    assert 17 <= when <= 21
    assert classify(429, {"Retry-After": "soon"}).retry_after is None
    assert classify(429, {}).retry_after is None


def test_a_huge_retry_after_is_capped():
    assert classify(429, {"Retry-After": "86400"}).retry_after == MAX_RETRY_AFTER_S
    tomorrow = formatdate(time.time() + 86400, usegmt=True)
    assert classify(429, {"Retry-After": tomorrow}).retry_after == MAX_RETRY_AFTER_S


def test_retry_after_is_a_floor_of_the_backoff():
    rng = random.Random(1)
    for attempt in range(1, 8):
        d = retry.backoff_delay(attempt, 4.0, rng)
        assert d >= 4.0
        assert d <= max(4.0 + 0.25, retry.BACKOFF_CAP_S)
    assert all(0 <= retry.backoff_delay(a, None, rng) <= retry.BACKOFF_CAP_S for a in range(1, 20))
