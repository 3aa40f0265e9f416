"""The queries of the 答题 statistics of an issue: per person the answers on record and
how many are right, and whether the issue was pushed to them; rolled up the department
tree in ``study.quiz_figures``. Kept apart from ``store.stats`` (the reading figures).

A ``Scope`` limits the people counted, as for the reading figures."""

from __future__ import annotations

from sqlalchemy import Integer, cast, func, select

from zhuanlan.store.schema import quiz_answers, quiz_questions, study_progress, subscribers
from zhuanlan.store.stats import department_path, scoped_people
from zhuanlan.study.quiz_figures import QuizGroup, QuizStats, roll_up_quiz
from zhuanlan.study.scope import Scope

P = study_progress.c


def issue_quiz(conn, issue_id: int, scope: Scope = Scope()) -> QuizStats:
    """Grouped per department in the database: the recipients come from the statistics'
    roll-up (``study_progress``), each person's answers on record are summed first."""
    n_questions = conn.execute(
        select(func.count()).select_from(quiz_questions)
        .where(quiz_questions.c.issue_id == issue_id, quiz_questions.c.state == "kept")
    ).scalar_one()
    recipients = (select(subscribers.c.department, func.count())
                  .join(subscribers, subscribers.c.id == P.subscriber_id)
                  .where(P.issue_id == issue_id, P.recipient)
                  .group_by(subscribers.c.department))
    # Per person first: a participant is a recipient with an answer on record.
    per_person = (select(quiz_answers.c.subscriber_id.label("sid"),
                         func.count().label("n"),
                         func.sum(cast(quiz_answers.c.correct, Integer)).label("right"))
                  .where(quiz_answers.c.issue_id == issue_id)
                  .group_by(quiz_answers.c.subscriber_id).subquery())
    answered = (select(subscribers.c.department,
                       func.sum(cast(func.coalesce(P.recipient, False), Integer)),
                       func.sum(per_person.c.n), func.sum(per_person.c.right))
                .select_from(per_person)
                .join(subscribers, subscribers.c.id == per_person.c.sid)
                .outerjoin(study_progress, (P.subscriber_id == per_person.c.sid)
                           & (P.issue_id == issue_id))
                .group_by(subscribers.c.department))
    if scope.limited:
        recipients = recipients.where(P.subscriber_id.in_(scoped_people(scope)))
        answered = answered.where(per_person.c.sid.in_(scoped_people(scope)))
    figures: dict[str, list[int]] = {}
    for dept, n in conn.execute(recipients):
        figures.setdefault(department_path(dept), [0, 0, 0, 0])[0] += int(n or 0)
    for dept, participants, n, right in conn.execute(answered):
        cell = figures.setdefault(department_path(dept), [0, 0, 0, 0])
        cell[1] += int(participants or 0)
        cell[2] += int(n or 0)
        cell[3] += int(right or 0)
    groups = [QuizGroup(path, *cell) for path, cell in figures.items()]
    nodes = roll_up_quiz(groups, root_name="管辖单位合计" if scope.limited else "全部")
    return QuizStats(int(n_questions), nodes, scope)
