"""After every action on the desk the page says in one line what happened, comes back at
the item the editor was at, and offers 撤销上一步 (per editor, refused when stale); the
desk warns about the next scheduled issue."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
import pytest

from tests.support.clock import FakeClock
from tests.support.desk_seed import SLUG, seed_candidates
from tests.support.smtp import free_port
from tests.support.web import WebServer
from tests.web.conftest import csrf_of, logged_in

REVIEW = f"/admin/c/{SLUG}/review"


@pytest.fixture
def desk(make_zl):
    from zhuanlan.web.app import create_app

    clock = FakeClock()
    zl = make_zl(clock=clock)
    zl.add_column(SLUG, "学习二十大", include="学习", schedule="0 9 * * 1", max_age_days=7)
    zl.add_source("人民网", "http://127.0.0.1:9/a.xml")
    zl.add_source("新华网", "http://127.0.0.1:9/b.xml")
    zl.staff.add_user("chief", "chief-password", role="admin")
    zl.staff.add_user("ed", "editor-password", role="editor", columns_=[SLUG])
    with WebServer(create_app(zl), free_port()) as web:
        ed = logged_in(web, "ed", "editor-password")
        try:
            yield zl, clock, web, ed
        finally:
            ed.close()


def _status(page: str) -> str:
    found = re.search(r'<div class="desk-status[^"]*" id="status" role="status"[^>]*>(.*?)</div>',
                      page, re.S)
    assert found, "the page has no status line"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def _post(client: httpx.Client, path: str, page: str, **data) -> tuple[str, str]:
    """POST a form of ``page``; (the redirect's location, the page it leads to)."""
    r = client.post(path, data={"csrf_token": csrf_of(page), **data})
    assert r.status_code == 303, r.text
    return r.headers["location"], client.get(r.headers["location"]).text


def test_a_decision_says_what_happened_and_comes_back_at_the_next_item(desk):
    zl, clock, web, ed = desk
    a, b, c = seed_candidates(zl, 3, "审")
    page = ed.get(REVIEW).text
    assert "撤销上一步" not in _status(page)
    # The form of each item names the item to come back to: the next one (it stays).
    assert re.search(rf'name="candidate_id" value="{a}">(?:(?!</form>).)*'
                     rf'name="focus" value="{b}"', page, re.S)
    assert re.search(rf'name="candidate_id" value="{c}">(?:(?!</form>).)*'
                     rf'name="focus" value="{b}"', page, re.S)     # the last: the one before
    where, shown = _post(ed, f"/admin/c/{SLUG}/decide", page, candidate_id=b,
                         action="approve", state="pending", focus=c)
    assert where.endswith(f"{REVIEW}?state=pending#cand-{c}")
    status = _status(shown)
    assert "已通过《审文章1》" in status and "撤销上一步" in status
    assert f'id="cand-{b}"' not in shown and f'id="cand-{c}"' in shown
    # Shown once: the next page says nothing, but still offers the undo with its label.
    assert "已通过《审文章1》" not in ed.get(REVIEW).text.split('id="status"')[1].split("</div>")[0]
    assert "撤销上一步：通过《审文章1》" in _status(ed.get(REVIEW).text)

    where, shown = _post(ed, f"/admin/c/{SLUG}/undo", shown, state="pending")
    assert where.endswith(f"#cand-{b}")
    assert "已撤销：通过《审文章1》" in _status(shown)
    assert zl.desk.candidate(b)["state"] == "pending"
    assert "撤销：通过《审文章1》" in [e["detail"] for e in zl.audit()]


def test_a_refused_decision_says_why_and_stays_at_the_item(desk):
    zl, clock, web, ed = desk
    (a,) = seed_candidates(zl, 1, "拒")
    page = ed.get(REVIEW).text
    zl.decide(a, "approve")
    r = ed.post(f"/admin/c/{SLUG}/decide", data={
        "csrf_token": csrf_of(page), "candidate_id": a, "action": "approve"})
    assert r.headers["location"].endswith(f"#cand-{a}")
    shown = ed.get(r.headers["location"]).text
    assert re.search(r'<p class="error" role="alert">[^<]+</p>', shown)


def test_bulk_move_note_and_poll_each_say_what_happened(desk):
    zl, clock, web, ed = desk
    ids = seed_candidates(zl, 5, "批")
    page = ed.get(REVIEW).text
    where, shown = _post(ed, f"/admin/c/{SLUG}/bulk", page, action="approve",
                         state="pending", candidate_id=ids[:2], focus=ids[2])
    assert "已批量通过 2 篇" in _status(shown) and where.endswith(f"#cand-{ids[2]}")
    _, shown = _post(ed, f"/admin/c/{SLUG}/undo", shown, state="pending")
    assert "已撤销：批量通过 2 篇" in _status(shown)
    _, shown = _post(ed, f"/admin/c/{SLUG}/bulk", shown, action="approve", state="pending",
                     candidate_id=ids)
    assert "已批量通过 5 篇" in _status(shown)

    page = ed.get(f"{REVIEW}?state=approved").text
    order = zl.desk.approved_order(SLUG)
    where, shown = _post(ed, f"/admin/c/{SLUG}/move", page, candidate_id=order[2],
                         direction="up")
    assert where.endswith(f"#cand-{order[2]}")
    assert "已将《批文章2》从第 3 篇移到第 2 篇" in _status(shown)

    where, shown = _post(ed, f"/admin/c/{SLUG}/note", shown, editor_note="本期要点", state="approved")
    assert where.endswith("#note") and "编者按已保存" in _status(shown)
    assert 'id="note"' in shown

    _, shown = _post(ed, f"/admin/c/{SLUG}/poll", shown, state="approved")
    assert "已开始抓取 2 个信息源" in _status(shown)
    assert all(s["next_poll_at"] <= clock.now for s in zl.list_sources())

    # 撤销上一步 takes back the note, then there is nothing left.
    _, shown = _post(ed, f"/admin/c/{SLUG}/undo", shown, state="approved")
    assert "已撤销：保存编者按" in _status(shown)
    assert zl.get_column(SLUG)["editor_note"] == ""
    _, shown = _post(ed, f"/admin/c/{SLUG}/undo", shown, state="approved")
    assert "没有可撤销的操作" in shown and "撤销上一步" not in _status(shown)


def test_undo_is_per_editor_and_refused_when_stale(desk):
    zl, clock, web, ed = desk
    (a,) = seed_candidates(zl, 1, "旧")
    page = ed.get(REVIEW).text
    _post(ed, f"/admin/c/{SLUG}/decide", page, candidate_id=a, action="approve")
    chief = logged_in(web, "chief", "chief-password")
    try:
        page = chief.get(REVIEW).text
        assert "撤销上一步" not in _status(page)        # ed's step is not chief's
        _, shown = _post(chief, f"/admin/c/{SLUG}/undo", page)
        assert "没有可撤销的操作" in shown
        assert zl.desk.candidate(a)["state"] == "approved"
    finally:
        chief.close()
    zl.publish_now(SLUG)
    _, shown = _post(ed, f"/admin/c/{SLUG}/undo", ed.get(REVIEW).text)
    assert "《旧文章0》已在第 1 期发布，无法撤销" in shown
    assert zl.desk.candidate(a)["state"] == "published"


def test_the_sources_page_says_polling_started(desk):
    zl, clock, web, ed = desk
    source = zl.list_sources()[0]
    _, shown = _post(ed, f"/admin/sources/{source['id']}/poll", ed.get("/admin/sources").text)
    assert "已开始抓取「人民网」" in shown


def _warnings(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", " ", m))
            for m in re.findall(r'<p class="warning issue-warning[^"]*">(.*?)</p>', page, re.S)]


def test_the_desk_warns_about_the_next_issue(desk):
    zl, clock, web, ed = desk
    # Nothing approved: the scheduler sends no empty issue and moves on.
    warned = _warnings(ed.get(REVIEW).text)
    assert len(warned) == 1
    assert "3月9日（周一）09:00 将不会发出：还没有已通过的稿件" in warned[0]
    assert "推送顺延到 3月16日（周一）09:00" in warned[0] and "去审稿" in warned[0]

    # Approved items from before the column's 7 days, and a note saved more than one
    # interval (a week) ago.
    seed_candidates(zl, 2, "旧", state="approved", published_at=clock.now - timedelta(days=10))
    zl.set_editor_note(SLUG, "上周的编者按")
    clock.advance(days=8)
    zl.set_schedule(SLUG, "0 9 * * 1")
    seed_candidates(zl, 1, "新", state="approved")
    ed = logged_in(web, "ed", "editor-password")     # the old session timed out
    page = ed.get(REVIEW).text
    warned = _warnings(page)
    assert [w.split("：")[0] for w in warned] == ["编者按保存于 2026年3月2日，已超过一个推送周期",
                                                 "2 篇已通过的稿件早于本栏目 7 天的时间范围（最早 2026年2月20日）"]
    assert "3月16日（周一）09:00 将带着这条旧的编者按发出" in warned[0]
    assert "3月16日（周一）09:00 将随这一期发出" in warned[1]
    assert f'href="{REVIEW}?state=pending#note">改写编者按</a>' in page
    assert f'href="{REVIEW}?state=approved&amp;sort=oldest">查看这些稿件</a>' in page

    # A fresh note and the old items taken out: no warning left.
    zl.set_editor_note(SLUG, "本周的编者按")
    for c in zl.candidates(SLUG, "approved"):
        if c["title"].startswith("旧"):
            zl.decide(c["id"], "reject")
    assert _warnings(ed.get(REVIEW).text) == []
    ed.close()


def test_the_desk_home_lists_each_columns_warnings(desk):
    zl, clock, web, ed = desk
    home = ed.get("/admin").text
    assert _warnings(home) and "将不会发出：还没有已通过的稿件" in _warnings(home)[0]
    assert f'href="{REVIEW}#next-issue"' in home


def test_a_decision_on_the_candidate_page_is_confirmed_there(desk):
    zl, clock, web, ed = desk
    (a,) = seed_candidates(zl, 1, "预览")
    page = ed.get(f"/admin/c/{SLUG}/candidate/{a}").text
    where, shown = _post(ed, f"/admin/c/{SLUG}/decide", page, candidate_id=a,
                         action="reject", return_to="candidate")
    assert where.startswith(f"/admin/c/{SLUG}/candidate/{a}?")
    status = _status(shown)
    assert "已退回《预览文章0》" in status and "撤销上一步" in status
    assert "/static/review.js" in shown          # u works here too
