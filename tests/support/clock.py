"""The one fake clock of the test suite.

zhuanlan takes its time from an injected clock everywhere it waits or stamps: the facade
(``make_zl(clock=...)``, a callable returning an aware ``datetime``), the rate limiters and
the SMTP pacer (a callable returning monotonic seconds, with a ``sleep``), the robots cache.
``FakeClock`` serves both shapes, so a test moves time instead of waiting for it, and
asserts on what was asked to wait (``slept``) rather than on the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)   # a Monday, 09:00 in Beijing


class FakeClock:
    """``FakeClock()`` tells datetimes from :data:`T0`; ``FakeClock(1000.0)`` tells seconds.

    ``now`` may be assigned or incremented directly; ``advance`` takes seconds or the
    keywords of ``timedelta``; ``sleep`` moves time forward and records the pause."""

    def __init__(self, start: datetime | float = T0) -> None:
        self.now: datetime | float = start
        self.slept: list[float] = []

    def __call__(self):
        return self.now

    def advance(self, seconds: float = 0.0, **delta: float) -> None:
        if isinstance(self.now, datetime):
            self.now = self.now + timedelta(seconds=seconds, **delta)
        else:
            self.now = self.now + seconds + timedelta(**delta).total_seconds()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)
