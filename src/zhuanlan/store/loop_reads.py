"""PostgreSQL reads made from the event loop's own callbacks: the readers' ``/read/state``
at the 9:00 burst (``app.state_reads``), on a few connections of libpq's own.

Measured (bench/reader.py --pg): through SQLAlchemy's asyncio layer the moment's states
waited three or four turns of the busy loop for a read of a millisecond — a task to
start the read, the pool's checkout, the greenlet's answer, the task handing the rows on;
20–30 ms a turn under the burst. Here a statement is sent from the callback that hands
it over (``submit``; the state reads' gathering callback), prepared once per connection
(planning the state's read took longer than running it: 0.9 against 0.6 ms), and its
rows go on from the callback that finds the socket readable, so the readers' own tasks
wake the turn after the answer arrives (A/B on copies of one bench store: the state's
p50 55–60 → 32–41 ms). psycopg's ``AsyncConnection`` opens the connections (its setup,
its adapters); after that only its libpq connection (``pgconn``, non-blocking) and its
``Transformer`` are used.

One statement per connection at a time, the next waiting its turn in order; a connection
is added while all are busy (up to ``LOOP_CONNECTIONS``). Statements run outside
transactions. A lost connection (the server gone, no answer within
``READ_TIMEOUT_SECONDS``) fails its statement with a StorageError and is replaced by the
next read; for ``RETRY_SECONDS`` after a failed connect, reads fail at once (their callers
read from a thread, which reports the database's state as every read does)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer

from zhuanlan.errors import StorageError

LOOP_CONNECTIONS = 4
READ_TIMEOUT_SECONDS = 5.0
RETRY_SECONDS = 1.0

# Called on the loop with the statement's rows (tuples) or a StorageError.
Done = Callable[[list[tuple] | StorageError], None]


class _Conn:
    __slots__ = ("aconn", "done", "fd", "pgconn", "prepared", "results", "then", "timer",
                 "tx", "writing")

    def __init__(self, aconn: psycopg.AsyncConnection) -> None:
        self.aconn = aconn              # held: collected, it would warn of an open connection
        self.pgconn = aconn.pgconn
        self.pgconn.nonblocking = 1
        self.fd = self.pgconn.socket
        self.tx = Transformer(aconn)
        self.done: Done | None = None
        self.results: list[pq.abc.PGresult] = []
        self.timer: asyncio.TimerHandle | None = None
        self.writing = False
        self.prepared: dict[bytes, bytes] = {}          # statement → its name here
        # The statement to run once its preparation is answered: (sql, name, values).
        self.then: tuple[bytes, bytes, Sequence[Any]] | None = None


class LoopReads:
    """Statements sent and answered on the event loop it is made on."""

    def __init__(self, connect_kwargs: dict[str, Any], resource: str,
                 connections: int = LOOP_CONNECTIONS) -> None:
        self.loop = asyncio.get_running_loop()
        self._kwargs = connect_kwargs
        self._resource = resource
        self._max = connections
        self._idle: list[_Conn] = []
        self._busy: set[_Conn] = set()
        self._opening: set[asyncio.Task] = set()
        self._queue: deque[tuple[bytes, Sequence, Done]] = deque()
        self._failed_until = 0.0
        self.closed = False
        self.sent = 0                              # statements sent (tests, diagnostics)

    @property
    def connections(self) -> int:
        return len(self._idle) + len(self._busy)

    def submit(self, sql: bytes, params: Sequence, done: Done) -> None:
        """Send ``sql`` (``$1``… placeholders) with ``params`` now if a connection is
        free, else when one is; ``done`` gets the rows or a StorageError, on this loop."""
        if self.closed:
            done(self._error("closed"))
            return
        if self._idle:
            self._send(self._idle.pop(), sql, params, done)
            return
        self._queue.append((sql, params, done))
        self._more()

    def _more(self) -> None:
        """Open a connection for the statements waiting if they need one; fail them
        when none is left and the database could not be reached a moment ago."""
        if not self._queue or len(self._opening) >= len(self._queue):
            return
        if not self._busy and not self._opening and time.monotonic() < self._failed_until:
            self._fail_queue(self._error("the database could not be reached a moment ago"))
        elif self.connections + len(self._opening) < self._max:
            task = self.loop.create_task(self._open())
            self._opening.add(task)          # held: the loop keeps only a weak reference
            task.add_done_callback(self._opening.discard)

    async def _open(self) -> None:
        aconn = None
        try:
            aconn = await psycopg.AsyncConnection.connect(autocommit=True, **self._kwargs)
        except psycopg.Error as exc:
            error = self._error(exc)
        finally:        # now, not when the task's callbacks run: a read may come first
            self._opening.discard(asyncio.current_task())
        if aconn is None:
            self._failed_until = time.monotonic() + RETRY_SECONDS
            if not self._busy and not self._opening:           # none left to take them
                self._fail_queue(error)
            return
        if self.closed:
            aconn.pgconn.finish()
            return
        conn = _Conn(aconn)
        self.loop.add_reader(conn.fd, self._readable, conn)
        self._free(conn)

    def _free(self, conn: _Conn) -> None:
        if self._queue:
            self._send(conn, *self._queue.popleft())
        else:
            self._idle.append(conn)

    def _send(self, conn: _Conn, sql: bytes, params: Sequence, done: Done) -> None:
        conn.done, conn.results = done, []
        self._busy.add(conn)
        self.sent += 1
        try:
            values = conn.tx.dump_sequence(params, [PyFormat.TEXT] * len(params))
            if (name := conn.prepared.get(sql)) is not None:
                self._execute(conn, name, values)
            else:               # the parameters' types are told by the statement's casts
                name = b"zl_loop_%d" % len(conn.prepared)
                conn.pgconn.send_prepare(name, sql)
                conn.then = (sql, name, values)
                self._flush(conn)
        except psycopg.Error as exc:
            self._lost(conn, exc)
            return
        conn.timer = self.loop.call_later(READ_TIMEOUT_SECONDS, self._timed_out, conn)

    def _execute(self, conn: _Conn, name: bytes, values: Sequence[Any]) -> None:
        conn.pgconn.send_query_prepared(name, values, param_formats=[pq.Format.TEXT] * len(values),
                                        result_format=pq.Format.BINARY)
        self._flush(conn)

    def _flush(self, conn: _Conn) -> None:
        if conn.pgconn.flush() and not conn.writing:
            conn.writing = True
            self.loop.add_writer(conn.fd, self._writable, conn)

    def _writable(self, conn: _Conn) -> None:
        try:
            if not conn.pgconn.flush():
                conn.writing = False
                self.loop.remove_writer(conn.fd)
        except psycopg.Error as exc:
            self._lost(conn, exc)

    def _readable(self, conn: _Conn) -> None:
        try:
            conn.pgconn.consume_input()
            while conn.done is not None and not conn.pgconn.is_busy():
                res = conn.pgconn.get_result()
                if res is not None:
                    conn.results.append(res)
                elif conn.then is not None and _ok(conn.results, pq.ExecStatus.COMMAND_OK):
                    sql, name, values = conn.then      # prepared: now run it
                    conn.then, conn.results, conn.prepared[sql] = None, [], name
                    self._execute(conn, name, values)
                else:                                  # the statement's results are in
                    self._answer(conn)
                    return
        except psycopg.Error as exc:
            self._lost(conn, exc)

    def _answer(self, conn: _Conn) -> None:
        done, results = conn.done, conn.results
        assert done is not None
        conn.done, conn.results, conn.then = None, [], None
        if conn.timer is not None:
            conn.timer.cancel()
        self._busy.discard(conn)
        outcome: list[tuple] | StorageError
        if not _ok(results, pq.ExecStatus.TUPLES_OK):
            failed = next((r for r in results if r.status == pq.ExecStatus.FATAL_ERROR), None)
            outcome = self._error(failed.error_message.decode("utf-8", "replace")
                                  if failed else "no rows")
        else:
            try:
                conn.tx.set_pgresult(results[-1])
                outcome = conn.tx.load_rows(0, results[-1].ntuples, tuple)
            except psycopg.Error as exc:
                outcome = self._error(exc)
        self._free(conn)            # the next statement goes out before these rows go on
        done(outcome)

    def _timed_out(self, conn: _Conn) -> None:
        self._lost(conn, f"no answer in {READ_TIMEOUT_SECONDS:g} s")

    def _lost(self, conn: _Conn, why: object) -> None:
        done = conn.done
        self._drop(conn)
        if done is not None:
            done(self._error(why))
        self._more()

    def _drop(self, conn: _Conn) -> None:
        conn.done, conn.then = None, None
        if conn.timer is not None:
            conn.timer.cancel()
        self._busy.discard(conn)
        with contextlib.suppress(ValueError):
            self._idle.remove(conn)
        if not self.loop.is_closed():
            self.loop.remove_reader(conn.fd)
            if conn.writing:
                self.loop.remove_writer(conn.fd)
        conn.pgconn.finish()

    def _fail_queue(self, error: StorageError) -> None:
        queue, self._queue = self._queue, deque()
        for _, _, done in queue:
            done(error)

    def close(self) -> None:
        """Close the connections; statements in flight or waiting get a StorageError.
        From the loop's thread, or after the loop has ended."""
        self.closed = True
        for task in list(self._opening):
            task.cancel()
        for conn in [*self._busy, *self._idle]:
            done = conn.done
            self._drop(conn)
            if done is not None:
                done(self._error("closed"))
        self._fail_queue(self._error("closed"))

    def _error(self, why: object) -> StorageError:
        return StorageError(f"database error: {str(why).strip()}", resource=self._resource)


def _ok(results: list, status: pq.ExecStatus) -> bool:
    return bool(results) and all(r.status == status for r in results)
