"""答题 over real HTTP: the editor's review page (生成题目, keep, a rejected question
keeps what was typed), readers answering on the issue page (anonymous: practice only;
personal link: the first answer on record), the same-origin check, and the figures on
the statistics page and in the export."""

from __future__ import annotations

import re

import httpx

from tests.support.quiz_sources import sample_issue
from tests.support.study_seed import mark_sent, seed_articles
from tests.web.conftest import SLUG, csrf_of, logged_in
from zhuanlan.links import READER
from zhuanlan.study.records import Reader


def _seed(zl) -> None:
    texts = [(a.title, a.text) for a in sample_issue()]
    seed_articles(zl, len(texts), "web", texts)


def _publish_with_questions(zl) -> tuple[int, list[dict]]:
    _seed(zl)
    zl.quiz.generate(SLUG, by="ed")
    for q in zl.quiz.review(SLUG)["questions"]:
        zl.quiz.set_state(SLUG, q["id"], "kept", by="ed")
    issue_id = zl.publish_now(SLUG)
    return issue_id, zl.quiz.for_reader(issue_id, Reader.anonymous("q" * 20))


def test_editor_generates_and_keeps_viewer_reads_only(site):
    zl, web = site
    _seed(zl)
    ed = logged_in(web, "ed", "editor-password")
    page = ed.get(f"/admin/c/{SLUG}/quiz")
    assert page.status_code == 200 and "生成题目" in page.text and "还没有题目" in page.text
    assert f'href="/admin/c/{SLUG}/quiz"' in ed.get(f"/admin/c/{SLUG}/review").text
    r = ed.post(f"/admin/c/{SLUG}/quiz/generate", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    page = ed.get(r.headers["location"].split("#")[0])
    assert "已生成" in page.text
    questions = zl.quiz.review(SLUG)["questions"]
    assert len(questions) >= 5
    for q in questions:            # each with its sentence and article shown
        assert f'id="q{q["id"]}"' in page.text
        assert q["sentence"] in page.text and f"出自《{q['article_title']}》" in page.text
    assert "填空题" in page.text and "单选题" in page.text and "判断题" in page.text
    r = ed.post(f"/admin/c/{SLUG}/quiz/{questions[0]['id']}/state",
                data={"csrf_token": csrf_of(page.text), "state": "kept"})
    assert r.status_code == 303
    assert zl.quiz.review(SLUG)["questions"][0]["state"] == "kept"
    # A question that cannot be right comes back with the reason and what was typed.
    r = ed.post(f"/admin/c/{SLUG}/quiz/add",
                data={"csrf_token": csrf_of(page.text), "kind": "choice",
                      "prompt": "集团首条智能化生产线在哪个公司投产？", "choices": "精密制造公司\n物流公司",
                      "answer": "机械公司"})
    assert r.status_code == 400 and "单选题的答案应是选项之一" in r.text
    assert "集团首条智能化生产线在哪个公司投产？" in r.text and "精密制造公司\n物流公司" in r.text
    # Read-only for a viewer: the page, no buttons; a POST is refused.
    look = logged_in(web, "look", "viewer-password")
    page = look.get(f"/admin/c/{SLUG}/quiz")
    assert page.status_code == 200 and "只读" in page.text and 'id="generate"' not in page.text
    r = look.post(f"/admin/c/{SLUG}/quiz/generate", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 403


def _answer_form(page: str, qid: int) -> str:
    found = re.search(rf'action="(/c/{SLUG}/\d+/quiz/{qid})#q{qid}"', page)
    assert found, "no form for the question"
    return found.group(1)


def test_readers_answer_on_the_issue_page(site):
    zl, web = site
    issue_id, questions = _publish_with_questions(zl)
    q = questions[0]
    anon = httpx.Client(base_url=web.url(""), timeout=10)
    page = anon.get(f"/c/{SLUG}/1").text
    assert "答题" in page and "成绩不会记录" in page and "正确答案" not in page
    r = anon.post(_answer_form(page, q["id"]), data={"answer": q["answer"]})
    assert r.status_code == 200 and "回答正确" in r.text
    assert q["sentence"] in r.text and f'href="/a/{q["article_id"]}?i={issue_id}"' in r.text
    r = anon.post(_answer_form(page, q["id"]), data={"answer": ""})
    assert r.status_code == 400 and "请先作答再提交" in r.text

    # A person known by their link: the first answer is the one on record.
    sid = zl.add_subscriber("li@example.com", "李四", department="集团/一公司")
    me = httpx.Client(base_url=web.url(""), timeout=10)
    me.get(f"/r/{zl.links.sign(READER, {'s': sid})}", params={"next": f"/c/{SLUG}/1"})
    page = me.get(f"/c/{SLUG}/1").text
    assert "第一次作答计入学习记录" in page and "成绩不会记录" not in page
    wrong = "错误" if q["answer"] == "正确" else "不是这个"
    r = me.post(_answer_form(page, q["id"]), data={"answer": wrong})
    assert "回答错误" in r.text and "正确答案" in r.text
    r = me.post(_answer_form(page, q["id"]), data={"answer": q["answer"]})
    assert "回答正确" in r.text and f"计入记录的答案：{wrong}（错误），共作答 2 次" in r.text
    page = me.get(f"/c/{SLUG}/1").text        # later visits show the answer on record
    assert f"计入记录的答案：{wrong}（错误）" in page and "再练一次" in page
    # Another site cannot answer in the reader's name.
    r = me.post(_answer_form(page, q["id"]), data={"answer": q["answer"]},
                headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert zl.quiz.for_reader(issue_id, Reader.person(sid))[0]["mine"]["attempts"] == 2


def test_statistics_page_and_export(site):
    zl, web = site
    issue_id, questions = _publish_with_questions(zl)
    sid = zl.add_subscriber("wu@example.com", "吴五", department="集团/一公司")
    mark_sent(zl, issue_id)
    zl.quiz.answer(issue_id, questions[0]["id"], Reader.person(sid), questions[0]["answer"])
    chief = logged_in(web, "chief", "chief-password")
    page = chief.get(f"/admin/stats/c/{SLUG}/1").text
    assert 'id="quiz-stats"' in page and 'id="quiz-departments"' in page
    assert f"本期 {len(questions)} 道题" in page
    csv = chief.get(f"/admin/stats/c/{SLUG}/1/export.csv?what=quiz")
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("部门,层级,应学人数,参与答题人数,参与率")
    assert "集团/一公司" in text
    xlsx = chief.get(f"/admin/stats/c/{SLUG}/1/export.xlsx?what=quiz")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
