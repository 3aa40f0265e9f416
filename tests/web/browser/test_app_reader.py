"""A person opens the group's link inside 企业微信 (headless Chromium with the app's user
agent, the platform imitation as the identity provider), presses 我已学习, and appears by
name and department in the issue's statistics."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
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


@pytest.fixture
def admin_site(make_zl):
    from zhuanlan.web.app import create_app
    with AppServers() as servers:
        port = free_port()
        zl = make_zl(web__base_url=f"http://127.0.0.1:{port}",
                     fetch__allow_private=[f"127.0.0.1:{servers.server.port}"])
        organisation(zl)
        issue_id, _arts = publish(zl, 2, "本期")
        mark_sent(zl, issue_id)
        zl.staff.add_user("chief", "chief-password", role="admin")
        with WebServer(create_app(zl), port) as web:
            yield zl, web, servers


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_administrator_adds_and_tests_an_app_then_reminds(admin_site, size):
    zl, web, servers = admin_site
    cfg = servers.config("feishu")
    drv = start_browser(size, mobile=size == PHONE)
    try:
        login(drv, web.url("/login"), "chief", "chief-password")
        drv.get(web.url("/admin/channels"))
        form = drv.find_element(By.ID, "add-app")
        form.find_element(By.NAME, "name").send_keys("集团飞书")
        Select(form.find_element(By.NAME, "kind")).select_by_value("feishu_app")
        form.find_element(By.NAME, "app_id").send_keys(cfg["app_id"])
        form.find_element(By.NAME, "app_secret").send_keys("wrong-secret")
        assert drv.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1")
        submit(drv, form.find_element(By.CSS_SELECTOR, "button"))
        # The imitation is not 飞书's public address: the form refuses nothing here (the
        # settings are valid); the test then shows the wrong secret in Chinese.
        assert "已添加应用“集团飞书”" in drv.find_element(By.TAG_NAME, "main").text
        target = zl.targets.get("集团飞书")
        assert "wrong-secret" not in drv.page_source
        # Point it at the imitation (an administrator would use the platform's address).
        zl.targets.delete(target["id"])
        zl.targets.add("集团飞书", "feishu_app", cfg, columns_=[SLUG])
        drv.get(web.url("/admin/channels"))
        row = drv.find_element(By.XPATH, "//tr[td[text()='集团飞书']]")
        assert "飞书应用（发给个人）" in row.text and cfg["app_secret"] not in drv.page_source
        submit(drv, row.find_element(By.XPATH, ".//button[text()='发送测试消息']"))
        assert "访问令牌" in drv.find_element(By.TAG_NAME, "main").text
        assert drv.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(drv, f"{'phone' if size == PHONE else 'desktop'}-channels-app")

        drv.get(web.url(f"/admin/stats/c/{SLUG}/1"))
        button = drv.find_element(By.CSS_SELECTOR, "#remind button")
        drv.execute_script("window.confirm = () => true")
        submit(drv, button)
        assert "已安排提醒 4 人" in drv.find_element(By.TAG_NAME, "main").text
        assert "上次提醒" in drv.find_element(By.ID, "last-reminder").text
        screenshot(drv, f"{'phone' if size == PHONE else 'desktop'}-stats-remind")
    finally:
        stop_browser(drv)
