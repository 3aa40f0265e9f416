"""Several SMTP connections sending side by side, with an optional rate limit.

Each connection is a thread with its own :class:`SmtpSender` (smtplib), reused for every
message it sends; the threads take jobs from one bounded queue. smtplib waits on the
socket with the GIL released, so a handful of threads keep a handful of SMTP
transactions in flight while Python builds the next messages.

What a job is, and what happens with its outcome, is the caller's business: ``prepare``
turns a job into an :class:`Outgoing` (or None to drop it unsent; its second argument
says whether the server takes 8BITMIME) and ``done`` receives
the outcome, both called in the sending thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from zhuanlan.channels.email import ConnectionFailed, Outgoing, SmtpSender
from zhuanlan.errors import DeliveryError

__all__ = ["SmtpPacer", "SmtpPool"]

log = logging.getLogger(__name__)

J = TypeVar("J")
_STOP = object()


class SmtpPacer:
    """At most ``rate`` calls of :meth:`wait` per second over all threads (0: no limit).
    Slots are handed out evenly spaced, so there is no burst at the start of a second.
    ``clock`` (monotonic seconds) and ``sleep`` are injectable so tests move time."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def wait(self) -> float:
        """Block until this caller's slot; returns the slot's time on the clock."""
        if not self.interval:
            return self._clock()
        with self._lock:
            now = self._clock()
            at = max(now, self._next)
            self._next = at + self.interval
        if at > now:
            self._sleep(at - now)
        return at


class SmtpPool(Generic[J]):
    """``connections`` threads sending jobs over their own SMTP connection::

        pool = SmtpPool(make_sender, prepare=..., done=..., connections=4)
        pool.start()
        for job in jobs:
            pool.submit(job)          # blocks while ``backlog`` jobs are waiting
        pool.close()                  # waits until every submitted job is done

    ``done(job, error)`` gets None for a message the server accepted, else the
    DeliveryError. Once a connection cannot be opened at all (:class:`ConnectionFailed`:
    server down, login refused) the pool is :attr:`broken`: the jobs still waiting get
    the same error without a try, and the caller should stop submitting.
    """

    def __init__(self, make_sender: Callable[[], SmtpSender], *,
                 prepare: Callable[[J, bool], Outgoing | None],
                 done: Callable[[J, DeliveryError | None], None],
                 connections: int = 4, rate_per_second: float = 0.0,
                 backlog: int | None = None) -> None:
        if connections < 1:
            raise ValueError("connections must be at least 1")
        self.make_sender = make_sender
        self.prepare = prepare
        self.done = done
        self.connections = connections
        self.limiter = SmtpPacer(rate_per_second)
        self._queue: queue.Queue = queue.Queue(maxsize=backlog or 4 * connections)
        self._threads: list[threading.Thread] = []
        self.broken: ConnectionFailed | None = None
        self.sent = 0
        self.failed = 0
        self._count_lock = threading.Lock()

    def start(self) -> SmtpPool[J]:
        for i in range(self.connections):
            t = threading.Thread(target=self._run, name=f"zhuanlan-smtp-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def submit(self, job: J) -> None:
        self._queue.put(job)

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(_STOP)
        for t in self._threads:
            t.join()
        self._threads.clear()

    def __enter__(self) -> SmtpPool[J]:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        sender = self.make_sender()
        try:
            while True:
                job = self._queue.get()
                if job is _STOP:
                    return
                self._one(sender, job)
        finally:
            sender.close()

    def _one(self, sender: SmtpSender, job: J) -> None:
        if self.broken is not None:
            self._finish(job, self.broken)
            return
        try:
            sender.connect()
            out = self.prepare(job, sender.supports_8bitmime)
            if out is None:
                return
            self.limiter.wait()
            sender.send_raw(out)
        except ConnectionFailed as exc:
            self.broken = exc
            self._finish(job, exc)
        except DeliveryError as exc:
            self._finish(job, exc)
        except Exception as exc:
            log.exception("sending a message crashed")
            self._finish(job, DeliveryError(f"发送时出错：{type(exc).__name__}: {exc}"))
        else:
            self._finish(job, None)

    def _finish(self, job: J, error: DeliveryError | None) -> None:
        with self._count_lock:
            if error is None:
                self.sent += 1
            else:
                self.failed += 1
        self.done(job, error)
