"""``Database.aglance``: PostgreSQL reads from the event loop (a reader's /read/state),
outside transactions, set up as the store's other sessions (the URL's options, no JIT),
one pool per event loop, closed by ``aclose``; an unreachable server is a StorageError.
SQLite has none: its reads are local and run directly."""

import asyncio

import pytest
from sqlalchemy import text

from tests.support.smtp import free_port
from zhuanlan.errors import StorageError
from zhuanlan.store import Database

_XID = text("SELECT pg_current_xact_id()::text")


def test_reads_on_the_loop_stand_alone_and_see_the_schema_of_the_url(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's: SQLite reads run directly")
    db = Database(database_url)
    with db.write() as conn:
        conn.execute(text("CREATE TABLE loop_probe (n integer)"))
        conn.execute(text("INSERT INTO loop_probe VALUES (7)"))

    async def probe() -> tuple:
        async with db.aglance() as conn:
            first = (await conn.execute(_XID)).scalar_one()
            second = (await conn.execute(_XID)).scalar_one()
            n = (await conn.execute(text("SELECT n FROM loop_probe"))).scalar_one()
            jit = (await conn.execute(text("SHOW jit"))).scalar_one()
        pool = db._async[1].pool
        await db.aclose()
        return first, second, n, jit, pool.checkedin(), db._async

    try:
        for _ in range(2):        # a second loop gets a pool of its own
            first, second, n, jit, idle, left = asyncio.run(probe())
            assert first != second           # no transaction around the statements
            assert (n, jit) == (7, "off")    # the test's schema (URL options), no JIT
            assert idle == 0 and left is None                # closed at shutdown
    finally:
        with db.write() as conn:
            conn.execute(text("DROP TABLE loop_probe"))
        db.dispose()


def test_a_pool_of_a_finished_loop_is_closed(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's")
    db = Database(database_url)

    async def one() -> int:
        async with db.aglance() as conn:
            return (await conn.execute(text("SELECT 1"))).scalar_one()

    try:
        assert asyncio.run(one()) == 1          # that loop ends with its connection open
        stale = db._async[1].pool
        assert stale.checkedin() == 1
        assert asyncio.run(one()) == 1          # another loop: a new pool, the old closed
        assert db._async[1].pool is not stale and stale.checkedin() == 0
        last = db._async[1].pool
        assert last.checkedin() == 1
        db.dispose()                            # outside any loop: closed too
        assert db._async is None and last.checkedin() == 0
    finally:
        db.dispose()


def test_an_unreachable_server_is_a_storage_error():
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
                  "?connect_timeout=2")

    async def one() -> None:
        async with db.aglance() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        with pytest.raises(StorageError, match="database error"):
            asyncio.run(one())
    finally:
        db.dispose()
