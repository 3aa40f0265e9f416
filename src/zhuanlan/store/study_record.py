"""One person's study record: per issue they were sent or read, when it was sent, how many
of its articles they opened and confirmed (我已学习), when, and for how long they read."""

from __future__ import annotations

from sqlalchemy import Integer, func, select

from zhuanlan.store.schema import columns, deliveries, issue_items, issues, readings

MAX_ISSUES = 500


def person_record(conn, subscriber_id: int, *, limit: int = MAX_ISSUES) -> list[dict]:
    """The person's issues, newest first (at most ``limit``): ``issue_id``, ``number``,
    ``title``, ``published_at``, the column's ``column_id``/``slug``/``column_name``,
    ``articles`` (in the issue), ``delivered`` (sent on some channel), ``sent_at``, ``opened`` (articles),
    ``first_opened_at``, ``studied`` (articles confirmed), ``last_studied_at`` and
    ``seconds`` of reading."""
    sent = {r.issue_id: r for r in conn.execute(
        select(deliveries.c.issue_id,
               func.max((deliveries.c.state == "sent").cast(Integer)).label("delivered"),
               func.min(deliveries.c.sent_at).label("sent_at"))
        .where(deliveries.c.subscriber_id == subscriber_id, deliveries.c.reminder_id == 0)
        .group_by(deliveries.c.issue_id))}
    read = {r.issue_id: r for r in conn.execute(
        select(issue_items.c.issue_id, func.count(readings.c.id).label("opened"),
               func.count(readings.c.studied_at).label("studied"),
               func.sum(readings.c.active_seconds).label("seconds"),
               func.min(readings.c.opened_at).label("first_opened_at"),
               func.max(readings.c.studied_at).label("last_studied_at"))
        .join(issue_items, issue_items.c.article_id == readings.c.article_id)
        .where(readings.c.subscriber_id == subscriber_id)
        .group_by(issue_items.c.issue_id))}
    ids = sorted(set(sent) | set(read), reverse=True)[:limit]
    if not ids:
        return []
    items = dict(conn.execute(select(issue_items.c.issue_id, func.count())
                              .where(issue_items.c.issue_id.in_(ids))
                              .group_by(issue_items.c.issue_id)).all())
    out = []
    for row in conn.execute(
            select(issues.c.id, issues.c.number, issues.c.title, issues.c.published_at,
                   columns.c.id.label("column_id"), columns.c.slug,
                   columns.c.name.label("column_name"))
            .join(columns, columns.c.id == issues.c.column_id)
            .where(issues.c.id.in_(ids))
            .order_by(issues.c.published_at.desc(), issues.c.id.desc())).mappings():
        s, r = sent.get(row["id"]), read.get(row["id"])
        out.append({"issue_id": row["id"], "number": row["number"], "title": row["title"],
                    "published_at": row["published_at"], "column_id": row["column_id"],
                    "slug": row["slug"], "column_name": row["column_name"],
                    "articles": items.get(row["id"], 0),
                    "delivered": bool(s and s.delivered), "sent_at": s.sent_at if s else None,
                    "opened": r.opened if r else 0, "studied": r.studied if r else 0,
                    "seconds": int(r.seconds or 0) if r else 0,
                    "first_opened_at": r.first_opened_at if r else None,
                    "last_studied_at": r.last_studied_at if r else None})
    return out
