"""The facade over the store, on SQLite and PostgreSQL: sources and their health,
one row per article, review transitions, scheduled publishing and the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.conftest import FIXTURES
from tests.support.clock import FakeClock
from zhuanlan.errors import InvalidTransition, NotFoundError, RuleError, SourceError
from zhuanlan.store.schema import articles, deliveries, pages

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)   # Monday 08:00 in Beijing


def _rss(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>t{i}</title><link>{base}{p}</link></item>"
                    for i, p in enumerate(paths))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>源</title>'
            f"<link>{base}/</link>{items}</channel></rss>").encode()


@pytest.fixture
def clock():
    return FakeClock(T0)


def _serve_pages(http_server, names: dict[str, str]) -> None:
    for path, name in names.items():
        http_server.route(path, (FIXTURES / "pages" / name).read_bytes(),
                          headers={"Content-Type": "text/html"})


def test_same_article_at_two_urls_is_one_row(make_zl, http_server, clock):
    page = "xinhua_utf8.html"
    _serve_pages(http_server, {"/a.html": page, "/mirror/a.html": page})
    base = http_server.url("").rstrip("/")
    http_server.route("/feed.xml", _rss(base, ["/a.html", "/mirror/a.html", "/a.html#x"]))
    zl = make_zl(clock=clock)
    zl.add_source("源", http_server.url("/feed.xml"))
    zl.run_until_idle()
    with zl.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(pages)).scalar() == 2
        assert conn.execute(select(func.count()).select_from(articles)).scalar() == 1
        linked = set(conn.execute(select(pages.c.article_id)).scalars())
    assert len(linked) == 1 and None not in linked


def test_unreachable_source_reports_why_and_backs_off(make_zl, clock):
    zl = make_zl(clock=clock, fetch__allow_private=[])
    sid = zl.add_source("内网源", "http://127.0.0.1:9/feed.xml")
    zl.run_until_idle()
    src = zl.get_source(sid)
    assert src["consecutive_failures"] == 1
    assert src["last_error_kind"] == "blocked_address"
    assert src["next_poll_at"] > clock()
    from zhuanlan.sources.health import source_status
    status = source_status(src)
    assert status.level == "error" and "内网" in status.detail


def test_broken_feed_is_reported_and_other_sources_go_on(make_zl, http_server, clock):
    _serve_pages(http_server, {"/a.html": "xinhua_utf8.html"})
    base = http_server.url("").rstrip("/")
    http_server.route("/good.xml", _rss(base, ["/a.html"]))
    http_server.route("/bad.xml", b"<html><body>not a feed</body></html>",
                      headers={"Content-Type": "text/html"})
    zl = make_zl(clock=clock)
    bad = zl.add_source("坏源", http_server.url("/bad.xml"))
    good = zl.add_source("好源", http_server.url("/good.xml"))
    done = zl.run_until_idle()
    assert done.pages == 1
    assert zl.get_source(bad)["last_error_kind"] == "not_a_feed"
    assert zl.get_source(good)["last_error"] is None
    assert zl.get_source(good)["last_success_at"] == clock()


def test_conditional_get_on_the_next_poll(make_zl, http_server, clock):
    base = http_server.url("").rstrip("/")
    body = _rss(base, [])

    def feed(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("ETag", '"v1"')
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    http_server.route_fn("/feed.xml", feed)
    zl = make_zl(clock=clock)
    sid = zl.add_source("源", http_server.url("/feed.xml"), poll_minutes=10)
    zl.run_until_idle()
    first = zl.get_source(sid)
    assert first["etag"] == '"v1"'
    # An empty feed lengthens the interval (adaptive polling); poll again once it is due.
    assert first["poll_minutes"] > 10
    clock.advance(seconds=(first["next_poll_at"] - clock()).total_seconds() + 1)
    zl.run_until_idle()
    feed_requests = [r for r in http_server.requests if r.path == "/feed.xml"]
    assert len(feed_requests) == 2
    assert feed_requests[1].headers.get("If-None-Match") == '"v1"'
    src = zl.get_source(sid)
    assert src["last_error"] is None and src["last_success_at"] == clock()


def test_review_transitions_and_publishing_on_schedule(make_zl, http_server, clock):
    _serve_pages(http_server, {"/gbk.html": "people_gbk.html", "/x.html": "xinhua_utf8.html"})
    base = http_server.url("").rstrip("/")
    http_server.route("/feed.xml", _rss(base, ["/gbk.html", "/x.html"]))
    zl = make_zl(clock=clock)
    zl.add_source("源", http_server.url("/feed.xml"))
    zl.add_column("c", "学习专栏", include="二十大, 党纪学习教育", schedule="0 9 * * 1",
                  editor_note="本期编者按")
    sid = zl.add_subscriber("a@example.com", "甲")
    zl.subscribe("c", sid)
    zl.run_until_idle()
    queue = zl.candidates("c")
    assert len(queue) == 2 and all(c["terms"] for c in queue)
    first, second = queue
    assert zl.decide(first["id"], "approve") == "approved"
    assert zl.decide(second["id"], "reject") == "rejected"
    assert zl.decide(second["id"], "undo") == "pending"
    with pytest.raises(RuleError):
        zl.decide(second["id"], "publish")
    with pytest.raises(NotFoundError):
        zl.decide(99999, "approve")

    assert zl.get_column("c")["next_run_at"] == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert zl.publish_due() == []
    clock.advance(hours=1)
    [issue_id] = zl.publish_due()
    issue = zl.issue_view("c", 1)
    assert issue.editor_note == "本期编者按" and len(issue.items) == 1
    assert zl.get_column("c")["next_run_at"] == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    with pytest.raises(InvalidTransition):
        zl.decide(first["id"], "reject")           # published stays published
    assert zl.delivery_counts(issue_id) == {"pending": 1}
    # Nothing approved at the next run: no empty issue, the schedule moves on.
    clock.advance(days=7)
    assert zl.publish_due() == []
    assert len(zl.issues_of("c")) == 1
    # The outbox row is unique per issue, recipient and channel.
    with zl.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(deliveries)).scalar() == 1


def test_invalid_column_input_is_refused_with_the_reason(zl):
    with pytest.raises(RuleError):
        zl.add_column("bad", "坏", include="二十大", schedule="61 9 * * *")
    with pytest.raises(RuleError):
        zl.add_column("bad", "坏", include="")
    with pytest.raises(RuleError, match="时区"):
        zl.add_column("bad", "坏", include="二十大", timezone_name="Asia/Nowhere")
    with pytest.raises(RuleError):
        zl.add_column("带空格 slug", "坏", include="二十大")
    with pytest.raises(SourceError):
        zl.add_source("x", "javascript:alert(1)")
    assert zl.list_columns() == [] and zl.list_sources() == []


def test_pages_extracted_in_a_process_pool(make_zl, http_server, clock):
    names = {"/gbk.html": "people_gbk.html", "/x.html": "xinhua_utf8.html",
             "/t.html": "traditional_pinyin.html", "/g.html": "govcn.html"}
    _serve_pages(http_server, names)
    http_server.route("/feed.xml", _rss(http_server.url("").rstrip("/"), list(names)))
    zl = make_zl(clock=clock, worker__processes=2)
    zl.add_source("源", http_server.url("/feed.xml"))
    assert zl.extract_pool is not None
    done = zl.run_until_idle()
    assert done.pages == 4
    with zl.db.read() as conn:
        titles = set(conn.execute(select(articles.c.title)).scalars())
    assert "学习贯彻二十大精神 推动企业高质量发展" in titles and len(titles) == 4


def test_kept_pages_can_be_extracted_again(make_zl, http_server, clock):
    _serve_pages(http_server, {"/t.html": "traditional_pinyin.html"})
    http_server.route("/feed.xml", _rss(http_server.url("").rstrip("/"), ["/t.html"]))
    zl = make_zl(clock=clock)
    zl.add_source("源", http_server.url("/feed.xml"))
    zl.run_until_idle()
    from sqlalchemy import update
    with zl.db.write() as conn:
        conn.execute(update(articles).values(title="旧标题", text="旧正文"))
    http_server.route("/t.html", b"gone", status=404)       # no refetch: the kept copy is used
    assert zl.reextract() == (1, 0)
    with zl.db.read() as conn:
        title, text = conn.execute(select(articles.c.title, articles.c.text)).one()
    assert title == "学习贯彻二十大精神 推动企业高质量发展" and "旧正文" not in text
