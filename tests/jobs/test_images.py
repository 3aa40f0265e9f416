"""Images of articles, on SQLite and PostgreSQL: recorded with the article, fetched once
through the polite fetcher from a real local HTTP server, checked by their bytes, kept
once per picture, served from /img/{id} — and never loaded from the outlet by a reader."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support import pictures
from tests.support.clock import FakeClock
from tests.support.published import publish_article
from zhuanlan.jobs.images import add_images, fetch_due_images
from zhuanlan.model import Image
from zhuanlan.store.schema import articles, images

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)

PARAGRAPH = ("中国式现代化是人口规模巨大的现代化，是全体人民共同富裕的现代化，是物质文明和精神文明"
             "相协调的现代化，是人与自然和谐共生的现代化，是走和平发展道路的现代化。")
HOSTILE = '会场<script>alert("x")</script><img src=http://evil.example/x onerror=alert(1)>'


def _page(base: str) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>深入学习贯彻党的二十大精神_新华网</title>
<meta name="publishdate" content="2026-11-20 09:00:00"></head><body>
<div class="nav"><a href="/">首页</a> <a href="/politics">时政</a></div>
<h1>深入学习贯彻党的二十大精神</h1>
<div id="detail">
<p>{PARAGRAPH}</p>
<p align="center"><img src="/pic/a.png"></p>
<p align="center">图为会议现场。</p>
<p>{PARAGRAPH}{PARAGRAPH}</p>
<figure><img src="{base}/pic/b.jpg"><figcaption>{HOSTILE.replace("<", "&lt;")}</figcaption></figure>
<p>{PARAGRAPH}</p>
<p>{PARAGRAPH}</p>
</div>
<div class="footer">版权所有</div></body></html>"""


def _feed(base: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>源</title>'
            f"<link>{base}/</link><item><title>深入学习贯彻党的二十大精神</title>"
            f"<link>{base}/news/1.html</link></item></channel></rss>")


def _zl(make_zl, server, clock=None, **overrides):
    settings = {"fetch__allow_private": [f"127.0.0.1:{server.port}"],
                "fetch__per_host_delay": 0, "fetch__retries": 1, **overrides}
    return make_zl(clock=clock, **settings) if clock else make_zl(**settings)


def _article(zl, pics: list[Image], url: str = "http://127.0.0.1/news/x.html") -> int:
    now = zl.clock()
    with zl.db.write() as conn:
        article_id = conn.execute(articles.insert().values(
            url=url, canonical_url=url, content_hash=url, title="标题", text="正文。\n图为一。",
            title_orig="标题", text_orig="正文。", created_at=now)).inserted_primary_key[0]
        add_images(conn, article_id, pics, now=now)
    publish_article(zl, article_id)          # readers see the pictures of published ones
    return article_id


def _rows(zl, article_id: int | None = None) -> list:
    query = select(images).order_by(images.c.id)
    if article_id is not None:
        query = query.where(images.c.article_id == article_id)
    with zl.db.read() as conn:
        return list(conn.execute(query))


def _client(zl) -> TestClient:
    from zhuanlan.web import media

    app = FastAPI()
    app.state.zl = zl
    app.include_router(media.router)
    return TestClient(app)


def _tags(html: str) -> list[tuple[str, dict]]:
    from html.parser import HTMLParser

    found: list[tuple[str, dict]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, {k: v or "" for k, v in attrs}))

    Collect().feed(html)
    return found


def _kept_files(zl) -> list:
    folder = zl.cfg.data_dir / "images"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_article_images_are_fetched_once_and_served_from_the_store(make_zl, http_server):
    base = http_server.url("").rstrip("/")
    png, jpg = pictures.png(4, 3), pictures.jpeg(640, 480)
    http_server.route("/feed.xml", _feed(base), headers={"Content-Type": "application/rss+xml"})
    http_server.route("/news/1.html", _page(base),
                      headers={"Content-Type": "text/html; charset=utf-8"})
    # The outlets' servers lie about types all the time: the bytes decide.
    http_server.route("/pic/a.png", png, headers={"Content-Type": "application/octet-stream"})
    http_server.route("/pic/b.jpg", jpg, headers={"Content-Type": "image/jpeg"})
    zl = _zl(make_zl, http_server)
    zl.add_source("源", http_server.url("/feed.xml"))

    done = zl.run_until_idle()
    assert done.pages == 1 and done.images == 2

    with zl.db.read() as conn:
        article_id = conn.execute(select(articles.c.id)).scalar_one()
    rows = _rows(zl, article_id)
    assert [(r.position, r.source_url, r.state, r.mime, r.width, r.height, r.attempts)
            for r in rows] == [
        (0, f"{base}/pic/a.png", "fetched", "image/png", 4, 3, 1),
        (1, f"{base}/pic/b.jpg", "fetched", "image/jpeg", 640, 480, 1)]
    assert rows[0].caption == "图为会议现场。"
    for path in ("/pic/a.png", "/pic/b.jpg"):
        (request,) = http_server.requests_to(path)
        assert request.headers["Referer"] == f"{base}/news/1.html"   # hotlink protection
        assert "image/" in request.headers["Accept"]
    assert sorted(_kept_files(zl)) == sorted(r.sha256 for r in rows)

    # Nothing is fetched again.
    assert zl.run_until_idle().total == 0
    assert len(http_server.requests_to("/pic/a.png")) == 1

    client = _client(zl)
    assert client.get(f"/img/{rows[0].id}").status_code == 404     # not published yet
    publish_article(zl, article_id)
    served = client.get(f"/img/{rows[0].id}")
    assert served.status_code == 200 and served.content == png
    assert served.headers["content-type"] == "image/png"
    assert served.headers["etag"] == f'"{rows[0].sha256}"'
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "default-src 'none'"
    assert "immutable" in served.headers["cache-control"]
    assert client.get(f"/img/{rows[1].id}").headers["content-type"] == "image/jpeg"
    again = client.get(f"/img/{rows[0].id}", headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == served.headers["etag"]
    other = client.get(f"/img/{rows[0].id}", headers={"If-None-Match": '"abc", W/"def"'})
    assert other.status_code == 200
    assert client.get("/img/999999").status_code == 404

    # The article page: our paragraphs and our images, the hostile caption inert.
    from zhuanlan.web import media
    from zhuanlan.web.app import create_app

    app = create_app(zl)
    app.include_router(media.router)
    app.add_middleware(media.ContentSecurityPolicy)
    page = TestClient(app).get(f"/a/{article_id}")
    assert page.status_code == 200
    body = page.text[page.text.index('<div class="body">'):page.text.index("</article>")]
    assert re.findall(r'<img[^>]* src="([^"]*)"', body) == [f"/img/{rows[0].id}",
                                                            f"/img/{rows[1].id}"]
    assert "127.0.0.1" not in body                      # the outlet's picture URLs are gone
    tags = _tags(body)
    assert {tag for tag, _ in tags} == {"div", "p", "figure", "img", "figcaption"}
    urls = [(tag, name, value) for tag, attrs in tags for name, value in attrs.items()
             if name in {"src", "href", "srcset", "action", "poster", "style", "background"}]
    assert urls == [("img", "src", f"/img/{rows[0].id}"), ("img", "src", f"/img/{rows[1].id}")]
    assert "&lt;script&gt;" in body and "<script" not in body   # the hostile caption, as text
    assert "img-src 'self'" in page.headers["content-security-policy"]


def test_images_not_fetched_yet_are_left_out_of_the_page(make_zl, http_server):
    from zhuanlan.study.records import Reader

    zl = _zl(make_zl, http_server)
    article_id = _article(zl, [Image(http_server.url("/pic/1.png"), "图为一。")])
    page = zl.reading.article_page(article_id, issue_id=None, staff=False,
                                   reader=Reader.anonymous("r" * 20))
    assert page["figures"] == []
    (row,) = _rows(zl, article_id)
    assert _client(zl).get(f"/img/{row.id}").status_code == 404


def test_one_picture_in_two_articles_is_fetched_and_kept_once(make_zl, http_server):
    picture = pictures.png(8, 8)
    http_server.route("/pic/shared.png", picture, headers={"Content-Type": "image/png"})
    http_server.route("/mirror/same.png", picture, headers={"Content-Type": "image/png"})
    zl = _zl(make_zl, http_server)
    first = _article(zl, [Image(http_server.url("/pic/shared.png"))], "http://a.example/1")
    second = _article(zl, [Image(http_server.url("/pic/shared.png"))], "http://b.example/2")
    assert fetch_due_images(zl, limit=1) == 1          # the first article's alone
    assert fetch_due_images(zl, limit=10) == 1         # the second reuses it
    third = _article(zl, [Image(http_server.url("/mirror/same.png"))], "http://c.example/3")
    fourth = _article(zl, [Image(http_server.url("/mirror/same.png"))], "http://d.example/4")
    assert fetch_due_images(zl, limit=10) == 2         # one batch, one request
    rows = _rows(zl)
    assert [r.article_id for r in rows] == [first, second, third, fourth]
    assert {r.state for r in rows} == {"fetched"}
    assert len({r.sha256 for r in rows}) == 1
    assert len(http_server.requests_to("/pic/shared.png")) == 1
    assert len(http_server.requests_to("/mirror/same.png")) == 1
    assert _kept_files(zl) == [rows[0].sha256]
    client = _client(zl)
    assert all(client.get(f"/img/{r.id}").content == picture for r in rows)


def test_a_picture_over_the_limit_is_too_large_and_not_served(make_zl, http_server):
    for path, pad in (("/pic/big.png", 3000), ("/pic/huge.png", 30000)):
        http_server.route(path, pictures.png(pad=pad), headers={"Content-Type": "image/png"})
    zl = _zl(make_zl, http_server, images__max_bytes=2000, fetch__max_bytes=20000)
    article_id = _article(zl, [Image(http_server.url("/pic/big.png")),
                               Image(http_server.url("/pic/huge.png"))])
    assert fetch_due_images(zl, limit=10) == 2
    big, huge = _rows(zl, article_id)
    assert (big.state, big.last_error_kind, big.sha256) == ("too_large", "too_large", None)
    assert "images.max_bytes" in big.last_error
    # Beyond fetch.max_bytes the fetcher stops reading (announced length or body).
    assert (huge.state, huge.last_error_kind) == ("too_large", "too_large")
    assert _kept_files(zl) == []
    assert _client(zl).get(f"/img/{big.id}").status_code == 404
    assert fetch_due_images(zl, limit=10) == 0


def test_a_large_picture_is_cut_off_at_the_picture_limit_not_downloaded_whole(
        make_zl, http_server):
    """No Content-Length to refuse by: the fetcher must stop reading at
    images.max_bytes, far below fetch.max_bytes, and the server sees the client go."""
    offered, chunk = 8 * 2**20, 64 * 1024
    written = [0]

    def endless(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Connection", "close")
        handler.end_headers()
        head = pictures.png(pad=10)
        try:
            handler.wfile.write(head)
            while written[0] < offered:
                handler.wfile.write(b"\0" * chunk)
                handler.wfile.flush()
                written[0] += chunk
        except OSError:
            pass                      # the client hung up: what this test wants
        handler.close_connection = True

    http_server.route_fn("/pic/stream.png", endless)
    zl = _zl(make_zl, http_server, images__max_bytes=4000, fetch__max_bytes=64 * 2**20)
    article_id = _article(zl, [Image(http_server.url("/pic/stream.png"))])
    assert fetch_due_images(zl, limit=10) == 1
    (row,) = _rows(zl, article_id)
    assert (row.state, row.last_error_kind) == ("too_large", "too_large")
    assert "images.max_bytes" in row.last_error
    # Socket buffers hold some; the rest of the 8 MiB is never sent.
    assert written[0] < offered // 2
    assert _kept_files(zl) == []


@pytest.mark.parametrize("body, content_type, kind", [
    (pictures.HTML_PAGE, "image/jpeg", "not_image"),     # an anti-hotlink page in disguise
    (pictures.SVG, "image/svg+xml", "svg"),
    (pictures.SVG, "image/png", "svg"),
])
def test_what_is_not_a_picture_is_refused(make_zl, http_server, body, content_type, kind):
    http_server.route("/pic/x.jpg", body, headers={"Content-Type": content_type})
    zl = _zl(make_zl, http_server)
    article_id = _article(zl, [Image(http_server.url("/pic/x.jpg"))])
    assert fetch_due_images(zl, limit=10) == 1
    (row,) = _rows(zl, article_id)
    assert (row.state, row.last_error_kind, row.sha256, row.mime) == ("failed", kind, None, None)
    assert content_type in row.last_error
    assert _kept_files(zl) == []
    assert _client(zl).get(f"/img/{row.id}").status_code == 404


def test_a_private_address_is_refused_without_the_allow_list(make_zl, http_server):
    http_server.route("/pic/a.png", pictures.png(), headers={"Content-Type": "image/png"})
    zl = make_zl(fetch__allow_private=[], fetch__per_host_delay=0, fetch__retries=1)
    article_id = _article(zl, [Image(http_server.url("/pic/a.png"))])
    assert fetch_due_images(zl, limit=10) == 1
    (row,) = _rows(zl, article_id)
    assert (row.state, row.last_error_kind) == ("failed", "blocked_address")
    assert http_server.requests_to("/pic/a.png") == []


def test_a_temporary_failure_is_retried_later(make_zl, http_server):
    picture = pictures.gif()
    http_server.route_sequence("/pic/a.gif", [(503, "busy", {"Content-Type": "text/plain"}),
                                              (503, "busy", {"Content-Type": "text/plain"}),
                                              (200, picture, {"Content-Type": "image/gif"})])
    clock = FakeClock(T0)
    zl = _zl(make_zl, http_server, clock=clock)
    article_id = _article(zl, [Image(http_server.url("/pic/a.gif"))])
    assert fetch_due_images(zl, limit=10) == 1
    (row,) = _rows(zl, article_id)
    assert (row.state, row.attempts, row.last_error_kind) == ("pending", 1, "http_status")
    assert row.next_attempt_at > T0 and row.claimed_by is None
    assert len(http_server.requests_to("/pic/a.gif")) == 2     # the fetcher's own retry

    assert fetch_due_images(zl, limit=10) == 0                 # not due yet
    clock.now = row.next_attempt_at + timedelta(seconds=1)
    assert fetch_due_images(zl, limit=10) == 1
    (row,) = _rows(zl, article_id)
    assert (row.state, row.attempts, row.mime, row.last_error) == ("fetched", 2, "image/gif", None)
    assert _client(zl).get(f"/img/{row.id}").content == picture


def test_switched_off_fetches_nothing(make_zl, http_server):
    http_server.route("/pic/a.png", pictures.png(), headers={"Content-Type": "image/png"})
    zl = _zl(make_zl, http_server, images__enabled=False)
    _article(zl, [Image(http_server.url("/pic/a.png"))])
    assert fetch_due_images(zl, limit=10) == 0
    assert zl.run_until_idle().images == 0
    assert http_server.requests == []


def test_add_images_keeps_order_and_skips_what_cannot_be_fetched(make_zl):
    zl = make_zl()
    long_url = "http://a.example/" + "x" * 2100
    article_id = _article(zl, [
        Image("http://a.example/1.jpg", "一"), Image("data:image/png;base64,AA"),
        Image("javascript:alert(1)"), Image(long_url), Image("http://a.example/1.jpg", "重复"),
        Image("https://a.example/2.jpg")])
    assert [(r.position, r.source_url, r.caption, r.state) for r in _rows(zl, article_id)] == [
        (0, "http://a.example/1.jpg", "一", "pending"),
        (1, "https://a.example/2.jpg", "", "pending")]
    with zl.db.write() as conn:
        conn.execute(articles.delete().where(articles.c.id == article_id))
    assert _rows(zl) == []                                      # cascade
