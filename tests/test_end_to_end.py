"""One article's whole way: a feed and its pages (one GBK, one Traditional with pinyin)
on a local HTTP server → fetch → extract → clean → dedup → select → review → publish →
e-mail through a real SMTP server, with links that open the web pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.support.smtp import SmtpSink, free_port
from tests.support.web import REQUEST_TIMEOUT, WebServer

PAGES = {
    "/n1/2024/0506/c40531-40230001.html": ("people_gbk.html", "text/html"),   # no charset header
    "/politics/20240501/c.html": ("xinhua_utf8.html", "text/html; charset=utf-8"),
    "/dangjian/2024/xuexi.html": ("traditional_pinyin.html", "text/html"),
    "/zhengce/content_123.htm": ("govcn.html", "text/html; charset=utf-8"),
}


def _feed(base: str) -> bytes:
    items = "".join(
        f"<item><title>条目 {i}</title><link>{base}{path}?utm_source=rss</link>"
        f"<pubDate>Mon, 06 May 2024 09:00:00 CST</pubDate></item>"
        for i, path in enumerate(PAGES))
    # The GBK page appears twice (once with a fragment): it must become one article.
    items += (f"<item><title>重复</title><link>{base}/n1/2024/0506/c40531-40230001.html#top</link>"
              "</item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>测试源</title><link>{base}/</link>{items}</channel></rss>").encode()


@pytest.mark.slow
def test_feed_to_inbox(make_zl, http_server):
    for path, (name, ctype) in PAGES.items():
        http_server.route(path, (FIXTURES / "pages" / name).read_bytes(),
                          headers={"Content-Type": ctype})
    http_server.route("/feed.xml", _feed(http_server.url("").rstrip("/")),
                      headers={"Content-Type": "application/rss+xml"})
    web_port = free_port()
    now = [datetime(2026, 11, 23, 0, 0, tzinfo=UTC)]   # Monday 08:00 Beijing

    with SmtpSink() as sink:
        zl = make_zl(clock=lambda: now[0], smtp__port=sink.port, smtp__sender="zl@example.com",
                     web__base_url=f"http://127.0.0.1:{web_port}")
        zl.add_source("测试源", http_server.url("/feed.xml"))
        zl.add_column("xuexi", "学习二十大", include="二十大, 党纪学习教育, 学习贯彻",
                      exclude="体育", schedule="0 9 * * 1", editor_note="编者按：请各部门认真学习。")
        alice = zl.add_subscriber("alice@example.com", "张三", department="党群工作部")
        bob = zl.add_subscriber("bob@example.com", "李四")
        zl.add_subscriber("carol@example.com", "王五")   # not subscribed
        zl.subscribe("xuexi", alice)
        zl.subscribe("xuexi", bob)

        done = zl.run_until_idle()
        assert done.polled == 1
        # Five entries but four distinct pages: the fragment and tracking variants fold.
        assert done.pages == 4
        assert zl.list_sources()[0]["last_error"] is None

        pending = zl.candidates("xuexi")
        titles = {c["title"] for c in pending}
        assert "深入学习贯彻党的二十大精神 在新征程上建功立业" in titles
        assert "学习贯彻二十大精神 推动企业高质量发展" in titles          # Simplified, no pinyin
        assert all("學" not in t and "(xué)" not in t for t in titles)
        for c in pending:
            zl.decide(c["id"], "approve", by="test-editor")

        # BM25's corpus statistics counted every stored article once, in the store.
        from sqlalchemy import func, select

        from zhuanlan.store.schema import articles, corpus_totals
        with zl.db.read() as conn:
            assert conn.execute(select(corpus_totals.c.n_docs)).scalar() == \
                conn.execute(select(func.count()).select_from(articles)).scalar() > 0
        assert zl.publish_due() == []          # not due before Monday 09:00 Beijing
        now[0] += timedelta(hours=1, minutes=1)
        assert len(zl.publish_due()) == 1
        assert zl.deliver_due() == 2

        received = sink.wait_for(2)

    assert sorted(r for m in received for r in m.rcpt_tos) == ["alice@example.com",
                                                                 "bob@example.com"]
    msg = received[0].message
    assert msg["Subject"] == "学习二十大 · 第1期"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    # The note is labelled once, by the e-mail itself, though it was typed with a label.
    assert "【编者按】\r\n请各部门认真学习。" in text and "编者按：" not in text
    for title in titles:
        assert title in text and title in html
    assert "學習" not in text

    # Each item links through the recipient's personal link (known reader, no password).
    links = sorted(set(re.findall(rf"http://127\.0\.0\.1:{web_port}/r/\S+", text)))
    assert len(links) == len(titles)
    issue_link = f"http://127.0.0.1:{web_port}/c/xuexi/1"
    assert issue_link in text

    from zhuanlan.web.app import create_app
    with WebServer(create_app(zl), web_port):
        issue_page = httpx.get(issue_link, timeout=REQUEST_TIMEOUT)
        assert issue_page.status_code == 200
        assert "编者按" in issue_page.text
        for link in links:
            page = httpx.get(link, follow_redirects=True, timeout=REQUEST_TIMEOUT)
            assert page.status_code == 200 and "/a/" in str(page.url)
            assert "阅读原文" in page.text
            assert any(t in page.text for t in titles)
        feed = httpx.get(f"http://127.0.0.1:{web_port}/c/xuexi/feed.atom", timeout=REQUEST_TIMEOUT)
        assert feed.status_code == 200 and "学习二十大 · 第1期" in feed.text
