"""Writing study records cheaply.

Opening an article page and the heartbeats of active reading are buffered in memory and
written together, every half second, in one transaction: a burst of thousands of readers
opening an issue at 9:00 costs the pages a dict update each, not a database write each
(SQLite has one writer). Every write is idempotent — opens are INSERT … ON CONFLICT DO
NOTHING, heartbeats carry the view's running total and only ever raise it — so a flush
that is repeated, or two web processes writing the same reader, change nothing twice.
A crash loses at most the last half second of heartbeats; the 我已学习 confirmation is
written at once, before the reader is told it was recorded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from zhuanlan.store import UNAVAILABLE, Database
from zhuanlan.store import readings as store
from zhuanlan.store.readings import write_records

log = logging.getLogger(__name__)

MAX_VIEW_SECONDS = 4 * 3600     # one page view cannot count more than this
MAX_PENDING = 200_000           # beyond this, flush in the caller's thread (back-pressure)
MAX_TRIES = 3                   # flushes a refused record is tried in before it is dropped



@dataclass(frozen=True)
class Reader:
    """Who reads: a subscriber known by a signed link, or an anonymous browser."""
    key: str                      # "s:<id>" or "a:<random>"
    subscriber_id: int | None = None

    @classmethod
    def person(cls, subscriber_id: int) -> Reader:
        return cls(f"s:{subscriber_id}", subscriber_id)

    @classmethod
    def anonymous(cls, token: str) -> Reader:
        return cls(f"a:{token[:40]}", None)

    @property
    def known(self) -> bool:
        return self.subscriber_id is not None


class RecordBuffer:
    def __init__(self, db: Database, clock: Callable[[], datetime], *,
                 interval: float = 0.5) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self._lock = threading.Lock()
        self._opens: dict[tuple[str, int], tuple[int | None, int | None, datetime]] = {}
        self._beats: dict[str, tuple[str, int, int, datetime]] = {}
        self._tries: dict[tuple[str, object], int] = {}
        self.dropped = 0                 # records given up on (refused MAX_TRIES times)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what the pages call (memory only) ----------------------------------------------

    def opened(self, reader: Reader, article_id: int, issue_id: int | None = None) -> None:
        with self._lock:
            key = (reader.key, article_id)
            old = self._opens.get(key)
            self._opens[key] = (reader.subscriber_id, issue_id or (old[1] if old else None),
                                self.clock())
            full = len(self._opens) + len(self._beats) > MAX_PENDING
        if full:
            self.flush()

    def beat(self, reader: Reader, article_id: int, view_id: str, seconds: int) -> None:
        seconds = max(0, min(int(seconds), MAX_VIEW_SECONDS))
        now = self.clock()
        with self._lock:
            self._opens.setdefault((reader.key, article_id), (reader.subscriber_id, None, now))
            old = self._beats.get(view_id)
            if old is None or old[2] < seconds:
                self._beats[view_id] = (reader.key, article_id, seconds, now)
            full = len(self._opens) + len(self._beats) > MAX_PENDING
        if full:
            self.flush()

    def pending(self, reader: Reader, article_id: int) -> bool:
        """Whether something of this reader and article waits to be written (a heartbeat
        puts its reading in the opens too)."""
        with self._lock:
            return (reader.key, article_id) in self._opens

    # -- writing ---------------------------------------------------------------------

    def flush(self) -> int:
        """Write what is buffered; returns how many records it wrote.

        A database that cannot be reached keeps everything for the next try. A record
        the database refuses (an id that names nothing, a value out of range) must not
        hold the others back: the batch is halved until the refused records stand
        alone; each is tried again at the next flushes and dropped, logged once, after
        ``MAX_TRIES``."""
        with self._lock:
            opens, self._opens = self._opens, {}
            beats, self._beats = self._beats, {}
        if not opens and not beats:
            return 0
        return self._write_or_isolate(list(opens.items()), list(beats.items()))

    def _write_or_isolate(self, opens: list, beats: list) -> int:
        try:
            with self.db.write() as conn:
                write_records(conn, dict(opens), dict(beats))
        except UNAVAILABLE as exc:
            self._requeue(opens, beats)
            log.warning("study records: database unavailable; kept for the next try",
                        extra={"error": str(exc)[:200], "records": len(opens) + len(beats)})
            return 0
        except Exception as exc:  # noqa: BLE001 — refused data, isolated below
            if len(opens) + len(beats) == 1:
                self._refused(opens, beats, exc)
                return 0
            # Opens before beats: a beat needs its reading row.
            items = [("o", i) for i in opens] + [("b", i) for i in beats]
            half = len(items) // 2
            written = 0
            for part in (items[:half], items[half:]):
                written += self._write_or_isolate([i for k, i in part if k == "o"],
                                                  [i for k, i in part if k == "b"])
            return written
        for key, _ in opens:
            self._tries.pop(("o", key), None)
        for key, _ in beats:
            self._tries.pop(("b", key), None)
        return len(opens) + len(beats)

    def _requeue(self, opens: list, beats: list) -> None:
        # Newer entries (buffered since) win.
        with self._lock:
            for key, value in opens:
                self._opens.setdefault(key, value)
            for key, value in beats:
                if key not in self._beats or self._beats[key][2] < value[2]:
                    self._beats[key] = value

    def _refused(self, opens: list, beats: list, exc: Exception) -> None:
        kind, (key, value) = ("o", opens[0]) if opens else ("b", beats[0])
        tries = self._tries.get((kind, key), 0) + 1
        if tries < MAX_TRIES:
            self._tries[(kind, key)] = tries
            self._requeue(opens, beats)
            return
        self._tries.pop((kind, key), None)
        self.dropped += 1
        log.error("study records: a record the database refuses was dropped",
                  extra={"record": repr((key, value))[:200], "tries": tries,
                         "error": f"{type(exc).__name__}: {str(exc)[:200]}"})

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="study-records",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()


def confirm_studied(db: Database, reader: Reader, article_id: int, at: datetime,
                    issue_id: int | None = None) -> datetime:
    """Record 我已学习 now (not buffered): written before the reader is told it was.
    Returns when it was first confirmed."""
    with db.write() as conn:
        return store.confirm_studied(conn, reader.key, reader.subscriber_id, article_id, at,
                                     issue_id)


def reading_of(db: Database, reader: Reader, article_id: int) -> dict | None:
    """The reader's record of the article, or None."""
    with db.read() as conn:
        return store.reading_in(conn, reader.key, article_id)
