"""An employee opens the personal link from the push on a phone (as inside WeChat), reads
an article of the issue and confirms 我已学习; a manager's statistics page then shows it.
Screenshots of the pages at phone and desktop width land in test-artifacts/."""

from __future__ import annotations

import time

import pytest
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
from tests.support.study_seed import SLUG, mark_sent, organisation, publish
from tests.support.web import WebServer
from tests.web.browser.test_web_pages import submit
from zhuanlan.links import READER

pytestmark = pytest.mark.slow


@pytest.fixture
def study_site(make_zl):
    from zhuanlan.web.app import create_app

    port = free_port()
    zl = make_zl(web__base_url=f"http://127.0.0.1:{port}")
    people = organisation(zl)
    issue_id, arts = publish(zl, 2, "本期")
    mark_sent(zl, issue_id)
    zl.staff.add_user("manager", "manager-password", role="viewer", display_name="党委办")
    with WebServer(create_app(zl), port) as web:
        yield zl, web, people, arts


def _stats_numbers(drv) -> tuple[str, str]:
    return (drv.find_element(By.ID, "studied-count").text,
            drv.find_element(By.ID, "completion").text)


def test_read_on_a_phone_confirm_and_the_statistics_change(study_site):
    zl, web, people, arts = study_site
    manager = start_browser(DESKTOP)
    phone = start_browser(PHONE, mobile=True)
    try:
        login(manager, web.url("/login"), "manager", "manager-password")
        manager.get(web.url(f"/admin/stats/c/{SLUG}/1"))
        assert _stats_numbers(manager) == ("0", "0%")

        token = zl.links.sign(READER, {"s": people["甲"]})
        phone.get(web.url(f"/r/{token}?next=/c/{SLUG}/1"))
        assert phone.current_url.endswith(f"/c/{SLUG}/1")
        screenshot(phone, "phone-study-issue")
        links = phone.find_elements(By.CSS_SELECTOR, "ol.items li h3 a")
        assert len(links) == 2
        for i in range(2):
            submit(phone, phone.find_elements(By.CSS_SELECTOR, "ol.items li h3 a")[i])
            assert "匿名" not in phone.find_element(By.TAG_NAME, "main").text
            # Read for a few seconds with the page visible, then leave: the page sends
            # its running total when hidden or left.
            WebDriverWait(phone, 10).until(
                lambda d: d.execute_script("return window.zhuanlanReading.seconds()") >= 3)
            assert phone.execute_script(
                "return document.documentElement.scrollWidth <= window.innerWidth + 1")
            screenshot(phone, f"phone-study-article-{i + 1}")
            submit(phone, phone.find_element(By.CSS_SELECTOR, "button.study-confirm"))
            assert "确认学习" in phone.find_element(By.CSS_SELECTOR, "section.study").text
            phone.back()
            phone.back()
        zl.records.flush()

        manager.get(web.url(f"/admin/stats/c/{SLUG}/1"))
        assert _stats_numbers(manager) == ("1", "25%")
        table = manager.find_element(By.ID, "departments").text
        assert "一公司" in table and "办公室" in table
        pending = manager.find_element(By.ID, "pending").text
        assert "甲" not in pending and "乙" in pending
        screenshot(manager, "desktop-study-stats")
        # The reading time reached the store through the heartbeats.
        from zhuanlan.store.stats import issue_stats
        deadline = time.monotonic() + 10
        seconds = 0
        while time.monotonic() < deadline and seconds < 3:
            zl.records.flush()
            with zl.db.read() as conn:
                seconds = issue_stats(conn, _issue_id(zl)).nodes[""].seconds
            time.sleep(0.2)
        assert seconds >= 3
        # Sorting a table by a header click (client side, no CDN).
        manager.get(web.url(f"/admin/stats/c/{SLUG}"))
        assert manager.find_element(By.CSS_SELECTOR, "figure.chart svg")
        screenshot(manager, "desktop-study-trend")
        phone.get(web.url(f"/admin/stats/c/{SLUG}/1"))
        assert "/login" in phone.current_url          # the reader is not staff
    finally:
        stop_browser(phone)
        stop_browser(manager)


def _issue_id(zl) -> int:
    return zl.issues_of(SLUG)[0]["id"]
