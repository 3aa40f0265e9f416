"""Publishing job: when a column's schedule comes due, its approved candidates become an
issue (期) with the column's editor's note and its outbox (``store.issues.publish``), and
the schedule moves on."""

from __future__ import annotations

from zhuanlan.jobs.context import Context
from zhuanlan.publish.schedule import next_run
from zhuanlan.store import issues as store


def publish_due(ctx: Context) -> list[int]:
    """Publish every column whose ``next_run_at`` has come; move its schedule on.
    Returns the ids of the issues made (a due column with nothing approved makes none)."""
    now = ctx.clock()
    made: list[int] = []
    with ctx.db.write() as conn:
        due = store.claim_due_columns(conn, now=now, worker=ctx.worker_id,
                                      lease_seconds=ctx.cfg["worker.lease_seconds"])
        for col in due:
            issue_id = store.publish(conn, col, now)
            if issue_id is not None:
                made.append(issue_id)
            store.schedule_next(conn, col.id, next_run(col.schedule, col.timezone, now))
    return made


def publish_column_now(ctx: Context, column_id: int) -> int | None:
    now = ctx.clock()
    with ctx.db.write() as conn:
        return store.publish(conn, store.column_row(conn, column_id), now)
