"""我已学习 answered before it is stored (``RecordBuffer.keep_confirmation``): it is in
the journal when the reader is told, so it survives the process's death, a database
that is away, and is written exactly once; one the store refuses all the same is
logged and counted, never silently lost."""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from tests.support.records import Unreachable, die
from tests.support.study_seed import organisation, publish
from zhuanlan.store.schema import readings
from zhuanlan.study.journal import records_in
from zhuanlan.study.records import Reader, RecordBuffer


def _row(zl, reader: Reader, article_id: int):
    with zl.db.read() as conn:
        return conn.execute(select(readings).where(readings.c.reader == reader.key,
                                                   readings.c.article_id == article_id)).first()


def _lines(journal) -> list[list]:
    return [r for p in sorted(journal.glob("*.jsonl")) for r in records_in(p)]


def _buffer(zl, journal, db=None) -> RecordBuffer:
    buffer = RecordBuffer(db or zl.db, zl.clock, interval=3600, journal_dir=journal)
    buffer.start()
    return buffer


def test_a_kept_confirmation_is_journaled_and_adopted_when_its_process_dies(zl, tmp_path):
    people = organisation(zl)
    issue_id, (article,) = publish(zl, 1, "kept-dies")
    journal = tmp_path / "journal"
    reader = Reader.person(people["甲"])
    dead = _buffer(zl, journal, Unreachable())     # its flusher cannot write it
    dead.opened(reader, article, issue_id)
    dead.beat(reader, article, "view-kept-0001", 80)
    at = dead.keep_confirmation(reader, article, issue_id=issue_id)
    assert dead.unwritten(reader, article).at == at and dead.pending(reader, article)
    assert ["c", reader.key, people["甲"], article, issue_id, at.isoformat()] in _lines(journal)
    assert _row(zl, reader, article) is None
    die(dead)

    alive = _buffer(zl, journal)                    # adopts at start
    alive.flush()
    row = _row(zl, reader, article)
    assert row.studied_at.replace(tzinfo=None) == at.replace(tzinfo=None)
    assert row.issue_id == issue_id and row.active_seconds == 80 and not row.quick
    assert alive.unwritten(reader, article) is None and alive.dropped == 0
    alive.stop()
    assert not list(journal.iterdir())


def _stored_within(zl, reader: Reader, article_id: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (row := _row(zl, reader, article_id)) is not None and row.studied_at is not None:
            return True
        time.sleep(0.02)
    return False


def test_a_kept_confirmation_goes_with_the_next_flush_unless_hurried(zl, tmp_path):
    """Nobody waits for a kept confirmation: no commit of its own a moment later (the
    waiting ones' group commit), the next full flush carries it — or ``hurry``."""
    people = organisation(zl)
    issue_id, (article,) = publish(zl, 1, "kept-next")
    jia, yi = Reader.person(people["甲"]), Reader.person(people["乙"])
    buffer = _buffer(zl, tmp_path / "journal")             # its full flush: in an hour
    try:
        buffer.keep_confirmation(jia, article, issue_id=issue_id)
        assert not _stored_within(zl, jia, article, 0.5)
        buffer.hurry()
        assert _stored_within(zl, jia, article, 5)
    finally:
        buffer.stop()
    buffer = RecordBuffer(zl.db, zl.clock, interval=0.3, journal_dir=tmp_path / "j2")
    buffer.start()
    try:
        buffer.keep_confirmation(yi, article, issue_id=issue_id)
        assert _stored_within(zl, yi, article, 5)
    finally:
        buffer.stop()


def test_a_kept_confirmation_waits_out_a_database_that_is_away(zl, tmp_path):
    people = organisation(zl)
    issue_id, (article,) = publish(zl, 1, "kept-away")
    journal = tmp_path / "journal"
    reader = Reader.person(people["乙"])
    buffer = _buffer(zl, journal, Unreachable())
    try:
        buffer.keep_confirmation(reader, article, issue_id=issue_id)
        for _ in range(4):                          # no matter how often: kept
            buffer.flush()
        assert buffer.dropped == 0 and buffer.unwritten(reader, article) is not None
        assert any(r[0] == "c" for r in _lines(journal))     # its journal line stays
        buffer.db = zl.db                                       # the database is back
        buffer.flush()
        assert _row(zl, reader, article).studied_at is not None
        assert buffer.unwritten(reader, article) is None and not buffer.pending(reader, article)
        buffer.flush()                              # a flush with nothing requeued settles it
        assert _lines(journal) == []
    finally:
        buffer.stop()


def test_a_kept_confirmation_the_store_refuses_is_logged_and_counted(zl, tmp_path, caplog):
    people = organisation(zl)
    issue_id, (article,) = publish(zl, 1, "kept-refused")
    reader = Reader.person(people["丙"])
    buffer = _buffer(zl, tmp_path / "journal")
    try:
        with caplog.at_level(logging.ERROR, logger="zhuanlan.study.records"):
            buffer.keep_confirmation(reader, article, issue_id=999_999)   # not its issue
            buffer.keep_confirmation(reader, article, issue_id=issue_id)
            buffer.flush()
        assert buffer.dropped == 1
        assert [r.message for r in caplog.records if r.name == "zhuanlan.study.records"] == [
            "study records: a confirmation already answered was refused"]
        row = _row(zl, reader, article)
        assert row.studied_at is not None and row.issue_id == issue_id   # the good one stays
    finally:
        buffer.stop()
