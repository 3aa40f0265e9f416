"""The queries of the 学习台账: per person and group of issues (an issue, a month, the
whole period), grouped in the database — a handful of statements whatever the number of
people. An issue's group is a ``CASE`` on its id, so SQLite and PostgreSQL group the same
way without date functions of their own.

Only issues pushed to the person count (a forwarded link read by someone else is in the
issue's statistics, not in this ledger); reading, 答题 and 学习心得 are those of these
issues.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, and_, case, cast, distinct, func, select

from zhuanlan.store.schema import (
    columns,
    deliveries,
    departments,
    issue_items,
    issues,
    quiz_answers,
    reflections,
    study_progress,
    subscribers,
)
from zhuanlan.store.stats import scoped_people
from zhuanlan.study.ledger import Cell, LedgerRow
from zhuanlan.study.scope import Scope

P = study_progress.c


def period_issues(conn, start: datetime, end: datetime,
                  column_id: int | None = None) -> list[dict]:
    """Issues published in [start, end), oldest first, with their column's name and
    minimum reading time and their number of articles."""
    n_items = (select(func.count()).where(issue_items.c.issue_id == issues.c.id)
               .scalar_subquery())
    query = (select(issues.c.id, issues.c.number, issues.c.title, issues.c.published_at,
                    issues.c.column_id, columns.c.name.label("column_name"),
                    columns.c.slug, columns.c.min_read_seconds, n_items.label("items"))
             .join(columns, columns.c.id == issues.c.column_id)
             .where(issues.c.published_at >= start, issues.c.published_at < end)
             .order_by(issues.c.published_at, issues.c.id))
    if column_id is not None:
        query = query.where(issues.c.column_id == column_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def _people(col, scope: Scope, department: str, subscriber_id: int | None,
            only: list[int] | None = None) -> list:
    where = [col.in_(only)] if only is not None else []
    if scope.limited:
        where.append(col.in_(scoped_people(scope)))
    if department:
        where.append(col.in_(scoped_people(Scope.of([department]))))
    if subscriber_id is not None:
        where.append(col == subscriber_id)
    return where


def ledger_page(conn, issue_rows: list[dict], *, scope: Scope = Scope(),
                department: str = "", offset: int = 0, limit: int = 100
                ) -> tuple[int, list[int]]:
    """(how many people the issues were pushed to within the scope and the department's
    subtree, the ids of those on one page in the ledger's order): a page of the ledger
    reads the figures of its own people only."""
    if not issue_rows:
        return 0, []
    ids = [i["id"] for i in issue_rows]
    pushed = (select(P.subscriber_id).where(P.issue_id.in_(ids), P.recipient,
                                            *_people(P.subscriber_id, scope, department, None))
              .distinct())
    total = conn.execute(select(func.count()).select_from(pushed.subquery())).scalar_one()
    page = conn.execute(
        select(subscribers.c.id)
        .outerjoin(departments, departments.c.id == subscribers.c.department_id)
        .where(subscribers.c.id.in_(pushed))
        .order_by(func.coalesce(departments.c.path, subscribers.c.department),
                  func.coalesce(subscribers.c.employee_no, ""), subscribers.c.name,
                  subscribers.c.id)
        .offset(offset).limit(limit)).scalars().all()
    return int(total), list(page)


def ledger_rows(conn, issue_rows: list[dict], group_of: dict[int, str], *,
                scope: Scope = Scope(), department: str = "",
                subscriber_id: int | None = None,
                only: list[int] | None = None) -> list[LedgerRow]:
    """One row per person the issues were pushed to (within the scope, the department's
    subtree, the one person, or the people ``only``), ordered by department, 工号 and
    name; each row's cells per group (``group_of``: issue id → group key)."""
    if not issue_rows or only == []:
        return []
    ids = [i["id"] for i in issue_rows]

    def group(col):
        return case(group_of, value=col)

    cells: dict[int, dict[str, Cell]] = {}

    def cell(sid: int, key: str) -> Cell:
        # Called once per person and group (600,000 times for 50,000 people and a year
        # of weekly issues): no default objects made for nothing.
        per = cells.get(sid)
        if per is None:
            per = cells[sid] = {}
        found = per.get(key)
        if found is None:
            found = per[key] = Cell()
        return found

    # The statistics' roll-up (``study_progress``, one row per issue and person, kept by
    # the store's triggers) has what the ledger counts: pushed (a recipient of the issue
    # itself), sent, articles opened, confirmed with the column's minimum reading time,
    # seconds — no pass over the outbox and the readings.
    n_items = case({i["id"]: int(i["items"]) for i in issue_rows},
                   value=P.issue_id, else_=0)
    done = case((and_(n_items > 0, P.studied >= n_items), 1), else_=0)
    for sid, key, received, opened, n_done, seconds in conn.execute(
            select(P.subscriber_id, group(P.issue_id).label("g"),
                   func.sum(cast(P.delivered, Integer)),
                   func.sum(case((P.opened > 0, 1), else_=0)), func.sum(done),
                   func.sum(P.seconds))
            .where(P.issue_id.in_(ids), P.recipient,
                   *_people(P.subscriber_id, scope, department, subscriber_id, only))
            .group_by(P.subscriber_id, "g")).all():
        c = cell(sid, key)
        c.received, c.opened = int(received or 0), int(opened or 0)
        c.studied, c.seconds = int(n_done or 0), int(seconds or 0)

    for sid, key, answered, correct, quiz_issues in conn.execute(
            select(quiz_answers.c.subscriber_id, group(quiz_answers.c.issue_id).label("g"),
                   func.count(), func.sum(quiz_answers.c.correct.cast(Integer)),
                   func.count(distinct(quiz_answers.c.issue_id)))
            .where(quiz_answers.c.issue_id.in_(ids),
                   *_people(quiz_answers.c.subscriber_id, scope, department, subscriber_id,
                           only))
            .group_by(quiz_answers.c.subscriber_id, "g")):
        if sid in cells:
            c = cell(sid, key)
            c.answered, c.correct, c.quiz_issues = answered, int(correct or 0), quiz_issues

    for sid, key, count, excellent in conn.execute(
            select(reflections.c.subscriber_id, group(reflections.c.issue_id).label("g"),
                   func.count(), func.sum(reflections.c.excellent.cast(Integer)))
            .where(reflections.c.issue_id.in_(ids), reflections.c.hidden.is_(False),
                   *_people(reflections.c.subscriber_id, scope, department, subscriber_id,
                           only))
            .group_by(reflections.c.subscriber_id, "g")):
        if sid in cells:
            c = cell(sid, key)
            c.reflections, c.excellent = count, int(excellent or 0)

    rows = []
    for sid, name, no, path, text in conn.execute(
            select(subscribers.c.id, subscribers.c.name, subscribers.c.employee_no,
                   departments.c.path, subscribers.c.department)
            .outerjoin(departments, departments.c.id == subscribers.c.department_id)
            .where(subscribers.c.id.in_(select(P.subscriber_id).where(
                P.issue_id.in_(ids), P.recipient,
                *_people(P.subscriber_id, scope, department, subscriber_id, only))))):
        rows.append(LedgerRow(sid, no or "", name, path or _path(text), cells.get(sid, {})))
    rows.sort(key=lambda r: (r.department, r.employee_no, r.name, r.subscriber_id))
    return rows


def _path(text: str | None) -> str:
    return (text or "").replace(" › ", "/").replace("›", "/").strip("/")


def published_span(conn, subscriber_id: int | None = None) -> tuple:
    """When the first and the last issue were published — of those pushed to the person,
    or of all — (None, None) when there is none."""
    query = select(func.min(issues.c.published_at), func.max(issues.c.published_at))
    if subscriber_id is not None:
        # Per issue, a seek in the outbox's (issue_id, subscriber_id, …) key: the outbox
        # has no index by person alone.
        query = query.where(select(deliveries.c.id).where(
            deliveries.c.issue_id == issues.c.id,
            deliveries.c.subscriber_id == subscriber_id).exists())
    first, last = conn.execute(query).one()
    return first, last
