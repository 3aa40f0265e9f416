"""An editor corrects the story folding (``zl.desk``), on both databases: 以此为准 pins the
representative against copies arriving later; 不是同一篇 splits a copy into a story of its
own that assignment never folds back, with its candidates following and the old story
choosing again; both audited, both bound to the candidate's column."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.support.stories import DISPATCH, OTHER_TOPIC, add_copy, propose
from zhuanlan.dedup.minhash import signature
from zhuanlan.errors import InvalidTransition, NotFoundError
from zhuanlan.jobs.story_index import assign_story
from zhuanlan.store.schema import articles, audit_log, candidates, stories

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def story_zl(make_zl):
    zl = make_zl(clock=lambda: T0)
    zl.add_column("c", "学习专栏", include="二十大")
    zl.add_column("other", "另一专栏", include="二十大")
    return zl


def _story(zl, story_id: int):
    with zl.db.read() as conn:
        return conn.execute(select(stories).where(stories.c.id == story_id)).one()


def _article(zl, article_id: int):
    with zl.db.read() as conn:
        return conn.execute(select(articles.c.story_id, articles.c.relation,
                                   articles.c.story_locked)
                            .where(articles.c.id == article_id)).one()


def _candidate_story(zl, candidate_id: int) -> int:
    with zl.db.read() as conn:
        return conn.execute(select(candidates.c.story_id)
                            .where(candidates.c.id == candidate_id)).scalar()


def _audit(zl, action: str) -> list:
    with zl.db.read() as conn:
        return conn.execute(select(audit_log).where(audit_log.c.action == action)
                            .order_by(audit_log.c.id)).all()


def test_a_pinned_representative_survives_a_more_authoritative_repost(story_zl):
    zl = story_zl
    paper = add_copy(zl, "澎湃新闻", T0)
    people = add_copy(zl, "人民网", T0)
    cid = propose(zl, zl.get_column("c")["id"], paper, T0)
    story_id = _article(zl, paper).story_id
    assert _story(zl, story_id).representative_id == people      # the rules' choice

    shown = zl.desk.pin_representative(cid, paper, by="ed", column="c")
    assert shown["representative_id"] == paper and shown["pinned_by"] == "ed"
    assert shown["pinned_at"] == T0
    assert [(c["article_id"], c["representative"], c["own"]) for c in shown["copies"]] == [
        (paper, True, True), (people, False, False)]

    # The original from 新华社 would win by the rules; the pin holds, the size counts it.
    xinhua = add_copy(zl, "新华社", T0)
    assert _article(zl, xinhua).story_id == story_id
    row = _story(zl, story_id)
    assert (row.representative_id, row.size, row.pinned_by) == (paper, 3, "ed")
    zl.decide(cid, "approve", column="c")
    assert [i["article_id"] for i in zl.desk.next_issue("c")["items"]] == [paper]

    entry = _audit(zl, "story_representative")[-1]
    assert (entry.actor, entry.target) == ("ed", f"story {story_id}")
    assert f"以文章 {paper} 为准" in entry.detail

    # Released, the rules choose again at once.
    shown = zl.desk.pin_representative(cid, None, by="ed", column="c")
    assert (shown["representative_id"], shown["pinned_by"]) == (xinhua, None)
    assert len(_audit(zl, "story_representative")) == 2


def test_split_gives_the_copy_a_story_of_its_own_and_the_old_one_chooses_again(story_zl):
    zl = story_zl
    paper = add_copy(zl, "澎湃新闻", T0)
    people = add_copy(zl, "人民网", T0)
    wrong = add_copy(zl, "新华社", T0)      # folded in by mistake, and the representative
    in_c = propose(zl, zl.get_column("c")["id"], paper, T0)
    in_other = propose(zl, zl.get_column("other")["id"], wrong, T0)
    old = _article(zl, paper).story_id
    assert _story(zl, old).representative_id == wrong

    new = zl.desk.split_copy(in_c, wrong, by="ed", column="c")
    assert new != old
    assert tuple(_article(zl, wrong)) == (new, None, True)
    row = _story(zl, new)
    assert (row.representative_id, row.size) == (wrong, 1)
    row = _story(zl, old)
    assert (row.representative_id, row.size) == (people, 2)
    # The other column's candidate was of the split article: it follows it.
    assert (_candidate_story(zl, in_c), _candidate_story(zl, in_other)) == (old, new)
    assert [c["article_id"] for c in zl.desk.story(in_other, column="other")["copies"]] == [wrong]
    # The copies left behind are offered again where the split copy stood for them
    # (and only there: column c still has its one candidate of the old story).
    with zl.db.read() as conn:
        rows = conn.execute(select(candidates.c.column_id, candidates.c.article_id,
                                   candidates.c.story_id, candidates.c.state)
                            .order_by(candidates.c.id)).all()
    c_id, other_id = zl.get_column("c")["id"], zl.get_column("other")["id"]
    assert [tuple(r) for r in rows] == [(c_id, paper, old, "pending"),
                                        (other_id, wrong, new, "pending"),
                                        (other_id, people, old, "pending")]
    entry = _audit(zl, "story_split")[-1]
    assert (entry.actor, entry.target) == ("ed", f"story {old}")
    assert f"拆为报道 {new}" in entry.detail

    # Assigned again (a re-extraction that signs it anew), it stays where the editor put it.
    with zl.db.write() as conn:
        assert assign_story(conn, zl.story_index, wrong, signature(DISPATCH), T0) == (new, None)
    assert _article(zl, wrong).story_id == new


def test_a_pin_holds_through_a_split_unless_the_pinned_copy_leaves(story_zl):
    zl = story_zl
    first = add_copy(zl, "澎湃新闻", T0)
    second = add_copy(zl, "澎湃新闻", T0)
    people = add_copy(zl, "人民网", T0)
    cid = propose(zl, zl.get_column("c")["id"], first, T0)
    story_id = _article(zl, first).story_id
    zl.desk.pin_representative(cid, second, by="ed", column="c")

    zl.desk.split_copy(cid, people, by="ed", column="c")
    row = _story(zl, story_id)
    assert (row.representative_id, row.pinned_by, row.size) == (second, "ed", 2)

    zl.desk.split_copy(cid, second, by="ed", column="c")
    row = _story(zl, story_id)
    assert (row.representative_id, row.pinned_by, row.size) == (first, None, 1)


def test_story_corrections_are_checked(story_zl):
    zl = story_zl
    a = add_copy(zl, "澎湃新闻", T0)
    b = add_copy(zl, "人民网", T0)
    elsewhere = add_copy(zl, "经济日报", T0, text=OTHER_TOPIC, title="秋粮收购有序推进")
    cid = propose(zl, zl.get_column("c")["id"], a, T0)
    alone = propose(zl, zl.get_column("c")["id"], elsewhere, T0)
    story_id = _article(zl, a).story_id
    before = tuple(_story(zl, story_id))

    for call in (lambda: zl.desk.pin_representative(cid, b, by="e", column="other"),
                 lambda: zl.desk.split_copy(cid, b, by="e", column="other"),
                 lambda: zl.desk.pin_representative(999999, b, by="e", column="c"),
                 lambda: zl.desk.split_copy(999999, b, by="e", column="c"),
                 lambda: zl.desk.story(cid, column="other"),
                 # An article of another story is not a copy of this one.
                 lambda: zl.desk.pin_representative(cid, elsewhere, by="e", column="c"),
                 lambda: zl.desk.split_copy(cid, elsewhere, by="e", column="c"),
                 lambda: zl.desk.split_copy(cid, 999999, by="e", column="c")):
        with pytest.raises(NotFoundError):
            call()
    with pytest.raises(InvalidTransition):
        zl.desk.split_copy(alone, elsewhere, by="e", column="c")    # its story's only copy
    assert tuple(_story(zl, story_id)) == before
    assert _audit(zl, "story_representative") == _audit(zl, "story_split") == []

    # A candidate from before stories existed has none to correct.
    with zl.db.write() as conn:
        conn.execute(candidates.update().where(candidates.c.id == alone).values(story_id=None))
        conn.execute(articles.update().where(articles.c.id == elsewhere).values(story_id=None))
    with pytest.raises(NotFoundError):
        zl.desk.story(alone, column="c")
