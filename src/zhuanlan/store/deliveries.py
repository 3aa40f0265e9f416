"""Queries of the outbox as the delivery report reads it (the jobs that send have their
own: ``store.outbox``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, Select, func, select, update

from zhuanlan.errors import NotFoundError
from zhuanlan.model import DeliveryState
from zhuanlan.store.claims import release_values
from zhuanlan.store.schema import channel_targets, columns, deliveries, issues, subscribers

FAILED, PENDING, SENT = (DeliveryState.FAILED.value, DeliveryState.PENDING.value,
                        DeliveryState.SENT.value)


def issue_header(conn: Connection, issue_id: int) -> dict:
    """id, number, title, published_at, editor_note, slug, column_name. Raises
    NotFoundError."""
    row = conn.execute(
        select(issues.c.id, issues.c.number, issues.c.title, issues.c.published_at,
               issues.c.editor_note, columns.c.slug, columns.c.name.label("column_name"))
        .join(columns, columns.c.id == issues.c.column_id)
        .where(issues.c.id == issue_id)).mappings().first()
    if row is None:
        raise NotFoundError("没有这一期", resource=f"issue {issue_id}")
    return dict(row)


def state_counts(conn: Connection, issue_id: int) -> dict[str, int]:
    return dict(conn.execute(select(deliveries.c.state, func.count())
                             .where(deliveries.c.issue_id == issue_id, deliveries.c.reminder_id == 0)
                             .group_by(deliveries.c.state)).all())


def channel_state_counts(conn: Connection, issue_id: int) -> list[Row]:
    """(channel, state, count, earliest next attempt, latest sent) per channel and state."""
    return list(conn.execute(
        select(deliveries.c.channel, deliveries.c.state, func.count(),
               func.min(deliveries.c.next_attempt_at), func.max(deliveries.c.sent_at))
        .where(deliveries.c.issue_id == issue_id, deliveries.c.reminder_id == 0)
        .group_by(deliveries.c.channel, deliveries.c.state)))


def failure_reasons(conn: Connection, issue_id: int) -> list[Row]:
    """(channel, reason, count) of the failed rows, most frequent first."""
    return list(conn.execute(
        select(deliveries.c.channel, deliveries.c.last_error, func.count())
        .where(deliveries.c.issue_id == issue_id, deliveries.c.state == FAILED,
               deliveries.c.reminder_id == 0)
        .group_by(deliveries.c.channel, deliveries.c.last_error)
        .order_by(func.count().desc())))


def _detail(issue_id: int) -> Select:
    return (select(deliveries.c.id, deliveries.c.channel, deliveries.c.state,
                   deliveries.c.subscriber_id, deliveries.c.target_id,
                   deliveries.c.attempts, deliveries.c.progress,
                   deliveries.c.next_attempt_at, deliveries.c.sent_at,
                   deliveries.c.last_error,
                   subscribers.c.name.label("person_name"), subscribers.c.email,
                   channel_targets.c.name.label("target_name"),
                   channel_targets.c.kind.label("target_kind"))
            .outerjoin(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
            .outerjoin(channel_targets, channel_targets.c.id == deliveries.c.target_id)
            .where(deliveries.c.issue_id == issue_id, deliveries.c.reminder_id == 0))


def failed_rows(conn: Connection, issue_id: int, channel: str, reason: str | None,
                limit: int) -> list[Row]:
    """The first failed rows of a channel with this reason (with who they were for)."""
    cond = (deliveries.c.last_error.is_(None) if reason is None
            else deliveries.c.last_error == reason)
    return list(conn.execute(_detail(issue_id).where(
        deliveries.c.channel == channel, deliveries.c.state == FAILED, cond)
        .order_by(deliveries.c.id).limit(limit)))


def pending_rows(conn: Connection, issue_id: int, channel: str, limit: int) -> list[Row]:
    """The channel's pending rows due first."""
    return list(conn.execute(_detail(issue_id).where(
        deliveries.c.channel == channel, deliveries.c.state == PENDING)
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id).limit(limit)))


def target_rows(conn: Connection, issue_id: int) -> list[Row]:
    """The rows of chat targets, by the target's name."""
    return list(conn.execute(_detail(issue_id).where(deliveries.c.target_id.is_not(None))
                             .order_by(channel_targets.c.name)))


def retry_failed(conn: Connection, issue_id: int, channel: str | None, now: datetime) -> int:
    """The issue's failed rows (of ``channel``, or all) back to pending, due now, with
    their attempts reset (a chat row keeps its progress). Returns how many."""
    email = deliveries.alias("email")
    covered = (select(email.c.id).where(
        email.c.issue_id == deliveries.c.issue_id, email.c.channel == "email",
        email.c.subscriber_id == deliveries.c.subscriber_id,
        email.c.reminder_id == deliveries.c.reminder_id).exists())
    # An app row whose person was given e-mail instead stays as it is: retrying it would
    # message them twice.
    cond = [deliveries.c.issue_id == issue_id, deliveries.c.state == FAILED,
            deliveries.c.reminder_id == 0, ~(deliveries.c.app_id.is_not(None) & covered)]
    if channel:
        cond.append(deliveries.c.channel == channel)
    return int(conn.execute(update(deliveries).where(*cond).values(
        state=PENDING, attempts=0, next_attempt_at=now, **release_values())).rowcount or 0)


def notes(conn: Connection, issue_id: int) -> list[Row]:
    """(channel, note, count): why people were sent what they were sent (e-mail instead of
    the app, and the reason), most frequent first."""
    return list(conn.execute(
        select(deliveries.c.channel, deliveries.c.note, func.count())
        .where(deliveries.c.issue_id == issue_id, deliveries.c.reminder_id == 0,
               deliveries.c.note.is_not(None))
        .group_by(deliveries.c.channel, deliveries.c.note)
        .order_by(func.count().desc())))


def noted_rows(conn: Connection, issue_id: int, channel: str, note: str,
               limit: int) -> list[Row]:
    return list(conn.execute(_detail(issue_id).where(
        deliveries.c.channel == channel, deliveries.c.note == note)
        .order_by(deliveries.c.id).limit(limit)))


def repeats(conn: Connection, issue_id: int) -> dict[str, int]:
    """channel → rows sent whose message was handed over more than once: a worker died
    after the platform or server accepted and before the outcome was recorded, so the
    person may have received it twice."""
    return dict(conn.execute(
        select(deliveries.c.channel, func.count())
        .where(deliveries.c.issue_id == issue_id, deliveries.c.reminder_id == 0,
               deliveries.c.state == SENT, deliveries.c.sends > 1)
        .group_by(deliveries.c.channel)).all())


def reminder_counts(conn: Connection, issue_id: int) -> dict[int, dict[str, int]]:
    """reminder id → {state: count} of the reminders' own rows."""
    out: dict[int, dict[str, int]] = {}
    for rid, state, n in conn.execute(
            select(deliveries.c.reminder_id, deliveries.c.state, func.count())
            .where(deliveries.c.issue_id == issue_id, deliveries.c.reminder_id != 0)
            .group_by(deliveries.c.reminder_id, deliveries.c.state)):
        out.setdefault(rid, {})[state] = n
    return out
