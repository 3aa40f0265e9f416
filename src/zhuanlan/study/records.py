"""Writing study records cheaply.

Opening an article page and the heartbeats of active reading are buffered in memory and
written together, every half second, in one transaction (a backlog in parts): a burst of
thousands of readers opening an issue at 9:00 costs the pages a dict update and one
journal line each, not a database write each (SQLite has one writer). Every write is
idempotent — an open makes the reading or only moves the time it was last seen forward,
heartbeats carry the view's running total and only ever raise it — so a flush that is
repeated, or several web processes writing the same reader, change nothing twice.

Nothing answered is lost when a process dies: each record is in the process's journal
(``study.journal``) before the reader is answered, and the journal of a dead process is
adopted by another one (or by its replacement) and written.

我已学习 is a group commit. A transaction of its own per confirmation cost ~20 ms of CPU
and serialised every web process on the one writer; instead the confirmation joins the
buffer and the flusher, woken by it, writes the opens and heartbeats of the confirmed
views first, so a confirmation is judged on the reading time that came with it, and then
the confirmations with their checks, in one transaction, ``GROUP_WINDOW`` after the first
one came (the other readers' records wait for the half-second flush, which carries the
confirmations of its moment too). No fixed wait beyond that: the confirmations that arrive while a flush
writes go in the next one, which starts as soon as it is done, so under load the flush's
own duration gathers the batch and a lone confirmation is not held up. The checks and
the writes of a batch's confirmations are a few statements whatever their number (0.05 ms
of CPU each, against 0.6 ms for a transaction of one). The app's handler awaits the
flush that carries its confirmation (no thread blocked): the reader is told once it is
stored, or of the error. The reader lane, which checks a reader's confirmation from
memory as the commit will, does not wait for the commit (it was the slowest answer of
the burst: bench/reader.py): a kept confirmation (``keep_confirmation``) is journaled
like an open before the reader is answered, written with the half-second flush as an
open is (nobody waits for it), adopted with the journal if the process dies, kept
through a database that is away, and shown by ``/read/state`` until it is stored
(``unwritten``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from zhuanlan.errors import NotFoundError
from zhuanlan.store import UNAVAILABLE, Database, visibility
from zhuanlan.store import readings as store
from zhuanlan.store.readings import write_records
from zhuanlan.study.journal import Journal

log = logging.getLogger(__name__)

MAX_VIEW_SECONDS = 4 * 3600     # one page view cannot count more than this
MAX_PENDING = 200_000           # beyond this, flush in the caller's thread (back-pressure)
MAX_TRIES = 3                   # flushes a refused record is tried in before it is dropped
FLUSH_CHUNK = 20_000            # readings whose records one transaction of a flush writes
GROUP_WINDOW = 0.005            # a confirmation waits this long for others to share its commit
ORPHAN_SCAN_SECONDS = 5.0       # how often a stopped process's journal is looked for


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


@dataclass
class _Confirmation:
    reader: Reader
    article_id: int
    issue_id: int | None
    staff: bool
    at: datetime
    # Answered before it was written (journaled like an open): retried while the database
    # is away instead of failed, a refusal logged, since nobody waits to be told.
    kept: bool = False
    done: Future = field(default_factory=Future)     # when first confirmed, or the error

    def settle(self, outcome: datetime | Exception) -> None:
        try:
            if isinstance(outcome, Exception):
                self.done.set_exception(outcome)
            else:
                self.done.set_result(outcome)
        except InvalidStateError:
            pass        # the reader went away (the handler's wait was cancelled): kept all the same


class RecordBuffer:
    def __init__(self, db: Database, clock: Callable[[], datetime], *,
                 interval: float = 0.5, journal_dir: Path | None = None) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self.journal_dir = journal_dir
        self._journal: Journal | None = None
        self._lock = threading.Lock()
        self._flushing = threading.Lock()         # one flush at a time (journal rotation)
        self._opens: dict[tuple[str, int], tuple[int | None, int | None, datetime]] = {}
        self._beats: dict[str, tuple[str, int, int, datetime]] = {}
        # The views of each reading in ``_beats``: a confirmation takes its reading's
        # records without going through the whole buffer, which under the lock stopped
        # the pages' own records (bench/reader.py: 50,000 buffered readings after a
        # minute of 8,000 heartbeats/s, one pass per confirmation batch).
        self._views_of: dict[tuple[str, int], list[str]] = {}
        self._confirms: list[_Confirmation] = []
        self._unwritten: dict[tuple[str, int], _Confirmation] = {}   # kept, not yet stored
        self._tries: dict[tuple[str, object], int] = {}
        self._requeued = False
        self._away = False                       # the database could not be reached
        self._taken = _Taken({}, {}, {})             # a full flush's records not written yet
        self.dropped = 0                 # records given up on (refused MAX_TRIES times)
        self._stopping = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the flusher thread writes the buffer (else callers flush)."""
        return self._thread is not None

    # -- what the pages call (memory and one journal line) -------------------------------

    def opened(self, reader: Reader, article_id: int, issue_id: int | None = None) -> None:
        at = self.clock()
        with self._lock:
            self._journal_append(["o", reader.key, reader.subscriber_id, article_id, issue_id,
                                  at.isoformat()])
            self._open(reader.key, reader.subscriber_id, article_id, issue_id, at)
            full = len(self._opens) + len(self._beats) > MAX_PENDING
        if full:
            self.flush()

    def beat(self, reader: Reader, article_id: int, view_id: str, seconds: int) -> None:
        seconds = max(0, min(int(seconds), MAX_VIEW_SECONDS))
        at = self.clock()
        with self._lock:
            self._journal_append(["b", reader.key, reader.subscriber_id, article_id, view_id,
                                  seconds, at.isoformat()])
            self._beat(reader.key, reader.subscriber_id, article_id, view_id, seconds, at)
            full = len(self._opens) + len(self._beats) > MAX_PENDING
        if full:
            self.flush()

    def _journal_append(self, record: list) -> None:
        if self._journal is not None:
            self._journal.append(record)

    def _open(self, key: str, sub: int | None, article_id: int, issue_id: int | None,
              at: datetime) -> None:
        old = self._opens.get((key, article_id))
        self._opens[(key, article_id)] = (sub, issue_id or (old[1] if old else None), at)

    def _beat(self, key: str, sub: int | None, article_id: int, view_id: str, seconds: int,
              at: datetime) -> None:
        self._opens.setdefault((key, article_id), (sub, None, at))
        self._put_beat(view_id, (key, article_id, seconds, at))

    def _put_beat(self, view_id: str, value: tuple[str, int, int, datetime]) -> None:
        """Keep the view's highest total (with the lock held)."""
        old = self._beats.get(view_id)
        if old is not None and old[2] >= value[2]:
            return
        self._beats[view_id] = value
        if old is None or old[:2] != value[:2]:
            # A view names one reading; a client that sends it for another moves it.
            if old is not None:
                self._views_of.get(old[:2], []).remove(view_id)
            self._views_of.setdefault(value[:2], []).append(view_id)

    def pending(self, reader: Reader, article_id: int) -> bool:
        """Whether something of this reader and article waits to be written (a heartbeat
        puts its reading in the opens too; a kept confirmation its reading time)."""
        key = (reader.key, article_id)
        with self._lock:
            return key in self._opens or key in self._unwritten

    def unwritten(self, reader: Reader, article_id: int) -> _Confirmation | None:
        """The reader's kept 我已学习 of the article that is not in the store yet."""
        # Without the lock (one dict lookup is atomic): every /read/state asks, on the
        # event loop, and the flusher holds the lock while it takes the buffer.
        return self._unwritten.get((reader.key, article_id)) if self._unwritten else None

    # -- 我已学习: a group commit ---------------------------------------------------------

    def confirm(self, reader: Reader, article_id: int, *, issue_id: int | None,
                staff: bool) -> Future:
        """Add 我已学习 to the next flush, which comes within ``GROUP_WINDOW`` when the
        flusher runs. The future is done once the flush carrying it has committed: with
        when it was first confirmed, or with the error (NotFoundError: an article the
        visitor cannot read or an issue without it; the database's error). Heartbeats
        buffered before it are written first, in the same transaction, so it is judged
        on the reading time that came with it."""
        item = _Confirmation(reader, article_id, issue_id, staff, self.clock())
        with self._lock:
            self._confirms.append(item)
        self._wake.set()
        return item.done

    def keep_confirmation(self, reader: Reader, article_id: int, *,
                          issue_id: int | None) -> datetime:
        """:meth:`confirm` for a reader answered at once, as an open is: the confirmation
        is in the journal when this returns (adopted by another process if this one
        dies), kept and retried while the database is away, and :meth:`unwritten` until
        it is stored. For a reader's confirmation the caller has checked as the commit
        will (the article published, the issue carrying it); one refused all the same
        is logged and counted in ``dropped``. Returns its time.

        Nobody waits for it: it goes with the next full flush (within ``interval``), not
        in a commit of its own ``GROUP_WINDOW`` later — at the 9:00 burst the writer
        thread, busy with those small commits, was over a quarter of a web process's
        CPU (py-spy, bench/reader.py). A reader
        whose state needs it stored (``Reading.reader_state``: too quick for the
        column's minimum) calls :meth:`hurry`."""
        item = _Confirmation(reader, article_id, issue_id, False, self.clock(), kept=True)
        with self._lock:
            self._journal_append(["c", reader.key, reader.subscriber_id, article_id, issue_id,
                                  item.at.isoformat()])
            self._keep(item)
        return item.at

    def hurry(self) -> None:
        """Write the confirmations now (within ``GROUP_WINDOW``), kept ones included."""
        self._wake.set()

    def _keep(self, item: _Confirmation) -> None:
        self._confirms.append(item)
        old = self._unwritten.get((item.reader.key, item.article_id))
        if old is None or old.at > item.at:
            self._unwritten[(item.reader.key, item.article_id)] = item

    def confirm_now(self, reader: Reader, article_id: int, *, issue_id: int | None,
                    staff: bool) -> datetime:
        """:meth:`confirm` and wait for it (flushing here when no flusher runs)."""
        done = self.confirm(reader, article_id, issue_id=issue_id, staff=staff)
        if not self.running:
            self.flush()
        return done.result()

    # -- writing ---------------------------------------------------------------------

    def flush(self) -> int:
        """Write what is buffered; returns how many records it wrote.

        In transactions of at most ``FLUSH_CHUNK`` readings' records, and before each
        the confirmations that came meanwhile (with their own records, wherever they
        wait): a backlog (the database away for a while, or a load the flushers cannot
        keep up with) is not written in one transaction that holds SQLite's writer, and
        我已学习, for many seconds. Smaller parts cost throughput: with 200 or 2,000
        readings the two processes' flushers took turns on SQLite's writer at every part
        and fell behind (bench/reader.py). Every write is idempotent and only ever
        raises the reading time, so the order of the parts changes nothing.

        A database that cannot be reached keeps the opens and heartbeats for the next
        try (a waiting confirmation gets the error). A record the database refuses (an
        id that names nothing, a value out of range) must not hold the others back: the
        batch is halved until the refused records stand alone; each is tried again at
        the next flushes and dropped, logged once, after ``MAX_TRIES``."""
        with self._flushing:
            with self._lock:
                taken = _Taken(self._opens, self._beats, self._views_of)
                self._opens, self._beats, self._views_of = {}, {}, {}
                # Also when only confirmations took this file's records (written since,
                # the buffer empty): the file goes once they are all in the store, not
                # at the next reader's record.
                journal = self._journal
                # Nothing taken and nothing in its file: no new file, but files rotated
                # before are settled below all the same once nothing is requeued (a
                # kept confirmation retried after the database was away).
                if journal is not None and (taken.had_records or journal.holds_records):
                    try:
                        journal.rotate()
                    except OSError:
                        # The records stay in the current file: replayed, harmlessly, only
                        # if this process dies. Never hold a waiting confirmation back.
                        log.exception("study records: the journal could not be rotated")
            self._requeued = self._away = False
            self._taken = taken
            written = 0
            try:
                while True:
                    written += self._confirmations_now()       # a reader waits for these
                    part = taken.next_part(FLUSH_CHUNK)
                    if part is None:
                        break
                    if self._away:             # the database is away: keep the rest too
                        self._requeue(*part)
                    else:
                        written += self._write_or_isolate(*part, [])
            finally:
                self._taken = _Taken({}, {}, {})
            if journal is not None and not self._requeued:
                journal.settled()
            return written

    def flush_confirmations(self) -> int:
        """Write the waiting confirmations with only their own views' opens and
        heartbeats; the rest of the buffer waits for the next full flush. Measured at
        the 9:00 burst: a confirmation that carried everything buffered waited for the
        whole half second of other readers' heartbeats (p99 ~1 s on SQLite). The records
        taken stay in the journal until a full flush settles it (written twice at worst,
        which changes nothing)."""
        with self._flushing:
            self._away = False
            return self._confirmations_now()

    def _confirmations_now(self) -> int:
        """``flush_confirmations`` with the flush lock held: a confirmation's records
        are taken from the buffer and from the part of a full flush not written yet."""
        with self._lock:
            if self._away:
                return 0       # kept ones wait for the next flush; nobody else waits here
            confirms, self._confirms = self._confirms, []
            if not confirms:
                return 0
            wanted = {(c.reader.key, c.article_id) for c in confirms}
            opens = {k: self._opens.pop(k) for k in wanted if k in self._opens}
            beats = {view: self._beats.pop(view)
                     for k in wanted for view in self._views_of.pop(k, ())}
        self._taken.give(wanted, opens, beats)
        return self._write_or_isolate(list(opens.items()), list(beats.items()), confirms)

    def _write_or_isolate(self, opens: list, beats: list, confirms: list) -> int:
        try:
            with self.db.write() as conn:
                write_records(conn, dict(opens), dict(beats))
                outcomes = _confirm_all(conn, confirms)
        except UNAVAILABLE as exc:
            self._away = True
            self._requeue(opens, beats)
            with self._lock:
                # The kept ones first, in their order: the journal still holds them.
                self._confirms[:0] = [c for c in confirms if c.kept]
                self._requeued = self._requeued or any(c.kept for c in confirms)
            for c in confirms:
                if not c.kept:
                    c.settle(exc)
            log.warning("study records: database unavailable; kept for the next try",
                        extra={"error": str(exc)[:200], "records": len(opens) + len(beats)})
            return 0
        except Exception as exc:  # noqa: BLE001 — refused data, isolated below
            if len(opens) + len(beats) + len(confirms) == 1:
                if confirms:
                    self._settle(confirms[0], exc)
                else:
                    self._refused(opens, beats, exc)
                return 0
            # Opens before beats before confirmations: a beat needs its reading row, and
            # a confirmation is judged on the reading time.
            items = ([("o", i) for i in opens] + [("b", i) for i in beats]
                     + [("c", i) for i in confirms])
            half = len(items) // 2
            written = 0
            for part in (items[:half], items[half:]):
                written += self._write_or_isolate([i for k, i in part if k == "o"],
                                                  [i for k, i in part if k == "b"],
                                                  [i for k, i in part if k == "c"])
            return written
        for c, outcome in zip(confirms, outcomes, strict=True):
            self._settle(c, outcome)
        for key, _ in opens:
            self._tries.pop(("o", key), None)
        for key, _ in beats:
            self._tries.pop(("b", key), None)
        return len(opens) + len(beats) + len(confirms)

    def _settle(self, c: _Confirmation, outcome: datetime | Exception) -> None:
        if c.kept:
            with self._lock:
                if self._unwritten.get((c.reader.key, c.article_id)) is c:
                    del self._unwritten[(c.reader.key, c.article_id)]
            if isinstance(outcome, Exception):
                self.dropped += 1
                log.error("study records: a confirmation already answered was refused",
                          extra={"reader": c.reader.key, "article": c.article_id,
                                 "issue": c.issue_id,
                                 "error": f"{type(outcome).__name__}: {str(outcome)[:200]}"})
        c.settle(outcome)

    def _requeue(self, opens: list, beats: list) -> None:
        # Newer entries (buffered since) win.
        with self._lock:
            self._requeued = True
            for key, value in opens:
                self._opens.setdefault(key, value)
            for view, value in beats:
                self._put_beat(view, value)

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

    # -- the journal of orphans ------------------------------------------------------

    def _adopt(self, record: list) -> None:
        """One record of a stopped process's journal, into this buffer and journal."""
        try:
            if record[0] == "o":
                _, key, sub, article_id, issue_id, at = record
                with self._lock:
                    self._journal_append(record)
                    self._open(str(key), sub, int(article_id), issue_id,
                               datetime.fromisoformat(at))
            elif record[0] == "b":
                _, key, sub, article_id, view_id, seconds, at = record
                with self._lock:
                    self._journal_append(record)
                    self._beat(str(key), sub, int(article_id), str(view_id), int(seconds),
                               datetime.fromisoformat(at))
            elif record[0] == "c":
                _, key, sub, article_id, issue_id, at = record
                item = _Confirmation(Reader(str(key), sub), int(article_id), issue_id, False,
                                     datetime.fromisoformat(at), kept=True)
                with self._lock:
                    self._journal_append(record)
                    self._keep(item)
                self._wake.set()
        except (ValueError, TypeError):
            log.error("study records: an unreadable journal record was skipped",
                      extra={"record": repr(record)[:200]})

    def adopt_orphans(self) -> int:
        """Take over the journals of processes that died (see ``study.journal``)."""
        if self._journal is None:
            return 0
        return self._journal.adopt_orphans(self._adopt)

    # -- the flusher -----------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            if self.journal_dir is not None and self._journal is None:
                self._journal = Journal(self.journal_dir)
                self.adopt_orphans()
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="study-records",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping = True
            self._wake.set()
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
        if self._journal is not None:
            with self._lock:
                empty = not self._opens and not self._beats and not self._confirms
            self._journal.close(settled=empty and not self._requeued)
            self._journal = None

    def _run(self) -> None:
        last_full = last_scan = time.monotonic()
        while not self._stopping:
            woken = self._wake.wait(max(0.0, last_full + self.interval - time.monotonic()))
            if woken:
                # A confirmation waits: let the others of this moment join it.
                time.sleep(GROUP_WINDOW)
            self._wake.clear()
            try:
                if woken:
                    # Before the others' records when both are due: a reader waits for
                    # this one, nobody for those (bench/reader.py: 我已学习 waited behind
                    # the half-second flush of its own process).
                    self.flush_confirmations()
                if time.monotonic() - last_full >= self.interval:
                    self.flush()
                    last_full = time.monotonic()
                now = time.monotonic()
                if now - last_scan >= ORPHAN_SCAN_SECONDS:
                    last_scan = now
                    self.adopt_orphans()
            except Exception:     # the flusher must outlive any one failure
                log.exception("study records: flush failed")
                time.sleep(self.interval)


class _Taken:
    """The opens and heartbeats a full flush took, handed out in parts of whole
    readings (a heartbeat's view row needs its reading's row, written first or with
    it)."""

    def __init__(self, opens: dict, beats: dict, views: dict) -> None:
        self.opens, self.beats, self._views = opens, beats, views
        self.had_records = bool(opens or beats)
        self._order: Iterator[tuple[str, int]] | None = None    # made outside the lock

    def give(self, wanted: set, opens: dict, beats: dict) -> None:
        """Move the records of the ``wanted`` readings into ``opens`` and ``beats`` (a
        confirmation's, taken from the buffer): newer values there win, the earlier
        open keeps its time."""
        for key in wanted:
            old = self.opens.pop(key, None)
            if old is not None:
                new = opens.get(key)
                opens[key] = old if new is None else (old[0], old[1] or new[1], old[2])
            for view in self._views.pop(key, ()):
                b = self.beats.pop(view, None)
                if b is not None and (view not in beats or beats[view][2] < b[2]):
                    beats[view] = b

    def next_part(self, readings: int) -> tuple[list, list] | None:
        """The records of up to ``readings`` readings, or None when none are left."""
        opens, beats = [], []
        if self._order is None:
            self._order = iter(list(self.opens))
        for key in self._order:
            value = self.opens.pop(key, None)
            if value is None:
                continue                    # a confirmation took it
            opens.append((key, value))
            beats += [(v, self.beats.pop(v)) for v in self._views.pop(key, ())
                      if v in self.beats]
            if len(opens) >= readings:
                break
        if not opens:
            # Heartbeats whose reading was written before (a requeued part): all at once.
            beats, self.beats = list(self.beats.items()), {}
            self._views = {}
        return (opens, beats) if opens or beats else None


def _confirm_all(conn, confirms: list[_Confirmation]) -> list[datetime | Exception]:
    """The confirmations inside the flush's transaction, after the same checks as the
    article page, in a few statements whatever their number; a failed check is that
    confirmation's outcome, not the batch's."""
    if not confirms:
        return []
    visible = {staff: visibility.visible_articles(
        conn, [c.article_id for c in confirms if c.staff == staff], staff=staff)
        for staff in {c.staff for c in confirms}}
    carried = visibility.carried(conn, [(c.issue_id, c.article_id) for c in confirms
                                        if c.issue_id is not None])
    refused: dict[int, Exception] = {}
    for n, c in enumerate(confirms):
        if c.article_id not in visible[c.staff]:
            refused[n] = NotFoundError("没有这篇文章", resource=f"article {c.article_id}")
        elif c.issue_id is not None and (c.issue_id, c.article_id) not in carried:
            refused[n] = NotFoundError("这一期没有这篇文章", resource=f"issue {c.issue_id}")
    studied = store.confirm_many(conn, [
        (c.reader.key, c.reader.subscriber_id, c.article_id, c.at, c.issue_id)
        for n, c in enumerate(confirms) if n not in refused])
    return [refused[n] if n in refused else studied[(c.reader.key, c.article_id)]
            for n, c in enumerate(confirms)]


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
