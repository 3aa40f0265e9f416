"""On a phone (390 wide), a reader opens the issue from their personal link, writes a
学习心得 with a line break and some markup, submits it and sees the confirmation and
their text (plain, the line break kept), with no horizontal scroll; the editor's list at
desktop width shows it with the author's name and department, and marks it 优秀.
Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import DESKTOP, PHONE, login, screenshot, start_browser, stop_browser
from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, organisation, publish
from tests.support.web import WebServer
from tests.web.browser.test_web_pages import submit
from zhuanlan.links import READER

pytestmark = pytest.mark.slow

FIRST = "认真学习了本期的文章，对党的建设有了更深的理解。"
SECOND = "要把学习成果转化为做好本职工作的实际行动。<b>落实</b>"


def _no_horizontal_scroll(drv) -> None:
    width = drv.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[1] == PHONE[0] and width[0] <= width[1], width


def test_a_reader_submits_a_reflection_on_a_phone_and_the_editor_lists_it(make_zl):
    from zhuanlan.web.app import create_app

    port = free_port()
    zl = make_zl(web__base_url=f"http://127.0.0.1:{port}")
    people = organisation(zl)
    publish(zl, 2, "本期")
    zl.staff.add_user("ed", "editor-password", role="editor", columns_=[SLUG])
    with WebServer(create_app(zl), port) as web:
        phone = start_browser(PHONE, mobile=True)
        desk = start_browser(DESKTOP)
        try:
            token = zl.links.sign(READER, {"s": people["丙"]})
            phone.get(web.url(f"/r/{token}?next=/c/{SLUG}/1"))
            form = phone.find_element(By.ID, "reflection-form")
            assert "20–2000 个字" in form.text
            _no_horizontal_scroll(phone)
            box = form.find_element(By.NAME, "body")
            box.send_keys(FIRST)
            box.send_keys("\n")
            box.send_keys(SECOND)
            submit(phone, form.find_element(By.TAG_NAME, "button"))
            assert phone.current_url.endswith(f"/c/{SLUG}/1#reflection")
            section = phone.find_element(By.ID, "reflection")
            assert "已提交您的学习心得，谢谢！" in section.find_element(By.CSS_SELECTOR, ".done").text
            mine = phone.find_element(By.CSS_SELECTOR, "#my-reflection .reflection-body").text
            assert mine == FIRST + "\n" + SECOND.replace("<b>", "").replace("</b>", "")
            # Still editable: the form holds the text to change.
            assert phone.find_element(By.NAME, "body").get_attribute("value").startswith(FIRST)
            _no_horizontal_scroll(phone)
            screenshot(phone, "phone-reflection-submitted")

            login(desk, web.url("/login"), "ed", "editor-password")
            desk.get(web.url(f"/admin/c/{SLUG}/1/reflections"))
            assert desk.find_element(By.ID, "reflection-count").text == "1"
            item = desk.find_element(By.CSS_SELECTOR, "#reflections li.reflection")
            assert "丙（一公司 财务部）" in item.text and FIRST in item.text
            submit(desk, item.find_element(By.CSS_SELECTOR, "button[value=excellent]"))
            assert "已评为优秀" in desk.find_element(By.CSS_SELECTOR, ".done").text
            assert "优秀" in desk.find_element(By.CSS_SELECTOR, "#reflections li").text
            screenshot(desk, "desk-reflections")

            # Marked by the editor: the reader can no longer change it.
            phone.get(web.url(f"/c/{SLUG}/1"))
            assert not phone.find_elements(By.ID, "reflection-form")
            assert "优秀心得" in phone.find_element(By.ID, "my-reflection").text
        finally:
            stop_browser(phone)
            stop_browser(desk)
