"""Queries of the apps' web logins: single-use values (an OAuth ``state`` nonce, a login
code) and the person an app's user id belongs to."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from zhuanlan.store.schema import login_nonces, subscribers

KEEP = timedelta(days=1)      # longer than any state or code lives


def use_once(conn: Connection, key: str, now: datetime) -> bool:
    """Record ``key`` as used; False when it already was (a replayed state or code).
    One INSERT … ON CONFLICT DO NOTHING, so two requests racing with the same value
    cannot both win, and the transaction stays usable on PostgreSQL."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: psycopg reports 1 for a conflicting row that was skipped.
    inserted = conn.execute(dialect.insert(login_nonces).values(nonce=key, used_at=now)
                            .on_conflict_do_nothing(index_elements=["nonce"])
                            .returning(login_nonces.c.nonce)).first()
    return inserted is not None


def prune(conn: Connection, now: datetime) -> None:
    """Forget the values older than any state or code can be (by the used_at index)."""
    conn.execute(delete(login_nonces).where(login_nonces.c.used_at < now - KEEP))


def person_by_app_id(conn: Connection, field: str, user_id: str) -> int | None:
    """The active person whose directory entry holds ``user_id`` in column ``field``
    (``wecom_userid``, ``dingtalk_userid``, ``feishu_open_id``)."""
    return conn.execute(select(subscribers.c.id).where(
        subscribers.c[field] == user_id, subscribers.c.active.is_(True))
        .order_by(subscribers.c.id).limit(1)).scalar()
