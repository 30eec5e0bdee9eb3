"""`aligned status`'s live part: rate and ETA per model from the answers of the last minute."""
from __future__ import annotations

from datetime import datetime, timedelta

from aligned.overview import RATE_WINDOW_S, _eta, live_rows


def test_rate_and_eta_from_the_recent_answers():
    now = datetime(2026, 1, 1, 12, 0, 0)
    rows = [("s", "m", "t1", 1000, 300, 10, 690), ("s", "m", "t2", 1000, 200, 0, 800),
            ("s", "other", "t1", 10, 10, 0, 0)]
    recent = [("s", "m", 118, 120, now - timedelta(seconds=2))]  # 120 done in the window
    old_run = [("r1", "s", now - timedelta(hours=1), "h", 1, "{}")]
    [row] = live_rows(rows, recent, old_run, now)
    assert (row["planned"], row["ok"], row["pending"]) == (2000, 500, 1490)
    assert row["rate_per_min"] == 120 / RATE_WINDOW_S * 60
    assert row["eta_s"] == 1490 / (120 / RATE_WINDOW_S)
    assert row["last_answer_s"] == 2
    # a run younger than the window: the rate is over its age, not the whole window
    young = [("r2", "s", now - timedelta(seconds=15), "h", 1, "{}")]
    [row] = live_rows(rows, recent, young, now)
    assert row["rate_per_min"] == 120 / 15 * 60
    assert _eta(3725) == "1h02m" and _eta(65) == "1m05s" and _eta(None) == "-"
