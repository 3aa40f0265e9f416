"""The editor's desk in headless Chromium: the queue's filters kept across decisions, the
preview with the matched terms, an edited title, the order of the next issue (buttons and
keyboard), the "下一期" preview and the published issue; a viewer who may only read; an
administrator who tests a source before saving it. Screenshots land in test-artifacts/."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import DESKTOP, screenshot, start_browser, stop_browser
from tests.support.httpserver import LocalHTTPServer
from tests.support.smtp import free_port
from tests.support.web import WebServer

pytestmark = pytest.mark.slow

SLUG = "xuexi-ershida"
PASSWORD = "password123"


def _gone(element):
    def check(_drv) -> bool:
        try:
            element.is_enabled()
        except WebDriverException:    # stale: the next page replaced it
            return True
        return False
    return check


def _wait_next(drv, page) -> None:
    WebDriverWait(drv, 10).until(_gone(page))
    WebDriverWait(drv, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def _submit(drv, button) -> None:
    page = drv.find_element(By.TAG_NAME, "html")
    button.click()
    _wait_next(drv, page)


def _keys(drv, keys: str) -> None:
    page = drv.find_element(By.TAG_NAME, "html")
    ActionChains(drv).send_keys(keys).perform()
    _wait_next(drv, page)


def _login(drv, web, username: str, password: str = PASSWORD) -> None:
    drv.get(web.url("/login"))
    drv.find_element(By.NAME, "username").send_keys(username)
    drv.find_element(By.NAME, "password").send_keys(password)
    _submit(drv, drv.find_element(By.CSS_SELECTOR, "form[action='/login'] button"))
    assert "/login" not in drv.current_url, drv.find_element(By.TAG_NAME, "main").text


def _query(drv) -> dict[str, list[str]]:
    return parse_qs(urlsplit(drv.current_url).query)


def _queue_titles(drv) -> list[str]:
    return [h.text for h in drv.find_elements(By.CSS_SELECTOR, "ul.queue > li h3")]


def _next_titles(drv) -> list[str]:
    return [a.text for a in drv.find_elements(By.CSS_SELECTOR, "#next-issue ol.next-items li a")]


@pytest.fixture
def feed_server():
    """Another site with an RSS feed and its articles, for adding a source."""
    with LocalHTTPServer() as server:
        items = "".join(f"<item><title>新来源文章{i}</title><link>{server.origin}/n/{i}.html</link>"
                        f"<pubDate>Fri, 20 Nov 2026 0{i}:00:00 +0800</pubDate></item>"
                        for i in (1, 2))
        server.route("/feed.xml", (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>新的订阅源</title><link>{server.origin}/</link>{items}</channel></rss>"),
            headers={"Content-Type": "application/rss+xml"})
        for i in (1, 2):
            server.route(f"/n/{i}.html", (
                f'<html><head><meta charset="utf-8"><title>新来源文章{i}</title></head><body>'
                f"<h1>新来源文章{i}的标题</h1><div class=\"article\">"
                "<p>第一段：各地认真学习贯彻党的二十大精神，推动各项工作落地见效，取得新的进展。</p>"
                "<p>第二段：会议强调，要把学习成果转化为推动高质量发展的实际行动，抓好落实。</p>"
                "</div></body></html>"), headers={"Content-Type": "text/html; charset=utf-8"})
        yield server


@pytest.fixture
def desk_site(make_zl, feed_server):
    from zhuanlan.app.bootstrap import install_sample
    from zhuanlan.sample import SampleSite
    from zhuanlan.web.app import create_app

    with SampleSite("127.0.0.1", 0) as site:
        port = free_port()
        zl = make_zl(web__base_url=f"http://127.0.0.1:{port}",
                     fetch__allow_private=[f"127.0.0.1:{site.port}",
                                           f"127.0.0.1:{feed_server.port}"])
        install_sample(zl.sources, zl.columns, site.feed_url)
        zl.run_until_idle()
        # The sample column approves automatically: put its candidates back in the queue.
        for c in zl.candidates(SLUG, "approved"):
            zl.decide(c["id"], "undo")
        zl.staff.add_user("chief", PASSWORD, role="admin", display_name="总编")
        zl.staff.add_user("editor1", PASSWORD, role="editor", columns_=[SLUG])
        zl.staff.add_user("viewer1", PASSWORD, role="viewer")
        with WebServer(create_app(zl), port) as web:
            yield zl, web


def test_editor_filters_previews_edits_orders_and_publishes(desk_site):
    zl, web = desk_site
    pending = zl.candidates(SLUG)
    assert len(pending) >= 4
    drv = start_browser(DESKTOP)
    try:
        _login(drv, web, "editor1")
        drv.get(web.url(f"/admin/c/{SLUG}/review"))
        assert len(_queue_titles(drv)) == len(pending)

        # Filter by a word of the titles: the filters are GET parameters ...
        search = drv.find_element(By.CSS_SELECTOR, "#filters input[name=q]")
        search.send_keys("二十大")
        _submit(drv, drv.find_element(By.CSS_SELECTOR, "#filters button"))
        assert _query(drv)["q"] == ["二十大"]
        filtered = _queue_titles(drv)
        assert 1 < len(filtered) < len(pending)
        assert all("二十大" in t for t in filtered)
        screenshot(drv, "desk-filtered")
        # ... and stay after a decision.
        first = drv.find_element(By.CSS_SELECTOR, "ul.queue > li")
        first_id = int(first.get_attribute("data-id"))
        first_title = first.find_element(By.CSS_SELECTOR, "h3").text
        _submit(drv, first.find_element(By.CSS_SELECTOR, "button.approve"))
        assert _query(drv)["q"] == ["二十大"]
        assert _queue_titles(drv) == filtered[1:]
        assert drv.find_element(By.CSS_SELECTOR, "#filters input[name=q]").get_attribute(
            "value") == "二十大"

        # Open the preview of another candidate: the article with the matched terms marked.
        drv.get(web.url(f"/admin/c/{SLUG}/review"))
        target = next(c for c in zl.candidates(SLUG) if "二十大" not in c["title"])
        link = drv.find_element(By.CSS_SELECTOR, f"li#cand-{target['id']} h3 a")
        _submit(drv, link)
        assert f"/admin/c/{SLUG}/candidate/{target['id']}" in drv.current_url
        assert drv.find_element(By.TAG_NAME, "h1").text == target["title"]
        assert drv.find_elements(By.CSS_SELECTOR, "article .body mark")
        assert drv.find_element(By.LINK_TEXT, "阅读原文").get_attribute("href") == target["url"]
        screenshot(drv, "desk-preview")

        # Edit its title for the column, then approve it from the preview.
        title = drv.find_element(By.CSS_SELECTOR, "form.edit input[name=title]")
        title.clear()
        title.send_keys("编辑改写的标题：国企担当")
        _submit(drv, drv.find_element(By.CSS_SELECTOR, "form.edit button"))
        assert "已保存" in drv.find_element(By.CSS_SELECTOR, ".done").text
        assert drv.find_element(By.TAG_NAME, "h1").text == "编辑改写的标题：国企担当"
        assert target["title"] in drv.find_element(By.CSS_SELECTOR, "p.edited").text
        screenshot(drv, "desk-preview-edited")
        _submit(drv, drv.find_element(By.CSS_SELECTOR, "form.decide button.approve"))
        assert "已通过" in drv.find_element(By.CSS_SELECTOR, ".state").text
        assert zl.article(target["article_id"])["title"] == target["title"]   # untouched

        # The approved tab is in the next issue's order: by score until moved.
        drv.get(web.url(f"/admin/c/{SLUG}/review?state=approved"))
        expected = ["编辑改写的标题：国企担当" if c["id"] == target["id"] else c["title"]
                    for c in sorted((c for c in zl.candidates(SLUG, "approved")),
                                    key=lambda c: -c["score"])]
        assert len(expected) == 2
        assert _queue_titles(drv) == expected
        assert _next_titles(drv) == expected
        # Move the second up with its button.
        second = drv.find_elements(By.CSS_SELECTOR, "ul.queue > li")[1]
        moved_id = second.get_attribute("data-id")
        _submit(drv, second.find_element(By.CSS_SELECTOR, "button.move-up"))
        assert _queue_titles(drv) == expected[::-1]
        assert _next_titles(drv) == expected[::-1]
        # By keyboard: the moved item keeps the focus; J moves it down, K up again.
        focused = drv.find_element(By.CSS_SELECTOR, "ul.queue > li.focused")
        assert focused.get_attribute("data-id") == moved_id
        _keys(drv, "J")
        assert _queue_titles(drv) == expected
        _keys(drv, "K")
        assert _queue_titles(drv) == expected[::-1]

        # The "下一期" preview: time, count, titles in order, the editor's note.
        head = drv.find_element(By.CSS_SELECTOR, "#next-issue .next-head").text
        assert head.startswith("下一期：") and "推送，包含 2 篇" in head
        assert "编者按" in drv.find_element(By.CSS_SELECTOR, "#next-issue .next-note").text
        screenshot(drv, "desk-approved-ordered")

        # Publish: the issue shows the edited title, in the chosen order.
        _submit(drv, drv.find_element(By.XPATH, "//form[contains(@action,'/publish')]/button"))
        assert "文章 2 篇" in drv.find_element(By.ID, "publish-plan").text
        _submit(drv, drv.find_element(By.CSS_SELECTOR, "#publish-confirm button"))
        assert drv.current_url.endswith(f"/c/{SLUG}/1")
        titles = [h.text for h in drv.find_elements(By.CSS_SELECTOR, "ol.items li h3")]
        assert titles == expected[::-1]
        assert first_title != titles[0]
        screenshot(drv, "desk-published-issue")
        assert first_id in {c["id"] for c in zl.candidates(SLUG, "published")}
    finally:
        stop_browser(drv)


def test_a_viewer_reads_but_cannot_decide(desk_site):
    zl, web = desk_site
    candidate = zl.candidates(SLUG)[0]
    drv = start_browser(DESKTOP)
    try:
        _login(drv, web, "viewer1")
        drv.get(web.url(f"/admin/c/{SLUG}/review"))
        assert len(_queue_titles(drv)) == len(zl.candidates(SLUG))
        assert "只读" in drv.find_element(By.CSS_SELECTOR, ".readonly").text
        for selector in ("button.approve", "button.reject", "form.decide", "form.bulk",
                         "textarea[name=editor_note]", "form[action$='/publish']"):
            assert not drv.find_elements(By.CSS_SELECTOR, selector), selector
        drv.get(web.url(f"/admin/c/{SLUG}/candidate/{candidate['id']}"))
        assert not drv.find_elements(By.CSS_SELECTOR, "form.edit")
        assert not drv.find_elements(By.CSS_SELECTOR, "form.decide")
        screenshot(drv, "desk-viewer")
        # A POST made anyway, with the viewer's own valid CSRF token, is refused.
        script = """
            const done = arguments[arguments.length - 1];
            const token = document.querySelector("input[name=csrf_token]").value;
            const post = (path, fields) => fetch(path, {method: "POST", redirect: "manual",
                body: new URLSearchParams({csrf_token: token, ...fields})}).then(r => r.status);
            Promise.all([
              post("/admin/c/SLUG/decide", {candidate_id: "CID", action: "approve"}),
              post("/admin/c/SLUG/candidate/CID/edit", {title: "偷改"}),
              post("/admin/c/SLUG/move", {candidate_id: "CID", direction: "up"}),
              post("/admin/sources/test", {mode: "feed", url: "http://127.0.0.1/"}),
            ]).then(done);
        """
        statuses = drv.execute_async_script(
            script.replace("SLUG", SLUG).replace("CID", str(candidate["id"])))
        assert statuses == [403, 403, 403, 403]
        after = zl.desk.candidate(candidate["id"])
        assert after["state"] == "pending" and after["title_override"] is None
    finally:
        stop_browser(drv)


def test_admin_tests_a_source_before_saving_it(desk_site, feed_server):
    zl, web = desk_site
    before = len(zl.list_sources())
    drv = start_browser(DESKTOP)
    try:
        _login(drv, web, "chief")
        drv.get(web.url("/admin/sources"))

        def fill(url: str) -> None:
            drv.find_element(By.CSS_SELECTOR, "input[name=mode][value=feed]").click()
            box = drv.find_element(By.CSS_SELECTOR, "#source-add input[name=url]")
            box.clear()
            box.send_keys(url)

        # A URL that is not http(s): the reason on the form, nothing saved.
        fill("ftp://example.com/feed.xml")
        _submit(drv, drv.find_element(By.ID, "save-button"))
        assert "http://" in drv.find_element(By.ID, "form-error").text
        assert len(zl.list_sources()) == before

        # Test: the entries and the first article, still nothing saved.
        fill(feed_server.url("/feed.xml"))
        _submit(drv, drv.find_element(By.ID, "probe-button"))
        probe = drv.find_element(By.ID, "probe").text
        assert "列表中有 2 篇" in probe and "新来源文章1" in probe
        article = drv.find_element(By.CSS_SELECTOR, "#probe .probe-article").text
        assert article.startswith("新来源文章1") and "第一段：各地认真学习" in article
        assert len(zl.list_sources()) == before
        drv.execute_script("document.getElementById('probe').scrollIntoView()")
        screenshot(drv, "sources-probe")

        # Save: the source is listed with its health, and can be disabled.
        _submit(drv, drv.find_element(By.ID, "save-button"))
        assert "已添加信息源：新的订阅源" in drv.find_element(By.CSS_SELECTOR, ".done").text
        added = next(s for s in zl.list_sources() if s["url"] == feed_server.url("/feed.xml"))
        assert added["kind"] == "feed" and added["enabled"]
        row = drv.find_element(By.ID, f"source-{added['id']}")
        assert "等待首次抓取" in row.text
        _submit(drv, row.find_element(By.CSS_SELECTOR, "form[action$='/disable'] button"))
        assert "已停用" in drv.find_element(By.ID, f"source-{added['id']}").text
        assert not zl.get_source(added["id"])["enabled"]
        screenshot(drv, "sources-added")
    finally:
        stop_browser(drv)
