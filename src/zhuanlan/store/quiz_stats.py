"""The queries of the 答题 statistics of an issue: per person the answers on record and
how many are right, and whether the issue was pushed to them; rolled up the department
tree in ``study.quiz_figures``. Kept apart from ``store.stats`` (the reading figures).

A ``Scope`` limits the people counted, as for the reading figures."""

from __future__ import annotations

from sqlalchemy import Integer, func, select

from zhuanlan.store.schema import deliveries, quiz_answers, quiz_questions, subscribers
from zhuanlan.store.stats import department_path, scoped_people
from zhuanlan.study.quiz_figures import QuizPerson, QuizStats, roll_up_quiz
from zhuanlan.study.scope import Scope


def issue_quiz(conn, issue_id: int, scope: Scope = Scope()) -> QuizStats:
    n_questions = conn.execute(
        select(func.count()).select_from(quiz_questions)
        .where(quiz_questions.c.issue_id == issue_id, quiz_questions.c.state == "kept")
    ).scalar_one()
    recipients_q = (select(deliveries.c.subscriber_id).distinct()
                    .where(deliveries.c.issue_id == issue_id,
                           deliveries.c.subscriber_id.is_not(None),
                           deliveries.c.reminder_id == 0))
    answers_q = (select(quiz_answers.c.subscriber_id, func.count(),
                        func.sum(quiz_answers.c.correct.cast(Integer)))
                 .where(quiz_answers.c.issue_id == issue_id)
                 .group_by(quiz_answers.c.subscriber_id))
    if scope.limited:
        recipients_q = recipients_q.where(deliveries.c.subscriber_id.in_(scoped_people(scope)))
        answers_q = answers_q.where(quiz_answers.c.subscriber_id.in_(scoped_people(scope)))
    recipients = set(conn.execute(recipients_q).scalars())
    answers = {sid: (n, int(right or 0)) for sid, n, right in conn.execute(answers_q)}
    paths = {sid: department_path(dept) for sid, dept in conn.execute(
        select(subscribers.c.id, subscribers.c.department))}
    people = [QuizPerson(paths.get(sid, ""), sid in recipients, *answers.get(sid, (0, 0)))
              for sid in recipients | set(answers)]
    nodes = roll_up_quiz(people, root_name="管辖单位合计" if scope.limited else "全部")
    return QuizStats(int(n_questions), nodes, scope)
