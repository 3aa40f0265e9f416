"""A viewer limited to one company opens the statistics on a phone: only that company's
units and people are there, the totals count them only, and a link to another
department is refused in Chinese. Screenshot in test-artifacts/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import PHONE, login, screenshot, start_browser, stop_browser
from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, mark_sent, organisation, publish
from tests.support.web import WebServer

pytestmark = pytest.mark.slow


def test_a_limited_viewer_on_a_phone_sees_only_their_units(make_zl):
    from zhuanlan.web.app import create_app

    zl = make_zl()
    organisation(zl)
    issue_id, _ = publish(zl, 1, "本期")
    mark_sent(zl, issue_id)
    zl.staff.add_user("branch", "branch-password", role="viewer", display_name="一公司党办",
                      departments=["集团/一公司"], by="test")
    with WebServer(create_app(zl), free_port()) as web:
        phone = start_browser(PHONE, mobile=True)
        try:
            login(phone, web.url("/login"), "branch", "branch-password")
            phone.get(web.url(f"/admin/stats/c/{SLUG}/1"))
            assert "仅统计您管辖的单位：集团/一公司" in phone.find_element(By.ID, "scope").text
            assert "应学 3 人" in phone.find_element(By.TAG_NAME, "main").text
            units = [td.text for td in phone.find_elements(By.CSS_SELECTOR,
                                                           "#departments tbody td:first-child")]
            assert "办公室" in units and "财务部" in units
            assert "二公司" not in phone.page_source and "丁" not in phone.page_source
            pending = phone.find_elements(By.CSS_SELECTOR, "#pending tbody tr")
            assert len(pending) == 3
            # The page fits the phone: nothing wider than the screen but the scrolling tables.
            assert phone.execute_script("return document.body.scrollWidth") <= \
                phone.execute_script("return window.innerWidth") + 1
            screenshot(phone, "stats-limited-viewer-phone")

            phone.get(web.url(f"/admin/stats/c/{SLUG}/1?dept=集团/二公司"))
            assert "只能查看本人管辖单位" in phone.find_element(By.TAG_NAME, "main").text
        finally:
            stop_browser(phone)
