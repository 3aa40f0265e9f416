"""An administrator adds a person, finds them, deactivates them; a viewer finds a person
and reads their study record — in headless Chromium at desktop and phone width."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.support.browser import DESKTOP, PHONE, login, screenshot, start_browser, stop_browser
from tests.support.smtp import free_port
from tests.support.study_seed import mark_sent, organisation, publish
from tests.support.web import WebServer
from tests.web.browser.test_web_pages import submit
from zhuanlan.store.schema import readings

pytestmark = pytest.mark.slow


@pytest.fixture
def people_site(make_zl):
    from zhuanlan.web.app import create_app

    zl = make_zl()
    ids = organisation(zl)
    zl.staff.add_user("chief", "chief-password", role="admin")
    zl.staff.add_user("look", "viewer-password", role="viewer")
    with WebServer(create_app(zl), free_port()) as web:
        yield zl, web, ids


def _browser(size: str):
    return start_browser(DESKTOP) if size == "desktop" else start_browser(PHONE, mobile=True)


def _fits(drv) -> bool:
    return drv.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_add_find_and_deactivate_a_person(people_site, size):
    zl, web, ids = people_site
    drv = _browser(size)
    try:
        login(drv, web.url("/login"), "chief", "chief-password")
        drv.get(web.url("/admin/people"))
        submit(drv, drv.find_element(By.ID, "add-person"))
        drv.find_element(By.NAME, "name").send_keys("戊")
        drv.find_element(By.NAME, "email").send_keys("a@example.com")      # 甲's
        drv.find_element(By.NAME, "employee_no").send_keys("1005")
        Select(drv.find_element(By.NAME, "department")).select_by_visible_text(
            "集团 › 一公司 › 财务部")
        submit(drv, drv.find_element(By.ID, "save-person"))
        assert "邮箱已属于 甲" in drv.find_element(By.ID, "error-email").text
        email = drv.find_element(By.NAME, "email")
        email.clear()
        email.send_keys("e@example.com")
        submit(drv, drv.find_element(By.ID, "save-person"))
        assert "已添加人员：戊" in drv.find_element(By.TAG_NAME, "main").text

        drv.get(web.url("/admin/people/find"))
        drv.find_element(By.NAME, "q").send_keys("财务部")
        submit(drv, drv.find_element(By.CSS_SELECTOR, "#person-search button"))
        found = drv.find_element(By.ID, "people-found").text
        assert "戊" in found and "丙" in found and "甲" not in found
        assert _fits(drv)
        screenshot(drv, f"person-find-{size}")
        submit(drv, drv.find_element(By.LINK_TEXT, "戊"))
        assert "在职" in drv.find_element(By.ID, "person-state").text
        submit(drv, drv.find_element(By.ID, "deactivate"))
        assert "停用" in drv.find_element(By.ID, "person-state").text
        assert zl.people.get("e@example.com")["active"] is False
        assert _fits(drv)
    finally:
        stop_browser(drv)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_viewer_finds_a_person_and_sees_the_study_record(people_site, size):
    zl, web, ids = people_site
    issue_id, arts = publish(zl, 2, "本期")
    mark_sent(zl, issue_id)
    now = zl.clock()
    with zl.db.write() as conn:
        conn.execute(readings.insert().values(
            reader=f"s:{ids['丙']}", subscriber_id=ids["丙"], article_id=arts[0],
            issue_id=issue_id, opened_at=now, last_seen_at=now, active_seconds=125,
            studied_at=now))
    drv = _browser(size)
    try:
        login(drv, web.url("/login"), "look", "viewer-password")
        drv.get(web.url("/admin"))
        if size == "phone":
            drv.get(web.url("/admin/people/find"))
        else:
            submit(drv, drv.find_element(By.CSS_SELECTOR, "nav a[href='/admin/people/find']"))
        drv.find_element(By.NAME, "q").send_keys("1003")
        submit(drv, drv.find_element(By.CSS_SELECTOR, "#person-search button"))
        submit(drv, drv.find_element(By.LINK_TEXT, "丙"))
        record = drv.find_element(By.ID, "record-xuexi").text
        assert "第1期" in record and "已送达" in record
        assert "1/2" in record and "2 分 5 秒" in record and "合计 1 期" in record
        subs = drv.find_element(By.ID, "person-subscriptions").text
        assert "经部门 集团" in subs and "取消订阅" not in subs       # a viewer changes nothing
        assert not drv.find_elements(By.ID, "deactivate")
        assert _fits(drv)
        screenshot(drv, f"person-record-{size}")
    finally:
        stop_browser(drv)
