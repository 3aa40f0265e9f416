"""Editing and deleting a source on the web: the edit page tests the edited settings
before saving (real HTTP on 127.0.0.1), validates like adding, audits what changed; the
delete confirmation says what happens to the articles, and deleting keeps those of
published issues."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from tests.support.httpserver import LocalHTTPServer
from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, organisation, publish, seed_articles
from tests.support.web import WebServer
from tests.web.conftest import csrf_of, logged_in
from zhuanlan.store.schema import articles, candidates, columns, issue_items, pages, stories

ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><div class="article">
<p>第一段：各地各部门认真学习贯彻党的二十大精神，推动各项工作落地见效，取得新的进展。</p>
<p>第二段：会议强调，要把学习成果转化为推动高质量发展的实际行动，切实抓好各项任务。</p>
<p>第三段：会议要求，各级党组织要加强组织领导，确保学习教育取得实效，形成良好氛围。</p>
</div></body></html>"""

LIST = ('<html><head><meta charset="utf-8"><title>栏目页</title></head><body>'
        '<ul class="news"><li><a href="/a/1.html">新闻一</a><span class="d">2026-11-20</span></li>'
        '<li><a href="/a/2.html">新闻二</a><span class="d">2026-11-19</span></li></ul>'
        '<div class="other"><a href="/a/3.html">别处的文章</a></div></body></html>')


def serve(server: LocalHTTPServer) -> None:
    html = {"Content-Type": "text/html; charset=utf-8"}
    server.route("/list.html", LIST, headers=html)
    for i in (1, 2, 3):
        server.route(f"/a/{i}.html", ARTICLE.format(title=f"文章{i}的标题"), headers=html)
    for channel in ("c1", "c2"):
        server.route(f"/lg/{channel}.json", json.dumps([
            {"title": f"{channel} 频道文章", "url": f"{server.origin}/a/1.html"}],
            ensure_ascii=False), headers={"Content-Type": "application/json"})
    server.route("/broken.html", "<html><body>没有列表</body></html>", headers=html)


@pytest.fixture
def served():
    with LocalHTTPServer() as server:
        serve(server)
        yield server


@pytest.fixture
def site(make_zl, served):
    from zhuanlan.web.app import create_app

    zl = make_zl(fetch__allow_private=[f"127.0.0.1:{served.port}"], fetch__retries=0,
                 fetch__timeout=4.0)
    organisation(zl)
    zl.staff.add_user("chief", "chief-password", role="admin")
    zl.staff.add_user("ed", "editor-password", role="editor", columns_=[SLUG])
    zl.staff.add_user("look", "viewer-password", role="viewer")
    with WebServer(create_app(zl), free_port()) as web:
        yield zl, web, served


def _html_source(zl, served) -> int:
    return zl.add_source("地方新闻", served.url("/list.html"), kind="html",
                         spec={"item": "ul.news li", "links": "a"})


def _form(page: str, **changes) -> dict[str, str]:
    """The edit form's fields as the page has them, with ``changes``."""
    form = dict(re.findall(r'<input type="(?:text|url|number)" name="([^"]+)" value="([^"]*)"',
                           page))
    form["headers"] = re.search(r'<textarea name="headers"[^>]*>(.*?)</textarea>', page,
                                re.S).group(1) if 'name="headers"' in page else ""
    form["csrf_token"] = csrf_of(page)
    form.update(changes)
    return form


def test_edit_tests_the_edited_settings_then_saves_them_audited(site):
    zl, web, served = site
    sid = _html_source(zl, served)
    admin = logged_in(web, "chief", "chief-password")
    listing = admin.get("/admin/sources").text
    assert f'href="/admin/sources/{sid}/edit"' in listing
    page = admin.get(f"/admin/sources/{sid}/edit")
    assert page.status_code == 200 and "编辑信息源：地方新闻" in page.text
    assert 'value="ul.news li"' in page.text and "请求头" in page.text
    # 测试 with a wider selector and a header: read as edited, nothing saved.
    form = _form(page.text, item="body li, div.other", headers="X-Token: abc123\nReferer: http://x.example/")
    served.requests.clear()
    r = admin.post(f"/admin/sources/{sid}/test", data=form)
    assert r.status_code == 200, r.text
    assert "测试结果：列表中有 3 篇" in r.text and "别处的文章" in r.text
    sent = served.requests_to("/list.html")
    assert sent and sent[-1].headers.get("X-Token") == "abc123"
    assert zl.sources.settings(sid)["spec"]["item"] == "ul.news li"

    # A header line without "名称: 值" is refused under its field; nothing saved.
    r = admin.post(f"/admin/sources/{sid}/edit", data={**form, "headers": "X-Token abc"})
    assert r.status_code == 400 and "请求头第 1 行格式应为“名称: 值”" in r.text
    r = admin.post(f"/admin/sources/{sid}/edit", data={**form, "poll_min": "60", "poll_max": "5"})
    assert r.status_code == 400 and "抓取间隔须满足" in r.text
    # A selector that finds nothing is tried on save, as when adding: not saved.
    r = admin.post(f"/admin/sources/{sid}/edit", data={**form, "item": "table.none td"})
    assert r.status_code == 400 and "未保存" in r.text and "没有找到文章链接" in r.text
    assert zl.get_source(sid)["name"] == "地方新闻"

    r = admin.post(f"/admin/sources/{sid}/edit", data={**form, "name": "地方新闻（全部）",
                                                      "poll_min": "10", "max_new": "50"})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/sources/{sid}/edit"
    saved = zl.sources.settings(sid)
    assert saved["name"] == "地方新闻（全部）" and saved["spec"]["item"] == "body li, div.other"
    assert saved["headers"] == {"Referer": "http://x.example/", "X-Token": "abc123"}
    assert saved["poll_min_minutes"] == 10 and saved["max_new_per_poll"] == 50
    shown = admin.get(f"/admin/sources/{sid}/edit").text
    assert "已保存信息源“地方新闻（全部）”" in shown
    [entry] = [e for e in zl.audit() if e["action"] == "edit_source"]
    assert entry["actor"] == "chief"
    detail = entry["detail"]
    assert "名称：地方新闻 → 地方新闻（全部）" in detail and "列表设置 item" in detail
    assert "请求头：（空） → Referer、X-Token" in detail and "abc123" not in detail
    assert "最短抓取间隔" in detail and "每次最多新增：（空） → 50" in detail


def test_a_parameter_such_as_a_channel_id_is_edited_and_tried(site):
    zl, web, served = site
    sid = zl.add_source("频道", served.url("/lg/{channel}.json"), kind="json",
                        spec={"items": "", "fields": {"title": "title", "url": "url"},
                              "params": {"channel": "c1"}})
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get(f"/admin/sources/{sid}/edit").text
    assert 'name="p_channel" value="c1"' in page and "频道 ID" in page
    r = admin.post(f"/admin/sources/{sid}/test", data=_form(page, p_channel="c2"))
    assert r.status_code == 200 and "c2 频道文章" in r.text
    r = admin.post(f"/admin/sources/{sid}/edit", data=_form(page, p_channel=""))
    assert r.status_code == 400 and "请填写参数 channel" in r.text
    r = admin.post(f"/admin/sources/{sid}/edit", data=_form(page, p_channel="c2"))
    assert r.status_code == 303
    assert zl.sources.settings(sid)["params"] == {"channel": "c2"}
    assert any("参数：channel=c1 → channel=c2" in e["detail"] for e in zl.audit()
               if e["action"] == "edit_source")


def test_a_preset_shows_its_parameters_and_disable_is_reachable_from_the_edit_page(site):
    zl, web, served = site
    sid = zl.sources.add_preset("xuexi-channel")
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get(f"/admin/sources/{sid}/edit").text
    assert 'name="p_channel"' in page and 'name="url"' not in page
    assert "预置请求头：Referer" in page
    assert f'action="/admin/sources/{sid}/disable"' in page
    r = admin.post(f"/admin/sources/{sid}/disable",
                   data={"csrf_token": csrf_of(page), "back": f"/admin/sources/{sid}/edit"})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/sources/{sid}/edit"
    assert zl.get_source(sid)["enabled"] is False
    r = admin.post(f"/admin/sources/{sid}/enable",
                   data={"csrf_token": csrf_of(page), "back": "https://evil.example/"})
    assert r.headers["location"] == "/admin/sources"


def test_editors_and_viewers_cannot_edit_or_delete(site):
    zl, web, served = site
    sid = _html_source(zl, served)
    for user, password in (("ed", "editor-password"), ("look", "viewer-password")):
        client = logged_in(web, user, password)
        token = csrf_of(client.get("/admin/sources").text)
        assert client.get(f"/admin/sources/{sid}/edit").status_code == 403
        assert client.get(f"/admin/sources/{sid}/delete").status_code == 403
        assert client.post(f"/admin/sources/{sid}/edit",
                           data={"csrf_token": token, "name": "x"}).status_code == 403
        assert client.post(f"/admin/sources/{sid}/delete",
                           data={"csrf_token": token}).status_code == 403
    assert zl.get_source(sid)["name"] == "地方新闻"


def _count(zl, table, *where) -> int:
    with zl.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_delete_says_what_happens_then_keeps_the_articles_of_published_issues(site):
    zl, web, served = site
    sid = _html_source(zl, served)
    other = zl.add_source("别的来源", served.url("/a/1.html"))
    # One article of the source in a published issue; then one pending, one approved,
    # one rejected, one without a candidate; and an article of another source.
    issue_id, [published] = publish(zl, 1, "pub")
    waiting = seed_articles(zl, 4, "wait")
    [foreign] = seed_articles(zl, 1, "foreign")
    now = zl.clock()
    with zl.db.write() as conn:
        conn.execute(articles.update().where(articles.c.id.in_([published, *waiting]))
                     .values(source_id=sid))
        conn.execute(articles.update().where(articles.c.id == foreign).values(source_id=other))
        for aid, state in zip(waiting, ("pending", "approved", "rejected", None), strict=True):
            if state is None:
                conn.execute(candidates.delete().where(candidates.c.article_id == aid))
            else:
                conn.execute(candidates.update().where(candidates.c.article_id == aid)
                             .values(state=state))
        conn.execute(pages.insert().values(source_id=sid, url=served.url("/a/9.html"),
                                           next_attempt_at=now, created_at=now))
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get(f"/admin/sources/{sid}/delete")
    assert page.status_code == 200
    counts = dict(re.findall(r'id="count-(\w+)">(\d+)<', page.text))
    assert counts == {"articles": "5", "kept": "1", "deleted": "4", "pending": "1",
                      "approved": "1", "pages": "1"}
    assert "保留" in page.text and "抓取记录" in page.text and "撤回" in page.text
    assert zl.get_source(sid)                                 # the page deleted nothing

    r = admin.post(f"/admin/sources/{sid}/delete", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/admin/sources"
    assert "已删除信息源“地方新闻”" in admin.get("/admin/sources").text
    assert [s["id"] for s in zl.list_sources()] == [other]
    with zl.db.read() as conn:
        kept = conn.execute(select(articles.c.id, articles.c.source_id)
                            .where(articles.c.id.in_([published, *waiting, foreign]))).all()
        assert sorted(kept) == sorted([(published, None), (foreign, other)])
        assert conn.execute(select(issue_items.c.article_id)
                            .where(issue_items.c.issue_id == issue_id)).scalars().all() \
            == [published]
        assert conn.execute(select(func.count()).select_from(stories)
                            .where(stories.c.representative_id.is_(None))).scalar() == 0
        column_id = conn.execute(select(columns.c.id).where(columns.c.slug == SLUG)).scalar()
    assert _count(zl, candidates, candidates.c.column_id == column_id,
                  candidates.c.state.in_(("pending", "approved"))) == 1     # the foreign one
    assert _count(zl, pages) == 0
    # The issue readers have still shows the article.
    issue_page = admin.get(f"/c/{SLUG}/1")
    assert issue_page.status_code == 200 and "pub 学习文章 0" in issue_page.text
    [entry] = [e for e in zl.audit() if e["action"] == "delete_source"]
    assert entry["actor"] == "chief" and "删除信息源「地方新闻」" in entry["detail"]
    assert "其中 1 篇在已发布的期中（保留）" in entry["detail"]


def test_a_deleted_preset_can_be_added_again(site):
    zl, web, served = site
    sid = zl.sources.add_preset("xuexi-channel")
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get(f"/admin/sources/{sid}/delete").text
    assert "删除后可以在信息源页面重新添加" in page
    admin.post(f"/admin/sources/{sid}/delete", data={"csrf_token": csrf_of(page)})
    listing = admin.get("/admin/sources").text
    assert re.search(r'<option value="xuexi-channel" >', listing)     # offered again
    again = zl.sources.add_preset("xuexi-channel")
    assert [s["preset"] for s in zl.list_sources()] == ["xuexi-channel"]
    assert zl.get_source(again)["name"] == "学习强国 · 频道"


def test_a_source_being_polled_is_not_deleted_under_the_worker(site):
    from datetime import timedelta

    from zhuanlan.store.schema import sources

    zl, web, served = site
    sid = _html_source(zl, served)
    with zl.db.write() as conn:
        conn.execute(sources.update().where(sources.c.id == sid).values(
            claimed_by="worker-1", lease_until=zl.clock() + timedelta(minutes=5)))
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get(f"/admin/sources/{sid}/delete").text
    r = admin.post(f"/admin/sources/{sid}/delete", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/sources/{sid}/edit"
    assert "正在抓取，请稍后再删除" in admin.get(r.headers["location"]).text
    assert zl.get_source(sid)["name"] == "地方新闻"
    assert not [e for e in zl.audit() if e["action"] == "delete_source"]
