"""Trying a source before saving it (``source_probe.probe_source``): real HTTP on
127.0.0.1, the facade's fetcher with its SSRF guard, nothing written to the store."""

from __future__ import annotations

import json

import pytest

from tests.support.httpserver import LocalHTTPServer
from zhuanlan.app.source_probe import probe_source

ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<meta name="publishdate" content="2026-11-20 09:30:00"></head><body>
<div class="nav"><a href="/">首页</a></div>
<h1>{title}</h1><p class="info">2026-11-20 09:30 来源：新华社</p>
<div class="article">
<p>第一段：各地各部门认真学习贯彻党的二十大精神，推动各项工作落地见效，取得新的进展。</p>
<p>第二段：会议强调，要把学习成果转化为推动高质量发展的实际行动，切实抓好各项任务。</p>
<p>第三段：会议要求，各级党组织要加强组织领导，确保学习教育取得实效，形成良好氛围。</p>
<p>第四段：此外还部署了下一阶段的重点工作。</p>
</div></body></html>"""


def _rss(base: str) -> str:
    items = "".join(
        f"<item><title>文章{i}</title><link>{base}/a/{i}.html</link>"
        f"<pubDate>Fri, 20 Nov 2026 0{i}:00:00 +0800</pubDate></item>" for i in (1, 2, 3))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>测试订阅源</title><link>{base}/</link>{items}</channel></rss>")


@pytest.fixture
def site():
    with LocalHTTPServer() as server:
        base = server.origin
        server.route("/rss.xml", _rss(base), headers={"Content-Type": "application/rss+xml"})
        for i in (1, 2, 3):
            server.route(f"/a/{i}.html", ARTICLE.format(title=f"文章{i}的标题"),
                         headers={"Content-Type": "text/html; charset=utf-8"})
        server.route("/list.html", (
            '<html><head><meta charset="utf-8"><title>栏目页</title></head><body>'
            '<ul class="news"><li><a href="/a/2.html">文章二</a><span class="d">2026-11-20</span></li>'
            '<li><a href="/a/3.html">文章三</a><span class="d">2026-11-19</span></li></ul>'
            '<div class="side"><a href="/other.html">无关链接</a></div></body></html>'),
            headers={"Content-Type": "text/html; charset=utf-8"})
        server.route("/list.json", json.dumps({"data": {"list": [
            {"t": "接口文章一", "u": f"{base}/a/1.html", "time": "2026-11-20 08:00:00"},
            {"t": "接口文章二", "u": "/a/2.html", "time": "2026-11-19 08:00:00"}]}},
            ensure_ascii=False), headers={"Content-Type": "application/json"})
        server.route("/page.html", "<html><body><p>不是订阅源</p></body></html>",
                     headers={"Content-Type": "text/html"})
        server.route_slow("/slow.xml", _rss(base), 12.0,
                          headers={"Content-Type": "application/rss+xml"})
        yield server


@pytest.fixture
def probe_zl(make_zl, site):
    return make_zl(fetch__allow_private=[f"127.0.0.1:{site.port}"], fetch__timeout=4.0,
                   fetch__retries=0)


def test_a_feed_is_read_and_its_first_article_extracted_without_saving(probe_zl, site):
    result = probe_source(probe_zl, "feed", site.url("/rss.xml"))
    assert result.ok, result.error
    assert result.title == "测试订阅源" and result.entry_count == 3
    assert [e.title for e in result.entries] == ["文章1", "文章2", "文章3"]
    assert result.entries[0].url == site.url("/a/1.html")
    assert result.entries[0].published is not None
    art = result.article
    assert art is not None and art.title == "文章1的标题"
    assert art.paragraphs[0].startswith("第一段") and len(art.paragraphs) == 3
    assert art.published is not None and art.published.day == 20
    # Nothing was saved.
    assert probe_zl.list_sources() == []


def test_an_html_list_with_item_and_date_selectors(probe_zl, site):
    result = probe_source(probe_zl, "html", site.url("/list.html"),
                          {"item": "ul.news li", "links": "a", "date": "span.d"})
    assert result.ok, result.error
    assert [(e.title, e.url) for e in result.entries] == [
        ("文章二", site.url("/a/2.html")), ("文章三", site.url("/a/3.html"))]
    assert result.entries[1].published.day == 19
    assert result.article.title == "文章2的标题"
    # The checked spec is what add_source takes.
    assert result.spec["item"] == "ul.news li" and result.spec["kind"] == "html"
    sid = probe_zl.add_source("栏目页", result.url, kind="html", spec=result.spec)
    assert json.loads(probe_zl.get_source(sid)["spec"])["date"] == "span.d"


def test_a_json_list_with_dotted_paths(probe_zl, site):
    result = probe_source(probe_zl, "json", site.url("/list.json"),
                          {"items": "data.list", "fields": {"title": "t", "url": "u",
                                                            "date": "time"}})
    assert result.ok, result.error
    assert [e.title for e in result.entries] == ["接口文章一", "接口文章二"]
    assert result.entries[1].url == site.url("/a/2.html")
    assert result.article.title == "文章1的标题"


def test_errors_are_reported_in_chinese_and_nothing_is_saved(probe_zl, site):
    bad = probe_source(probe_zl, "feed", "ftp://example.com/rss")
    assert not bad.ok and bad.error_kind == "bad_url" and "http://" in bad.error
    not_feed = probe_source(probe_zl, "feed", site.url("/page.html"))
    assert not not_feed.ok and not_feed.error_kind == "not_a_feed"
    assert "不是有效的 RSS/Atom 订阅源" in not_feed.error
    missing = probe_source(probe_zl, "feed", site.url("/nothing.xml"))
    assert not missing.ok and missing.error_kind == "http_status"
    assert "服务器返回错误状态" in missing.error
    slow = probe_source(probe_zl, "feed", site.url("/slow.xml"))
    assert not slow.ok and slow.error_kind == "timeout" and "请求超时" in slow.error
    no_items = probe_source(probe_zl, "html", site.url("/list.html"), {"links": "ul.none a"})
    assert not no_items.ok and no_items.error_kind == "not_a_list"
    bad_spec = probe_source(probe_zl, "html", site.url("/list.html"), {"links": "a[["})
    assert not bad_spec.ok and bad_spec.error_kind == "config" and "配置有误" in bad_spec.error
    assert probe_zl.list_sources() == []


def test_a_private_address_is_refused_without_the_allow_list(make_zl, site):
    zl = make_zl(fetch__allow_private=[])
    result = probe_source(zl, "feed", site.url("/rss.xml"))
    assert not result.ok and result.error_kind == "blocked_address"
    assert "内网或本机" in result.error
    assert site.requests_to("/rss.xml") == []


def test_an_unknown_preset_is_reported(probe_zl):
    result = probe_source(probe_zl, "", "", preset="no-such-preset")
    assert not result.ok and "没有这个预置信息源" in result.error


def test_the_web_form_becomes_a_kind_url_and_spec():
    from zhuanlan.web.admin import _source_request

    assert _source_request({"mode": "feed", "url": " http://x/rss "}) == (
        "feed", "http://x/rss", None, None, "")
    assert _source_request({"mode": "html", "url": "http://x/", "item": "ul li"})[:3] == (
        "html", "http://x/", {"links": "a", "item": "ul li"})
    assert _source_request({"mode": "html", "url": "http://x/"})[4] == "请填写列表条目的 CSS 选择器"
    assert _source_request({"mode": "json", "url": "http://x/j", "items": "data.list",
                            "f_title": "t", "f_url": "u", "f_date": ""})[2] == {
        "items": "data.list", "fields": {"title": "t", "url": "u"}}
    assert _source_request({"mode": "json", "url": "http://x/j", "f_title": "t"})[4]
    assert _source_request({"mode": "preset", "preset": "people-politics"})[3] == "people-politics"
    assert _source_request({"mode": "preset"})[4] == "请选择一个预置信息源"
