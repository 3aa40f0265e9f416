"""On PostgreSQL the readers' ``/read/state`` reads of one moment go out as one statement
(``app.state_reads``): each reader gets exactly their own rows, and an error reaches
every one of them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from tests.support.smtp import free_port
from tests.support.study_seed import organisation, publish
from zhuanlan.errors import StorageError
from zhuanlan.store import Database
from zhuanlan.store import readings as store

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _facts(rows) -> list[tuple]:
    return sorted((r.article_id, r.studied_at, r.active_seconds) for r in rows)


def test_the_states_of_a_moment_are_read_in_one_statement(make_zl):
    zl = make_zl()
    if zl.db.dialect != "postgresql":
        pytest.skip("SQLite reads each state on the loop's own connection (Database.peek)")
    people = organisation(zl)
    issue_id, arts = publish(zl, 3, "本期")
    key = {name: f"s:{sid}" for name, sid in people.items()}
    with zl.db.write() as conn:
        store.write_records(conn, {**{(key["甲"], a): (people["甲"], issue_id, AT) for a in arts},
                                   (key["乙"], arts[1]): (people["乙"], issue_id, AT)},
                            {"view-batch-0001": (key["乙"], arts[1], 33, AT)})
        store.confirm_many(conn, [(key["甲"], people["甲"], arts[0], AT, issue_id)])
    reads = zl.reading.state_reads
    asks = [(key[name], ids) for name in ("甲", "乙", "丙", "甲") for ids in (arts, arts[1:2])]

    async def moment():
        got = await asyncio.gather(*(reads.rows(k, ids) for k, ids in asks))
        return got, zl.db.loop_reads().sent

    got, sent = asyncio.run(moment())
    assert sent == 1                             # the moment's states: one statement
    for (reader, ids), rows in zip(asks, got, strict=True):
        with zl.db.read() as conn:
            assert _facts(rows) == _facts(store.reading_times(conn, reader, ids))
    assert _facts(got[0])[0] == (arts[0], AT, 0) and len(got[0]) == 3
    assert _facts(got[3]) == [(arts[1], None, 33)] and got[4] == []

    async def away():
        return await asyncio.gather(*(reads.rows(k, ids) for k, ids in asks),
                                    return_exceptions=True)

    reads.db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    try:
        failed = asyncio.run(away())
    finally:
        reads.db.dispose()
        reads.db = zl.db
    assert len(failed) == len(asks) and all(isinstance(e, StorageError) for e in failed)
    assert _facts(asyncio.run(moment())[0][0]) == _facts(got[0])     # and back again
