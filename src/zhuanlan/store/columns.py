"""Queries of columns and their issues."""

from __future__ import annotations

from sqlalchemy import Connection, func, select, update

from zhuanlan.errors import NotFoundError
from zhuanlan.model import CandidateState
from zhuanlan.store.db import inserted_id
from zhuanlan.store.page_generation import bump
from zhuanlan.store.schema import candidates, columns, issues


def column_by_slug(conn: Connection, slug: str) -> dict:
    """The column's row. Raises NotFoundError."""
    row = conn.execute(select(columns).where(columns.c.slug == slug)).mappings().first()
    if row is None:
        raise NotFoundError("没有这个专栏", resource=slug)
    return dict(row)


def column_by_key(conn: Connection, column: str | int) -> dict:
    """The column named by its slug or id. Raises NotFoundError."""
    query = select(columns).where(columns.c.id == column if isinstance(column, int)
                                  else columns.c.slug == column)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFoundError("没有这个专栏", resource=str(column))
    return dict(row)


def column_exists(conn: Connection, slug: str) -> bool:
    return conn.execute(select(columns.c.id).where(columns.c.slug == slug)).first() is not None


def compulsory(conn: Connection, slug: str) -> bool:
    """Whether the column is 必学 (its readers may not opt out)."""
    return bool(conn.execute(select(columns.c.compulsory)
                             .where(columns.c.slug == slug)).scalar())


def insert_column(conn: Connection, **values) -> int:
    column_id = inserted_id(conn.execute(columns.insert().values(**values)))
    bump(conn)                  # the home page lists it
    return column_id


def update_column(conn: Connection, column_id: int, **values) -> None:
    conn.execute(update(columns).where(columns.c.id == column_id).values(**values))
    bump(conn)


def column_rows(conn: Connection) -> list[dict]:
    """Every column with its ``issue_count`` and ``pending_count``, by id."""
    rows = conn.execute(select(columns).order_by(columns.c.id)).mappings().all()
    counts: dict[int, int] = dict(conn.execute(select(issues.c.column_id, func.count())
                               .group_by(issues.c.column_id)).all())
    pending: dict[int, int] = dict(conn.execute(
        select(candidates.c.column_id, func.count())
        .where(candidates.c.state == CandidateState.PENDING.value)
        .group_by(candidates.c.column_id)).all())
    return [dict(r, issue_count=counts.get(r["id"], 0), pending_count=pending.get(r["id"], 0))
            for r in rows]


def column_model(conn: Connection, column_id: int):
    """The row with the column's learner (``model``)."""
    return conn.execute(select(columns.c.model).where(columns.c.id == column_id)).first()


# -- issues ------------------------------------------------------------------------------

def issue_rows(conn: Connection, column_id: int) -> list[dict]:
    """The column's issues, newest first."""
    return [dict(r) for r in conn.execute(
        select(issues).where(issues.c.column_id == column_id)
        .order_by(issues.c.number.desc())).mappings()]


def issue_id_by_number(conn: Connection, column_id: int, number: int, *,
                       slug: str = "") -> int:
    """Raises NotFoundError."""
    issue_id = conn.execute(select(issues.c.id).where(
        issues.c.column_id == column_id, issues.c.number == number)).scalar()
    if issue_id is None:
        raise NotFoundError("没有这一期", resource=f"{slug or column_id} #{number}")
    return int(issue_id)
