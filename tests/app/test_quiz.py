"""答题 through the facade, on SQLite and PostgreSQL: the editor's review (no question
reaches readers unreviewed), publishing binds the kept questions of the issue's articles,
one answer per person for the record, anonymous answers never recorded, and the figures
per department within a viewer's scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.quiz_sources import sample_issue
from tests.support.study_seed import SLUG, mark_sent, organisation, seed_articles
from zhuanlan.errors import NotFoundError, RuleError
from zhuanlan.store.schema import audit_log, candidates, quiz_answers, quiz_questions
from zhuanlan.study.records import Reader
from zhuanlan.study.scope import Scope


def _texts() -> list[tuple[str, str]]:
    return [(a.title, a.text) for a in sample_issue()]


def _prepare(zl) -> tuple[dict[str, int], list[dict]]:
    """The organisation, the sample articles approved and the questions proposed."""
    people = organisation(zl)
    texts = _texts()
    seed_articles(zl, len(texts), "quiz", texts)
    assert zl.quiz.generate(SLUG, by="ed") >= 5
    return people, zl.quiz.review(SLUG)["questions"]


def test_proposals_are_reviewed_before_readers_see_them(zl):
    people, questions = _prepare(zl)
    assert {q["state"] for q in questions} == {"proposed"}
    assert all(q["sentence"] and q["article_title"] for q in questions)
    # Generating again replaces the unreviewed proposals, it does not pile them up.
    zl.quiz.generate(SLUG, by="ed")
    again = zl.quiz.review(SLUG)["questions"]
    assert [(q["prompt"], q["answer"]) for q in again] == \
        [(q["prompt"], q["answer"]) for q in questions]
    questions = again

    kept, dropped, edited = questions[0], questions[1], questions[2]
    zl.quiz.set_state(SLUG, kept["id"], "kept", by="ed")
    zl.quiz.set_state(SLUG, dropped["id"], "dropped", by="ed")
    zl.quiz.edit(SLUG, edited["id"], prompt="（编辑改写）" + edited["prompt"],
                 choices=edited["choices"], answer=edited["answer"], by="ed")
    own = zl.quiz.add(SLUG, None, kind="judge", prompt="本期文章出自集团各单位。",
                      choices=[], answer="正确", by="ed")
    zl.quiz.move(SLUG, own, "up", by="ed")
    order = [q["id"] for q in zl.quiz.review(SLUG)["questions"]]
    assert order.index(own) == len(order) - 2          # one place up from the end
    with pytest.raises(RuleError):
        zl.quiz.add(SLUG, None, kind="choice", prompt="？", choices=["甲", "乙"], answer="丙")
    # Generating again keeps what the editor reviewed and their own question.
    zl.quiz.generate(SLUG, by="ed")
    states = {q["id"]: q["state"] for q in zl.quiz.review(SLUG)["questions"]}
    assert states[kept["id"]] == "kept" and states[dropped["id"]] == "dropped"
    assert states[edited["id"]] == "kept" and states[own] == "kept"

    # Publishing binds the kept questions whose article is in the issue and the editor's
    # own question (citing no article); the unreviewed ones stay behind.
    issue_id = zl.publish_now(SLUG)
    reader = Reader.person(people["甲"])
    shown = zl.quiz.for_reader(issue_id, reader)
    assert {q["id"] for q in shown} == {kept["id"], edited["id"], own}
    assert shown[[q["id"] for q in shown].index(edited["id"])]["prompt"].startswith("（编辑改写）")
    with zl.db.read() as conn:
        waiting = dict(conn.execute(select(quiz_questions.c.id, quiz_questions.c.state)
                                    .where(quiz_questions.c.issue_id.is_(None))).all())
        actions = set(conn.execute(select(audit_log.c.action)).scalars())
    assert set(waiting.values()) == {"proposed", "dropped"}
    assert {"quiz.propose", "quiz.keep", "quiz.drop", "quiz.edit", "quiz.add",
            "quiz.move"} <= actions
    # Nobody answers a question that was not kept, nor one of another issue.
    with pytest.raises(NotFoundError):
        zl.quiz.answer(issue_id, dropped["id"], reader, dropped["answer"])
    other = zl.quiz.add(SLUG, None, kind="judge", prompt="下一期的题。", choices=[],
                        answer="正确", by="ed")
    with pytest.raises(NotFoundError):
        zl.quiz.answer(issue_id, other, reader, "正确")


def test_drafts_of_articles_left_out_of_the_issue_wait(zl):
    _people, questions = _prepare(zl)
    for q in questions:
        zl.quiz.set_state(SLUG, q["id"], "kept", by="ed")
    left_out = questions[0]["article_id"]
    with zl.db.read() as conn:
        cid = conn.execute(select(candidates.c.id)
                           .where(candidates.c.article_id == left_out)).scalar_one()
    zl.decide(cid, "undo", by="ed")
    issue_id = zl.publish_now(SLUG)
    shown = {q["id"] for q in zl.quiz.for_reader(issue_id, Reader.anonymous("x" * 20))}
    about_left_out = {q["id"] for q in questions if q["article_id"] == left_out}
    assert shown == {q["id"] for q in questions} - about_left_out
    assert {q["id"] for q in zl.quiz.review(SLUG)["questions"]} == about_left_out


def _published_with_questions(zl) -> tuple[dict[str, int], int, list[dict]]:
    people, questions = _prepare(zl)
    for q in questions:
        zl.quiz.set_state(SLUG, q["id"], "kept", by="ed")
    issue_id = zl.publish_now(SLUG)
    return people, issue_id, zl.quiz.for_reader(issue_id, Reader.anonymous("y" * 20))


def _wrong(q: dict) -> str:
    if q["kind"] == "judge":
        return "错误" if q["answer"] == "正确" else "正确"
    return "不对的答案"


def test_the_first_answer_counts_later_ones_are_practice(zl):
    people, issue_id, (q, *_rest) = _published_with_questions(zl)
    me = Reader.person(people["甲"])
    first = zl.quiz.answer(issue_id, q["id"], me, _wrong(q))
    assert first["correct"] is False and first["question"]["answer"] == q["answer"]
    assert first["question"]["sentence"] == q["sentence"]
    again = zl.quiz.answer(issue_id, q["id"], me, q["answer"])
    assert again["correct"] is True
    # The record keeps the first answer; the second only counts as an attempt.
    assert again["recorded"]["answer"] == _wrong(q) and again["recorded"]["correct"] is False
    assert again["recorded"]["attempts"] == 2
    mine = {x["id"]: x["mine"] for x in zl.quiz.for_reader(issue_id, me)}
    assert mine[q["id"]]["correct"] is False
    # An anonymous reader practises; nothing is recorded.
    anon = zl.quiz.answer(issue_id, q["id"], Reader.anonymous("z" * 20), q["answer"])
    assert anon["correct"] is True and anon["recorded"] is None
    with zl.db.read() as conn:
        rows = conn.execute(select(quiz_answers)).mappings().all()
    assert len(rows) == 1 and rows[0]["subscriber_id"] == people["甲"]
    with pytest.raises(RuleError):
        zl.quiz.answer(issue_id, q["id"], me, "  ")


def test_answers_compare_without_width_or_spaces(zl):
    people, issue_id, questions = _published_with_questions(zl)
    blank = next(q for q in questions if q["kind"] == "blank")
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in blank["answer"])
    assert zl.quiz.answer(issue_id, blank["id"], Reader.person(people["乙"]),
                          f" {wide} ")["correct"]


def test_figures_per_department_within_the_scope(zl):
    people, issue_id, questions = _published_with_questions(zl)
    mark_sent(zl, issue_id)
    q1, q2 = questions[0], questions[1]
    zl.quiz.answer(issue_id, q1["id"], Reader.person(people["甲"]), q1["answer"])
    zl.quiz.answer(issue_id, q2["id"], Reader.person(people["甲"]), _wrong(q2))
    zl.quiz.answer(issue_id, q1["id"], Reader.person(people["乙"]), _wrong(q1))
    zl.quiz.answer(issue_id, q1["id"], Reader.person(people["丁"]), q1["answer"])
    stats = zl.quiz.stats(issue_id)
    assert stats.questions == len(questions)
    total, one, office, two = (stats.nodes[p] for p in
                               ("", "集团/一公司", "集团/一公司/办公室", "集团/二公司"))
    assert (total.recipients, total.participants, total.answers, total.correct) == (4, 3, 4, 2)
    assert total.participation == pytest.approx(0.75) and total.score == pytest.approx(0.5)
    assert (one.recipients, one.participants, one.answers, one.correct) == (3, 2, 3, 1)
    assert (office.participants, office.score) == (2, pytest.approx(1 / 3))
    assert (two.participation, two.score) == (1.0, 1.0)
    limited = zl.quiz.stats(issue_id, scope=Scope.of(["集团/二公司"]))
    assert [f.path for f in limited.tree] == ["", "集团/二公司"]
    assert (limited.total.recipients, limited.total.participants) == (1, 1)
    assert "集团/一公司" not in limited.nodes


def test_a_published_issue_can_get_questions_afterwards(zl):
    organisation(zl)
    texts = _texts()
    seed_articles(zl, len(texts), "later", texts)
    issue_id = zl.publish_now(SLUG)
    number = zl.issues_of(SLUG)[0]["number"]
    assert zl.quiz.generate(SLUG, number, by="ed") >= 5
    questions = zl.quiz.review(SLUG, number)["questions"]
    assert all(q["issue_id"] == issue_id for q in questions)
    assert zl.quiz.for_reader(issue_id, Reader.anonymous("w" * 20)) == []
    zl.quiz.set_state(SLUG, questions[0]["id"], "kept", by="ed")
    assert [q["id"] for q in zl.quiz.for_reader(issue_id, Reader.anonymous("w" * 20))] == \
        [questions[0]["id"]]
