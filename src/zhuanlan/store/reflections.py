"""Queries of 学习心得 (``reflections``): a reader's own, an issue's for the editor, the
ones selected for a column's next issue and bound to it when it is published, and a
person's for their record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, false, func, or_, select, true, update

from zhuanlan.model import FeaturedReflection
from zhuanlan.store.db import inserted_id
from zhuanlan.store.page_generation import bump
from zhuanlan.store.schema import columns, issues, reflections, subscribers
from zhuanlan.study.reflection import department_label

_R = reflections.c


def mine(conn: Connection, issue_id: int, subscriber_id: int) -> dict | None:
    row = conn.execute(select(reflections).where(
        _R.issue_id == issue_id, _R.subscriber_id == subscriber_id)).mappings().first()
    return dict(row) if row else None


def by_id(conn: Connection, reflection_id: int) -> dict | None:
    """The reflection with its author, issue and column, or None."""
    row = conn.execute(
        select(reflections, subscribers.c.name, subscribers.c.department,
               issues.c.column_id, issues.c.number, columns.c.slug,
               columns.c.reflection_names)
        .join(subscribers, subscribers.c.id == _R.subscriber_id)
        .join(issues, issues.c.id == _R.issue_id)
        .join(columns, columns.c.id == issues.c.column_id)
        .where(_R.id == reflection_id)).mappings().first()
    return dict(row) if row else None


def insert(conn: Connection, issue_id: int, subscriber_id: int, body: str,
           now: datetime) -> int:
    return inserted_id(conn.execute(reflections.insert().values(
        issue_id=issue_id, subscriber_id=subscriber_id, body=body, submitted_at=now)))


def change(conn: Connection, reflection_id: int, **values) -> None:
    featured = conn.execute(update(reflections).where(_R.id == reflection_id).values(**values)
                            .returning(_R.featured_issue_id)).scalar()
    if featured is not None:
        bump(conn)          # shown in a published issue's 学习心得选登


def of_issue(conn: Connection, issue_id: int) -> list[dict]:
    """Every reflection on the issue with its author, oldest first (the editor's list)."""
    return [dict(r) for r in conn.execute(
        select(reflections, subscribers.c.name, subscribers.c.department)
        .join(subscribers, subscribers.c.id == _R.subscriber_id)
        .where(_R.issue_id == issue_id).order_by(_R.submitted_at, _R.id)).mappings()]


def count_of_issue(conn: Connection, issue_id: int) -> int:
    """The issue's reflections that count (hidden ones do not)."""
    return conn.execute(select(func.count()).select_from(reflections).where(
        _R.issue_id == issue_id, _R.hidden.is_(False))).scalar() or 0


def _publishable(names_rule):
    """Selected, not yet in an issue, not hidden, and the name may be shown."""
    return and_(_R.featured_issue_id.is_(None), _R.hidden.is_(False),
                or_(names_rule, _R.consent == "granted"))


def waiting(conn: Connection, column_id: int) -> list[FeaturedReflection]:
    """What the column's next issue would carry as 学习心得选登 if published now."""
    return _featured(conn, and_(_R.feature_column_id == column_id,
                                _publishable(columns.c.reflection_names)))


def bind(conn: Connection, column_id: int, issue_id: int) -> None:
    """Publishing: the column's selected reflections that may be shown become the new
    issue's 学习心得选登 (the same condition as :func:`waiting`, in the same
    transaction as the issue)."""
    names_rule = conn.execute(select(columns.c.reflection_names)
                              .where(columns.c.id == column_id)).scalar()
    conn.execute(update(reflections).where(
        _R.feature_column_id == column_id,
        _publishable(true() if names_rule else false())).values(featured_issue_id=issue_id))


def featured(conn: Connection, issue_id: int) -> list[FeaturedReflection]:
    """The issue's 学习心得选登 (an editor may hide one after publishing: it goes)."""
    return _featured(conn, and_(_R.featured_issue_id == issue_id, _R.hidden.is_(False)))


def _featured(conn: Connection, where) -> list[FeaturedReflection]:
    return [FeaturedReflection(name=r.name, department=department_label(r.department),
                               body=r.body)
            for r in conn.execute(
                select(subscribers.c.name, subscribers.c.department, _R.body)
                .join(subscribers, subscribers.c.id == _R.subscriber_id)
                .join(issues, issues.c.id == _R.issue_id)
                .join(columns, columns.c.id == issues.c.column_id)
                .where(where).order_by(_R.excellent.desc(), _R.submitted_at, _R.id))]


def of_person(conn: Connection, subscriber_id: int) -> list[dict]:
    """A person's reflections, newest first, with the issue they were written on."""
    return [dict(r) for r in conn.execute(
        select(_R.id, _R.body, _R.submitted_at, _R.excellent, _R.hidden, _R.consent,
               _R.featured_issue_id, issues.c.number, issues.c.title.label("issue_title"),
               columns.c.slug, columns.c.name.label("column_name"))
        .join(issues, issues.c.id == _R.issue_id)
        .join(columns, columns.c.id == issues.c.column_id)
        .where(_R.subscriber_id == subscriber_id)
        .order_by(_R.submitted_at.desc(), _R.id.desc())).mappings()]


def asked_of(conn: Connection, subscriber_id: int) -> list[dict]:
    """The person's reflections whose 选登 waits for their answer."""
    return [r for r in of_person(conn, subscriber_id) if r["consent"] == "asked"]
