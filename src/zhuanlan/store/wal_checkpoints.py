"""SQLite's WAL checkpoints in a thread of their own, not in a commit.

By default SQLite checkpoints in the commit that takes the WAL past 1,000 pages: that
commit copies the pages back into the database file and syncs it, tens of milliseconds
and now and then a second, while it still holds the writer. In a web process that commit
is, often enough, the group commit a reader's 我已学习 waits for, and the other process's
flusher waits behind it for the writer (bench/reader.py, the stages of a confirmation
timed: its commit took 23 ms at p90, the writer turn 40 ms; a checkpoint 28 ms at p50 and
up to 1.2 s). While a web process runs, its connections do not checkpoint
(``wal_autocheckpoint=0``); this thread does, every ``INTERVAL``, in two steps. A
PASSIVE checkpoint first, beside the writers: it waits for nobody and copies what the
WAL holds. It cannot finish while writers go on appending, and a WAL is only started
again from its beginning after a checkpoint that copied every frame — at the burst's
steady writes the file grew to 800 MB in a minute. So a second one then copies only the
frames written meanwhile, with our writers held off (``Database``'s writer turn), and the
next write starts the WAL over. Several processes each run one; a
checkpoint that finds another running returns at once. Programs without it (the CLI,
``zhuanlan worker``) keep SQLite's own checkpoints. PostgreSQL has its own
checkpointer: nothing here runs there."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

INTERVAL = 1.0          # seconds between checkpoints: the WAL holds about this much


class WalCheckpoints:
    """Checkpoints of one engine's SQLite file, from ``start()`` to ``stop()``."""

    def __init__(self, engine: Engine, writers_held: Callable[[], AbstractContextManager]
                 | None, interval: float = INTERVAL) -> None:
        """``writers_held``: the store's writer turn, which only a SQLite file has (None
        otherwise: then there is nothing to checkpoint here)."""
        self.engine = engine
        self.writers_held = writers_held
        self.interval = interval
        self.applies = writers_held is not None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.applies:
            # Set on a connection's next checkout, not by emptying the pool: a connection
            # taken out when the pool was emptied was never closed, and SQLite kept its
            # WAL file after the process stopped.
            event.listen(engine, "checkout", self._on_checkout)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if not self.applies or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=30)
        self._thread = None             # what runs after (a test, the CLI) checkpoints again
        self.checkpoint()

    def checkpoint(self) -> tuple[int, int, int] | None:
        """Copy the WAL into the database file, the last frames with our writers held
        off: (busy, frames in the WAL, frames copied) of that last step, or None when it
        failed (logged; the next one tries again)."""
        if self.writers_held is None:
            return None
        try:
            raw = self.engine.raw_connection()
            try:
                _passive(raw)                       # the bulk, beside the writers
                with self.writers_held():
                    return _passive(raw)            # what they wrote meanwhile
            finally:
                raw.close()
        except Exception:          # the thread must outlive a failure
            log.exception("WAL checkpoint failed")
            return None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.checkpoint()

    def _on_checkout(self, dbapi_conn, record, _proxy) -> None:
        want = 0 if self._thread is not None else SQLITE_DEFAULT
        if record.info.get(_SETTING, SQLITE_DEFAULT) != want:
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA wal_autocheckpoint={want}")
            cur.close()
            record.info[_SETTING] = want


SQLITE_DEFAULT = 1000           # pages: SQLite's own wal_autocheckpoint
_SETTING = "zhuanlan_wal_autocheckpoint"


def _passive(raw) -> tuple[int, int, int]:
    # Outside a transaction (the connection has no implicit BEGIN): inside one SQLite
    # refuses to checkpoint.
    cur = raw.cursor()
    try:
        busy, frames, done = cur.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        cur.close()
    return int(busy), int(frames), int(done)
