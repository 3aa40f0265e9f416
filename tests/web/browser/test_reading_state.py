"""On a phone, the article page of an issue — the same page for every reader, kept by the
server — shows this reader's 本期已学 x/N and 已学习 from ``/read/state``, and after the
last 我已学习 that the issue is done."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import PHONE, screenshot, start_browser, stop_browser
from tests.support.smtp import free_port
from tests.support.study_seed import organisation, publish
from tests.support.web import WebServer
from tests.web.browser.test_web_pages import submit
from zhuanlan.links import READER

pytestmark = pytest.mark.slow


def _shown(drv, element_id: str) -> str:
    """The element's text once reading.js has shown it."""
    WebDriverWait(drv, 10).until(lambda d: d.find_element(By.ID, element_id).is_displayed())
    return drv.find_element(By.ID, element_id).text


def test_the_state_of_the_reader_fills_the_kept_page(make_zl):
    from zhuanlan.web.app import create_app

    port = free_port()
    zl = make_zl(web__base_url=f"http://127.0.0.1:{port}")
    people = organisation(zl)
    issue_id, arts = publish(zl, 2, "本期")
    phone = start_browser(PHONE, mobile=True)
    try:
        with WebServer(create_app(zl), port) as web:
            # Another reader's visit renders the page the server keeps.
            assert zl.reading.pages.get(("article", arts[0], issue_id, True)) is None
            token = zl.links.sign(READER, {"s": people["乙"]})
            phone.get(web.url(f"/r/{token}?next=/a/{arts[0]}?i={issue_id}"))
            assert _shown(phone, "issue-progress").endswith("本期已学 0/2")
            phone.delete_all_cookies()
            assert zl.reading.pages.get(("article", arts[0], issue_id, True)) is not None

            token = zl.links.sign(READER, {"s": people["甲"]})
            phone.get(web.url(f"/r/{token}?next=/a/{arts[0]}?i={issue_id}"))
            assert _shown(phone, "issue-progress").endswith("本期已学 0/2")
            assert not phone.find_element(By.ID, "studied-done").is_displayed()
            assert phone.execute_script("return window.innerWidth") == 390
            assert phone.execute_script(
                "return document.documentElement.scrollWidth <= window.innerWidth")
            submit(phone, phone.find_element(By.CSS_SELECTOR, "button.study-confirm"))
            assert "确认学习" in _shown(phone, "studied-done")
            assert _shown(phone, "issue-progress").endswith("本期已学 1/2")
            assert not phone.find_elements(By.CSS_SELECTOR, "button.study-confirm")[0] \
                .is_displayed()
            screenshot(phone, "phone-reading-state-studied")

            submit(phone, phone.find_element(By.CSS_SELECTOR, "a.next"))
            assert _shown(phone, "issue-progress").endswith("本期已学 1/2")
            submit(phone, phone.find_element(By.CSS_SELECTOR, "button.study-confirm"))
            assert _shown(phone, "issue-progress").endswith("本期已学 2/2")
            assert "本期 2 篇已全部学完" in _shown(phone, "issue-done")
            assert not phone.find_element(By.ID, "issue-unstudied").is_displayed()
            assert phone.execute_script(
                "return document.documentElement.scrollWidth <= window.innerWidth")
            screenshot(phone, "phone-reading-state-done")
    finally:
        stop_browser(phone)
