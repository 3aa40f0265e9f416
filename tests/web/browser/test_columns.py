"""新建专栏 in headless Chromium, on a phone and on a desktop: fill the form, see a rule's
fault appear under its field while typing and the next five run times follow the cron,
试跑 on the stored articles, save, find the column in 专栏管理, and archive it after the
confirmation. Screenshots land in test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.browser import DESKTOP, PHONE, login, screenshot, start_browser, stop_browser
from tests.support.stories import OTHER_TOPIC, add_copy
from tests.web.browser.test_web_pages import submit

pytestmark = pytest.mark.slow


def _type(drv, name: str, text: str, *, clear: bool = True) -> None:
    field = drv.find_element(By.NAME, name)
    if clear:
        field.clear()
    field.send_keys(text)


def _visible_text(drv, element_id: str, wanted: str):
    def check(d):
        box = d.find_element(By.ID, element_id)
        return box.is_displayed() and wanted in box.text
    return check


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_create_a_column_with_live_checks_trial_and_archive(site, size):
    zl, web = site
    now = datetime.now(UTC)
    add_copy(zl, "新华社", now - timedelta(days=3), title="党纪学习教育在各地深入开展")
    add_copy(zl, "光明网", now - timedelta(days=1), title="秋粮收购", text=OTHER_TOPIC)
    name = "phone" if size == PHONE else "desktop"
    drv = start_browser(size, mobile=size == PHONE)
    try:
        login(drv, web.url("/login"), "chief", "chief-password")
        drv.get(web.url("/admin/columns"))
        submit(drv, drv.find_element(By.ID, "new-column"))
        _type(drv, "name", "党纪学习")
        _type(drv, "slug", "dangji")
        # a rule's fault appears under its field as it is typed, the place marked
        _type(drv, "include", "(党纪学习教育 OR 二十大")
        wait = WebDriverWait(drv, 10)
        wait.until(_visible_text(drv, "err-include", "缺少右括号"))
        assert drv.find_element(By.CSS_SELECTOR, "#err-include mark").is_displayed()
        screenshot(drv, f"{name}-column-rule-error")
        _type(drv, "include", ")", clear=False)
        wait.until(lambda d: not d.find_element(By.ID, "err-include").is_displayed())
        # the next five times follow the cron and the time zone
        _type(drv, "schedule", "30 8 * * 1-5")
        wait.until(_visible_text(drv, "next-times", "08:30"))
        times = drv.find_elements(By.CSS_SELECTOR, "#next-times-list li")
        assert len(times) == 5 and all("星期六" not in t.text for t in times)
        _type(drv, "schedule", "0 9 * * 0")
        wait.until(_visible_text(drv, "next-times", "星期日 09:00"))
        _type(drv, "schedule", "0 9 * *")
        wait.until(_visible_text(drv, "err-schedule", "需要 5 个"))
        _type(drv, "schedule", "0 9 * * 1")
        Select(drv.find_element(By.NAME, "timezone")).select_by_value("Europe/London")
        wait.until(_visible_text(drv, "next-times", "Europe/London"))
        Select(drv.find_element(By.NAME, "timezone")).select_by_value("Asia/Shanghai")
        wait.until(_visible_text(drv, "next-times", "Asia/Shanghai"))
        screenshot(drv, f"{name}-column-form")
        # 试跑: the unsaved rules on the stored articles
        submit(drv, drv.find_element(By.ID, "trial-button"))
        trial = drv.find_element(By.ID, "trial").text
        assert "有 1 篇符合规则" in trial and "党纪学习教育在各地深入开展" in trial
        assert "秋粮收购" not in trial
        assert drv.find_element(By.NAME, "slug").get_attribute("value") == "dangji"
        screenshot(drv, f"{name}-column-trial")
        submit(drv, drv.find_element(By.ID, "save-button"))
        main = drv.find_element(By.TAG_NAME, "main").text
        assert "已新建专栏「党纪学习」" in main and "1 篇符合规则，已放入待审" in main
        row = drv.find_element(By.CSS_SELECTOR, "#active-columns tr[data-slug=dangji]")
        assert "党纪学习" in row.text and "每周一 09:00" in row.text
        screenshot(drv, f"{name}-columns-list")
        # archive: asked first, then listed as archived
        submit(drv, row.find_element(By.LINK_TEXT, "归档"))
        assert "归档后停止" in drv.find_element(By.TAG_NAME, "main").text
        screenshot(drv, f"{name}-column-archive")
        submit(drv, drv.find_element(By.ID, "confirm-archive"))
        assert drv.find_elements(By.CSS_SELECTOR, "#archived-columns tr[data-slug=dangji]")
        assert not drv.find_elements(By.CSS_SELECTOR, "#active-columns tr[data-slug=dangji]")
    finally:
        stop_browser(drv)
    assert zl.get_column("dangji")["archived_at"] is not None
    assert len(zl.candidates("dangji", "pending")) == 1
