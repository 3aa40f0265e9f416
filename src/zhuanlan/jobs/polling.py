"""How often to poll a source: adapt to how often it publishes (pure).

A source that lists an item every ten minutes is polled every few minutes; one that
publishes once a day, a few times a day. The estimate comes from the dates of the
entries the source itself lists, smoothed against the current interval so that one odd
list does not swing it; without dates, new items shorten the interval and empty polls
lengthen it.
"""

from __future__ import annotations

import statistics
from datetime import datetime

# Poll about twice per typical gap between two items: an item waits half a gap on average.
POLLS_PER_GAP = 2.0
RECENT_KEPT = 10


def next_interval(current: int, *, new_items: int, entry_times: list[datetime | None],
                  min_minutes: int, max_minutes: int) -> int:
    times = sorted(t for t in entry_times if t is not None)
    gaps = [(b - a).total_seconds() / 60 for a, b in zip(times, times[1:]) if b > a]
    if len(gaps) >= 2:
        target = statistics.median(gaps) / POLLS_PER_GAP
    elif new_items > 0:
        target = current / 2
    else:
        target = current * 1.5
    smoothed = (current + target) / 2
    return int(max(min_minutes, min(max_minutes, round(smoothed))))


def push_count(recent: str, count: int) -> str:
    """Append ``count`` to the comma list of recent entry counts, keeping the last few."""
    values = [v for v in recent.split(",") if v] + [str(count)]
    return ",".join(values[-RECENT_KEPT:])


def parse_counts(recent: str) -> list[int]:
    return [int(v) for v in recent.split(",") if v.strip().isdigit()]
