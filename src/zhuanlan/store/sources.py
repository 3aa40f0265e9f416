"""Queries of sources."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update

from zhuanlan.errors import NotFoundError
from zhuanlan.store.db import inserted_id
from zhuanlan.store.page_generation import bump
from zhuanlan.store.schema import (
    articles,
    candidates,
    issue_items,
    pages,
    sources,
    stories,
)


def source_id_by_url(conn: Connection, url: str) -> int | None:
    return conn.execute(select(sources.c.id).where(sources.c.url == url)).scalar()


def insert_source(conn: Connection, **values) -> int:
    return inserted_id(conn.execute(sources.insert().values(**values)))


def source_rows(conn: Connection) -> list[dict]:
    """Every source with its ``article_count``, by id."""
    rows = conn.execute(select(sources).order_by(sources.c.id)).mappings().all()
    counts: dict[int, int] = dict(conn.execute(
        select(articles.c.source_id, func.count()).group_by(articles.c.source_id)).all())
    return [dict(r, article_count=counts.get(r["id"], 0)) for r in rows]


def source_row(conn: Connection, source_id: int):
    """The source's row (attribute access). Raises NotFoundError."""
    row = conn.execute(select(sources).where(sources.c.id == source_id)).first()
    if row is None:
        raise NotFoundError("没有这个信息源", resource=f"source {source_id}")
    return row


def update_source(conn: Connection, source_id: int, **values) -> None:
    conn.execute(update(sources).where(sources.c.id == source_id).values(**values))
    if "name" in values:        # readers' pages name the outlet
        bump(conn)


def make_due(conn: Connection, source_id: int, now: datetime) -> None:
    update_source(conn, source_id, next_poll_at=now)


def known_presets(conn: Connection) -> set[str]:
    return set(conn.execute(select(sources.c.preset).where(sources.c.preset.is_not(None)))
               .scalars())


def source_id_by_preset(conn: Connection, preset: str) -> int | None:
    return conn.execute(select(sources.c.id).where(sources.c.preset == preset)).scalar()


# -- deleting a source -----------------------------------------------------------------
#
# The schema says what a source's deletion keeps: its fetch history (``pages``) goes with
# it (ON DELETE CASCADE), its articles outlive it (``articles.source_id`` ON DELETE SET
# NULL). An article in a published issue stays — readers have that issue — and keeps its
# outlet's name (``source_name``); the source's other articles go, and with them the
# candidates still waiting on the desk (待审, and 已通过 not yet published), so nothing of
# a deleted source reaches a future issue.

def _in_issues():
    return select(issue_items.c.article_id)


def deletion_counts(conn: Connection, source_id: int) -> dict[str, int]:
    """What deleting the source would do: ``articles`` it brought, ``kept`` (in a
    published issue), ``deleted`` (the others), ``pending`` and ``approved`` candidates
    withdrawn from the desk, ``pages`` of fetch history."""
    mine = select(articles.c.id).where(articles.c.source_id == source_id)
    total = conn.execute(select(func.count()).select_from(articles)
                         .where(articles.c.source_id == source_id)).scalar() or 0
    kept = conn.execute(select(func.count()).select_from(articles).where(
        articles.c.source_id == source_id, articles.c.id.in_(_in_issues()))).scalar() or 0
    waiting: dict[str, int] = dict(conn.execute(
        select(candidates.c.state, func.count()).where(
            candidates.c.article_id.in_(mine), candidates.c.issue_id.is_(None),
            candidates.c.state.in_(("pending", "approved")))
        .group_by(candidates.c.state)).all())
    page_count = conn.execute(select(func.count()).select_from(pages)
                              .where(pages.c.source_id == source_id)).scalar() or 0
    return {"articles": total, "kept": kept, "deleted": total - kept,
            "pending": waiting.get("pending", 0), "approved": waiting.get("approved", 0),
            "pages": page_count}


def delete_source(conn: Connection, source_id: int, now: datetime) -> dict[str, int]:
    """Delete the source as :func:`deletion_counts` says, in the caller's transaction;
    returns those counts. Raises NotFoundError."""
    from zhuanlan.store.corpus import count_article
    from zhuanlan.store.search import remove_article
    from zhuanlan.store.stories import refresh_story

    source_row(conn, source_id)
    counts = deletion_counts(conn, source_id)
    mine = select(articles.c.id).where(articles.c.source_id == source_id)
    conn.execute(delete(candidates).where(
        candidates.c.article_id.in_(mine), candidates.c.issue_id.is_(None),
        candidates.c.state.in_(("pending", "approved"))))
    doomed = conn.execute(select(articles.c.id, articles.c.title, articles.c.text,
                                 articles.c.story_id).where(
        articles.c.source_id == source_id, articles.c.id.not_in(_in_issues()))).all()
    ids = [r.id for r in doomed]
    for r in doomed:
        count_article(conn, r.title, r.text, sign=-1)
        remove_article(conn, r.id)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        # A story whose representative goes picks another copy below (refresh_story).
        conn.execute(update(stories).where(stories.c.representative_id.in_(chunk))
                     .values(representative_id=None))
        conn.execute(delete(articles).where(articles.c.id.in_(chunk)))
    for story_id in sorted({r.story_id for r in doomed if r.story_id is not None}):
        if refresh_story(conn, story_id, now) is None:
            conn.execute(delete(stories).where(stories.c.id == story_id))
    conn.execute(delete(sources).where(sources.c.id == source_id))
    bump(conn)                  # published copies listed its articles among their others
    return counts
