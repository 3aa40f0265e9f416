"""When to try again: exponential backoff with jitter, and a server's ``Retry-After``.

One rule for every retry zhuanlan makes: ``base · 2^attempt``, capped, and jittered so
that many failures do not come back in the same second. Two kinds of jitter, named for
where they serve:

* ``"full"`` — a uniform draw in ``[0, ceiling)`` (AWS Architecture Blog, "Exponential
  Backoff And Jitter", 2015: it spreads the retries of many clients best for the least
  total wait): for a fetch retried at once in the process;
* ``"equal"`` — in ``[ceiling/2, ceiling]``: for rows of the store retried later (a page,
  a delivery, a source), so that a failing row never comes back at once.

A server's ``Retry-After`` (delta-seconds or an HTTP date, RFC 9110 §10.2.3) is read by
:func:`parse_retry_after`, and callers wait at least that long.
"""

from __future__ import annotations

import email.utils
import random
import time
from datetime import UTC, timedelta
from typing import Literal


def backoff_seconds(attempt: int, *, base: float, cap: float,
                    jitter: Literal["full", "equal"] = "full",
                    rng: random.Random | None = None) -> float:
    """The pause before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
    ceiling = min(cap, base * (2 ** min(max(attempt, 0), 62)))
    low = 0.0 if jitter == "full" else ceiling / 2
    return (rng or random).uniform(low, ceiling)


def retry_in(attempts: int, *, base: float, cap: float,
             retry_after: float | None = None) -> timedelta:
    """When a stored row that failed ``attempts`` times (from 1) is tried again: equal
    jitter, and never sooner than the server's ``retry_after`` seconds."""
    wait = backoff_seconds(attempts - 1, base=base, cap=cap, jitter="equal")
    return timedelta(seconds=max(wait, retry_after or 0.0))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value, or None if absent or
    unreadable. A date in the past gives 0. ``now`` is a ``time.time()`` value."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:   # an HTTP date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
