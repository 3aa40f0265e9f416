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
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import bindparam, case, func, select, tuple_, update
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from zhuanlan.errors import StorageError
from zhuanlan.store import Database
from zhuanlan.store.schema import reading_views, readings
from zhuanlan.store.upsert import insert_ignore

log = logging.getLogger(__name__)

MAX_VIEW_SECONDS = 4 * 3600     # one page view cannot count more than this
MAX_PENDING = 200_000           # beyond this, flush in the caller's thread (back-pressure)
MAX_TRIES = 3                   # flushes a refused record is tried in before it is dropped

# Errors that say the database could not be reached or was busy, not that it refused
# the data: everything is kept for the next flush.
UNAVAILABLE = (StorageError, OperationalError, InterfaceError, DisconnectionError,
               SATimeoutError)


@dataclass(frozen=True)
class Reader:
    """Who reads: a subscriber known by a signed link, or an anonymous browser."""
    key: str                      # "s:<id>" or "a:<random>"
    subscriber_id: int | None = None

    @classmethod
    def person(cls, subscriber_id: int) -> "Reader":
        return cls(f"s:{subscriber_id}", subscriber_id)

    @classmethod
    def anonymous(cls, token: str) -> "Reader":
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
                _write(conn, dict(opens), dict(beats))
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


def _write(conn, opens: dict, beats: dict) -> None:  # noqa: ANN001
    rows = [{"reader": reader, "article_id": article_id, "subscriber_id": sub,
             "issue_id": issue, "opened_at": at, "last_seen_at": at, "active_seconds": 0}
            for (reader, article_id), (sub, issue, at) in opens.items()]
    for chunk in _chunks(rows, 500):
        insert_ignore(conn, readings, chunk, ["reader", "article_id"])
    conn.execute(
        update(readings)
        .where(readings.c.reader == bindparam("r"), readings.c.article_id == bindparam("a"))
        .values(last_seen_at=bindparam("at"),
                issue_id=func.coalesce(readings.c.issue_id, bindparam("i"))),
        [{"r": r, "a": a, "at": at, "i": issue} for (r, a), (_, issue, at) in opens.items()])
    if not beats:
        return
    keys = {(reader, article_id) for reader, article_id, _, _ in beats.values()}
    ids: dict[tuple[str, int], int] = {}
    for chunk in _chunks(sorted(keys), 400):
        for rid, reader, article_id in conn.execute(
                select(readings.c.id, readings.c.reader, readings.c.article_id)
                .where(tuple_(readings.c.reader, readings.c.article_id).in_(chunk))):
            ids[(reader, article_id)] = rid
    views = [{"view_id": view, "reading_id": ids[(reader, article_id)], "seconds": 0,
              "started_at": at}
             for view, (reader, article_id, _, at) in beats.items()
             if (reader, article_id) in ids]
    for chunk in _chunks(views, 500):
        insert_ignore(conn, reading_views, chunk, ["view_id"])
    conn.execute(
        update(reading_views).where(reading_views.c.view_id == bindparam("v"))
        .values(seconds=case((reading_views.c.seconds < bindparam("s"), bindparam("s")),
                             else_=reading_views.c.seconds)),
        [{"v": view, "s": seconds} for view, (_, _, seconds, _) in beats.items()])
    total = (select(func.coalesce(func.sum(reading_views.c.seconds), 0))
             .where(reading_views.c.reading_id == readings.c.id).scalar_subquery())
    touched = sorted({ids[(r, a)] for r, a, _, _ in beats.values() if (r, a) in ids})
    for chunk in _chunks(touched, 500):
        conn.execute(update(readings).where(readings.c.id.in_(chunk))
                     .values(active_seconds=total))


def _chunks(items: list, size: int):  # noqa: ANN202
    for i in range(0, len(items), size):
        yield items[i:i + size]


def confirm_studied(db: Database, reader: Reader, article_id: int, at: datetime,
                    issue_id: int | None = None) -> datetime:
    """Record 我已学习 now (not buffered). Returns when it was first confirmed: confirming
    again keeps the first time."""
    with db.write() as conn:
        insert_ignore(conn, readings, [{
            "reader": reader.key, "article_id": article_id, "subscriber_id": reader.subscriber_id,
            "issue_id": issue_id, "opened_at": at, "last_seen_at": at, "active_seconds": 0,
        }], ["reader", "article_id"])
        conn.execute(update(readings).where(readings.c.reader == reader.key,
                                            readings.c.article_id == article_id,
                                            readings.c.studied_at.is_(None))
                     .values(studied_at=at))
        return conn.execute(select(readings.c.studied_at).where(
            readings.c.reader == reader.key, readings.c.article_id == article_id)).scalar_one()


def reading_of(db: Database, reader: Reader, article_id: int) -> dict | None:
    with db.read() as conn:
        return reading_in(conn, reader, article_id)


def reading_in(conn, reader: Reader, article_id: int) -> dict | None:  # noqa: ANN001
    """The reader's record of the article, read on an open connection."""
    row = conn.execute(select(readings).where(
        readings.c.reader == reader.key, readings.c.article_id == article_id)).mappings().first()
    return dict(row) if row else None
