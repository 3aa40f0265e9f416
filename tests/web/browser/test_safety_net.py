"""The safety net before a mass send, in headless Chromium: on a phone an editor
publishes through the confirmation that shows the real counts; at desktop width an
administrator removes a department's subscription through its confirmation, which says
how many people stop receiving the column."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import DESKTOP, PHONE, login, screenshot, start_browser, stop_browser
from tests.support.study_seed import seed_articles
from tests.web.browser.test_web_pages import submit
from tests.web.conftest import SLUG

pytestmark = pytest.mark.slow


def _people(zl) -> None:
    zl.people.add_person("a@example.com", "甲", department="集团/一公司", wecom_userid="jia")
    zl.people.add_person("b@example.com", "乙", department="集团/一公司/办公室")
    zl.people.add_person("c@example.com", "丙", department="集团/二公司")
    zl.people.subscribe_department(SLUG, "集团/一公司")
    zl.people.subscribe_department(SLUG, "集团/二公司")


def test_an_editor_publishes_on_a_phone_through_the_confirmation(site):
    zl, web = site
    _people(zl)
    zl.targets.add("党办群", "wecom", {"url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"},
                   columns_=[SLUG])
    seed_articles(zl, 2, "本期")
    drv = start_browser(PHONE, mobile=True)
    try:
        login(drv, web.url("/login"), "ed", "editor-password")
        drv.get(web.url(f"/admin/c/{SLUG}/review?state=approved"))
        submit(drv, drv.find_element(By.XPATH, "//form[contains(@action,'/publish')]/button"))
        plan = drv.find_element(By.ID, "publish-plan").text
        assert "文章 2 篇" in plan and "推送给 3 人" in plan and "电子邮件 3 人" in plan
        assert "群聊 1 个：党办群" in plan and "这一期没有编者按，仍然发布吗" in plan
        assert zl.issues_of(SLUG) == []
        assert drv.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(drv, "phone-publish-confirm")
        submit(drv, drv.find_element(By.CSS_SELECTOR, "#publish-confirm button"))
        assert drv.current_url.endswith(f"/c/{SLUG}/1")
        assert len(zl.issues_of(SLUG)) == 1
    finally:
        stop_browser(drv)


def test_an_administrator_removes_a_department_through_the_confirmation(site):
    zl, web = site
    _people(zl)
    drv = start_browser(DESKTOP)
    try:
        login(drv, web.url("/login"), "chief", "chief-password")
        drv.get(web.url(f"/admin/people/columns/{SLUG}"))
        row = drv.find_element(By.XPATH, "//tr[td[contains(., '一公司')]]")
        submit(drv, row.find_element(By.CSS_SELECTOR, "button.reject"))
        assert "2 人将不再收到" in drv.find_element(By.ID, "removal-effect").text
        assert len(zl.people.recipients(SLUG)) == 3
        screenshot(drv, "desktop-remove-department-confirm")
        submit(drv, drv.find_element(By.CSS_SELECTOR, "#remove-confirm button"))
        assert "2 人不再收到本专栏" in drv.find_element(By.CSS_SELECTOR, ".done").text
        assert [p["name"] for p in zl.people.recipients(SLUG)] == ["丙"]
    finally:
        stop_browser(drv)
