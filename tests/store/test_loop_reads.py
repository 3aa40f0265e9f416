"""``Database.loop_reads``: PostgreSQL statements sent and answered on the event loop
(a reader's /read/state): outside transactions, connected as the store's other sessions
(the URL's options, no JIT), one set of connections per loop closed with it; waiting
statements share the connections in order; a failing statement, a lost connection and an
unreachable server are StorageErrors for their own statements only; SQLite has none."""

import asyncio
import gc
import os

import pytest
from sqlalchemy import text

from tests.support.smtp import free_port
from zhuanlan.errors import StorageError
from zhuanlan.store import Database, loop_reads

_XID = b"SELECT pg_current_xact_id()::text"
ODD = 'a,"b"} \\{NULL}'          # what an array literal must quote


def _pg(database_url: str) -> Database:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's: SQLite reads run directly (Database.peek)")
    return Database(database_url)


async def _read(reads, sql: bytes, params=()):
    got = asyncio.get_running_loop().create_future()
    reads.submit(sql, params, got.set_result)
    outcome = await got
    if isinstance(outcome, StorageError):
        raise outcome
    return outcome


def test_reads_on_the_loop_stand_alone_and_see_the_schema_of_the_url(database_url):
    db = _pg(database_url)
    with db.write() as conn:
        conn.execute(text("CREATE TABLE loop_probe (n integer, s varchar)"))
        conn.execute(text("INSERT INTO loop_probe VALUES (7, '七'), (8, '八'), (9, NULL), "
                          "(10, :odd)"), {"odd": ODD})

    async def probe():
        reads = db.loop_reads()
        assert db.loop_reads() is reads                       # one per loop
        first = await _read(reads, _XID)
        second = await _read(reads, _XID)
        rows = await _read(reads, b"SELECT n, s FROM loop_probe WHERE n = ANY($1::integer[])"
                                  b" AND s = ANY($2::varchar[]) ORDER BY n",
                           ([7, 8, 9, 10], ["七", "八", ODD]))
        jit = await _read(reads, b"SHOW jit")
        prepared = await _read(reads, b"SELECT statement FROM pg_prepared_statements")
        return reads, first, second, rows, jit, prepared

    try:
        seen = []
        for _ in range(2):                     # a second loop gets connections of its own
            reads, first, second, rows, jit, prepared = asyncio.run(probe())
            assert first != second             # no transaction around the statements
            assert rows == [(7, "七"), (8, "八"), (10, ODD)] and jit == [("off",)]   # the test's schema
            assert reads.sent == 5 and reads.connections == 1    # one at a time: one is enough
            # each statement prepared once on its connection (the XID's too, used twice)
            assert sorted(p for p, in prepared) == sorted(
                [_XID.decode(), "SHOW jit", "SELECT statement FROM pg_prepared_statements",
                 "SELECT n, s FROM loop_probe WHERE n = ANY($1::integer[]) AND s = "
                 "ANY($2::varchar[]) ORDER BY n"])
            seen.append(reads)
        assert seen[0].closed and seen[0].connections == 0       # closed with its loop's end
        db.close_loop_reads()                                    # the app's shutdown
        assert seen[1].closed and seen[1].connections == 0 and db._loop_reads is None
    finally:
        with db.write() as conn:
            conn.execute(text("DROP TABLE loop_probe"))
        db.dispose()


def test_waiting_statements_share_the_connections_and_fail_alone(database_url):
    db = _pg(database_url)

    async def burst():
        reads = db.loop_reads()
        asks = [(b"SELECT $1::integer, pg_sleep(0.05)::text", (n,)) for n in range(10)]
        asks[3] = (b"SELECT * FROM no_such_table", ())
        got = await asyncio.gather(*(_read(reads, sql, p) for sql, p in asks),
                                   return_exceptions=True)
        divided = [await _read(reads, b"SELECT 6 / $1::integer", (n,)) for n in (2, 3)]
        with pytest.raises(StorageError, match="division by zero"):   # once prepared
            await _read(reads, b"SELECT 6 / $1::integer", (0,))
        return reads, got, divided, await _read(reads, b"SELECT 1")

    try:
        reads, got, divided, after = asyncio.run(burst())
        assert reads.connections == loop_reads.LOOP_CONNECTIONS       # no more than that
        assert isinstance(got[3], StorageError) and "no_such_table" in str(got[3])
        assert [g[0][0] for i, g in enumerate(got) if i != 3] == [0, 1, 2, 4, 5, 6, 7, 8, 9]
        assert divided == [[(3,)], [(2,)]]
        assert after == [(1,)]                  # a failed statement leaves its connection
    finally:
        db.dispose()


def test_a_lost_connection_fails_its_statement_and_is_replaced(database_url, monkeypatch):
    db = _pg(database_url)
    monkeypatch.setattr(loop_reads, "READ_TIMEOUT_SECONDS", 0.3)

    async def lose():
        reads = db.loop_reads()
        (pid,), = await _read(reads, b"SELECT pg_backend_pid()")
        with db.write() as conn:                      # the server ends the idle connection
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        for _ in range(50):                           # noticed by its reader callback
            if reads.connections == 0:
                break
            await asyncio.sleep(0.02)
        (again,), = await _read(reads, b"SELECT pg_backend_pid()")
        with pytest.raises(StorageError, match="no answer in 0.3 s"):
            await _read(reads, b"SELECT pg_sleep(5)")  # no answer in time: dropped
        (third,), = await _read(reads, b"SELECT pg_backend_pid()")
        return pid, again, third, reads.connections

    try:
        pid, again, third, left = asyncio.run(lose())
        assert len({pid, again, third}) == 3 and left == 1
    finally:
        db.dispose()


def test_an_unreachable_server_is_a_storage_error_and_reads_fail_fast_for_a_moment():
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")

    async def away():
        reads = db.loop_reads()
        with pytest.raises(StorageError, match="database error"):
            await _read(reads, b"SELECT 1")
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(StorageError, match="could not be reached a moment ago"):
            await _read(reads, b"SELECT 1")
        return loop.time() - start, reads.connections

    try:
        waited, connections = asyncio.run(away())
        assert waited < 0.05 and connections == 0
    finally:
        db.dispose()


def test_a_forked_child_leaves_the_parents_connections_alone(database_url):
    db = _pg(database_url)

    async def across_a_fork():
        reads = db.loop_reads()
        (before,), = await _read(reads, b"SELECT pg_backend_pid()")
        child = os.fork()
        if child == 0:                        # the child drops them, never closes them
            fine = db._loop_reads is None
            del reads
            gc.collect()
            os._exit(0 if fine else 1)
        _, status = os.waitpid(child, 0)
        (after,), = await _read(reads, b"SELECT pg_backend_pid()")
        return before, after, os.waitstatus_to_exitcode(status)

    try:
        before, after, code = asyncio.run(across_a_fork())
        assert code == 0 and after == before        # the same connection, still open
    finally:
        db.dispose()
