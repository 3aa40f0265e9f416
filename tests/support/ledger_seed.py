"""Two issues of a column with records of every kind for the 学习台账 tests: reading,
我已学习 (with and without the column's minimum reading time), 答题 answers and 学习心得."""

from __future__ import annotations

from sqlalchemy import update

from tests.support.clock import FakeClock
from tests.support.study_seed import SLUG, mark_sent, organisation, publish
from zhuanlan.store.schema import columns, quiz_answers, quiz_questions, reflections
from zhuanlan.study.records import Reader, confirm_studied


def _answer(zl, issue_id: int, subscriber_id: int, results: list[bool]) -> None:
    now = zl.clock()
    with zl.db.write() as conn:
        column_id = conn.execute(columns.select().where(columns.c.slug == SLUG)).first().id
        for i, correct in enumerate(results):
            qid = conn.execute(quiz_questions.insert().values(
                column_id=column_id, issue_id=issue_id, kind="judge", prompt=f"问题{i}",
                answer="对", state="kept", created_at=now)).inserted_primary_key[0]
            conn.execute(quiz_answers.insert().values(
                question_id=qid, issue_id=issue_id, subscriber_id=subscriber_id,
                answer="对" if correct else "错", correct=correct, answered_at=now))


def _reflect(zl, issue_id: int, subscriber_id: int, *, excellent=False, hidden=False) -> None:
    with zl.db.write() as conn:
        conn.execute(reflections.insert().values(
            issue_id=issue_id, subscriber_id=subscriber_id, body="体会", excellent=excellent,
            hidden=hidden, submitted_at=zl.clock()))


def _study(zl, who: int, arts: list[int], seconds: int, issue_id: int) -> None:
    reader = Reader.person(who)
    for a in arts:
        zl.records.opened(reader, a, issue_id)
        if seconds:
            zl.records.beat(reader, a, f"v-{who}-{a}-{issue_id}-x", seconds)
    zl.records.flush()
    for a in arts:
        confirm_studied(zl.db, reader, a, zl.clock(), issue_id)


def two_issues(make_zl, **settings):
    """Issue 1 in March (甲 studies it all, 乙 half, 丙 opens), issue 2 in April (甲 only
    confirms without reading time under a 30-second minimum, 乙 studies); 丁's pushes
    are never sent."""
    clock = FakeClock()
    zl = make_zl(clock=clock, **settings)
    p = organisation(zl)
    one, arts1 = publish(zl, 2, "一")
    mark_sent(zl, one, [p["甲"], p["乙"], p["丙"]])
    _study(zl, p["甲"], arts1, 90, one)
    _study(zl, p["乙"], arts1[:1], 60, one)
    zl.records.opened(Reader.person(p["丙"]), arts1[0], one)
    zl.records.flush()
    _answer(zl, one, p["甲"], [True, True, False, True])
    _answer(zl, one, p["乙"], [False, True])
    _reflect(zl, one, p["甲"], excellent=True)
    _reflect(zl, one, p["乙"], hidden=True)
    clock.advance(days=35)
    with zl.db.write() as conn:
        conn.execute(update(columns).values(min_read_seconds=30))
    two, arts2 = publish(zl, 1, "二")
    mark_sent(zl, two, [p["甲"], p["乙"], p["丙"]])
    _study(zl, p["甲"], arts2, 0, two)
    _study(zl, p["乙"], arts2, 45, two)
    _reflect(zl, two, p["乙"])
    return zl, p, one, two
