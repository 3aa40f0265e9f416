"""A full flush writes in parts of whole readings, and a confirmation that comes while it
writes goes in between, with its own reading's records taken out of the parts still to
come; a database that goes away in the middle keeps every record not written."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import func, select

from tests.support.study_seed import organisation, publish
from zhuanlan.errors import StorageError
from zhuanlan.store.schema import reading_views, readings
from zhuanlan.study import records
from zhuanlan.study.records import Reader, RecordBuffer


class _Watched:
    """The store, with what it holds after each committed transaction written down and
    an action run inside the first one (a request arriving while the flush writes)."""

    def __init__(self, db, during_first=None, fail_from: int | None = None) -> None:
        self.db, self.during_first, self.fail_from = db, during_first, fail_from
        self.after: list[tuple[int, bool]] = []
        self.watch: tuple[str, int] | None = None
        self.dialect = db.dialect

    @contextmanager
    def write(self):
        if self.fail_from is not None and len(self.after) + 1 >= self.fail_from:
            raise StorageError("database error: gone away", resource="test")
        with self.db.write() as conn:
            yield conn
            if not self.after and self.during_first is not None:
                self.during_first()
        with self.db.read() as conn:
            count = conn.execute(select(func.count()).select_from(readings)).scalar_one()
            studied = self.watch is not None and conn.execute(
                select(readings.c.studied_at).where(readings.c.reader == self.watch[0],
                                                    readings.c.article_id == self.watch[1])
            ).scalar() is not None
        self.after.append((count, studied))

    def read(self):
        return self.db.read()


def _seconds(zl) -> dict:
    with zl.db.read() as conn:
        return {(r.reader, r.article_id): r.active_seconds for r in conn.execute(select(readings))}


def test_a_confirmation_goes_between_the_parts_of_a_flush_with_its_own_reading(
        zl, monkeypatch):
    monkeypatch.setattr(records, "FLUSH_CHUNK", 2)
    people = organisation(zl)
    issue_id, (first,) = publish(zl, 1, "parts")
    buffer = RecordBuffer(zl.db, zl.clock, interval=3600)
    others = [Reader.anonymous(f"{'x' * 19}{n}") for n in range(5)]
    for n, other in enumerate(others):
        buffer.beat(other, first, f"view-part-{n:04d}", 10 + n)
    confirmer = Reader.person(people["甲"])
    buffer.opened(confirmer, first, issue_id)
    buffer.beat(confirmer, first, "view-part-conf", 40)    # taken last: in the last part
    answered = []
    watched = _Watched(zl.db, lambda: answered.append(
        buffer.confirm(confirmer, first, issue_id=issue_id, staff=False)))
    watched.watch = (confirmer.key, first)
    buffer.db = watched

    assert buffer.flush() == 2 * 6 + 1          # 6 opens, 6 views, 1 confirmation
    # Two readings, then the confirmation with its reading (out of the last part),
    # then the other three readings in two parts.
    assert watched.after == [(2, False), (3, True), (5, True), (6, True)]
    assert answered[0].result(timeout=1) is not None
    with zl.db.read() as conn:
        row = conn.execute(select(readings).where(readings.c.reader == confirmer.key)).one()
        views = dict(conn.execute(select(reading_views.c.view_id, reading_views.c.seconds)).all())
    assert (row.active_seconds, row.quick, row.issue_id) == (40, False, issue_id)
    assert views == {**{f"view-part-{n:04d}": 10 + n for n in range(5)}, "view-part-conf": 40}


def test_a_database_gone_in_the_middle_of_a_flush_loses_nothing(zl, monkeypatch, tmp_path):
    monkeypatch.setattr(records, "FLUSH_CHUNK", 2)
    people = organisation(zl)
    issue_id, (first,) = publish(zl, 1, "gone")
    journal = tmp_path / "journal"
    buffer = RecordBuffer(zl.db, zl.clock, interval=3600, journal_dir=journal)
    buffer.start()
    try:
        readers = [Reader.person(people[name]) for name in ("甲", "乙", "丙", "丁")]
        for n, reader in enumerate(readers):
            buffer.opened(reader, first, issue_id)
            buffer.beat(reader, first, f"view-gone-{n:04d}", 20 + n)
        buffer.db = _Watched(zl.db, fail_from=2)    # the first part only is written
        assert buffer.flush() == 4                   # two readings: two opens, two views
        assert len(_seconds(zl)) == 2
        assert any(journal.iterdir())                # not settled: the rest is not stored
        buffer.db = zl.db
        assert buffer.flush() == 4
        assert buffer.dropped == 0
        assert _seconds(zl) == {(r.key, first): 20 + n for n, r in enumerate(readers)}
    finally:
        buffer.stop()
    assert not list(journal.iterdir())


def test_a_confirmation_takes_exactly_its_readings_views(zl):
    people = organisation(zl)
    issue_id, (first, second) = publish(zl, 2, "views")
    buffer = RecordBuffer(zl.db, zl.clock, interval=3600)
    jia, yi = Reader.person(people["甲"]), Reader.person(people["乙"])
    buffer.beat(jia, first, "view-jia-0001", 30)
    buffer.beat(jia, first, "view-jia-0002", 20)
    buffer.beat(yi, first, "view-yi-00001", 50)
    buffer.beat(jia, first, "view-moved-01", 10)
    buffer.beat(jia, second, "view-moved-01", 15)      # the same view, sent for another
    buffer.confirm(jia, first, issue_id=issue_id, staff=False)
    assert buffer.flush_confirmations() == 4            # jia's reading, two views, 我已学习
    with zl.db.read() as conn:
        views = dict(conn.execute(select(reading_views.c.view_id, reading_views.c.seconds)).all())
    assert views == {"view-jia-0001": 30, "view-jia-0002": 20}
    assert _seconds(zl) == {(jia.key, first): 50}
    assert buffer.flush() == 4          # yi's reading, jia's other (the view moved): 2 + 2
    assert _seconds(zl) == {(jia.key, first): 50, (yi.key, first): 50, (jia.key, second): 15}
