"""The record buffer's journal and its group commit of 我已学习.

A process that dies leaves its journal unlocked: another process of the same data
directory adopts it and writes every record; a live process's journal is never taken.
A confirmation is committed, with the reading time buffered before it, before it is
answered."""

from __future__ import annotations

import asyncio
import errno
import os
import signal

import pytest
from sqlalchemy import select

from tests.support.records import Unreachable, die
from tests.support.study_seed import organisation, publish
from zhuanlan.errors import NotFoundError
from zhuanlan.store.schema import reading_views, readings
from zhuanlan.study.journal import FIRST_SIZE, Journal, records_in
from zhuanlan.study.records import Reader, RecordBuffer


def _rows(zl) -> dict:
    with zl.db.read() as conn:
        return {(r.reader, r.article_id): r for r in conn.execute(select(readings))}


def _views(zl) -> dict:
    with zl.db.read() as conn:
        return {r.view_id: r.seconds for r in conn.execute(select(reading_views))}


def test_a_dead_processs_journal_is_adopted_and_written(zl, tmp_path):
    people = organisation(zl)
    issue_id, (first, second) = publish(zl, 2, "journal")
    journal = tmp_path / "journal"
    dead = RecordBuffer(zl.db, zl.clock, interval=3600, journal_dir=journal)
    dead.start()
    known, stranger = Reader.person(people["甲"]), Reader.anonymous("s" * 20)
    dead.opened(known, first, issue_id)
    dead.beat(known, first, "view-dead-0001", 15)
    dead.beat(known, first, "view-dead-0001", 45)
    dead.opened(stranger, second)
    dead.beat(stranger, second, "view-dead-0002", 30)

    alive = RecordBuffer(zl.db, zl.clock, interval=3600, journal_dir=journal)
    alive.start()
    assert alive.adopt_orphans() == 0              # the other process holds its journal
    die(dead)
    # The kill cut the last line short: it is skipped, the rest is read.
    orphan = next(p for p in journal.glob("*.jsonl") if p.name.startswith(str(os.getpid())))
    with orphan.open("ab") as f:
        f.write(b'["b","s:1",1,')
    assert alive.adopt_orphans() == 5
    assert len(list(journal.glob("*.jsonl"))) == 1   # the orphan is gone, its records
    assert alive.flush() == 4                          # are the adopter's (2 opens, 2 views)
    rows = _rows(zl)
    assert rows[(known.key, first)].active_seconds == 45
    assert rows[(known.key, first)].issue_id == issue_id
    assert rows[(stranger.key, second)].active_seconds == 30
    assert _views(zl) == {"view-dead-0001": 45, "view-dead-0002": 30}
    alive.stop()
    assert not list(journal.iterdir())              # written and stopped: nothing left


def _started(zl, tmp_path, tag: str):
    """(issue, its one article, journal directory, a started buffer, 乙 as reader)."""
    people = organisation(zl)
    issue_id, (article,) = publish(zl, 1, tag)
    journal = tmp_path / "journal"
    buffer = RecordBuffer(zl.db, zl.clock, interval=3600, journal_dir=journal)
    buffer.start()
    return issue_id, article, journal, buffer, Reader.person(people["乙"])


def test_records_not_written_stay_in_the_journal(zl, tmp_path):
    """A database that cannot be reached at the stop keeps the journal for the next
    process; a flush that wrote everything removes it."""
    issue_id, first, journal, buffer, reader = _started(zl, tmp_path, "kept")
    buffer.beat(reader, first, "view-kept-0001", 20)
    assert buffer.flush() == 2 and len(list(journal.glob("*.jsonl"))) == 1
    buffer.beat(reader, first, "view-kept-0001", 60)
    real, buffer.db = buffer.db, Unreachable()
    buffer.stop()
    assert len(list(journal.glob("*.jsonl"))) >= 1
    buffer.db = real
    later = RecordBuffer(zl.db, zl.clock, interval=3600, journal_dir=journal)
    later.start()                                   # adopts at start
    later.stop()
    assert _views(zl)["view-kept-0001"] == 60
    assert not list(journal.iterdir())


def test_a_confirmation_is_committed_with_its_reading_time_before_it_is_answered(zl):
    people = organisation(zl)
    issue_id, (first, second) = publish(zl, 2, "group")
    buffer = RecordBuffer(zl.db, zl.clock, interval=3600)
    buffer.start()
    try:
        reader, quick = Reader.person(people["甲"]), Reader.person(people["乙"])

        async def confirm_all():
            buffer.beat(reader, first, "view-group-0001", 40)
            done = [buffer.confirm(reader, first, issue_id=issue_id, staff=False),
                    buffer.confirm(quick, first, issue_id=issue_id, staff=False),
                    buffer.confirm(reader, 999_999, issue_id=None, staff=False),
                    buffer.confirm(reader, second, issue_id=999_999, staff=False)]
            return await asyncio.gather(*(asyncio.wrap_future(d) for d in done),
                                        return_exceptions=True)

        # The flusher commits them within its group window, not its half-hour interval.
        first_at, quick_at, missing, wrong_issue = asyncio.run(
            asyncio.wait_for(confirm_all(), timeout=10))
    finally:
        buffer.stop()
    rows = _rows(zl)
    assert rows[(reader.key, first)].studied_at is not None
    assert not rows[(reader.key, first)].quick            # judged on the 40 s sent with it
    assert rows[(reader.key, first)].active_seconds == 40
    assert rows[(quick.key, first)].quick
    assert first_at.replace(tzinfo=None) == rows[(reader.key, first)].studied_at.replace(
        tzinfo=None)
    assert quick_at is not None
    assert isinstance(missing, NotFoundError) and isinstance(wrong_issue, NotFoundError)
    assert (reader.key, 999_999) not in rows and (reader.key, second) not in rows


@pytest.mark.parametrize("running", [False, True])
def test_confirm_now_waits_for_the_commit(zl, running):
    people = organisation(zl)
    issue_id, (first,) = publish(zl, 1, f"now{running}")
    buffer = RecordBuffer(zl.db, zl.clock, interval=3600)
    if running:
        buffer.start()
    reader = Reader.person(people["丙"])
    try:
        buffer.beat(reader, first, "view-now-00001", 5)
        buffer.confirm_now(reader, first, issue_id=issue_id, staff=False)
        row = _rows(zl)[(reader.key, first)]
        assert row.studied_at is not None and not row.quick and row.active_seconds == 5
        with pytest.raises(NotFoundError):
            buffer.confirm_now(reader, 999_999, issue_id=None, staff=False)
    finally:
        buffer.stop()


def test_a_reader_who_went_away_holds_up_no_other_confirmation(zl):
    """The handler's wait is cancelled when the connection drops: the confirmation is
    still written, and the others of the same flush are answered."""
    people = organisation(zl)
    issue_id, (first,) = publish(zl, 1, "gone")
    buffer = RecordBuffer(zl.db, zl.clock, interval=3600)
    gone, stays = Reader.person(people["甲"]), Reader.person(people["乙"])
    cancelled = buffer.confirm(gone, first, issue_id=issue_id, staff=False)
    waiting = buffer.confirm(stays, first, issue_id=issue_id, staff=False)
    assert cancelled.cancel()
    buffer.flush()
    assert waiting.result(timeout=5) is not None
    assert _rows(zl)[(gone.key, first)].studied_at is not None


def test_records_a_confirmation_took_leave_the_journal_with_the_next_flush(zl, tmp_path):
    """我已学习 writes its own reading's records and leaves the rest of the buffer: when
    nothing else was buffered, the journal's lines are all in the store at the next
    flush, and its file goes then — not at the next reader's record (the journal's bytes
    are what a process answered and has not stored: bench/reader.py waits on them)."""
    issue_id, article, journal, buffer, reader = _started(zl, tmp_path, "journal-confirm")
    buffer.opened(reader, article, issue_id)
    buffer.beat(reader, article, "view-conf-0001", 40)

    def journal_bytes() -> int:
        return sum(p.stat().st_size for p in journal.glob("*.jsonl"))

    assert journal_bytes() > 0
    done = buffer.confirm(reader, article, issue_id=issue_id, staff=False)
    buffer.flush_confirmations()
    assert done.result(timeout=5) is not None
    assert _views(zl) == {"view-conf-0001": 40}           # written with the confirmation
    assert journal_bytes() > 0                            # not settled yet
    buffer.flush()
    assert journal_bytes() == 0
    buffer.stop()


# -- the journal's files ---------------------------------------------------------------

def _record(n: int) -> list:
    return ["o", f"s:{n}", n, 10 + n, None, "2026-12-07T09:00:00+00:00"]


def test_the_journal_of_a_killed_process_is_read_up_to_its_zeros(tmp_path):
    """A line is in the file's shared map when ``append`` returns: SIGKILL keeps it, and
    the file, never closed, keeps the zeros of its last step after the lines."""
    directory = tmp_path / "journal"
    pid = os.fork()
    if pid == 0:                                  # the process that is killed
        journal = Journal(directory)
        for n in range(3):
            journal.append(_record(n))
        os.kill(os.getpid(), signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    (orphan,) = directory.glob("*.jsonl")
    data = orphan.read_bytes()
    assert len(data) == FIRST_SIZE and data.endswith(b"\0")
    taken: list[list] = []
    alive = Journal(directory)
    assert alive.adopt_orphans(taken.append) == 3
    assert taken == [_record(n) for n in range(3)]
    assert not orphan.exists()
    alive.close(settled=True)
    assert not list(directory.iterdir())


def test_a_journal_file_grows_as_needed_and_is_cut_to_its_lines_when_closed(tmp_path):
    directory = tmp_path / "journal"
    journal = Journal(directory)
    many = [_record(n) + ["x" * 200] for n in range(3000)]       # past the first step
    for record in many:
        journal.append(record)
    (path,) = directory.glob("*.jsonl")
    assert path.stat().st_size > FIRST_SIZE and records_in(path) == many
    journal.rotate()
    journal.append(_record(9))
    journal.close(settled=False)                 # left for the next process to adopt
    files = sorted(directory.glob("*.jsonl"))
    assert len(files) == 2 and not any(b"\0" in p.read_bytes() for p in files)
    assert [records_in(p) for p in files] in ([many, [_record(9)]], [[_record(9)], many])


def test_a_full_disk_is_an_error_before_anything_is_written(tmp_path, monkeypatch):
    """The map's blocks are allocated first: no space is an OSError for the caller (the
    reader gets an error, nothing is answered), never a SIGBUS in a sparse file."""
    journal = Journal(tmp_path / "journal")

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "posix_fallocate", full)
        with pytest.raises(OSError, match="No space"):
            journal.append(_record(1))
    journal.append(_record(2))
    (path,) = (tmp_path / "journal").glob("*.jsonl")
    assert records_in(path) == [_record(2)]
    journal.close(settled=False)
    assert path.read_bytes().count(b"\n") == 1
