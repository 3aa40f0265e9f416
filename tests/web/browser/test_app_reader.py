"""A person opens the group's link inside 企业微信 (headless Chromium with the app's user
agent, the platform imitation as the identity provider), presses 我已学习, and appears by
name and department in the issue's statistics."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import update

from tests.support.appservers import AppServers
from tests.support.browser import (
    DESKTOP,
    PHONE,
    WXWORK_UA,
    login,
    screenshot,
    start_browser,
    stop_browser,
)
from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, mark_sent, organisation, publish
from tests.support.web import WebServer
from tests.web.browser.test_web_pages import submit
from zhuanlan.store.schema import subscribers

pytestmark = pytest.mark.slow


@pytest.fixture
def app_site(make_zl):
    from zhuanlan.web.app import create_app
    with AppServers() as servers:
        port = free_port()
        zl = make_zl(web__base_url=f"http://127.0.0.1:{port}",
                     fetch__allow_private=[f"127.0.0.1:{servers.server.port}"])
        people = organisation(zl)
        with zl.db.write() as conn:
            conn.execute(update(subscribers).where(subscribers.c.id == people["丙"])
                         .values(wecom_userid="zhangsan"))
        zl.targets.add("集团企业微信", "wecom_app", servers.config("wecom"), columns_=[SLUG])
        issue_id, _arts = publish(zl, 2, "本期")
        mark_sent(zl, issue_id)
        zl.staff.add_user("manager", "manager-password", role="viewer", display_name="党委办")
        with WebServer(create_app(zl), port) as web:
            yield zl, web


def test_a_group_link_opened_in_wecom_counts_the_person_by_name(app_site):
    zl, web = app_site
    phone = start_browser(PHONE, mobile=True, user_agent=WXWORK_UA)
    manager = start_browser(DESKTOP)
    try:
        phone.get(web.url(f"/c/{SLUG}/1"))             # the link as a group message has it
        # (A browser keeps the authorize URL's #wechat_redirect across the redirects.)
        assert phone.current_url.split("#")[0] == web.url(f"/c/{SLUG}/1")
        for i in range(2):                             # the issue is studied when all are
            submit(phone, phone.find_elements(By.CSS_SELECTOR, "ol.items li h3 a")[i])
            assert "匿名" not in phone.find_element(By.TAG_NAME, "main").text
            submit(phone, phone.find_element(By.CSS_SELECTOR, "button.study-confirm"))
            assert "确认学习" in phone.find_element(By.CSS_SELECTOR, "section.study").text
            phone.back()
            phone.back()
        screenshot(phone, "phone-wecom-issue")
        zl.records.flush()

        login(manager, web.url("/login"), "manager", "manager-password")
        manager.get(web.url(f"/admin/stats/c/{SLUG}/1"))
        assert manager.find_element(By.ID, "studied-count").text == "1"
        departments = manager.find_element(By.ID, "departments").text
        assert "财务部" in departments
        pending = manager.find_element(By.ID, "pending").text
        assert "丙" not in pending and "甲" in pending
    finally:
        stop_browser(phone)
        stop_browser(manager)
