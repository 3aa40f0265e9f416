"""Admin pages as staff use them: on a phone the header stays two rows and nothing
scrolls the page sideways; a department table sorted by a figure still says which
company each unit belongs to; 测试 on the sources page shows its result, not the top."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import DESKTOP, PHONE, login, screenshot, start_browser, stop_browser
from tests.web.browser.test_web_pages import site_zl, submit  # noqa: F401  (fixture)
from zhuanlan.store.schema import deliveries

pytestmark = pytest.mark.slow
SLUG = "xuexi-ershida"
PEOPLE = [("a1@example.com", "赵一", "集团/一公司/办公室"),
          ("a2@example.com", "钱二", "集团/一公司/财务部"),
          ("b1@example.com", "孙三", "集团/二公司/办公室"),
          ("b2@example.com", "李四", "集团/三公司/办公室")]


@pytest.fixture
def published(site_zl):  # noqa: F811
    zl, web = site_zl
    for email, name, dept in PEOPLE:
        zl.add_subscriber(email, name, department=dept)
    zl.people.subscribe_department(SLUG, "集团")
    assert zl.publish_now(SLUG) is not None
    with zl.db.write() as conn:
        conn.execute(deliveries.update().values(state="sent"))
    return zl, web


def test_admin_pages_fit_a_phone(published):
    zl, web = published
    drv = start_browser(PHONE, mobile=True)
    try:
        login(drv, web.url("/login"), "chief", "chief-password")
        for path in ("/admin", f"/admin/c/{SLUG}/review", "/admin/stats",
                     f"/admin/stats/c/{SLUG}", f"/admin/stats/c/{SLUG}/1",
                     f"/admin/c/{SLUG}/1/deliveries", "/admin/sources", "/admin/people",
                     "/admin/channels", "/admin/users", "/admin/audit", "/admin/me"):
            drv.get(web.url(path))
            width = drv.execute_script("return [document.documentElement.scrollWidth, "
                                       "window.innerWidth]")
            # A page too wide makes the phone zoom out: the viewport then grows too.
            assert width[1] == PHONE[0] and width[0] <= width[1] + 1, (path, width)
            header = drv.find_element(By.CSS_SELECTOR, "header.site")
            # Two rows: brand and account, then the navigation (which scrolls itself).
            assert header.size["height"] <= 100, (path, header.size)
            nav = drv.find_element(By.CSS_SELECTOR, "header.site nav")
            assert nav.size["width"] <= width[1], path
        drv.get(web.url("/admin/sources"))
        screenshot(drv, "phone-admin-sources")
    finally:
        stop_browser(drv)


def _unit_cells(drv) -> list[str]:
    return [td.text for td in drv.find_elements(By.CSS_SELECTOR, "#departments tbody td.unit")]


def test_sorted_by_completion_each_unit_keeps_its_company(published):
    zl, web = published
    drv = start_browser(DESKTOP)
    try:
        login(drv, web.url("/login"), "chief", "chief-password")
        drv.get(web.url(f"/admin/stats/c/{SLUG}/1"))
        tree = _unit_cells(drv)
        assert tree.count("办公室") == 3                # the tree shows names under parents
        completion = drv.find_element(By.XPATH, "//table[@id='departments']//th[text()='完成率']")
        completion.click()
        sorted_cells = _unit_cells(drv)
        offices = sorted(c for c in sorted_cells if c.endswith("办公室"))
        assert offices == ["集团 › 一公司 › 办公室", "集团 › 三公司 › 办公室",
                           "集团 › 二公司 › 办公室"], sorted_cells
        screenshot(drv, "desktop-stats-sorted")
        completion.click()                              # descending
        completion.click()                              # back to the tree
        assert _unit_cells(drv) == tree
    finally:
        stop_browser(drv)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_testing_a_source_lands_on_its_result(published, size):
    zl, web = published
    feed_url = zl.list_sources()[0]["url"]
    drv = start_browser(size, mobile=size == PHONE)
    try:
        login(drv, web.url("/login"), "chief", "chief-password")
        drv.get(web.url("/admin/sources"))
        drv.find_element(By.CSS_SELECTOR, "input[name=mode][value=feed]").click()
        url = drv.find_element(By.NAME, "url")
        url.send_keys(feed_url)
        submit(drv, drv.find_element(By.ID, "probe-button"))
        WebDriverWait(drv, 10).until(lambda d: d.find_elements(By.ID, "probe")
                                     or d.find_elements(By.ID, "form-error"))
        assert not drv.find_elements(By.ID, "form-error"), drv.find_element(By.ID, "form-error").text
        top = drv.execute_script(
            "return document.getElementById('probe').getBoundingClientRect().top")
        height = drv.execute_script("return window.innerHeight")
        assert drv.execute_script("return window.scrollY") > 0
        assert 0 <= top < height, (top, height)
        screenshot(drv, f"{'phone' if size == PHONE else 'desktop'}-source-probe")
    finally:
        stop_browser(drv)


def test_errors_and_the_audit_log_read_in_chinese(published):
    zl, web = published
    from datetime import UTC, datetime

    from sqlalchemy import update

    from zhuanlan.store.schema import sources
    source_id = zl.list_sources()[0]["id"]
    english = "robots.txt unreachable (connect: [Errno -2] Name or service not known)"
    with zl.db.write() as conn:
        conn.execute(update(sources).where(sources.c.id == source_id).values(
            last_error=english, last_error_kind="connect", last_error_at=datetime.now(UTC),
            consecutive_failures=2))
    drv = start_browser(PHONE, mobile=True)
    try:
        login(drv, web.url("/login"), "chief", "chief-password")
        drv.get(web.url("/admin/sources"))
        row = drv.find_element(By.ID, f"source-{source_id}")
        assert "域名无法解析" in row.text and "Name or service" not in row.text
        row.find_element(By.CSS_SELECTOR, "details.technical summary").click()
        assert "Name or service not known" in row.text       # unfolded on demand
        drv.get(web.url("/admin/audit"))
        text = drv.find_element(By.TAG_NAME, "main").text
        assert "发布" in text and "第1期" in text and "登录" in text
        assert "publish" not in text and "login" not in text and "issue " not in text
        screenshot(drv, "phone-audit")
    finally:
        stop_browser(drv)
