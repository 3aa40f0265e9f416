"""Publishing job: when a column's schedule comes due, its approved candidates become an
issue (期) with the column's editor's note, and the outbox gets one delivery row per
subscriber — all in one transaction, so nothing published is left without deliveries."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, literal, select, update

from zhuanlan.editorial.assemble import Approved, issue_title, order_items
from zhuanlan.model import CandidateState, DeliveryState, IssueItemView, IssueView
from zhuanlan.publish.schedule import next_run
from zhuanlan.store.claims import claim, release_values
from zhuanlan.store.schema import (
    articles, candidates, columns, deliveries, issue_items, issues, sources, stories,
    subscribers, subscriptions,
)

if TYPE_CHECKING:
    from zhuanlan.core import Zhuanlan

log = logging.getLogger(__name__)

CHANNEL_EMAIL = "email"


def publish_due(zl: "Zhuanlan") -> list[int]:
    """Publish every column whose ``next_run_at`` has come; move its schedule on.
    Returns the ids of the issues made (a due column with nothing approved makes none)."""
    now = zl.clock()
    made: list[int] = []
    with zl.db.write() as conn:
        due = claim(conn, columns, columns.c.next_run_at <= now,
                    order_by=[columns.c.next_run_at, columns.c.id], limit=50,
                    worker=zl.worker_id, lease_seconds=zl.cfg["worker.lease_seconds"], now=now)
        for col in due:
            issue_id = _publish(conn, col, now)
            if issue_id is not None:
                made.append(issue_id)
            conn.execute(update(columns).where(columns.c.id == col.id).values(
                next_run_at=next_run(col.schedule, col.timezone, now), **release_values()))
    return made


def publish_column_now(zl: "Zhuanlan", column_id: int) -> int | None:
    now = zl.clock()
    with zl.db.write() as conn:
        col = conn.execute(select(columns).where(columns.c.id == column_id)).first()
        return _publish(conn, col, now)


def _publish(conn: Connection, col, now: datetime) -> int | None:  # noqa: ANN001
    # A story is published as its representative: the most authoritative complete copy
    # known now, whichever outlet's copy the editor approved.
    shown = func.coalesce(stories.c.representative_id, candidates.c.article_id)
    approved = [Approved(r.id, r.article_id, r.score, r.decided_at, r.published_at)
                for r in conn.execute(
                    select(candidates.c.id, shown.label("article_id"), candidates.c.score,
                           candidates.c.decided_at, articles.c.published_at)
                    .outerjoin(stories, stories.c.id == candidates.c.story_id)
                    .join(articles, articles.c.id == shown)
                    .where(candidates.c.column_id == col.id,
                           candidates.c.state == CandidateState.APPROVED.value))]
    items = order_items(approved)
    if not items:
        log.info("nothing approved; no issue", extra={"column_id": col.id})
        return None
    number = (conn.execute(select(func.max(issues.c.number))
                           .where(issues.c.column_id == col.id)).scalar() or 0) + 1
    issue_id = conn.execute(issues.insert().values(
        column_id=col.id, number=number, title=issue_title(col.name, number),
        editor_note=col.editor_note, published_at=now)).inserted_primary_key[0]
    conn.execute(issue_items.insert(), [
        {"issue_id": issue_id, "article_id": a.article_id, "position": i}
        for i, a in enumerate(items)])
    conn.execute(update(candidates).where(candidates.c.id.in_([a.candidate_id for a in items]))
                 .values(state=CandidateState.PUBLISHED.value, issue_id=issue_id))
    # One outbox row per subscriber, made by the database in one statement: the issue
    # and its deliveries commit together.
    recipients = (select(literal(issue_id), subscriptions.c.subscriber_id, literal(CHANNEL_EMAIL),
                         literal(DeliveryState.PENDING.value), literal(0), literal(now),
                         literal(now))
                  .join(subscribers, subscribers.c.id == subscriptions.c.subscriber_id)
                  .where(subscriptions.c.column_id == col.id, subscribers.c.active.is_(True)))
    conn.execute(deliveries.insert().from_select(
        ["issue_id", "subscriber_id", "channel", "state", "attempts", "next_attempt_at",
         "created_at"], recipients))
    log.info("issue published", extra={"column_id": col.id, "issue_id": issue_id,
                                       "number": number, "items": len(items)})
    return issue_id


def issue_view(conn: Connection, issue_id: int, base_url: str) -> IssueView:
    """The issue as the renderers (mail, Atom, web) see it."""
    row = conn.execute(select(issues, columns.c.slug, columns.c.name.label("column_name"))
                       .join(columns, columns.c.id == issues.c.column_id)
                       .where(issues.c.id == issue_id)).first()
    items = []
    for a in conn.execute(
            select(articles.c.id, articles.c.title, articles.c.url, articles.c.text,
                   articles.c.published_at, articles.c.source_name,
                   sources.c.name.label("outlet"))
            .join(issue_items, issue_items.c.article_id == articles.c.id)
            .outerjoin(sources, sources.c.id == articles.c.source_id)
            .where(issue_items.c.issue_id == issue_id).order_by(issue_items.c.position)):
        items.append(IssueItemView(
            title=a.title, web_url=f"{base_url}/a/{a.id}", original_url=a.url,
            source_name=a.source_name or a.outlet or "", published=a.published_at,
            summary=summary_of(a.text)))
    return IssueView(
        column_name=row.column_name, column_slug=row.slug, number=row.number, title=row.title,
        editor_note=row.editor_note, web_url=f"{base_url}/c/{row.slug}/{row.number}",
        published_at=row.published_at, items=tuple(items))


def summary_of(text: str, limit: int = 110) -> str:
    """The first paragraph, cut at ``limit`` characters."""
    first = next((p.strip() for p in text.split("\n") if p.strip()), "")
    return first if len(first) <= limit else first[:limit].rstrip() + "…"
