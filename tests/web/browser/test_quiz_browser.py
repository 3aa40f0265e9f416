"""答题 on a phone (390 px, as inside WeChat): an employee opens the issue from their
personal link, answers a question, and sees whether it was right, the right answer and
the sentence it comes from, with no horizontal scroll; the editor's review page at phone
width too. Screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import PHONE, login, screenshot, start_browser, stop_browser
from tests.support.quiz_sources import sample_issue
from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, organisation, seed_articles
from tests.support.web import WebServer
from zhuanlan.links import READER

pytestmark = pytest.mark.slow


@pytest.fixture
def quiz_site(make_zl):
    from zhuanlan.web.app import create_app

    port = free_port()
    zl = make_zl(web__base_url=f"http://127.0.0.1:{port}")
    people = organisation(zl)
    texts = [(a.title, a.text) for a in sample_issue()]
    seed_articles(zl, len(texts), "本期", texts)
    zl.quiz.generate(SLUG, by="ed")
    for q in zl.quiz.review(SLUG)["questions"]:
        zl.quiz.set_state(SLUG, q["id"], "kept", by="ed")
    zl.publish_now(SLUG)
    zl.staff.add_user("ed", "editor-password", role="editor", columns_=[SLUG])
    with WebServer(create_app(zl), port) as web:
        yield zl, web, people


def _no_horizontal_scroll(drv) -> None:
    assert drv.execute_script("return window.innerWidth") == 390
    assert drv.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")


def _result(drv, question_id: int):
    """The result block of the question, once the answer came back (the question's block
    is replaced meanwhile: a reference to the old one goes stale)."""
    wait = WebDriverWait(drv, 10, ignored_exceptions=(StaleElementReferenceException,))
    return wait.until(lambda d: d.find_element(
        By.ID, f"q{question_id}").find_elements(By.CSS_SELECTOR, ".quiz-result"))[0]


def test_answer_on_a_phone(quiz_site):
    zl, web, people = quiz_site
    phone = start_browser(PHONE, mobile=True)
    try:
        phone.get(web.url(f"/r/{zl.links.sign(READER, {'s': people['甲']})}?next=/c/{SLUG}/1"))
        section = phone.find_element(By.ID, "quiz")
        assert "第一次作答计入学习记录" in section.text
        _no_horizontal_scroll(phone)
        screenshot(phone, "phone-quiz-issue")
        # The first choice question: pick the right option.
        choice = next(q for q in zl.quiz.review(SLUG, 1)["questions"] if q["kind"] == "choice")
        item = phone.find_element(By.ID, f"q{choice['id']}")
        option = next(label for label in item.find_elements(By.CSS_SELECTOR, "label.quiz-choice")
                      if label.text.strip() == choice["answer"])
        option.click()
        page = phone.find_element(By.TAG_NAME, "html")
        item.find_element(By.TAG_NAME, "button").click()
        result = _result(phone, choice["id"])
        # quiz.js answered in place: the same page, the question replaced.
        assert page.is_displayed() and phone.current_url.endswith(f"/c/{SLUG}/1")
        item = phone.find_element(By.ID, f"q{choice['id']}")
        assert "回答正确" in result.text
        assert item.find_element(By.CSS_SELECTOR, ".quiz-answer").text == choice["answer"]
        assert item.find_element(By.CSS_SELECTOR, ".quiz-sentence").text == choice["sentence"]
        link = result.find_element(By.CSS_SELECTOR, "a")
        assert f"/a/{choice['article_id']}?i=" in link.get_attribute("href")
        _no_horizontal_scroll(phone)
        screenshot(phone, "phone-quiz-answered")
        # A blank: typed wrong, the right answer is shown; the record keeps it.
        blank = next(q for q in zl.quiz.review(SLUG, 1)["questions"] if q["kind"] == "blank")
        item = phone.find_element(By.ID, f"q{blank['id']}")
        item.find_element(By.NAME, "answer").send_keys("不知道")
        item.find_element(By.TAG_NAME, "button").click()
        _result(phone, blank["id"])
        item = phone.find_element(By.ID, f"q{blank['id']}")
        assert "回答错误" in item.text and blank["answer"] in item.text
        assert blank["sentence"] in item.text
        _no_horizontal_scroll(phone)
    finally:
        stop_browser(phone)


def test_review_page_on_a_phone(quiz_site):
    zl, web, _people = quiz_site
    phone = start_browser(PHONE, mobile=True)
    try:
        login(phone, web.url("/login"), "ed", "editor-password")
        phone.get(web.url(f"/admin/c/{SLUG}/1/quiz"))
        assert "答题" in phone.find_element(By.TAG_NAME, "h1").text
        assert phone.find_elements(By.CSS_SELECTOR, ".quiz-sentence")
        _no_horizontal_scroll(phone)
        screenshot(phone, "phone-quiz-review")
    finally:
        stop_browser(phone)
