"""The desk in headless Chromium, at desktop and phone width: approving by keyboard keeps
the focus on the next item and the status line says what happened; `u` takes it back,
and says so when there is nothing left to undo; the warnings about the next scheduled
issue. Screenshots land in test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import DESKTOP, PHONE, login, screenshot, start_browser, stop_browser
from tests.support.clock import FakeClock
from tests.support.desk_seed import SLUG, seed_candidates
from tests.support.smtp import free_port
from tests.support.web import WebServer

pytestmark = pytest.mark.slow

REVIEW = f"/admin/c/{SLUG}/review"
SIZES = pytest.mark.parametrize("size", ["desktop", "phone"])


@pytest.fixture
def desk(make_zl):
    from zhuanlan.web.app import create_app

    clock = FakeClock()
    zl = make_zl(clock=clock)
    zl.add_column(SLUG, "学习二十大", include="学习", schedule="0 9 * * 1", max_age_days=7)
    zl.staff.add_user("ed", "editor-password", role="editor", columns_=[SLUG])
    with WebServer(create_app(zl), free_port()) as web:
        yield zl, clock, web


def _browser(size: str):
    return start_browser(PHONE, mobile=True) if size == "phone" else start_browser(DESKTOP)


def _gone(element):
    def check(_drv) -> bool:
        try:
            element.is_enabled()
        except WebDriverException:    # stale: the next page replaced it
            return True
        return False
    return check


def _keys_to_next_page(drv, keys: str) -> None:
    page = drv.find_element(By.TAG_NAME, "html")
    ActionChains(drv).send_keys(keys).perform()
    WebDriverWait(drv, 10).until(_gone(page))
    WebDriverWait(drv, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def _focused(drv) -> str:
    return drv.execute_script("return document.activeElement.id")


def _status(drv) -> str:
    return drv.find_element(By.ID, "status").text


def _queue(drv) -> list[str]:
    return [li.get_attribute("id") for li in drv.find_elements(By.CSS_SELECTOR, "ul.queue > li")]


@SIZES
def test_approve_by_keyboard_keeps_the_place_and_u_takes_it_back(desk, size):
    zl, clock, web = desk
    a, b, c = seed_candidates(zl, 3, "键盘")
    drv = _browser(size)
    try:
        login(drv, web.url("/login"), "ed", "editor-password")
        drv.get(web.url(REVIEW))
        assert _focused(drv) == f"cand-{a}"
        ActionChains(drv).send_keys("j").perform()
        assert _focused(drv) == f"cand-{b}"

        _keys_to_next_page(drv, "a")
        assert zl.desk.candidate(b)["state"] == "approved"
        assert drv.current_url.endswith(f"#cand-{c}")
        assert _focused(drv) == f"cand-{c}"
        assert "focused" in drv.find_element(By.ID, f"cand-{c}").get_attribute("class")
        assert "已通过《键盘文章1》" in _status(drv)
        assert drv.find_element(By.ID, "status").is_displayed()
        assert _queue(drv) == [f"cand-{a}", f"cand-{c}"]
        screenshot(drv, f"desk-approved-by-keyboard-{size}")

        _keys_to_next_page(drv, "u")
        assert zl.desk.candidate(b)["state"] == "pending"
        assert _queue(drv) == [f"cand-{a}", f"cand-{b}", f"cand-{c}"]
        assert _focused(drv) == f"cand-{b}"
        assert "已撤销：通过《键盘文章1》" in _status(drv)

        # Nothing left to undo: said in the status line, the page stays.
        ActionChains(drv).send_keys("u").perform()
        WebDriverWait(drv, 5).until(lambda d: "没有可撤销的操作" in _status(d))
        assert _focused(drv) == f"cand-{b}"
        screenshot(drv, f"desk-nothing-to-undo-{size}")

        # A bulk action comes back at the first item it left, after the focused one.
        ActionChains(drv).send_keys("x").perform()
        page = drv.find_element(By.TAG_NAME, "html")
        button = drv.find_element(By.CSS_SELECTOR, "#bulk button[value=approve]")
        drv.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        WebDriverWait(drv, 10).until(_gone(page))
        WebDriverWait(drv, 10).until(lambda d: "已批量通过 1 篇" in _status(d))
        assert _focused(drv) == f"cand-{c}" and drv.current_url.endswith(f"#cand-{c}")
    finally:
        stop_browser(drv)


@SIZES
def test_the_desk_warns_about_the_next_issue(desk, size):
    zl, clock, web = desk
    drv = _browser(size)
    try:
        login(drv, web.url("/login"), "ed", "editor-password")
        drv.get(web.url(REVIEW))
        empty = drv.find_element(By.CSS_SELECTOR, "#next-issue .warning.warn-empty")
        assert empty.is_displayed()
        assert "3月9日（周一）09:00 将不会发出" in empty.text
        assert empty.find_element(By.LINK_TEXT, "去审稿").is_displayed()

        # A note from more than a week ago and approved items out of the 7 days.
        zl.set_editor_note(SLUG, "上周的编者按")
        seed_candidates(zl, 2, "旧", state="approved", published_at=clock.now - timedelta(days=3))
        clock.advance(days=8)
        zl.set_schedule(SLUG, "0 9 * * 1")
        drv.delete_all_cookies()
        login(drv, web.url("/login"), "ed", "editor-password")
        drv.get(web.url(REVIEW))
        note = drv.find_element(By.CSS_SELECTOR, "#next-issue .warning.warn-old_note")
        old = drv.find_element(By.CSS_SELECTOR, "#next-issue .warning.warn-old_items")
        assert not drv.find_elements(By.CSS_SELECTOR, "#next-issue .warning.warn-empty")
        assert "3月16日（周一）09:00 将带着这条旧的编者按发出" in note.text and note.is_displayed()
        assert "2 篇已通过的稿件早于本栏目 7 天的时间范围" in old.text and old.is_displayed()
        screenshot(drv, f"desk-warnings-{size}")
        note.find_element(By.LINK_TEXT, "改写编者按").click()
        WebDriverWait(drv, 10).until(lambda d: d.current_url.endswith("#note"))
        assert drv.find_element(By.NAME, "editor_note").is_displayed()
        old = drv.find_element(By.CSS_SELECTOR, "#next-issue .warning.warn-old_items")
        old.find_element(By.LINK_TEXT, "查看这些稿件").click()
        WebDriverWait(drv, 10).until(lambda d: "sort=oldest" in d.current_url)
        assert len(_queue(drv)) == 2
    finally:
        stop_browser(drv)
