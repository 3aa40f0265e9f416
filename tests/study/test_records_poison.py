"""A record the database refuses must not stop the others: the buffer isolates it,
writes the rest, and gives up on it after a few flushes; a database that cannot be
reached keeps everything."""

from __future__ import annotations

import logging

from sqlalchemy import select

from tests.support.study_seed import organisation, publish
from zhuanlan.store import Database
from zhuanlan.store.schema import reading_views, readings
from zhuanlan.study.records import MAX_TRIES, Reader, RecordBuffer


def _rows(zl) -> dict:
    with zl.db.read() as conn:
        return {(r.reader, r.article_id): r for r in conn.execute(select(readings))}


def test_poisoned_records_do_not_block_a_known_readers_records(zl, caplog):
    people = organisation(zl)
    issue_id, (first, second) = publish(zl, 2, "poison")
    buffer = RecordBuffer(zl.db, zl.clock)
    known = Reader.person(people["甲"])
    stranger = Reader.anonymous("x" * 20)
    # Poison: an article that does not exist, an issue id beyond any integer column, an
    # issue that does not exist, a heartbeat of a missing article.
    buffer.opened(stranger, 999_999)
    buffer.opened(stranger, first, 99_999_999_999_999_999_999)
    buffer.opened(Reader.anonymous("y" * 20), second, 999_999)
    buffer.beat(Reader.anonymous("z" * 20), 888_888, "view-poison-1", 30)
    # And a known reader's open and heartbeats of both articles.
    buffer.opened(known, first, issue_id)
    buffer.beat(known, first, "view-good-0001", 40)
    buffer.beat(known, second, "view-good-0002", 25)

    with caplog.at_level(logging.ERROR, logger="zhuanlan.study.records"):
        assert buffer.flush() >= 3
        rows = _rows(zl)
        assert rows[(known.key, first)].active_seconds == 40
        assert rows[(known.key, first)].issue_id == issue_id
        assert rows[(known.key, second)].active_seconds == 25
        assert (stranger.key, 999_999) not in rows
        # The refused ones are tried again a few times, then dropped, each logged once.
        for _ in range(MAX_TRIES + 1):
            buffer.beat(known, first, "view-good-0001", 50)      # still recorded meanwhile
            buffer.flush()
        assert _rows(zl)[(known.key, first)].active_seconds == 50
    assert buffer.dropped == 4
    assert sum("dropped" in r.getMessage() for r in caplog.records) == 4
    assert buffer.flush() == 0 and not buffer._opens and not buffer._beats
    with zl.db.read() as conn:
        assert conn.execute(select(reading_views.c.view_id)).scalars().all() \
            and "view-poison-1" not in conn.execute(select(reading_views.c.view_id)).scalars().all()


def test_an_unreachable_database_keeps_every_record(zl):
    people = organisation(zl)
    issue_id, (first,) = publish(zl, 1, "down")
    reader = Reader.person(people["乙"])
    down = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    buffer = RecordBuffer(down, zl.clock)
    buffer.opened(reader, first, issue_id)
    buffer.beat(reader, first, "view-down-0001", 70)
    for _ in range(MAX_TRIES + 2):                  # no matter how often: nothing dropped
        assert buffer.flush() == 0
    assert buffer.dropped == 0
    buffer.db = zl.db                               # the database is back
    assert buffer.flush() == 2
    assert _rows(zl)[(reader.key, first)].active_seconds == 70
    down.dispose()
