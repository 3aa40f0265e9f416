"""Queries of chat targets (group robots, webhooks) and which columns push to them."""

from __future__ import annotations

from sqlalchemy import Connection, Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from zhuanlan.errors import ConfigError, NotFoundError
from zhuanlan.store.db import inserted_id
from zhuanlan.store.schema import channel_targets, column_targets, columns, deliveries


def _key(target: int | str):
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return channel_targets.c.id == int(target)
    return channel_targets.c.name == target


def target_rows(conn: Connection) -> list[Row]:
    return list(conn.execute(select(channel_targets).order_by(channel_targets.c.name)))


def assignments(conn: Connection) -> dict[int, list[dict]]:
    """Target id → the columns ({slug, name}) that push to it."""
    out: dict[int, list[dict]] = {}
    for r in conn.execute(select(column_targets.c.target_id, columns.c.slug, columns.c.name)
                          .join(columns, columns.c.id == column_targets.c.column_id)
                          .order_by(columns.c.slug)):
        out.setdefault(r.target_id, []).append({"slug": r.slug, "name": r.name})
    return out


def target_row(conn: Connection, target: int | str) -> Row:
    """A target by id or name. Raises NotFoundError."""
    row = conn.execute(select(channel_targets).where(_key(target))).first()
    if row is None:
        raise NotFoundError("没有这个推送渠道", resource=f"target {target}")
    return row


def columns_of(conn: Connection, target_id: int) -> list[dict]:
    return [{"slug": r.slug, "name": r.name} for r in conn.execute(
        select(columns.c.slug, columns.c.name)
        .join(column_targets, column_targets.c.column_id == columns.c.id)
        .where(column_targets.c.target_id == target_id).order_by(columns.c.slug))]


def insert_target(conn: Connection, **values) -> int:
    """Raises ConfigError when the name is taken."""
    try:
        with conn.begin_nested():
            return inserted_id(conn.execute(channel_targets.insert().values(**values)))
    except IntegrityError:
        raise ConfigError("name", f"已有名为“{values.get('name')}”的推送渠道") from None


def update_target(conn: Connection, target_id: int, **values) -> None:
    conn.execute(update(channel_targets).where(channel_targets.c.id == target_id).values(**values))


def delete_target(conn: Connection, target_id: int) -> None:
    """The target, its assignments and its outbox rows (explicitly, not only by ON
    DELETE CASCADE: SQLite enforces it only with foreign keys on)."""
    conn.execute(delete(deliveries).where(deliveries.c.target_id == target_id))
    conn.execute(delete(column_targets).where(column_targets.c.target_id == target_id))
    conn.execute(delete(channel_targets).where(channel_targets.c.id == target_id))


def assign(conn: Connection, target_id: int, column_id: int) -> bool:
    """Make the column push to the target; False when it already does."""
    if conn.execute(select(func.count()).select_from(column_targets).where(
            column_targets.c.column_id == column_id,
            column_targets.c.target_id == target_id)).scalar():
        return False
    conn.execute(column_targets.insert().values(column_id=column_id, target_id=target_id))
    return True


def unassign(conn: Connection, target_id: int, column_id: int) -> bool:
    return bool(conn.execute(delete(column_targets).where(
        column_targets.c.column_id == column_id,
        column_targets.c.target_id == target_id)).rowcount)


def column_target_rows(conn: Connection, column_id: int) -> list[Row]:
    """The enabled targets (group robots, webhooks and apps) a column's issue goes to,
    the first added first — the order the publish queues them in."""
    return list(conn.execute(
        select(channel_targets)
        .join(column_targets, column_targets.c.target_id == channel_targets.c.id)
        .where(column_targets.c.column_id == column_id, channel_targets.c.enabled.is_(True))
        .order_by(channel_targets.c.id)))
