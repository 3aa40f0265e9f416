"""Engines and transactions for SQLite (embedded default) and PostgreSQL.

On SQLite every write transaction starts with ``BEGIN IMMEDIATE``: it takes the single
writer lock up front, so a claim's SELECT and UPDATE cannot interleave with another
writer's, and a busy writer waits (busy_timeout) instead of failing half-way. WAL lets
readers go on while one process writes.

Before it, our own writers take turns on a lock file (``_WriterTurn``). SQLite's busy
handler sleeps 1, 2, 5 … then 25–100 ms between tries, so with two web processes each
committing 我已学习 a few hundred times a second a waiting writer slept far past the
moment the lock came free: at the 9:00 burst (bench/reader.py) 我已学习 waited seconds
at p99 for transactions of a few milliseconds. A writer waiting for the lock file looks
every half millisecond. Other programs on the same file still meet busy_timeout.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from zhuanlan.errors import ConfigError, StorageError
from zhuanlan.store.loop_reads import LoopReads
from zhuanlan.store.wal_checkpoints import WalCheckpoints

_WRITE = "zhuanlan_write"
# As many connections as the web server's threads (anyio's 40), on either store: with
# SQLAlchemy's default 5 + 10, SQLite opened and set up a connection again per request,
# and on PostgreSQL the reader's /read/state waited for a free one (bench/reader.py --pg:
# p50 275 ms at the 9:00 burst). On PostgreSQL that read is now made from the event loop
# (``Database.loop_reads``, a few connections of its own), so the threads' pool is
# smaller there: a web process needs at most 38 (24, 10 more at a peak, and the loop's
# LOOP_CONNECTIONS; docs/deploy.md).
POOL = 40
PG_POOL = 24
LOOP_CONNECT_TIMEOUT = 5        # seconds, unless the URL says: a read waits for it
WRITER_WAIT_SECONDS = 30.0      # as busy_timeout
# A read in WAL mode waits only while the file is recovered: on the event loop it gives
# up soon (its caller reads from a thread instead) rather than stop every request.
PEEK_WAIT_SECONDS = 0.1
_WRITER_POLL_SECONDS = 0.0005

# Errors that say the database could not be reached or was busy, not that it refused
# the data (a caller keeps its work for the next try).
UNAVAILABLE = (StorageError, OperationalError, InterfaceError, DisconnectionError, PoolTimeout)


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url``; for SQLite also create its directory.

    Raises ConfigError when the URL cannot be parsed or names an unsupported database.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError("database.url", f"not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            if "poolclass" not in kwargs:
                kwargs = {"pool_size": POOL, "max_overflow": 10, **kwargs}
        engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False},
                               **kwargs)
        _setup_sqlite(engine)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if "poolclass" not in kwargs:
            kwargs = {"pool_size": PG_POOL, "max_overflow": 10, **kwargs}
        return create_engine(parsed, pool_pre_ping=True,
                             connect_args={"options": _pg_options(parsed)}, **kwargs)
    raise ConfigError("database.url", f"unsupported database {backend!r}: use sqlite or postgresql")


def _pg_options(url) -> str:
    # No JIT: our statements are short, and PostgreSQL compiled some of the record
    # buffer's whenever a plan's estimate passed jit_above_cost — 100–250 ms each, the
    # p99 of 我已学习 (bench/reader.py --pg open loop: 50–100/s with it, 1,200/s without).
    given = url.query.get("options") or ()
    return " ".join([*([given] if isinstance(given, str) else given), "-c jit=off"])


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN, not pysqlite's own logic.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class _WriterTurn:
    """One writer at a time among the threads and processes of this SQLite file (see
    the module's docstring): a lock of this process's threads, then ``flock`` on
    ``{database}.writer``. Re-entrant within a thread (a write inside a write meets
    SQLite's own lock, as before)."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".writer")
        self._fd = -1
        self._start()
        _TURNS.add(self)

    def _start(self) -> None:
        # Also in a forked child, which may have forked inside a turn: its own thread
        # lock, and its own open file — a lock on the parent's is the parent's.
        self.close()
        self._threads = threading.RLock()
        self._depth = 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    __del__ = close

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._threads:
            if self._depth == 0:
                self._lock_file()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _lock_file(self) -> None:
        if self._fd < 0:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + WRITER_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StorageError("database is locked: another writer held it for "
                                       f"{WRITER_WAIT_SECONDS:.0f} s",
                                       resource=str(self.path)) from None
                time.sleep(_WRITER_POLL_SECONDS)


_TURNS: weakref.WeakSet[_WriterTurn] = weakref.WeakSet()
_DATABASES: weakref.WeakSet[Database] = weakref.WeakSet()


def _after_fork() -> None:
    for turn in list(_TURNS):
        turn._start()
    for db in list(_DATABASES):
        # A SQLite connection is not to be used across a fork: the child makes its own.
        db._peeks, db._peek_all, db._peek_lock = threading.local(), [], threading.Lock()
        # The parent's loop and connections stay the parent's: psycopg does not close
        # a connection collected in another process than the one that opened it.
        db._loop_reads = None


os.register_at_fork(after_in_child=_after_fork)


class Database:
    """The store's connection handling: ``write()`` and ``read()`` transactions."""

    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        database = self.engine.url.database
        self._turn = (_WriterTurn(Path(database).resolve())
                      if self.dialect == "sqlite" and database and database != ":memory:"
                      else None)
        # Started by a web process (web.app), whose commits should not pay for them.
        self.checkpoints = WalCheckpoints(self.engine, self._turn)
        self._loop_reads: LoopReads | None = None
        self._peeks = threading.local()
        self._peek_all: list[sqlite3.Connection] = []
        self._peek_lock = threading.Lock()
        _DATABASES.add(self)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that may write; committed on success, rolled back on error."""
        try:
            with self._turn() if self._turn is not None else nullcontext():
                with self.engine.connect() as conn:
                    conn = conn.execution_options(**{_WRITE: True})
                    with conn.begin():
                        yield conn
        except OperationalError as exc:
            raise StorageError(f"database error: {exc.orig}", resource=self._safe_url()) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise StorageError(f"database error: {exc.orig}", resource=self._safe_url()) from exc

    @contextmanager
    def glance(self) -> Iterator[Connection]:
        """A read whose statements need not share a snapshot (each is consistent by
        itself). On PostgreSQL they run outside a transaction: no BEGIN and COMMIT round
        trips, half of a reader's ``/read/state`` (bench/reader.py --pg). SQLite's
        transactions cost no round trip, and its connections keep their own setup:
        there it is ``read()``."""
        if self.dialect != "postgresql":
            with self.read() as conn:
                yield conn
            return
        try:
            with self.engine.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
        except OperationalError as exc:
            raise StorageError(f"database error: {exc.orig}", resource=self._safe_url()) from exc

    @property
    def peeks(self) -> bool:
        """Whether ``peek`` is there: a SQLite file."""
        return self._turn is not None

    def peek(self) -> sqlite3.Connection:
        """SQLite only (``peeks``): this thread's own read-only DB-API connection, outside
        transactions, for one-statement reads on the event loop (each statement is its
        own snapshot in WAL mode). The reader's ``/read/state`` through SQLAlchemy —
        pool checkout, BEGIN, the statement's caching, the result's processing, COMMIT
        — cost four times the SQLite work of its one indexed lookup (py-spy at the 9:00
        burst, bench/reader.py: a quarter of a web process's CPU), and each of its
        statements released the GIL to the record buffer's writer and waited to get it
        back. Raises StorageError."""
        conn = getattr(self._peeks, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.engine.url.database or "", isolation_level=None,
                                       check_same_thread=False, timeout=PEEK_WAIT_SECONDS)
                conn.execute("PRAGMA query_only=ON")
            except sqlite3.Error as exc:
                raise StorageError(f"database error: {exc}", resource=self._safe_url()) from exc
            with self._peek_lock:
                self._peek_all.append(conn)
            self._peeks.conn = conn
        return conn

    def _close_peeks(self) -> None:
        with self._peek_lock:
            conns, self._peek_all = self._peek_all, []
        self._peeks = threading.local()
        for conn in conns:
            conn.close()

    @property
    def reads_on_loop(self) -> bool:
        """Whether ``loop_reads`` is there: PostgreSQL, a round trip away, read without a
        thread. (SQLite's reads are local and short: callers run them directly.)"""
        return self.dialect == "postgresql"

    def loop_reads(self) -> LoopReads:
        """PostgreSQL only: statements sent and answered on the running event loop
        (``store.loop_reads``; a reader's ``/read/state`` at the 9:00 burst), outside
        transactions, connected as the store's other sessions (the URL, no JIT). One
        per loop: a web process has one, tests start several."""
        loop = asyncio.get_running_loop()
        if self._loop_reads is None or self._loop_reads.loop is not loop:
            self.close_loop_reads()             # of a loop that has ended (tests)
            _, params = self.engine.dialect.create_connect_args(self.engine.url)
            params.pop("context", None)          # SQLAlchemy's adapters: psycopg's own here
            params = {"connect_timeout": LOOP_CONNECT_TIMEOUT, **params,
                      "options": _pg_options(self.engine.url)}
            self._loop_reads = LoopReads(params, self._safe_url())
        return self._loop_reads

    def close_loop_reads(self) -> None:
        """Close ``loop_reads``' connections: on their loop (the app's shutdown) or
        after it has ended (closing one needs no I/O of that loop)."""
        if self._loop_reads is not None:
            reads, self._loop_reads = self._loop_reads, None
            reads.close()

    def _safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.checkpoints.stop()
        self.close_loop_reads()
        self._close_peeks()
        self.engine.dispose()
        if self._turn is not None:
            self._turn.close()


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT made."""
    key = result.inserted_primary_key
    if key is None:
        raise StorageError("the database returned no id for the new row")
    return int(key[0])
