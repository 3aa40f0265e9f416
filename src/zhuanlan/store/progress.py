"""The statistics' roll-up: ``study_progress``, one row per (issue, person) with what the
statistics count. Triggers keep it up to date as deliveries, readings and issue items are
written (migration 0025); here it is recomputed from its sources, whole or for some
issues — after a column's minimum reading time changed, or by ``zhuanlan stats rebuild``.

Every recompute reads the sources, so running it again, or while records arrive, leaves
the same rows as the triggers would."""

from __future__ import annotations

from sqlalchemy import Integer, case, delete, func, select, true, update

from zhuanlan.store.readings import counts_as_studied, too_quick
from zhuanlan.store.schema import (
    columns,
    deliveries,
    issue_items,
    issues,
    readings,
    study_progress,
)
from zhuanlan.store.upsert import upsert

READING_FIGURES = ("opened", "seconds", "studied", "too_quick")


def _recipients(issue_ids: list[int] | None):
    query = (select(deliveries.c.issue_id, deliveries.c.subscriber_id, true(),
                    func.max((deliveries.c.state == "sent").cast(Integer)) == 1)
             .where(deliveries.c.subscriber_id.is_not(None), deliveries.c.reminder_id == 0)
             .group_by(deliveries.c.issue_id, deliveries.c.subscriber_id))
    if issue_ids is not None:
        query = query.where(deliveries.c.issue_id.in_(issue_ids))
    return query


def _reading_figures(issue_ids: list[int] | None):
    minimum = func.coalesce(columns.c.min_read_seconds, 0)
    query = (select(issue_items.c.issue_id, readings.c.subscriber_id, func.count(),
                    func.coalesce(func.sum(readings.c.active_seconds), 0),
                    func.count(case((counts_as_studied(minimum), 1))),
                    func.count(case((too_quick(minimum), 1))))
             .join(readings, readings.c.article_id == issue_items.c.article_id)
             .join(issues, issues.c.id == issue_items.c.issue_id)
             .join(columns, columns.c.id == issues.c.column_id)
             .where(readings.c.subscriber_id.is_not(None))
             .group_by(issue_items.c.issue_id, readings.c.subscriber_id))
    if issue_ids is not None:
        query = query.where(issue_items.c.issue_id.in_(issue_ids))
    return query


def rebuild(conn, issue_ids: list[int] | None = None) -> int:
    """Recompute the rows of these issues (None: every issue) from the outbox and the
    readings. Returns how many rows there are now."""
    gone = delete(study_progress)
    if issue_ids is not None:
        gone = gone.where(study_progress.c.issue_id.in_(issue_ids))
    conn.execute(gone)
    conn.execute(study_progress.insert().from_select(
        ["issue_id", "subscriber_id", "recipient", "delivered"], _recipients(issue_ids)))
    _upsert_reading_figures(conn, issue_ids)
    count = select(func.count()).select_from(study_progress)
    if issue_ids is not None:
        count = count.where(study_progress.c.issue_id.in_(issue_ids))
    return int(conn.execute(count).scalar_one())


def _upsert_reading_figures(conn, issue_ids: list[int] | None) -> None:
    upsert(conn, study_progress, ["issue_id", "subscriber_id", *READING_FIGURES],
           _reading_figures(issue_ids), ["issue_id", "subscriber_id"])


def refresh_columns(conn, column_ids: list[int]) -> None:
    """Recompute the reading figures of the columns' issues (their minimum reading time
    changed: what counts as studied, or too quick, changes with it)."""
    ids = list(conn.execute(select(issues.c.id).where(issues.c.column_id.in_(column_ids)))
               .scalars())
    if not ids:
        return
    # Zero first: a person whose readings are gone keeps no figures.
    conn.execute(update(study_progress).where(study_progress.c.issue_id.in_(ids))
                 .values(**dict.fromkeys(READING_FIGURES, 0)))
    _upsert_reading_figures(conn, ids)
