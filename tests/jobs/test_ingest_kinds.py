"""Source kinds through the whole job, on both databases: a JSONP list with a Referer
and an article API (央视网's layout), a GBK html channel page (人民网's), a preset's
parameter left empty (学习强国), and the "suddenly yields nothing" alarm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.conftest import FIXTURES
from zhuanlan.sources.presets import get_preset
from zhuanlan.sources.spec import spec_to_dict
from zhuanlan.store.schema import articles, pages

PRESETS = FIXTURES / "presets"
T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def _preset_spec(preset_id: str, **changes) -> dict:
    data = spec_to_dict(get_preset(preset_id).spec)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def test_jsonp_list_with_referer_and_article_api(make_zl, http_server):
    http_server.route("/page/china_1.jsonp", (PRESETS / "cctv" / "china_1.jsonp").read_bytes(),
                      headers={"Content-Type": "application/javascript"})
    http_server.route("/api", (PRESETS / "cctv" / "article_api.json").read_bytes(),
                      headers={"Content-Type": "application/json"})
    spec = _preset_spec("cctv-china", article_api={
        "url_template": http_server.url("/api") + "?id={id}"})
    zl = make_zl(clock=lambda: T0)
    sid = zl.add_source("央视网 · 国内", http_server.url("/page/{category}_1.jsonp"),
                        kind="json", spec=spec, params={"category": "china"})
    zl.poll_due_sources()
    src = zl.get_source(sid)
    assert src["last_error"] is None and src["last_entry_count"] >= 1
    [list_request] = http_server.requests_to("/page/china_1.jsonp")
    assert list_request.headers.get("Referer") == "https://news.cctv.com/china/"
    with zl.db.read() as conn:
        queued = list(conn.execute(select(pages.c.url)).scalars())
    assert queued and all("/ARTI" in u for u in queued)
    zl.process_due_pages()
    with zl.db.read() as conn:
        titles = list(conn.execute(select(articles.c.title)).scalars())
    # Every ARTI page was read through the article API on the local server.
    assert "国务院新闻办公室举行新闻发布会 介绍一季度经济运行情况" in titles
    assert len(http_server.requests_to("/api")) == len(queued)


def test_gbk_channel_page_with_selectors(make_zl, http_server):
    http_server.route("/GB/59476/index.html",
                      (PRESETS / "people" / "channel_59476.html").read_bytes(),
                      headers={"Content-Type": "text/html"})
    zl = make_zl(clock=lambda: T0)
    sid = zl.add_source("人民网 · 频道", http_server.url("/GB/59476/index.html"), kind="html",
                        spec=_preset_spec("people-www-channel"))
    zl.poll_due_sources()
    src = zl.get_source(sid)
    assert src["last_error"] is None, src["last_error"]
    with zl.db.read() as conn:
        rows = conn.execute(select(pages.c.url, pages.c.entry_title)).all()
    assert len(rows) >= 3
    # Relative links resolve against the page's own (here local) address.
    assert all(url.startswith(("http://", "https://")) for url, _ in rows)
    assert all(title and "\ufffd" not in title for _, title in rows)


def test_empty_parameter_is_a_clear_source_error(make_zl):
    from zhuanlan.app.bootstrap import install_presets

    zl = make_zl(clock=lambda: T0)
    install_presets(zl.sources)
    xuexi = next(s for s in zl.list_sources() if s["preset"] == "xuexi-channel")
    assert "{channel}" in xuexi["url"] or "lgdata" in xuexi["url"]
    from sqlalchemy import update

    from zhuanlan.store.schema import sources
    with zl.db.write() as conn:   # only this source is due, so no traffic leaves the machine
        conn.execute(update(sources).values(enabled=False))
        conn.execute(update(sources).where(sources.c.id == xuexi["id"]).values(enabled=True))
    zl.poll_due_sources()
    src = zl.get_source(xuexi["id"])
    assert src["last_error_kind"] == "config" and "channel" in src["last_error"]


def test_a_list_that_suddenly_yields_nothing_raises_an_alarm(make_zl, http_server):
    now = [T0]
    body = (PRESETS / "people" / "politics_rss.xml").read_bytes()
    http_server.route("/rss.xml", body, headers={"Content-Type": "application/rss+xml"})
    zl = make_zl(clock=lambda: now[0])
    sid = zl.add_source("人民网 · 时政", http_server.url("/rss.xml"))
    zl.poll_due_sources()
    assert zl.get_source(sid)["alarm"] is None
    http_server.route("/rss.xml", b"<?xml version='1.0'?><rss version='2.0'><channel>"
                      b"<title>t</title></channel></rss>",
                      headers={"Content-Type": "application/rss+xml"})
    now[0] = zl.get_source(sid)["next_poll_at"] + timedelta(seconds=1)
    zl.poll_due_sources()
    src = zl.get_source(sid)
    assert src["last_error"] is None and src["alarm"]
    from zhuanlan.sources.health import source_status
    assert source_status(src).level == "warn"


def test_a_preset_parameter_set_by_the_editor(make_zl):
    from zhuanlan.app.bootstrap import install_presets

    zl = make_zl(clock=lambda: T0)
    install_presets(zl.sources)
    xuexi = next(s for s in zl.list_sources() if s["preset"] == "xuexi-channel")
    assert not xuexi["enabled"]
    src = zl.update_source(xuexi["id"], params={"channel": "1cdd4a2fb7fd8e0f3c3b3d1e"},
                           enabled=True)
    assert src["enabled"] and src["url"].endswith("/lgdata/1cdd4a2fb7fd8e0f3c3b3d1e.json")
