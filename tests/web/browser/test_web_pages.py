"""The web pages in headless Chromium: a reader on a phone opens the sample column, an
issue and an article; an editor approves on the review page, writes the 编者按 and
publishes. Screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import (
    DESKTOP,
    PHONE,
    login,
    screenshot,
    start_browser,
    stop_browser,
)
from tests.support.smtp import free_port
from tests.support.web import WebServer

pytestmark = pytest.mark.slow


def _gone(element):
    """The old page's element is detached. Chromium can also answer "node does not belong
    to the document" while the next page replaces it: that means gone too."""
    def check(_drv) -> bool:
        try:
            element.is_enabled()
        except WebDriverException:    # StaleElementReferenceException is one
            return True
        return False
    return check


def next_page(drv, page) -> None:
    WebDriverWait(drv, 10).until(_gone(page))
    WebDriverWait(drv, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def submit(drv, button) -> None:
    """Click a button that submits a form and wait for the next page."""
    page = drv.find_element(By.TAG_NAME, "html")
    button.click()
    next_page(drv, page)


@pytest.fixture
def site_zl(make_zl):
    from zhuanlan.app.bootstrap import install_sample
    from zhuanlan.sample import SampleSite

    with SampleSite("127.0.0.1", 0) as site:
        port = free_port()
        zl = make_zl(web__base_url=f"http://127.0.0.1:{port}",
                     fetch__allow_private=[f"127.0.0.1:{site.port}"])
        install_sample(zl.sources, zl.columns, site.feed_url)
        zl.run_until_idle()
        zl.staff.add_user("chief", "chief-password", role="admin", display_name="总编")
        zl.staff.add_user("editor1", "editor-password", role="editor",
                          columns_=["xuexi-ershida"])
        from zhuanlan.web.app import create_app
        with WebServer(create_app(zl), port) as web:
            yield zl, web


def test_reader_pages_on_a_phone(site_zl):
    zl, web = site_zl
    slug = "xuexi-ershida"
    assert zl.publish_now(slug) is not None
    drv = start_browser(PHONE, mobile=True)
    try:
        drv.get(web.url("/"))
        assert "学习二十大" in drv.find_element(By.TAG_NAME, "main").text
        screenshot(drv, "phone-home")
        submit(drv, drv.find_element(By.LINK_TEXT, "学习二十大"))
        submit(drv, drv.find_element(By.PARTIAL_LINK_TEXT, "第1期"))
        assert "编者按" in drv.find_element(By.CSS_SELECTOR, "aside.note").text
        screenshot(drv, "phone-issue")
        first = drv.find_element(By.CSS_SELECTOR, "ol.items li h3 a")
        title = first.text
        submit(drv, first)
        assert drv.find_element(By.TAG_NAME, "h1").text == title
        assert drv.find_element(By.LINK_TEXT, "阅读原文").get_attribute("href").startswith("http")
        # Readable on a phone: no horizontal scrolling.
        assert drv.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(drv, "phone-article")
    finally:
        stop_browser(drv)


def test_editor_approves_writes_note_and_publishes(make_zl, site_zl):
    zl, web = site_zl
    slug = "xuexi-ershida"
    # Take the sample column off auto-approve: its candidates wait for the editor.
    for c in zl.candidates(slug, "approved"):
        zl.decide(c["id"], "undo")
    drv = start_browser(DESKTOP)
    try:
        # The desk asks for a login first and comes back to the page asked for.
        drv.get(web.url(f"/admin/c/{slug}/review"))
        assert "/login" in drv.current_url
        login(drv, web.url("/login"), "chief", "chief-password")
        assert drv.current_url.endswith(f"/admin/c/{slug}/review")
        items = drv.find_elements(By.CSS_SELECTOR, "ul.queue li")
        assert len(items) >= 2
        approved_titles = []
        for _ in range(2):
            item = drv.find_element(By.CSS_SELECTOR, "ul.queue li")
            approved_titles.append(item.find_element(By.CSS_SELECTOR, "h3").text)
            submit(drv, item.find_element(By.CSS_SELECTOR, "button.approve"))
        assert len(drv.find_elements(By.CSS_SELECTOR, "ul.queue li")) == len(items) - 2
        note = drv.find_element(By.NAME, "editor_note")
        note.clear()
        note.send_keys("编者按：本期两篇文章请各支部组织学习。")
        submit(drv, note.find_element(By.XPATH, "following-sibling::button"))
        screenshot(drv, "desktop-review")
        submit(drv, drv.find_element(By.XPATH, "//form[contains(@action,'/publish')]/button"))
        submit(drv, drv.find_element(By.CSS_SELECTOR, "#publish-confirm button"))
        assert drv.current_url.endswith(f"/c/{slug}/1")
        body = drv.find_element(By.TAG_NAME, "main").text
        # Typed with its label, shown with the page's own label once.
        assert "编者按\n本期两篇文章请各支部组织学习。" in body and "编者按：" not in body
        for t in approved_titles:
            assert t in body
        screenshot(drv, "desktop-issue")
        drv.get(web.url("/admin/audit"))
        log = drv.find_element(By.TAG_NAME, "tbody").text
        assert "发布" in log and "保存编者按" in log and log.count("通过") >= 2
        # The log names who did it: the logged-in user, not "web".
        assert "chief" in log and "web" not in log.split()
    finally:
        stop_browser(drv)


def test_bulk_and_keyboard_decisions(site_zl):
    from selenium.webdriver.common.action_chains import ActionChains

    zl, web = site_zl
    slug = "xuexi-ershida"
    for c in zl.candidates(slug, "approved"):
        zl.decide(c["id"], "undo")
    pending = len(zl.candidates(slug))
    drv = start_browser(DESKTOP)
    try:
        login(drv, web.url("/login"), "editor1", "editor-password")
        drv.get(web.url(f"/admin/c/{slug}/review"))
        boxes = drv.find_elements(By.CSS_SELECTOR, "ul.queue li input[type=checkbox]")
        chosen = [b.get_attribute("value") for b in boxes[:2]]
        for b in boxes[:2]:
            b.click()
        submit(drv, drv.find_element(By.CSS_SELECTOR, "form.bulk button.approve"))
        assert len(zl.candidates(slug)) == pending - 2
        assert {str(c["id"]) for c in zl.candidates(slug, "approved")} == set(chosen)
        # j moves to the second item, r rejects it.
        second = drv.find_elements(By.CSS_SELECTOR, "ul.queue li")[1].get_attribute("data-id")
        page = drv.find_element(By.TAG_NAME, "html")
        ActionChains(drv).send_keys("j").send_keys("r").perform()
        next_page(drv, page)
        assert [str(c["id"]) for c in zl.candidates(slug, "rejected")] == [second]
        screenshot(drv, "desktop-review-after-keyboard")
    finally:
        stop_browser(drv)
