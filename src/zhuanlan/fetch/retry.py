"""When a failed fetch is tried again, and after how long.

Only failures that another attempt may cure are retried: the total deadline passing,
a refused or broken connection, a server that broke HTTP, 5xx, 408 and 429. Never a 4xx
otherwise (a 404 stays a 404), an SSRF refusal, a body too large, a bad scheme or URL,
a robots.txt refusal.

The pause is ``zhuanlan.backoff`` with full jitter. A server's ``Retry-After`` (seconds
or an HTTP date, ``zhuanlan.backoff.parse_retry_after``) replaces the draw; one asking for
more than the cap is not waited for: the fetch gives up with a temporary error whose
``retry_after`` says when to come back, so the poll scheduler can honour it.
"""

from __future__ import annotations

import random

from zhuanlan.backoff import backoff_seconds, parse_retry_after
from zhuanlan.errors import FetchError

__all__ = ["backoff_delay", "is_retryable", "parse_retry_after", "retry_after_of",
           "retry_delay", "with_retry_after"]

RETRYABLE_REASONS = frozenset({"timeout", "connect", "protocol"})
RETRYABLE_STATUS = frozenset({408, 429})


def retry_after_of(exc: FetchError) -> float | None:
    """The ``retry_after`` seconds a FetchError carries, if any (see ``with_retry_after``)."""
    return getattr(exc, "retry_after", None)


def with_retry_after(exc: FetchError, seconds: float | None) -> FetchError:
    """Attach ``retry_after`` (seconds) to ``exc``; returns it.

    An attribute set here because ``FetchError`` itself has no such field yet (proposed
    to the owner of errors.py); read it with ``retry_after_of``.
    """
    exc.retry_after = seconds
    return exc


def is_retryable(exc: FetchError) -> bool:
    """Whether trying ``exc``'s request again at once (after a pause) may succeed."""
    if exc.reason == "http_status":
        status = exc.status or 0
        return status >= 500 or status in RETRYABLE_STATUS
    return exc.temporary and exc.reason in RETRYABLE_REASONS


def backoff_delay(attempt: int, *, base: float, cap: float,
                  rng: random.Random | None = None) -> float:
    """Full-jitter pause before retry number ``attempt + 1`` (``attempt`` from 0)."""
    return backoff_seconds(attempt, base=base, cap=cap, jitter="full", rng=rng)


def retry_delay(exc: FetchError, attempt: int, *, base: float, cap: float,
                rng: random.Random | None = None) -> float | None:
    """Seconds to wait before trying again after ``exc``, or None to give up now.

    Gives up on failures that are not retryable and on a ``Retry-After`` beyond ``cap``
    (the error keeps its ``retry_after`` for the caller).
    """
    if not is_retryable(exc):
        return None
    asked = retry_after_of(exc)
    if asked is not None:
        return asked if asked <= cap else None
    return backoff_delay(attempt, base=base, cap=cap, rng=rng)
