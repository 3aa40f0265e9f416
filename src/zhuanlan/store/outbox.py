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


# -- personal messages through an app (企业微信 / 钉钉 / 飞书) --------------------------

def claim_app(conn: Connection, *, now: datetime, limit: int, worker: str,
              lease_seconds: float) -> list[Row]:
    """Due rows of people reached through an app, in an order that keeps one issue's
    rows of one app together, so they go out in full batches."""
    return claim(conn, deliveries, deliveries.c.app_id.is_not(None) & _due(now),
                 order_by=[deliveries.c.issue_id, deliveries.c.app_id,
                           deliveries.c.reminder_id, deliveries.c.id],
                 limit=limit, worker=worker, lease_seconds=lease_seconds, now=now)


def app_ids(conn: Connection, subscriber_ids: set[int], field: str) -> dict[int, str | None]:
    """subscriber id → the person's id in an app (``field``: a directory column)."""
    column = subscribers.c[field]
    return {r.id: r.pid for r in conn.execute(
        select(subscribers.c.id, column.label("pid"))
        .where(subscribers.c.id.in_(subscriber_ids)))}


def _held(ids: list[int], worker: str):
    return deliveries.c.id.in_(ids) & (deliveries.c.claimed_by == worker)


def count_sends(conn: Connection, ids: list[int], worker: str) -> list[int]:
    """Before a batch is handed to the platform: each row's ``sends`` + 1, committed
    first, so that a worker dying after the platform accepted leaves a trace. Returns the
    ids still ours (only those may be sent)."""
    held = list(conn.execute(select(deliveries.c.id).where(_held(ids, worker))).scalars())
    if held:
        conn.execute(update(deliveries).where(_held(held, worker))
                     .values(sends=deliveries.c.sends + 1))
    return held


def finish_many(conn: Connection, ids: list[int], worker: str, **values: Any) -> int:
    """One outcome for several rows (and their release), where still ours."""
    if not ids:
        return 0
    return conn.execute(update(deliveries).where(_held(ids, worker))
                        .values(**values, **release_values())).rowcount or 0


def fall_back_to_email(conn: Connection, row: Row, note: str, now: datetime) -> None:
    """A person whose app message cannot go (no id any more, or the platform does not
    know them) gets the issue by e-mail instead, once."""
    exists = conn.execute(select(deliveries.c.id).where(
        deliveries.c.issue_id == row.issue_id, deliveries.c.subscriber_id == row.subscriber_id,
        deliveries.c.channel == CHANNEL_EMAIL,
        deliveries.c.reminder_id == row.reminder_id)).first()
    if exists is None:
        conn.execute(deliveries.insert().values(
            issue_id=row.issue_id, subscriber_id=row.subscriber_id, channel=CHANNEL_EMAIL,
            note=note, state=PENDING, attempts=0, next_attempt_at=now, created_at=now,
            reminder_id=row.reminder_id))


def awaiting_tasks(conn: Connection, *, sent_before: datetime, limit: int) -> list[Row]:
    """(app_id, message_id) of batches whose per-person outcome is still to be read."""
    return list(conn.execute(
        select(deliveries.c.app_id, deliveries.c.message_id)
        .where(deliveries.c.awaiting_result.is_(True), deliveries.c.sent_at <= sent_before)
        .group_by(deliveries.c.app_id, deliveries.c.message_id)
        .limit(limit)))


def task_rows(conn: Connection, app_id: int, message_id: str) -> list[Row]:
    return list(conn.execute(
        select(deliveries.c.id, deliveries.c.subscriber_id, deliveries.c.issue_id,
               deliveries.c.reminder_id)
        .where(deliveries.c.app_id == app_id, deliveries.c.message_id == message_id,
               deliveries.c.awaiting_result.is_(True))))


def fail_to_email(conn: Connection, row: Row, *, worker: str | None, reason: str,
                  note: str, now: datetime, attempts: int | None = None) -> bool:
    """An app row the platform cannot deliver (the person has no id any more, or the
    platform refused them): failed with ``reason``, and the person gets the issue by
    e-mail instead with ``note``. ``worker``: only while the row is still this worker's
    (None: a row already handed over, e.g. a 钉钉 task whose outcome came later). False
    when the row was not ours to change."""
    cond = _held([row.id], worker) if worker else deliveries.c.id == row.id
    values: dict[str, Any] = {"state": DeliveryState.FAILED.value, "last_error": reason[:2000],
                              "awaiting_result": False, **release_values()}
    if attempts is not None:
        values["attempts"] = attempts
    if not conn.execute(update(deliveries).where(cond).values(**values)).rowcount:
        return False
    fall_back_to_email(conn, row, note, now)
    return True


def settle_task(conn: Connection, ids: list[int]) -> None:
    """The platform's final word on a batch has been read: its rows no longer await."""
    if ids:
        conn.execute(update(deliveries).where(deliveries.c.id.in_(ids))
                     .values(awaiting_result=False))
