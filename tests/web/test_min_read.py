"""Reading time and 我已学习 over real HTTP: a confirmation with no reading time is kept
and marked quick; a column's minimum reading time keeps a too-early confirmation from
counting (the reader is told, the statistics count it as too quick per department) until
later reading brings the time up; editors set the minimum on the column's statistics
page, viewers may not."""

from __future__ import annotations

import json
import re

import httpx
from sqlalchemy import select

from tests.support.study_seed import mark_sent, seed_articles
from tests.web.conftest import SLUG, csrf_of, logged_in
from zhuanlan.links import READER
from zhuanlan.store.schema import readings

ISSUE = f"/admin/stats/c/{SLUG}/1"


def _issue(zl) -> tuple[dict[str, int], int]:
    people = {name: zl.add_subscriber(f"{n}@example.com", name, department=dept)
              for n, (name, dept) in enumerate([("甲", "集团/一公司"), ("乙", "集团/一公司"),
                                                ("丙", "集团/二公司")])}
    zl.people.subscribe_department(SLUG, "集团")
    (aid,) = seed_articles(zl, 1, "本期")
    mark_sent(zl, zl.publish_now(SLUG))
    return people, aid


def _reader(zl, web, subscriber_id: int) -> httpx.Client:
    client = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)
    token = zl.links.sign(READER, {"s": subscriber_id})
    assert client.get(f"/r/{token}", params={"next": "/"}).status_code == 303
    return client


def _beat(client, article_id: int, view: str, seconds: int) -> None:
    r = client.post("/read/beat", content=json.dumps({"v": view, "a": article_id, "s": seconds}),
                    headers={"Content-Type": "text/plain"})
    assert r.status_code == 204


def _reading(zl, subscriber_id: int) -> dict:
    zl.records.flush()
    with zl.db.read() as conn:
        return dict(conn.execute(select(readings).where(
            readings.c.subscriber_id == subscriber_id)).mappings().one())


def _figures(text: str) -> tuple[str, str]:
    studied = re.search(r'id="studied-count">(\d+)<', text).group(1)
    quick = re.search(r'id="too-quick">(\d+)<', text).group(1)
    return studied, quick


def test_a_confirmation_without_reading_time_is_kept_and_marked(site):
    zl, web = site
    people, aid = _issue(zl)
    jia, yi = _reader(zl, web, people["甲"]), _reader(zl, web, people["乙"])
    admin = logged_in(web, "chief", "chief-password")
    try:
        # 甲 confirms straight from the list: no page view, no heartbeat.
        assert jia.post("/read/studied", data={"article_id": aid}).status_code == 303
        assert _reading(zl, people["甲"])["quick"] is True
        # 乙 reads first (heartbeats through the real endpoint), then confirms.
        assert yi.get(f"/a/{aid}").status_code == 200
        _beat(yi, aid, "view-yi-000001", 20)
        assert yi.post("/read/studied", data={"article_id": aid}).status_code == 303
        row = _reading(zl, people["乙"])
        assert row["quick"] is False and row["studied_at"] is not None
        # No minimum: both count, the quick one is told apart.
        page = admin.get(ISSUE).text
        assert _figures(page) == ("2", "1")
        assert "未计阅读时长" in page
    finally:
        for c in (jia, yi, admin):
            c.close()


def test_a_minimum_reading_time_keeps_an_early_confirmation_from_counting(site):
    zl, web = site
    people, aid = _issue(zl)
    viewer = logged_in(web, "look", "viewer-password")
    editor = logged_in(web, "ed", "editor-password")
    jia = _reader(zl, web, people["甲"])
    try:
        page = viewer.get(f"/admin/stats/c/{SLUG}")
        assert 'action="/admin/stats/c/xuexi/min-read"' not in page.text
        r = viewer.post(f"/admin/stats/c/{SLUG}/min-read",
                        data={"csrf_token": csrf_of(page.text), "seconds": "30"})
        assert r.status_code == 403
        page = editor.get(f"/admin/stats/c/{SLUG}")
        r = editor.post(f"/admin/stats/c/{SLUG}/min-read",
                        data={"csrf_token": csrf_of(page.text), "seconds": "30"})
        assert r.status_code == 303
        assert "每篇最短阅读时间：30 秒" in editor.get(r.headers["location"]).text
        entry = zl.audit(1)[0]
        assert (entry["action"], entry["actor"]) == ("column.min_read", "ed")

        assert jia.get(f"/a/{aid}").status_code == 200
        _beat(jia, aid, "view-jia-00001", 10)
        r = jia.post("/read/studied", data={"article_id": aid})
        assert r.status_code == 303
        assert "我已学习" in jia.get(f"/a/{aid}").text
        state = jia.get(f"/read/state?a={aid}").json()
        assert state["too_quick"] is True and state["min_seconds"] == 30
        row = _reading(zl, people["甲"])
        assert row["studied_at"] is not None and row["quick"] is False   # kept
        stats = viewer.get(ISSUE).text
        assert _figures(stats) == ("0", "1")
        assert "不足 30 秒" in stats
        companies = {r[0]: r for r in
                     (line.split(",") for line in viewer.get(f"{ISSUE}/export.csv")
                      .content.decode("utf-8-sig").splitlines()[1:])}
        assert companies["集团/一公司"][-1] == "1" and companies["集团/二公司"][-1] == "0"
        # Still unstudied: a reminder reaches 甲 too.
        assert zl.reminders.remind(zl.issue_id(SLUG, 1), by="test").count == 3

        # Reading on brings the time over the minimum: the confirmation counts now.
        _beat(jia, aid, "view-jia-00001", 35)
        assert _reading(zl, people["甲"])["active_seconds"] == 35
        state = jia.get(f"/read/state?a={aid}").json()
        assert state["too_quick"] is False and state["studied_at"] is not None
        assert _figures(viewer.get(ISSUE).text) == ("1", "0")
        trend = viewer.get(f"/admin/stats/c/{SLUG}").text
        assert '<td class="too-quick">0</td>' in trend
    finally:
        for c in (viewer, editor, jia):
            c.close()


def test_the_page_sends_its_reading_time_with_the_confirmation(site):
    zl, web = site
    people, aid = _issue(zl)
    zl.reading.set_min_read(SLUG, 20, by="test")
    yi = _reader(zl, web, people["乙"])
    try:
        assert yi.get(f"/a/{aid}").status_code == 200
        # What reading.js adds to the form: this view's seconds, never sent as a beat.
        r = yi.post("/read/studied", data={"article_id": aid, "view": "view-yi-form01",
                                            "seconds": "25"})
        assert r.status_code == 303
        row = _reading(zl, people["乙"])
        assert row["active_seconds"] == 25 and row["quick"] is False
        assert yi.get(f"/read/state?a={aid}").json()["too_quick"] is False
    finally:
        yi.close()
