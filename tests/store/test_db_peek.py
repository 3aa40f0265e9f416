"""``Database.peek``: SQLite's own read-only connection for the reader's ``/read/state``
on the event loop — the same rows and values as the read through SQLAlchemy, one
connection per thread, none carried across a fork, all closed with the database."""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime

import pytest

from tests.support.study_seed import organisation, publish
from zhuanlan.store import readings as store

AT = datetime(2026, 12, 7, 9, 0, 12, 345678, tzinfo=UTC)


def test_a_peek_reads_what_a_read_reads(make_zl):
    zl = make_zl()
    if zl.db.dialect != "sqlite":
        assert not zl.db.peeks              # PostgreSQL reads on the loop by loop_reads
        return
    people = organisation(zl)
    issue_id, arts = publish(zl, 3, "本期")
    p = f"s:{people['甲']}"
    with zl.db.write() as conn:
        store.write_records(conn, {(p, a): (people["甲"], issue_id, AT) for a in arts[:2]},
                            {"view-peek-0001": (p, arts[0], 75, AT)})
        store.confirm_many(conn, [(p, people["甲"], arts[0], AT, issue_id)])
    assert zl.db.peeks
    for reader in (p, f"s:{people['乙']}"):
        with zl.db.read() as conn:
            want = sorted(tuple(r) for r in store.reading_times(conn, reader, arts))
        got = sorted(store.reading_times_peek(zl.db.peek(), reader, arts))
        assert got == want
    (first,) = [r for r in store.reading_times_peek(zl.db.peek(), p, arts)
                if r.article_id == arts[0]]
    assert first.studied_at == AT and first.studied_at.tzinfo is not None
    assert first.active_seconds == 75


def test_a_peek_cannot_write_and_each_thread_has_its_own(make_zl):
    zl = make_zl()
    if not zl.db.peeks:
        pytest.skip("SQLite only")
    mine = zl.db.peek()
    assert zl.db.peek() is mine
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        mine.execute("DELETE FROM readings")
    theirs = []
    worker = threading.Thread(target=lambda: theirs.append(zl.db.peek()))
    worker.start()
    worker.join()
    assert theirs[0] is not mine
    zl.db.dispose()
    for conn in (mine, theirs[0]):
        with pytest.raises(sqlite3.ProgrammingError):   # closed with the database
            conn.execute("SELECT 1")


def test_a_forked_process_makes_its_own_peek(make_zl):
    zl = make_zl()
    if not zl.db.peeks:
        pytest.skip("SQLite only")
    parents = zl.db.peek()
    pid = os.fork()
    if pid == 0:                                        # the child: never the parent's
        ok = False
        try:
            child = zl.db.peek()
            ok = child is not parents and child.execute("SELECT 1").fetchone() == (1,)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert zl.db.peek() is parents and parents.execute("SELECT 1").fetchone() == (1,)
