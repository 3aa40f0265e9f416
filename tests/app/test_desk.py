"""The editor's desk (``zl.desk``): edits of title and summary for a column, the order of
the next issue, its preview, and the queue's filters and sorts — on both databases."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.support.clock import FakeClock
from zhuanlan.app.desk import QueueQuery
from zhuanlan.errors import InvalidTransition, NotFoundError, RuleError
from zhuanlan.store.schema import articles, audit_log, candidates, stories

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def desk_zl(make_zl):
    zl = make_zl(clock=FakeClock(T0))
    zl.add_column("c", "学习专栏", include="二十大", editor_note="编者按：认真学习。")
    zl.add_column("other", "另一专栏", include="二十大")
    return zl


def _source(zl, name: str) -> int:
    return zl.add_source(name, f"http://127.0.0.1/{abs(hash(name))}.xml")


def _candidate(zl, i: int, title: str, *, score: float = 1.0, source_id: int | None = None,
               published: datetime | None = T0, column: str = "c", story_id: int | None = None,
               text: str | None = None) -> int:
    """An article and its candidate in ``column``; returns the candidate id."""
    text = text or f"{title}。第一段讲学习二十大精神。\n第二段。"
    col = zl.get_column(column)
    with zl.db.write() as conn:
        aid = conn.execute(articles.insert().values(
            source_id=source_id, url=f"http://x/{i}", canonical_url=f"http://x/{i}",
            content_hash=f"{i:064d}", title=title, text=text, title_orig=title,
            text_orig=text, flags="", created_at=T0, published_at=published,
            story_id=story_id)).inserted_primary_key[0]
        return conn.execute(candidates.insert().values(
            column_id=col["id"], article_id=aid, state="pending", score=score,
            terms=json.dumps(["二十大"]), reason="命中：二十大", story_id=story_id,
            created_at=T0)).inserted_primary_key[0]


def _article_of(zl, candidate_id: int) -> int:
    with zl.db.read() as conn:
        return conn.execute(select(candidates.c.article_id)
                            .where(candidates.c.id == candidate_id)).scalar()


def _audit(zl, action: str) -> list[dict]:
    with zl.db.read() as conn:
        return [dict(r) for r in conn.execute(
            select(audit_log).where(audit_log.c.action == action)
            .order_by(audit_log.c.id)).mappings()]


def test_edit_title_and_summary_for_the_column_leaves_the_article_alone(desk_zl):
    zl = desk_zl
    cid = _candidate(zl, 1, "原来的标题")
    edited = zl.desk.edit_candidate(cid, title="  编辑改过的\n标题 ", summary="编辑写的摘要。",
                                    by="editor1", column="c")
    assert edited["title_override"] == "编辑改过的 标题"
    assert edited["display_title"] == "编辑改过的 标题"
    assert edited["summary_override"] == "编辑写的摘要。"
    assert edited["title"] == "原来的标题"
    assert zl.article(_article_of(zl, cid))["title"] == "原来的标题"
    # The queue rows carry the override too.
    row = next(r for r in zl.candidates("c") if r["id"] == cid)
    assert row["title_override"] == "编辑改过的 标题"
    entry = _audit(zl, "edit")[-1]
    assert entry["actor"] == "editor1" and entry["target"] == f"candidate {cid}"
    assert json.loads(entry["detail"]) == {"title": "编辑改过的 标题", "summary": "编辑写的摘要。"}

    # Saving the same again is no change and no audit entry; an empty title, or the
    # article's own, removes the override.
    zl.desk.edit_candidate(cid, title="编辑改过的 标题", summary="编辑写的摘要。", by="editor1",
                           column="c")
    assert len(_audit(zl, "edit")) == 1
    back = zl.desk.edit_candidate(cid, title="原来的标题", by="editor1", column="c")
    assert back["title_override"] is None and back["summary_override"] == "编辑写的摘要。"
    assert zl.desk.edit_candidate(cid, summary="", by="e", column="c")["summary_override"] is None


def test_edits_are_bound_to_the_column_and_checked(desk_zl):
    zl = desk_zl
    cid = _candidate(zl, 1, "标题")
    with pytest.raises(NotFoundError):
        zl.desk.edit_candidate(cid, title="别的", by="e", column="other")
    with pytest.raises(NotFoundError):
        zl.desk.edit_candidate(999999, title="别的", by="e", column="c")
    with pytest.raises(RuleError):
        zl.desk.edit_candidate(cid, title="长" * 301, by="e", column="c")
    assert zl.desk.candidate(cid)["title_override"] is None
    zl.decide(cid, "approve", column="c")
    assert zl.publish_now("c") is not None
    with pytest.raises(InvalidTransition):
        zl.desk.edit_candidate(cid, title="发布后再改", by="e", column="c")


def test_the_issue_carries_the_edited_title_and_summary(desk_zl):
    zl = desk_zl
    edited = _candidate(zl, 1, "原标题一", score=5)
    plain = _candidate(zl, 2, "原标题二", score=3)
    zl.desk.edit_candidate(edited, title="新标题一", summary="新摘要一", by="e", column="c")
    for cid in (edited, plain):
        zl.decide(cid, "approve", column="c")
    zl.publish_now("c")
    view = zl.issue_view("c", 1)
    assert [i.title for i in view.items] == ["新标题一", "原标题二"]
    assert [i.original_title for i in view.items] == ["原标题一", "原标题二"]
    assert view.items[0].summary == "新摘要一"
    assert view.items[1].summary.startswith("原标题二。第一段")
    # The e-mail is rendered from the same view.
    from zhuanlan.publish.render import render_email
    mail = render_email(view)
    assert "新标题一" in mail.html and "新标题一" in mail.text and "原标题一" not in mail.text


def test_the_story_representative_is_published_with_the_editors_title(desk_zl):
    zl = desk_zl
    with zl.db.write() as conn:
        sid = conn.execute(stories.insert().values(size=2, created_at=T0, updated_at=T0)
                           ).inserted_primary_key[0]
    cid = _candidate(zl, 1, "转载稿", story_id=sid)
    with zl.db.write() as conn:
        rep = conn.execute(articles.insert().values(
            url="http://x/rep", canonical_url="http://x/rep", content_hash="r" * 64,
            title="新华社原稿", text="新华社原稿正文。", title_orig="新华社原稿",
            text_orig="新华社原稿正文。", flags="", created_at=T0, story_id=sid)
        ).inserted_primary_key[0]
        conn.execute(stories.update().values(representative_id=rep))
    zl.desk.edit_candidate(cid, title="编辑的标题", by="e", column="c")
    zl.decide(cid, "approve", column="c")
    assert zl.desk.next_issue("c")["items"][0]["title"] == "编辑的标题"
    zl.publish_now("c")
    item = zl.issue_view("c", 1).items[0]
    assert item.title == "编辑的标题" and item.original_title == "新华社原稿"
    assert f"/a/{rep}?i=" in item.web_url


def test_moving_items_sets_the_order_of_the_issue(desk_zl):
    zl = desk_zl
    a = _candidate(zl, 1, "甲", score=9)
    b = _candidate(zl, 2, "乙", score=5)
    c = _candidate(zl, 3, "丙", score=1)
    pending = _candidate(zl, 4, "丁", score=7)
    for cid in (a, b, c):
        zl.decide(cid, "approve", column="c")
    assert zl.desk.approved_order("c") == [a, b, c]          # by score before any move
    assert zl.desk.move(c, "up", by="editor1", column="c") == [a, c, b]
    assert zl.desk.move(c, "up", by="editor1", column="c") == [c, a, b]
    assert zl.desk.move(c, "up", by="editor1", column="c") == [c, a, b]   # already first
    assert zl.desk.move(a, "bottom", by="editor1", column="c") == [c, b, a]
    assert [e["detail"] for e in _audit(zl, "move")] == [
        "第 3 篇 → 第 2 篇", "第 2 篇 → 第 1 篇", "第 2 篇 → 第 3 篇"]
    with pytest.raises(InvalidTransition):
        zl.desk.move(pending, "up", by="e", column="c")
    with pytest.raises(NotFoundError):
        zl.desk.move(a, "up", by="e", column="other")
    with pytest.raises(RuleError):
        zl.desk.move(a, "sideways", by="e", column="c")
    # A newly approved item goes after the ordered ones.
    zl.decide(pending, "approve", column="c")
    assert zl.desk.approved_order("c") == [c, b, a, pending]
    # Undone and approved again, an item loses its place and goes to the end.
    zl.decide(c, "undo", column="c")
    assert zl.desk.approved_order("c") == [b, a, pending]
    zl.decide(c, "approve", column="c")
    assert zl.desk.approved_order("c") == [b, a, pending, c]
    zl.desk.move(c, "top", by="editor1", column="c")
    preview = zl.desk.next_issue("c")
    assert [i["title"] for i in preview["items"]] == ["丙", "乙", "甲", "丁"]
    zl.publish_now("c")
    assert [i.title for i in zl.issue_view("c", 1).items] == ["丙", "乙", "甲", "丁"]


def test_next_issue_preview(desk_zl):
    zl = desk_zl
    empty = zl.desk.next_issue("c")
    assert empty["count"] == 0 and empty["items"] == []
    assert empty["editor_note"] == "认真学习。"          # stored without its label
    assert empty["next_run_at"] == zl.get_column("c")["next_run_at"]
    assert empty["schedule"] == "0 9 * * 1"
    a = _candidate(zl, 1, "甲", score=2)
    b = _candidate(zl, 2, "乙", score=1)
    zl.desk.edit_candidate(b, title="乙（改）", by="e", column="c")
    zl.decide(a, "approve", column="c")
    zl.decide(b, "approve", column="c")
    zl.set_editor_note("c", "新的编者按")
    preview = zl.desk.next_issue("c")
    assert preview["count"] == 2 and preview["waiting"] == 0
    assert [(i["title"], i["edited"]) for i in preview["items"]] == [("甲", False), ("乙（改）", True)]
    assert preview["editor_note"] == "新的编者按"
    with pytest.raises(NotFoundError):
        zl.desk.next_issue("nope")


def test_queue_filters_and_sorts(desk_zl):
    zl = desk_zl
    people, xinhua = _source(zl, "人民网"), _source(zl, "新华网")
    with zl.db.write() as conn:
        sid = conn.execute(stories.insert().values(size=2, created_at=T0, updated_at=T0)
                           ).inserted_primary_key[0]
    old = _candidate(zl, 1, "二十大精神宣讲", score=3, source_id=people,
                     published=T0 - timedelta(days=3))
    new = _candidate(zl, 2, "学习二十大报告", score=1, source_id=xinhua, published=T0,
                     story_id=sid)
    mid = _candidate(zl, 3, "基层宣讲活动", score=2, source_id=people,
                     published=T0 - timedelta(days=1))
    with zl.db.write() as conn:   # another outlet's copy of the second one's story
        conn.execute(articles.insert().values(
            source_id=people, url="http://x/copy", canonical_url="http://x/copy",
            content_hash="c" * 64, title="学习二十大报告", text="转载", title_orig="t",
            text_orig="t", flags="", created_at=T0, story_id=sid))

    def ids(**params) -> list[int]:
        query = QueueQuery.from_params(params)
        return [r["id"] for r in zl.desk.refine("c", zl.candidates("c"), query,
                                                state="pending", tz="Asia/Shanghai")]

    assert ids() == [old, mid, new]                          # keyword score before learning
    assert ids(outlet="人民网") == [old, mid]
    assert ids(q="宣讲") == [old, mid]
    assert ids(min_score="2") == [old, mid]
    assert ids(min_score="abc") == [old, mid, new]           # a malformed filter is ignored
    assert ids(others="1") == [new]
    assert ids(sort="newest") == [new, mid, old]
    assert ids(sort="oldest") == [old, mid, new]
    assert ids(sort="score") == [old, mid, new]
    day = (T0 - timedelta(days=1)).astimezone(timezone(timedelta(hours=8))).date()
    assert ids(**{"from": day.isoformat()}) == [mid, new]
    assert ids(**{"from": day.isoformat(), "to": day.isoformat()}) == [mid]
    zl.desk.edit_candidate(mid, title="改过的标题含关键字", by="e", column="c")
    assert ids(q="关键字") == [mid]
    assert zl.desk.outlets("c") == ["人民网", "新华网"]
    rows = zl.desk.refine("c", zl.candidates("c"), QueueQuery(), state="pending")
    assert {r["id"]: r["other_count"] for r in rows} == {old: 0, mid: 0, new: 1}

    # The approved tab sorts in the next issue's order by default.
    for cid in (old, new):
        zl.decide(cid, "approve", column="c")
    zl.desk.move(new, "up", by="e", column="c")
    approved = zl.desk.refine("c", zl.candidates("c", "approved"), QueueQuery(),
                              state="approved")
    assert [r["id"] for r in approved] == [new, old]


def test_queue_query_round_trip():
    q = QueueQuery.from_params({"outlet": "人民网", "q": " 二十大 ", "from": "2026-11-01",
                                "to": "bad", "min_score": "1.5", "others": "1",
                                "sort": "newest", "state": "x", "evil": "1"})
    assert q == QueueQuery(outlet="人民网", q="二十大", date_from=date(2026, 11, 1),
                           min_score=1.5, has_others=True, sort="newest")
    assert QueueQuery.from_params(q.to_params()) == q
    assert QueueQuery.from_params({"sort": "nonsense"}).sort == ""
    assert QueueQuery().sort_for("approved") == "order"
    assert QueueQuery(sort="order").sort_for("pending") == "priority"
    assert not QueueQuery(sort="score").filtered
