"""撤销上一步: each editor's last step on a column, as a row (any worker may undo it)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from zhuanlan.store.schema import candidates, desk_steps, issues


def keep(conn: Connection, column_id: int, actor: str, kind: str, label: str,
         payload: dict, at: datetime) -> None:
    """The actor's new last step on the column (the one before is no longer undoable)."""
    conn.execute(delete(desk_steps).where(desk_steps.c.column_id == column_id,
                                          desk_steps.c.actor == actor))
    conn.execute(desk_steps.insert().values(
        column_id=column_id, actor=actor, kind=kind, label=label[:500],
        payload=json.dumps(payload, ensure_ascii=False), created_at=at))


def last(conn: Connection, column_id: int, actor: str) -> dict | None:
    """The actor's last step on the column (``payload`` decoded), or None."""
    row = conn.execute(select(desk_steps).where(desk_steps.c.column_id == column_id,
                                                desk_steps.c.actor == actor)).mappings().first()
    if row is None:
        return None
    return dict(row, payload=json.loads(row["payload"]))


def drop(conn: Connection, step_id: int) -> bool:
    """Remove the step; False when another request removed it first (undone twice)."""
    gone = conn.execute(delete(desk_steps).where(desk_steps.c.id == step_id)
                        .returning(desk_steps.c.id)).first()
    return gone is not None


def candidate_states(conn: Connection, ids: list[int]) -> dict[int, dict]:
    """id → state, position, the number of its issue (published) and column_id."""
    rows = conn.execute(
        select(candidates.c.id, candidates.c.state, candidates.c.position,
               candidates.c.column_id, issues.c.number.label("issue_number"))
        .outerjoin(issues, issues.c.id == candidates.c.issue_id)
        .where(candidates.c.id.in_(ids))).mappings()
    return {r["id"]: dict(r) for r in rows}


def issue_count(conn: Connection, column_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(issues)
                            .where(issues.c.column_id == column_id)).scalar_one())


def last_issue_at(conn: Connection, column_id: int) -> datetime | None:
    return conn.execute(select(func.max(issues.c.published_at))
                        .where(issues.c.column_id == column_id)).scalar()
