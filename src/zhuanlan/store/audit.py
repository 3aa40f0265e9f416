"""The audit log: who did what, when (editorial and administrative actions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from zhuanlan.store.schema import audit_log


def record(conn, actor: str, action: str, target: str, detail: str = "", *,
           at: datetime) -> None:
    """Write one entry in the caller's transaction, so it stands or falls with the act."""
    conn.execute(audit_log.insert().values(at=at, actor=actor or "unknown", action=action,
                                           target=target[:200], detail=detail))


def entries(conn, limit: int) -> list[dict]:
    """The newest entries first."""
    return [dict(r) for r in conn.execute(
        select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).mappings()]
