"""我的学习记录 on a phone (390 px): the reader opens their personal link, follows
我的学习记录 from the issue page and sees their own year without horizontal scrolling. The
ledger and the yearly summary on a desktop: a column group per issue; ranked by completion, and printed (print media emulated)
without navigation, buttons or filters. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import DESKTOP, PHONE, login, screenshot, start_browser, stop_browser
from tests.support.ledger_seed import two_issues
from tests.support.smtp import free_port
from tests.support.study_seed import SLUG
from tests.support.web import WebServer
from zhuanlan.links import READER

pytestmark = pytest.mark.slow


def _fits(drv) -> None:
    assert drv.execute_script("return window.innerWidth") == 390
    assert drv.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")


def test_my_record_on_a_phone_and_the_year_printed(make_zl):
    from zhuanlan.web.app import create_app

    zl, people, one, two = two_issues(make_zl)
    zl.staff.add_user("chief", "chief-password", role="admin")
    with WebServer(create_app(zl), free_port()) as web:
        phone = start_browser(PHONE, mobile=True)
        desk = start_browser(DESKTOP)
        try:
            phone.get(web.url("/me"))
            assert "个人链接" in phone.find_element(By.ID, "anonymous").text
            _fits(phone)
            token = zl.links.sign(READER, {"s": people["甲"]})
            phone.get(web.url(f"/r/{token}?next=/c/{SLUG}/2"))
            phone.find_element(By.ID, "my-record").click()
            assert phone.current_url.endswith("/me")
            total = phone.find_element(By.ID, "year-total").text
            assert "2 期" in total and "50%" in total and "75分" in total
            issues = phone.find_elements(By.CSS_SELECTOR, "li.ledger-issue")
            assert ["第2期" in issues[0].text, "第1期" in issues[1].text] == [True, True]
            assert "已学习" in issues[1].text and "答题 3/4（75分）" in issues[1].text
            assert "心得（优秀）" in issues[1].text
            assert "乙" not in phone.find_element(By.TAG_NAME, "main").text
            _fits(phone)
            screenshot(phone, "phone-my-record")

            login(desk, web.url("/login"), "chief", "chief-password")
            desk.get(web.url(f"/admin/ledger?year=2026&c={SLUG}"))
            groups = [th.text for th in desk.find_elements(By.CSS_SELECTOR, "#ledger th.group")]
            assert groups == ["第1期", "第2期", "合计"]
            names = [td.text for td in desk.find_elements(By.CSS_SELECTOR,
                                                          "#ledger tbody td:nth-child(2)")]
            assert names == ["甲", "乙", "丙", "丁"]
            screenshot(desk, "desktop-ledger")
            desk.get(web.url("/admin/stats/year?year=2026"))
            ranks = [r.text for r in desk.find_elements(By.CSS_SELECTOR,
                                                        "#ranking tbody td:nth-child(2)")]
            assert ranks == ["集团/一公司", "集团/二公司"]
            assert desk.find_element(By.ID, "print").is_displayed()
            screenshot(desk, "desktop-year-summary")
            desk.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
            assert not desk.find_element(By.CSS_SELECTOR, "header.site").is_displayed()
            assert not desk.find_element(By.ID, "print").is_displayed()
            assert not desk.find_element(By.CSS_SELECTOR, "form.filters").is_displayed()
            assert desk.find_element(By.ID, "ranking").is_displayed()
            assert desk.execute_script(
                "return getComputedStyle(document.querySelector('#units thead')).display"
            ) == "table-header-group"
            screenshot(desk, "desktop-year-summary-print")
            desk.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
            assert desk.find_element(By.ID, "print").is_displayed()
        finally:
            stop_browser(phone)
            stop_browser(desk)
