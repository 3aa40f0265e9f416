"""Queries of issues: the approved candidates in the next issue's order, publishing one
(the issue, its items and its outbox — one delivery row per recipient and per chat
target — in one transaction, so nothing published is left without deliveries), and an
issue as the renderers see it."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Connection, Select, func, literal, or_, select, update

from zhuanlan.editorial.assemble import Approved, issue_title, order_items, summary_of
from zhuanlan.model import (
    APP_ID_FIELDS,
    APP_ID_LABELS,
    CandidateState,
    DeliveryState,
    IssueItemView,
    IssueView,
)
from zhuanlan.store import quiz, reflections
from zhuanlan.store.claims import claim, release_values
from zhuanlan.store.db import inserted_id
from zhuanlan.store.page_generation import bump
from zhuanlan.store.schema import (
    articles,
    candidates,
    channel_targets,
    column_targets,
    columns,
    deliveries,
    departments,
    issue_items,
    issues,
    sources,
    stories,
    subscribers,
    subscriptions,
    unsubscriptions,
)

log = logging.getLogger(__name__)

CHANNEL_EMAIL = "email"
# At most this many items make one issue, so that it stays readable; the rest wait.
ISSUE_LIMIT = 30


def claim_due_columns(conn: Connection, *, now: datetime, worker: str,
                      lease_seconds: float, limit: int = 50) -> list:
    """Claim the columns whose ``next_run_at`` has come."""
    return claim(conn, columns, (columns.c.next_run_at <= now) & columns.c.archived_at.is_(None),
                 order_by=[columns.c.next_run_at, columns.c.id], limit=limit,
                 worker=worker, lease_seconds=lease_seconds, now=now)


def schedule_next(conn: Connection, column_id: int, next_run_at: datetime) -> None:
    """The column's next run, and its claim released."""
    conn.execute(update(columns).where(columns.c.id == column_id).values(
        next_run_at=next_run_at, **release_values()))
    bump(conn)                  # the home page shows the next run


def column_row(conn: Connection, column_id: int):
    return conn.execute(select(columns).where(columns.c.id == column_id)).first()


def approved_in_order(conn: Connection, column_id: int, *,
                      limit: int | None = ISSUE_LIMIT) -> list[dict]:
    """The column's approved candidates in the order of the next issue: the editor's
    ``position`` first (set by moving items up and down), then, for the items never
    moved, the assembled order (score, then the newer article). At most ``limit`` items
    (None: all); the rest wait for the next issue.

    Each row: ``candidate_id``, ``article_id`` (the story's representative, which is
    what gets published), ``title`` / ``summary`` (the editor's override or None),
    ``article_title``, ``article_text``, ``outlet``, ``published_at``, ``position``.
    """
    # A story is published as its representative: the most authoritative complete copy
    # known now, whichever outlet's copy the editor approved.
    shown = func.coalesce(stories.c.representative_id, candidates.c.article_id)
    rows = {r.id: r for r in conn.execute(
        select(candidates.c.id, shown.label("article_id"), candidates.c.score,
               candidates.c.decided_at, candidates.c.position,
               candidates.c.title_override, candidates.c.summary_override,
               articles.c.published_at, articles.c.title, articles.c.text,
               articles.c.url, articles.c.source_name, sources.c.name.label("outlet"))
        .outerjoin(stories, stories.c.id == candidates.c.story_id)
        .join(articles, articles.c.id == shown)
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(candidates.c.column_id == column_id,
               candidates.c.state == CandidateState.APPROVED.value))}
    assembled = order_items([Approved(r.id, r.article_id, r.score, r.decided_at,
                                      r.published_at) for r in rows.values()],
                            limit=len(rows))
    rank = {a.candidate_id: i for i, a in enumerate(assembled)}
    ordered = sorted(rows.values(), key=lambda r: (
        r.position is None, r.position if r.position is not None else 0, rank[r.id]))
    if limit is not None:
        ordered = ordered[:limit]
    return [{"candidate_id": r.id, "article_id": r.article_id, "title": r.title_override,
             "summary": r.summary_override, "article_title": r.title,
             "article_text": r.text, "outlet": r.outlet or r.source_name or "",
             "published_at": r.published_at, "position": r.position, "score": r.score,
             "url": r.url}
            for r in ordered]


def recipient_conditions(column_id: int, *, without_department: int | None = None) -> list:
    """The WHERE clauses, over ``subscribers``, that pick the people a column's issue goes
    to, for one set-based statement: active people subscribed directly or through a
    department (its whole subtree: its path and every path under "{path}/", people added
    later included), minus those who opted out of the column. Each person once, however
    many subscriptions cover them. ``without_department``: as if the column's
    subscription of that department were gone (what removing it would change)."""
    direct = subscriptions.alias("direct")
    by_department = subscriptions.alias("by_department")
    covering = departments.alias("covering")
    home = departments.alias("home")
    subscribed_directly = (select(direct.c.id)
                           .where(direct.c.column_id == column_id,
                                  direct.c.subscriber_id == subscribers.c.id).exists())
    in_subtree = or_(home.c.path == covering.c.path,
                     func.substr(home.c.path, 1, func.length(covering.c.path) + 1)
                     == covering.c.path + "/")
    in_subscribed_department = (
        select(by_department.c.id)
        .select_from(by_department
                     .join(covering, covering.c.id == by_department.c.department_id)
                     .join(home, in_subtree))
        .where(by_department.c.column_id == column_id,
               home.c.id == subscribers.c.department_id,
               *([by_department.c.department_id != without_department]
                 if without_department is not None else []))
        .exists())
    opted_out = (select(unsubscriptions.c.id)
                 .where(unsubscriptions.c.column_id == column_id,
                        unsubscriptions.c.subscriber_id == subscribers.c.id).exists())
    return [subscribers.c.active.is_(True), or_(subscribed_directly, in_subscribed_department),
            ~opted_out]


def recipient_ids(column_id: int) -> Select:
    """The ids of the people a column's issue goes to (see ``recipient_conditions``)."""
    return select(subscribers.c.id).where(*recipient_conditions(column_id))


def column_apps(conn: Connection, column_id: int) -> list[tuple[int, str]]:
    """(target id, kind) of the column's enabled apps, the first added first."""
    return [(r.id, r.kind) for r in conn.execute(
        select(channel_targets.c.id, channel_targets.c.kind)
        .select_from(column_targets.join(
            channel_targets, channel_targets.c.id == column_targets.c.target_id))
        .where(column_targets.c.column_id == column_id, channel_targets.c.enabled.is_(True),
               channel_targets.c.kind.in_(APP_ID_FIELDS))
        .order_by(channel_targets.c.id))]


PERSON_COLUMNS = ["issue_id", "subscriber_id", "channel", "app_id", "note", "state",
                  "attempts", "next_attempt_at", "created_at", "reminder_id"]


def _has(kind: str):
    id_column = subscribers.c[APP_ID_FIELDS[kind]]
    return (id_column.is_not(None)) & (id_column != "")


def people_rows(issue_id: int, column_id: int, apps: list[tuple[int, str]], now: datetime,
                *, reminder_id: int = 0,
                only: list | None = None) -> list[tuple[str, int | None, Select]]:
    """The outbox rows of the people an issue (or a reminder of it) goes to, as one
    SELECT per channel — (channel, app id or None, select of ``PERSON_COLUMNS``): through
    the first of the column's ``apps`` (target id, kind) for which the person has an id
    in the directory, else by e-mail, then with a note saying why. ``queue_people``
    inserts them and ``publish_plan`` counts them, so that the confirmation before a
    publish says exactly what the publish queues."""
    conditions = [*recipient_conditions(column_id), *(only or [])]
    already = (select(deliveries.c.id)
               .where(deliveries.c.issue_id == issue_id,
                      deliveries.c.subscriber_id == subscribers.c.id,
                      deliveries.c.reminder_id == reminder_id).exists())
    out: list[tuple[str, int | None, Select]] = []
    earlier: list = []
    for app_id, kind in apps:
        rows = (select(literal(issue_id), subscribers.c.id, literal(kind), literal(app_id),
                       literal(None), literal(DeliveryState.PENDING.value), literal(0),
                       literal(now), literal(now), literal(reminder_id))
                .where(*conditions, _has(kind), *[~c for c in earlier], ~already))
        out.append((kind, app_id, rows))
        earlier.append(_has(kind))
    note = None
    if apps:
        labels = "、".join(dict.fromkeys(APP_ID_LABELS[kind] for _id, kind in apps))
        note = f"通讯录中没有{labels}，改发邮件"
    rows = (select(literal(issue_id), subscribers.c.id, literal(CHANNEL_EMAIL), literal(None),
                   literal(note), literal(DeliveryState.PENDING.value), literal(0),
                   literal(now), literal(now), literal(reminder_id))
            .where(*conditions, *[~c for c in earlier], ~already))
    out.append((CHANNEL_EMAIL, None, rows))
    return out


def queue_people(conn: Connection, issue_id: int, column_id: int,
                 apps: list[tuple[int, str]], now: datetime, *, reminder_id: int = 0,
                 only: list | None = None) -> int:
    """The outbox rows of the people an issue (or a reminder of it) goes to, made by the
    database in a few set-based statements (``people_rows``). ``only`` adds conditions
    over ``subscribers`` (a reminder: those who have not confirmed). Returns how many
    rows."""
    for _channel, _app, rows in people_rows(issue_id, column_id, apps, now,
                                            reminder_id=reminder_id, only=only):
        conn.execute(deliveries.insert().from_select(PERSON_COLUMNS, rows))
    # Counted afterwards: psycopg gives no rowcount for INSERT … SELECT.
    return int(conn.execute(select(func.count()).select_from(deliveries).where(
        deliveries.c.issue_id == issue_id, deliveries.c.reminder_id == reminder_id,
        deliveries.c.subscriber_id.is_not(None))).scalar_one())


def target_rows(issue_id: int, column_id: int, now: datetime) -> Select:
    """The outbox rows of the column's enabled chat targets (a group robot or a
    webhook), its channel the target's kind: a group gets the issue once, whoever is in
    it. Columns: ``TARGET_COLUMNS``."""
    return (select(literal(issue_id), channel_targets.c.id, channel_targets.c.kind,
                   literal(DeliveryState.PENDING.value), literal(0), literal(0),
                   literal(now), literal(now))
            .select_from(column_targets.join(
                channel_targets, channel_targets.c.id == column_targets.c.target_id))
            .where(column_targets.c.column_id == column_id,
                   channel_targets.c.enabled.is_(True),
                   channel_targets.c.kind.not_in(APP_ID_FIELDS)))


TARGET_COLUMNS = ["issue_id", "target_id", "channel", "state", "attempts", "progress",
                  "next_attempt_at", "created_at"]


def publish_plan(conn: Connection, column_id: int, now: datetime) -> dict:
    """What publishing the column now would queue, counted by the very statements the
    publish runs: ``items`` (articles), ``people`` [{channel, app_id, name, count}] in
    the order they are tried, ``unreachable`` (people left with an empty e-mail address
    and no app id), ``targets`` [{id, name, kind}] and ``editor_note``."""
    items = approved_in_order(conn, column_id)
    apps = column_apps(conn, column_id)
    names = dict(conn.execute(select(channel_targets.c.id, channel_targets.c.name)
                              .where(channel_targets.c.id.in_([a for a, _k in apps]))).all())
    people = []
    unreachable = 0
    for channel, app_id, rows in people_rows(0, column_id, apps, now):
        sub = rows.add_columns(subscribers.c.email.label("address")).subquery()
        count = int(conn.execute(select(func.count()).select_from(sub)).scalar_one())
        if channel == CHANNEL_EMAIL:
            unreachable = int(conn.execute(select(func.count()).select_from(sub)
                                           .where(sub.c.address == "")).scalar_one())
        people.append({"channel": channel, "app_id": app_id,
                       "name": names.get(app_id, "") if app_id else "", "count": count})
    sub = target_rows(0, column_id, now).subquery()
    targets = [{"id": r.id, "name": r.name, "kind": r.kind} for r in conn.execute(
        select(channel_targets.c.id, channel_targets.c.name, channel_targets.c.kind)
        .where(channel_targets.c.id.in_(select(sub.c.id)))
        .order_by(channel_targets.c.id))]
    note = conn.execute(select(columns.c.editor_note)
                        .where(columns.c.id == column_id)).scalar_one()
    return {"articles": len(items), "people": people, "unreachable": unreachable,
            "targets": targets, "editor_note": note or ""}


def publish(conn: Connection, col, now: datetime) -> int | None:
    """Make the column's next issue of its approved candidates, with its outbox (one row
    per recipient, one per enabled chat target) in the same transaction. Returns the
    issue's id, None when nothing is approved."""
    items = approved_in_order(conn, col.id)
    if not items:
        log.info("nothing approved; no issue", extra={"column_id": col.id})
        return None
    number = (conn.execute(select(func.max(issues.c.number))
                           .where(issues.c.column_id == col.id)).scalar() or 0) + 1
    issue_id = inserted_id(conn.execute(issues.insert().values(
        column_id=col.id, number=number, title=issue_title(col.name, number),
        editor_note=col.editor_note, published_at=now)))
    conn.execute(issue_items.insert(), [
        {"issue_id": issue_id, "article_id": a["article_id"], "position": i,
         "title": a["title"], "summary": a["summary"]}
        for i, a in enumerate(items)])
    conn.execute(update(candidates).where(candidates.c.id.in_([a["candidate_id"] for a in items]))
                 .values(state=CandidateState.PUBLISHED.value, issue_id=issue_id))
    # The kept 答题 questions about these articles go out with the issue.
    quiz.bind_to_issue(conn, col.id, issue_id, [a["article_id"] for a in items])
    # A 编者按 belongs to one issue: the next one starts without it (a note about this
    # week's articles must not go out again with next week's).
    conn.execute(update(columns).where(columns.c.id == col.id).values(editor_note=""))
    reflections.bind(conn, col.id, issue_id)        # its 学习心得选登
    bump(conn)
    queue_people(conn, issue_id, col.id, column_apps(conn, col.id), now)
    # And one per enabled chat target of the column (a group robot or a webhook).
    conn.execute(deliveries.insert().from_select(TARGET_COLUMNS,
                                                 target_rows(issue_id, col.id, now)))
    log.info("issue published", extra={"column_id": col.id, "issue_id": issue_id,
                                       "number": number, "items": len(items)})
    return issue_id


def issue_view(conn: Connection, issue_id: int, base_url: str) -> IssueView:
    """The issue as the renderers (mail, Atom, web) see it."""
    row = conn.execute(select(issues, columns.c.slug, columns.c.name.label("column_name"))
                       .join(columns, columns.c.id == issues.c.column_id)
                       .where(issues.c.id == issue_id)).one()
    items = []
    for a in conn.execute(
            select(articles.c.id, articles.c.title, articles.c.url, articles.c.text,
                   articles.c.published_at, articles.c.source_name,
                   sources.c.name.label("outlet"),
                   issue_items.c.title.label("item_title"),
                   issue_items.c.summary.label("item_summary"))
            .join(issue_items, issue_items.c.article_id == articles.c.id)
            .outerjoin(sources, sources.c.id == articles.c.source_id)
            .where(issue_items.c.issue_id == issue_id).order_by(issue_items.c.position)):
        # The editor's title and summary for the column win over the article's own.
        items.append(IssueItemView(
            # The article as part of this issue: the page then offers the way back,
            # 下一篇 and the reader's progress, and a confirmation counts for the issue.
            title=a.item_title or a.title, web_url=f"{base_url}/a/{a.id}?i={issue_id}",
            original_url=a.url,
            source_name=a.source_name or a.outlet or "", published=a.published_at,
            summary=a.item_summary or summary_of(a.text), original_title=a.title))
    return IssueView(
        column_name=row.column_name, column_slug=row.slug, number=row.number, title=row.title,
        editor_note=row.editor_note, web_url=f"{base_url}/c/{row.slug}/{row.number}",
        published_at=row.published_at, items=tuple(items),
        reflections=tuple(reflections.featured(conn, issue_id)))


def draft_view(conn: Connection, column_id: int, base_url: str, now: datetime) -> IssueView:
    """The column's next issue as the renderers would see it if it were published now
    (the approved items in their order, the current 编者按, the next number): what the
    preview draws every channel from. Its web links are those the issue will have."""
    col = column_row(conn, column_id)
    number = (conn.execute(select(func.max(issues.c.number))
                           .where(issues.c.column_id == column_id)).scalar() or 0) + 1
    items = tuple(
        IssueItemView(title=a["title"] or a["article_title"],
                      web_url=f"{base_url}/a/{a['article_id']}", original_url=a["url"],
                      source_name=a["outlet"], published=a["published_at"],
                      summary=a["summary"] or summary_of(a["article_text"] or ""),
                      original_title=a["article_title"])
        for a in approved_in_order(conn, column_id))
    return IssueView(column_name=col.name, column_slug=col.slug, number=number,
                     title=issue_title(col.name, number), editor_note=col.editor_note or "",
                     web_url=f"{base_url}/c/{col.slug}/{number}", published_at=now,
                     items=items, reflections=tuple(reflections.waiting(conn, column_id)))
