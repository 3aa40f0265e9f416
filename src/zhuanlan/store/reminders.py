"""Queries of 催学 reminders: who of an issue's recipients has not studied it yet (in a
department's subtree, or all) and was not reminded of it in the last day; the reminders
sent; the issues whose automatic reminder is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, case, func, or_, select, update

from zhuanlan.store.db import inserted_id
from zhuanlan.store.readings import counts_as_studied
from zhuanlan.store.schema import (
    columns,
    deliveries,
    departments,
    issue_items,
    issues,
    readings,
    reminders,
    subscribers,
)

QUIET = timedelta(hours=24)      # one reminder per person per issue per day at most


def department_id(conn: Connection, path: str) -> int | None:
    return conn.execute(select(departments.c.id).where(departments.c.path == path)).scalar()


def unstudied_conditions(conn: Connection, issue_id: int, *, department: str | None,
                         now: datetime) -> list:
    """Conditions over ``subscribers``: received the issue, has not confirmed every one of
    its articles, is in ``department``'s subtree (a path; None: everyone), and was not
    reminded of the issue since ``now - QUIET``."""
    n_items = conn.execute(select(func.count()).select_from(issue_items)
                           .where(issue_items.c.issue_id == issue_id)).scalar_one()
    received = (select(deliveries.c.id).where(
        deliveries.c.issue_id == issue_id, deliveries.c.subscriber_id == subscribers.c.id,
        deliveries.c.reminder_id == 0).exists())
    # A confirmation with less than the column's minimum reading time is not studied.
    min_seconds = int(conn.execute(
        select(columns.c.min_read_seconds).join(issues, issues.c.column_id == columns.c.id)
        .where(issues.c.id == issue_id)).scalar() or 0)
    studied = (select(func.count(case((counts_as_studied(min_seconds), 1))))
               .join(issue_items, issue_items.c.article_id == readings.c.article_id)
               .where(issue_items.c.issue_id == issue_id,
                      readings.c.subscriber_id == subscribers.c.id)
               .scalar_subquery())
    reminded = (select(deliveries.c.id).where(
        deliveries.c.issue_id == issue_id, deliveries.c.subscriber_id == subscribers.c.id,
        deliveries.c.reminder_id != 0, deliveries.c.created_at > now - QUIET).exists())
    out = [received, studied < n_items, ~reminded]
    if department:
        home = (select(departments.c.id).where(or_(
            departments.c.path == department,
            func.substr(departments.c.path, 1, len(department) + 1) == department + "/")))
        out.append(subscribers.c.department_id.in_(home))
    return out


def create(conn: Connection, issue_id: int, *, department_id: int | None, by: str,
           automatic: bool, now: datetime) -> int:
    return inserted_id(conn.execute(reminders.insert().values(
        issue_id=issue_id, department_id=department_id, created_by=by, automatic=automatic,
        recipients=0, created_at=now)))


def set_recipients(conn: Connection, reminder_id: int, n: int) -> None:
    conn.execute(update(reminders).where(reminders.c.id == reminder_id).values(recipients=n))


def history(conn: Connection, issue_id: int, limit: int = 10) -> list[Row]:
    """The issue's reminders, newest first, with the department's path."""
    sent = (select(func.count()).select_from(deliveries)
            .where(deliveries.c.reminder_id == reminders.c.id, deliveries.c.state == "sent")
            .scalar_subquery())
    return list(conn.execute(
        select(reminders, departments.c.path.label("department"), sent.label("sent"))
        .outerjoin(departments, departments.c.id == reminders.c.department_id)
        .where(reminders.c.issue_id == issue_id)
        .order_by(reminders.c.created_at.desc(), reminders.c.id.desc()).limit(limit)))


def due_automatic(conn: Connection, now: datetime) -> list[Row]:
    """Issues of columns with a study deadline and an automatic reminder whose reminder
    time has come (``remind_hours`` before the deadline) and not yet passed the deadline,
    that had no automatic reminder yet; none for an archived column."""
    rows = conn.execute(
        select(issues.c.id, issues.c.published_at, columns.c.study_days, columns.c.remind_hours)
        .join(columns, columns.c.id == issues.c.column_id)
        .where(columns.c.study_days.is_not(None), columns.c.remind_hours.is_not(None),
               columns.c.archived_at.is_(None),
               issues.c.published_at > now - timedelta(days=366),
               ~select(reminders.c.id).where(reminders.c.issue_id == issues.c.id,
                                             reminders.c.automatic.is_(True)).exists()))
    due = []
    for r in rows:
        deadline = r.published_at + timedelta(days=r.study_days)
        if deadline - timedelta(hours=r.remind_hours) <= now < deadline:
            due.append(r)
    return due


def set_deadline(conn: Connection, column_id: int, study_days: int | None,
                 remind_hours: int | None) -> None:
    conn.execute(update(columns).where(columns.c.id == column_id)
                 .values(study_days=study_days, remind_hours=remind_hours))
