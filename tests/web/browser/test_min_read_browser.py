"""On a phone, a reader presses 我已学习 after a few seconds on an article whose column asks
for a minute: the page says the time was too short and keeps the button, the reading
time went with the confirmation, and the manager's statistics show one too-quick
confirmation and nobody studied. Screenshot in test-artifacts/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from tests.support.browser import DESKTOP, PHONE, login, screenshot, start_browser, stop_browser
from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, mark_sent, organisation, publish
from tests.support.web import WebServer
from tests.web.browser.test_web_pages import submit
from zhuanlan.links import READER
from zhuanlan.store.schema import readings

pytestmark = pytest.mark.slow


def test_too_early_a_confirmation_is_told_and_counted_apart(make_zl):
    from zhuanlan.web.app import create_app

    port = free_port()
    zl = make_zl(web__base_url=f"http://127.0.0.1:{port}")
    people = organisation(zl)
    issue_id, (aid,) = publish(zl, 1, "本期")
    mark_sent(zl, issue_id)
    zl.reading.set_min_read(SLUG, 60, by="test")
    zl.staff.add_user("manager", "manager-password", role="viewer")
    with WebServer(create_app(zl), port) as web:
        phone = start_browser(PHONE, mobile=True)
        manager = start_browser(DESKTOP)
        try:
            token = zl.links.sign(READER, {"s": people["甲"]})
            phone.get(web.url(f"/r/{token}?next=/a/{aid}?i={issue_id}"))
            WebDriverWait(phone, 10).until(
                lambda d: d.execute_script("return window.zhuanlanReading.seconds()") >= 3)
            submit(phone, phone.find_element(By.CSS_SELECTOR, "button.study-confirm"))
            hint = phone.find_element(By.ID, "too-quick").text
            assert "阅读时间不足 60 秒，本次未计为已学习" in hint
            assert phone.find_element(By.CSS_SELECTOR, "button.study-confirm")
            assert "本期已学 0/1" in phone.find_element(By.ID, "issue-progress").text
            screenshot(phone, "phone-study-too-quick")
            zl.records.flush()
            with zl.db.read() as conn:
                row = conn.execute(select(readings).where(
                    readings.c.subscriber_id == people["甲"])).mappings().one()
            assert row["studied_at"] is not None and 3 <= row["active_seconds"] < 60

            login(manager, web.url("/login"), "manager", "manager-password")
            manager.get(web.url(f"/admin/stats/c/{SLUG}/1"))
            assert manager.find_element(By.ID, "too-quick").text == "1"
            assert manager.find_element(By.ID, "studied-count").text == "0"
            assert "不足 60 秒" in manager.find_element(By.TAG_NAME, "main").text
        finally:
            stop_browser(phone)
            stop_browser(manager)
