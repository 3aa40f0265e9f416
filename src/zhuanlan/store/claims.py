"""Work claims with leases: how several workers share the rows that are work.

A worker claims due rows whose lease is free (never claimed, or the lease ran out
because the worker that held it died), does the work, and records the outcome together
with the release in one transaction. On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets
workers claim side by side; on SQLite the caller's ``BEGIN IMMEDIATE`` serialises them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, Table, or_, select, update
from sqlalchemy.sql import ColumnElement


def lease_free(table: Table, now: datetime) -> ColumnElement[bool]:
    return or_(table.c.lease_until.is_(None), table.c.lease_until < now)


def claim(conn: Connection, table: Table, condition: ColumnElement[bool], *,
          order_by: Sequence, limit: int, worker: str, lease_seconds: float,
          now: datetime) -> list[Row]:
    """Claim up to ``limit`` rows of ``table`` matching ``condition``; return them."""
    query = (select(table.c.id).where(condition, lease_free(table, now))
             .order_by(*order_by).limit(limit))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(conn.execute(query).scalars())
    if not ids:
        return []
    conn.execute(update(table).where(table.c.id.in_(ids)).values(
        claimed_by=worker, lease_until=now + timedelta(seconds=lease_seconds)))
    return list(conn.execute(select(table).where(table.c.id.in_(ids)).order_by(*order_by)))


def release_values() -> dict:
    return {"claimed_by": None, "lease_until": None}


def still_held(table: Table, row_id: int, worker: str) -> ColumnElement[bool]:
    """Condition for an outcome update: the row is still ours (our lease was not taken
    over by another worker after it ran out)."""
    return (table.c.id == row_id) & (table.c.claimed_by == worker)
