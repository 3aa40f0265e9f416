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

from zhuanlan.store import Database
from zhuanlan.store.schema import reading_views, readings
from zhuanlan.store.upsert import insert_ignore

log = logging.getLogger(__name__)

MAX_VIEW_SECONDS = 4 * 3600     # one page view cannot count more than this
MAX_PENDING = 200_000           # beyond this, flush in the caller's thread (back-pressure)


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
        """Write what is buffered; returns how many records it touched."""
        with self._lock:
            opens, self._opens = self._opens, {}
            beats, self._beats = self._beats, {}
        if not opens and not beats:
            return 0
        try:
            with self.db.write() as conn:
                _write(conn, opens, beats)
        except Exception:
            # Put them back (newer entries win) so that a database hiccup loses nothing.
            with self._lock:
                for key, value in opens.items():
                    self._opens.setdefault(key, value)
                for key, value in beats.items():
                    if key not in self._beats or self._beats[key][2] < value[2]:
                        self._beats[key] = value
            log.exception("study records: flush failed; kept for the next try")
            return 0
        return len(opens) + len(beats)

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
