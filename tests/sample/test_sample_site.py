"""The bundled sample site, served on 127.0.0.1."""

from __future__ import annotations

import http.client
import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from importlib import resources

import pytest

from zhuanlan.publish.schedule import validate_cron
from zhuanlan.sample import SAMPLE_COLUMN, SAMPLE_SOURCE_NAME, SampleSite

SITE = resources.files("zhuanlan.sample").joinpath("site")
ARTICLES = sorted((p.name, p.read_bytes()) for p in SITE.joinpath("articles").iterdir()
                  if p.name.endswith(".html"))
INCLUDE = [t.strip() for t in SAMPLE_COLUMN["include"].split(",")]


@pytest.fixture(scope="module")
def site():
    s = SampleSite(port=0).start()
    yield s
    s.stop()


def get(site: SampleSite, path: str, headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    try:
        # putrequest sends the path as written (no normalising), so "../" reaches
        # the server.
        conn.putrequest("GET", path)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def _decode(body: bytes) -> tuple[str, str]:
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("gb18030"), "gbk"


def test_port_zero_gives_a_real_port(site):
    assert site.port > 0
    assert site.base_url == f"http://127.0.0.1:{site.port}"
    assert site.feed_url == f"{site.base_url}/feed.xml"


def test_feed_has_base_substituted(site):
    status, headers, body = get(site, "/feed.xml")
    assert status == 200
    assert headers["Content-Type"].startswith("application/rss+xml")
    assert b"{{BASE}}" not in body
    root = ET.fromstring(body)
    items = root.findall("./channel/item")
    assert 7 <= len(items) <= 8
    for item in items:
        link = item.findtext("link")
        assert link.startswith(f"{site.base_url}/articles/")
        # Every link in the feed is served.
        assert get(site, link[len(site.base_url):])[0] == 200
        pub = item.findtext("pubDate")
        assert pub.endswith(" CST")
        # The weekday written must be the date's real weekday.
        day = parsedate_to_datetime(pub.replace(" CST", " +0800"))
        assert pub[:3] == day.strftime("%a")
        assert (day.year, day.month) == (2026, 11)


def test_index_has_base_substituted(site):
    status, headers, body = get(site, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    text = body.decode("utf-8")
    assert "{{BASE}}" not in text and f"{site.base_url}/articles/" in text
    assert get(site, "/index.html")[2] == body


def test_pages_are_served_byte_identical(site):
    gbk = 0
    for name, raw in ARTICLES:
        status, headers, body = get(site, f"/articles/{name}")
        assert status == 200
        assert body == raw
        text, enc = _decode(raw)
        if enc == "gbk":
            gbk += 1
            assert headers["Content-Type"] == "text/html"     # no charset: meta must tell
            assert re.search(r'charset=["\']?gb2312', text, re.I)
        else:
            assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert gbk >= 3


def test_articles_look_like_portal_pages():
    pinyin = 0
    for name, raw in ARTICLES:
        text, _ = _decode(raw)
        assert "分享到" in text and ("【纠错】" in text or "【糾錯】" in text), name
        assert "责任编辑" in text or "責任編輯" in text, name
        assert "来源：" in text or "來源：" in text, name
        assert re.search(r"2026年11月\d{1,2}日 \d\d:\d\d|2026-11-\d\d \d\d:\d\d", text), name
        body = re.search(r'<div class="content" id="content">(.*?)</div>', text, re.S).group(1)
        han = len(re.findall(r"[\u4e00-\u9fff]", re.sub(r"\([a-zü\u00e0-\u01dc]+\)", "", body)))
        assert 400 <= han <= 900, (name, han)
        if re.search(r"學\(xué\)習\(xí\)", text):
            pinyin += 1
    assert pinyin == 1


def test_off_topic_pages_do_not_match_the_column():
    off_topic = 0
    for _name, raw in ARTICLES:
        text, _ = _decode(raw)
        if not any(t in text for t in INCLUDE + ["學習", "学习"]):
            off_topic += 1
    assert off_topic == 2


def test_conditional_get(site):
    status, headers, body = get(site, "/feed.xml")
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    status, headers, body = get(site, "/feed.xml", {"If-None-Match": etag})
    assert status == 304 and body == b"" and headers["ETag"] == etag
    status, _, _ = get(site, "/feed.xml", {"If-None-Match": '"something-else"'})
    assert status == 200
    status, _, body = get(site, "/feed.xml", {"If-Modified-Since": last_modified})
    assert status == 304 and body == b""
    status, _, _ = get(site, "/feed.xml", {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert status == 200


@pytest.mark.parametrize("path", [
    "/../sample/server.py", "/articles/../../server.py", "/%2e%2e/server.py",
    "/articles/..%2f..%2fserver.py", "/articles/", "/articles", "/nope.html",
    "/__init__.py", "//etc/passwd", "/articles/%00.html",
])
def test_404(site, path):
    status, _, body = get(site, path)
    assert status == 404
    assert b"<a" not in body                       # no directory listing


def test_sample_column_constants():
    assert SAMPLE_SOURCE_NAME == "示例站点（本地）"
    assert SAMPLE_COLUMN["slug"] == "xuexi-ershida" and SAMPLE_COLUMN["name"] == "学习二十大"
    assert validate_cron(SAMPLE_COLUMN["schedule"]) == "0 9 * * 1"
    assert "二十大" in SAMPLE_COLUMN["editor_note"] and len(SAMPLE_COLUMN["editor_note"]) > 60
    assert INCLUDE == ["二十大", "三中全会", "中国式现代化", "新质生产力", "学习贯彻"]


def test_stop_and_restart_on_the_same_port():
    s = SampleSite(port=0).start()
    port = s.port
    assert get(s, "/feed.xml")[0] == 200
    s.stop()
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
    again = SampleSite(port=port).start()
    try:
        status, _, body = get(again, "/feed.xml")
        assert status == 200 and f"127.0.0.1:{port}".encode() in body
    finally:
        again.stop()
