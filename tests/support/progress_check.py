"""The statistics roll-up as the migrations' tests compare it: the rows with readings, and
the check that a rebuild from scratch gives the same."""

from __future__ import annotations

from sqlalchemy import select

from zhuanlan.store import Database, progress
from zhuanlan.store.schema import study_progress


def progress_rows(conn) -> dict:
    """(issue, person) → (opened, studied, seconds, too quick), for rows with readings."""
    return {(r.issue_id, r.subscriber_id): (r.opened, r.studied, r.seconds, r.too_quick)
            for r in conn.execute(select(study_progress)) if r.opened}


def same_as_rebuilt(db: Database) -> dict:
    """The rows, after asserting that a rebuild from the readings leaves them as they are."""
    with db.write() as conn:
        kept = progress_rows(conn)
        progress.rebuild(conn)
        assert progress_rows(conn) == kept
    return kept
