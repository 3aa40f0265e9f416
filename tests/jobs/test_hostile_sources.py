"""Hostile input, through the whole job: each case ends in a clear source or page status,
never a crash or a hang, and the other sources go on."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import FIXTURES
from zhuanlan.store.schema import articles, pages

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), 9)


def _dribble(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(30):
        handler.wfile.write(b"<")
        handler.wfile.flush()
        time.sleep(1)


def _bomb(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(BOMB)))
    handler.end_headers()
    handler.wfile.write(BOMB)


def _loop(handler):
    handler.send_response(302)
    handler.send_header("Location", handler.path)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


CASES = {
    # path: (what the server does, the reason the source must show)
    "/billion.xml": ((FIXTURES / "feeds" / "billion_laughs.xml").read_bytes(), "not_a_feed"),
    "/xxe.xml": ((FIXTURES / "feeds" / "external_entity.xml").read_bytes(), "not_a_feed"),
    "/bomb.xml": (_bomb, "too_large"),
    "/slow.xml": (_dribble, "timeout"),
    "/loop.xml": (_loop, "too_many_redirects"),
    "/html.xml": ((FIXTURES / "feeds" / "not_a_feed.html").read_bytes(), "not_a_feed"),
}


@pytest.mark.slow
def test_each_hostile_feed_ends_in_a_clear_status(make_zl, http_server):
    for path, (body, _reason) in CASES.items():
        if callable(body):
            http_server.route_fn(path, body)
        else:
            http_server.route(path, body, headers={"Content-Type": "application/rss+xml"})
    http_server.route("/good.xml", (FIXTURES / "feeds" / "rss_utf8_cst.xml").read_bytes(),
                      headers={"Content-Type": "application/rss+xml"})
    # A redirect to a loopback port that is not on the allow-list (SSRF).
    http_server.route_fn("/to-private.xml", lambda h: (
        h.send_response(302), h.send_header("Location", "http://127.0.0.2:9/feed.xml"),
        h.send_header("Content-Length", "0"), h.end_headers()))
    zl = make_zl(clock=lambda: T0, fetch__timeout=2.0, fetch__max_bytes=2 * 1024 * 1024,
                 fetch__allow_private=[f"127.0.0.1:{http_server.port}"])
    ids = {path: zl.add_source(path, http_server.url(path)) for path in CASES}
    ids["/to-private.xml"] = zl.add_source("redirect", http_server.url("/to-private.xml"))
    dns = zl.add_source("localhost", "http://localhost:9/good.xml")
    good = zl.add_source("good", http_server.url("/good.xml"))

    started = time.monotonic()
    zl.poll_due_sources(limit=50)
    assert time.monotonic() - started < 30, "a hostile source must not hang the worker"

    for path, (_body, reason) in CASES.items():
        src = zl.get_source(ids[path])
        assert src["last_error_kind"] == reason, (path, src["last_error"])
        assert src["consecutive_failures"] == 1 and src["next_poll_at"] > T0
    assert zl.get_source(ids["/to-private.xml"])["last_error_kind"] == "blocked_address"
    # A DNS name that resolves to loopback is refused like the address itself.
    assert zl.get_source(dns)["last_error_kind"] == "blocked_address"
    assert zl.get_source(good)["last_error"] is None


def test_javascript_links_never_become_pages(make_zl, http_server):
    http_server.route("/js.xml", (FIXTURES / "feeds" / "rss_javascript.xml").read_bytes(),
                      headers={"Content-Type": "application/rss+xml"})
    zl = make_zl(clock=lambda: T0)
    zl.add_source("js", http_server.url("/js.xml"))
    zl.poll_due_sources()
    with zl.db.read() as conn:
        urls = list(conn.execute(select(pages.c.url)).scalars())
    assert urls and all(u.startswith(("http://", "https://")) for u in urls)
    assert not any("javascript" in u.lower() for u in urls)


def test_gb2312_page_with_gbk_only_characters(make_zl, http_server):
    body = ("<html><head><meta charset='gb2312'><title>朱镕基与李堃、王喆的学习笔记</title></head>"
            "<body><h1>朱镕基与李堃、王喆的学习笔记</h1><div class='rm_txt_con'>"
            + "<p>深入学习贯彻党的二十大精神，镕、堃、喆三个字不在 GB2312 中。</p>" * 8
            + "</div></body></html>").encode("gb18030")
    http_server.route("/p.html", body, headers={"Content-Type": "text/html; charset=gb2312"})
    http_server.route("/f.xml", (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        f"<item><title>x</title><link>{http_server.url('/p.html')}</link></item>"
        f"</channel></rss>").encode(), headers={"Content-Type": "application/rss+xml"})
    zl = make_zl(clock=lambda: T0)
    zl.add_source("gb", http_server.url("/f.xml"))
    zl.run_until_idle()
    with zl.db.read() as conn:
        title, text = conn.execute(select(articles.c.title, articles.c.text)).one()
    assert title == "朱镕基与李堃、王喆的学习笔记"
    assert "镕、堃、喆三个字" in text and "\ufffd" not in text


def test_robots_txt_is_obeyed_for_pages(make_zl, http_server):
    http_server.route("/robots.txt", b"User-agent: *\nDisallow: /private/\n",
                      headers={"Content-Type": "text/plain"})
    http_server.route("/private/a.html", (FIXTURES / "pages" / "xinhua_utf8.html").read_bytes(),
                      headers={"Content-Type": "text/html; charset=utf-8"})
    http_server.route("/f.xml", (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        f"<item><title>x</title><link>{http_server.url('/private/a.html')}</link></item>"
        f"</channel></rss>").encode(), headers={"Content-Type": "application/rss+xml"})
    zl = make_zl(clock=lambda: T0)
    zl.add_source("robots", http_server.url("/f.xml"))
    zl.run_until_idle()
    with zl.db.read() as conn:
        state, kind = conn.execute(select(pages.c.state, pages.c.last_error_kind)).one()
    assert (state, kind) == ("failed", "robots")
    assert not http_server.requests_to("/private/a.html")


def test_one_poll_queues_at_most_the_cap_newest_first_and_the_rest_later(make_zl, http_server):
    """A 1 MB feed of 20,000 entries once queued 20,000 pages in one poll."""
    n = 20_000
    items = "".join(
        f"<item><title>条目{i}</title><link>{http_server.url(f'/p/{i}.html')}</link>"
        f"<pubDate>{(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for i in range(n))
    feed = (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
            f"{items}</channel></rss>").encode()
    assert len(feed) > 1_000_000
    http_server.route("/big.xml", feed, headers={"Content-Type": "application/rss+xml"})
    clock = {"now": T0}
    zl = make_zl(clock=lambda: clock["now"], sources__max_new_per_poll=500)
    sid = zl.add_source("大源", http_server.url("/big.xml"))
    assert zl.poll_due_sources() == 1
    with zl.db.read() as conn:
        queued = conn.execute(select(pages.c.url)).scalars().all()
    assert len(queued) == 500
    assert {u.rsplit("/", 1)[1] for u in queued} == {f"{i}.html" for i in range(n - 500, n)}
    source = zl.get_source(sid)
    assert source["last_note"] == "本次只取了最新的 500 条，其余 19500 条留待下次抓取"
    from zhuanlan.sources.health import source_status
    assert source_status(source).label == "有积压"
    # The next poll comes soon and takes the next 500; nothing is lost.
    assert source["next_poll_at"] <= T0 + timedelta(minutes=5)
    clock["now"] = source["next_poll_at"]
    zl.poll_due_sources()
    with zl.db.read() as conn:
        assert conn.execute(select(pages.c.url)).scalars().all().__len__() == 1000
    # A source's own cap wins over the setting.
    small = zl.add_source("小源", http_server.url("/big.xml") + "?s", max_new_per_poll=10)
    http_server.route("/big.xml?s", feed, headers={"Content-Type": "application/rss+xml"})
    zl.poll_due_sources()
    assert zl.get_source(small)["last_note"].startswith("本次只取了最新的 10 条")
