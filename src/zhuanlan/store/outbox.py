"""Queries of the outbox the senders work on: one row per (issue, recipient or chat
target, channel), claimed with a lease, its outcome recorded only while the lease is
still this worker's (``still_held``), so a row taken over by another worker is never
recorded twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, update

from zhuanlan.model import DeliveryState
from zhuanlan.store.claims import claim, release_values, still_held
from zhuanlan.store.issues import CHANNEL_EMAIL
from zhuanlan.store.schema import articles, channel_targets, deliveries, issue_items, subscribers

PENDING = DeliveryState.PENDING.value


def _due(now: datetime):
    return (deliveries.c.state == PENDING) & (deliveries.c.next_attempt_at <= now)


def claim_email(conn: Connection, *, now: datetime, limit: int, worker: str,
                lease_seconds: float) -> list[Row]:
    return claim(conn, deliveries, (deliveries.c.channel == CHANNEL_EMAIL) & _due(now),
                 order_by=[deliveries.c.next_attempt_at, deliveries.c.id], limit=limit,
                 worker=worker, lease_seconds=lease_seconds, now=now)


def claim_chat(conn: Connection, *, now: datetime, limit: int, worker: str,
               lease_seconds: float) -> list[Row]:
    return claim(conn, deliveries, deliveries.c.target_id.is_not(None) & _due(now),
                 order_by=[deliveries.c.next_attempt_at, deliveries.c.id], limit=limit,
                 worker=worker, lease_seconds=lease_seconds, now=now)


def people(conn: Connection, subscriber_ids: set[int]) -> dict[int, Row]:
    """id → (id, email, name) of the recipients."""
    return {r.id: r for r in conn.execute(
        select(subscribers.c.id, subscribers.c.email, subscribers.c.name)
        .where(subscribers.c.id.in_(subscriber_ids)))}


def item_article_ids(conn: Connection, issue_id: int) -> list[int]:
    """The issue's articles in the order of ``issue_view``'s items."""
    return list(conn.execute(
        select(issue_items.c.article_id)
        .join(articles, articles.c.id == issue_items.c.article_id)
        .where(issue_items.c.issue_id == issue_id)
        .order_by(issue_items.c.position)).scalars())


def target(conn: Connection, target_id: int) -> Row | None:
    return conn.execute(select(channel_targets)
                        .where(channel_targets.c.id == target_id)).first()


def mark_target(conn: Connection, target_id: int, **values: Any) -> None:
    """A chat target's health: ``last_success_at`` / ``last_error``."""
    conn.execute(update(channel_targets).where(channel_targets.c.id == target_id)
                 .values(**values))


def release(conn: Connection, row_id: int, worker: str) -> None:
    """Give a row back without an attempt: another claim may take it at once."""
    conn.execute(update(deliveries).where(still_held(deliveries, row_id, worker))
                 .values(**release_values()))


def count_part(conn: Connection, row_id: int, worker: str) -> bool:
    """One more message of a chat row accepted by the platform; False when the row is
    no longer this worker's."""
    return bool(conn.execute(update(deliveries).where(still_held(deliveries, row_id, worker))
                             .values(progress=deliveries.c.progress + 1)).rowcount)


def finish(conn: Connection, row_id: int, worker: str, **values: Any) -> bool:
    """Record a row's outcome (and release it); False when it is no longer ours."""
    return bool(conn.execute(update(deliveries).where(still_held(deliveries, row_id, worker))
                             .values(**values, **release_values())).rowcount)


def outcome_statements(worker: str) -> dict[str, Any]:
    """The e-mail sender's three outcomes as statements executed with many rows at once
    (``sent``, ``retry``, ``failed``; parameters ``d_id``, ``d_at``, ``d_mid``,
    ``d_attempts``, ``d_error``, ``d_next``)."""
    held = (deliveries.c.id == bindparam("d_id")) & (deliveries.c.claimed_by == worker)
    at = bindparam("d_at", type_=deliveries.c.sent_at.type)
    release = release_values()
    return {
        "sent": update(deliveries).where(held).values(
            state=DeliveryState.SENT.value, sent_at=at, message_id=bindparam("d_mid"),
            attempts=bindparam("d_attempts"), last_error=None, **release),
        "retry": update(deliveries).where(held).values(
            attempts=bindparam("d_attempts"), last_error=bindparam("d_error"),
            next_attempt_at=bindparam("d_next", type_=deliveries.c.next_attempt_at.type),
            message_id=bindparam("d_mid"), **release),
        "failed": update(deliveries).where(held).values(
            state=DeliveryState.FAILED.value, attempts=bindparam("d_attempts"),
            last_error=bindparam("d_error"), message_id=bindparam("d_mid"), **release),
    }


def execute_many(conn: Connection, statement: Any, rows: list[dict]) -> None:
    conn.execute(statement, rows)
