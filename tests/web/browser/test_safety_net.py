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


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_editor_previews_every_channel(site, size):
    zl, web = site
    zl.set_editor_note(SLUG, "认真学习本期文章。")
    zl.targets.add("党办群", "wecom", {"url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"},
                   columns_=[SLUG])
    zl.targets.add("飞书群", "feishu", {"url": "http://127.0.0.1:9/open-apis/bot/v2/hook/x"},
                   columns_=[SLUG])
    seed_articles(zl, 3, "本期")
    drv = start_browser(PHONE, mobile=True) if size == "phone" else start_browser(DESKTOP)
    try:
        login(drv, web.url("/login"), "ed", "editor-password")
        drv.get(web.url(f"/admin/c/{SLUG}/review?state=approved"))
        submit(drv, drv.find_element(By.LINK_TEXT, "预览各渠道"))
        panels = {p.get_attribute("id"): p for p in
                  drv.find_elements(By.CSS_SELECTOR, "[data-panel]")}
        assert [k for k, p in panels.items() if p.is_displayed()] == ["ch-email"]
        frame = drv.find_element(By.ID, "email-frame")
        assert frame.size["width"] == 375
        drv.switch_to.frame(frame)
        assert "认真学习本期文章" in drv.find_element(By.TAG_NAME, "body").text
        drv.switch_to.default_content()
        screenshot(drv, f"{size}-preview-email")
        if size == "desktop":
            drv.find_element(By.CSS_SELECTOR, "[data-width='720']").click()
            assert drv.find_element(By.ID, "email-frame").size["width"] == 720
        # Switch to the 飞书 group: its card, not the e-mail.
        drv.find_element(By.LINK_TEXT, "飞书群").click()
        shown = [p for p in drv.find_elements(By.CSS_SELECTOR, "[data-panel]") if p.is_displayed()]
        assert len(shown) == 1 and shown[0].get_attribute("data-kind") == "feishu"
        card = shown[0].find_element(By.CSS_SELECTOR, ".chat-card")
        assert "学习二十大 · 第1期" in card.find_element(By.CSS_SELECTOR, ".card-title").text
        assert "本期 学习文章 0" in card.text
        assert "上限 20000 字节" in shown[0].text
        assert drv.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(drv, f"{size}-preview-feishu")
        drv.find_element(By.LINK_TEXT, "网页").click()
        assert drv.find_element(By.ID, "ch-web").is_displayed()
    finally:
        stop_browser(drv)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_editor_sends_the_test_to_herself(make_zl, size):
    from tests.web.test_test_send import _site

    with _site(make_zl) as (zl, web, servers, sink):
        zl.staff.set_test_addresses("ed", email="ed@example.com", wecom_userid="lisi")
        drv = start_browser(PHONE, mobile=True) if size == "phone" else start_browser(DESKTOP)
        try:
            login(drv, web.url("/login"), "ed", "editor-password")
            drv.get(web.url(f"/admin/c/{SLUG}/preview"))
            assert drv.find_element(By.ID, "email-frame").size["width"] == 375
            submit(drv, drv.find_element(By.XPATH, "//button[text()='发送测试给我']"))
            assert "已发送测试（2 项）" in drv.find_element(By.CSS_SELECTOR, ".done").text
            lines = drv.find_element(By.ID, "test-sends").text
            assert "发送测试到 ed@example.com" in lines and "结果：成功" in lines
            assert "发送测试到 lisi" in lines
            [mail] = sink.wait_for(1)
            assert mail.rcpt_tos == ["ed@example.com"]
            assert str(mail.message["Subject"]) == "学习二十大 · 第1期"
            assert [m["touser"] for m in servers.sent("wecom")] == ["lisi"]
            screenshot(drv, f"{size}-preview-test-sent")
        finally:
            stop_browser(drv)
