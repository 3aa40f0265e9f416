"""Queries of test sends (发送测试给我): a column's next issue sent to a staff user's own
e-mail and app accounts, recorded in a table of their own — never outbox rows, so no
delivery report or statistic counts them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from zhuanlan.store.schema import channel_targets, test_sends


def record(conn: Connection, *, column_id: int, issue_number: int, by: str, channel: str,
           target_id: int | None, recipient: str, ok: bool, error: str | None,
           now: datetime) -> None:
    conn.execute(test_sends.insert().values(
        column_id=column_id, issue_number=issue_number, created_by=by, channel=channel,
        target_id=target_id, recipient=recipient[:320], ok=ok, error=error, created_at=now))


def recent(conn: Connection, column_id: int, *, limit: int = 10) -> list[dict]:
    """The column's newest test sends first, with the target's name."""
    return [dict(r) for r in conn.execute(
        select(test_sends, channel_targets.c.name.label("target_name"))
        .outerjoin(channel_targets, channel_targets.c.id == test_sends.c.target_id)
        .where(test_sends.c.column_id == column_id)
        .order_by(test_sends.c.id.desc()).limit(limit)).mappings()]
