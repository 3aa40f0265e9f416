"""Queries of articles."""

from __future__ import annotations

from sqlalchemy import Connection, or_, select, update

from zhuanlan.errors import NotFoundError
from zhuanlan.store.db import inserted_id
from zhuanlan.store.page_generation import bump_if_shown
from zhuanlan.store.schema import articles, sources, stories


def article_with_outlet(conn: Connection, article_id: int) -> dict:
    """The article's row with its source's name as ``outlet``. Raises NotFoundError."""
    row = conn.execute(
        select(articles, sources.c.name.label("outlet"))
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(articles.c.id == article_id)).mappings().first()
    if row is None:
        raise NotFoundError("没有这篇文章", resource=f"article {article_id}")
    return dict(row)


# The article's columns the reader's page needs: not the originals nor the signature.
_PAGE_COLUMNS = [c for c in articles.c if c.name not in ("text_orig", "title_orig", "signature")]


def article_for_page(conn: Connection, article_id: int) -> dict:
    """The article as the reader's page shows it, with ``outlet``. Raises NotFoundError."""
    row = conn.execute(
        select(*_PAGE_COLUMNS, sources.c.name.label("outlet"))
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(articles.c.id == article_id)).mappings().first()
    if row is None:
        raise NotFoundError("没有这篇文章", resource=f"article {article_id}")
    return dict(row)


def existing_id(conn: Connection, canonical_url: str, content_hash: str) -> int | None:
    """The article with this canonical URL or this content, if stored already."""
    return conn.execute(select(articles.c.id).where(or_(
        articles.c.canonical_url == canonical_url,
        articles.c.content_hash == content_hash))).scalar()


def insert_article(conn: Connection, **values) -> int:
    return inserted_id(conn.execute(articles.insert().values(**values)))


def update_article(conn: Connection, article_id: int, **values) -> None:
    conn.execute(update(articles).where(articles.c.id == article_id).values(**values))
    bump_if_shown(conn, [article_id])


def for_offer(conn: Connection, article_id: int):
    """title, text, published_at, source_id, story_id of the article, or None."""
    return conn.execute(select(articles.c.title, articles.c.text, articles.c.published_at,
                               articles.c.source_id, articles.c.story_id)
                        .where(articles.c.id == article_id)).first()


def title_and_text(conn: Connection, article_id: int):
    return conn.execute(select(articles.c.title, articles.c.text)
                        .where(articles.c.id == article_id)).first()


def recent_for_selection(conn: Connection, since, limit: int) -> list:
    """The stored articles created since ``since``, newest first, at most ``limit``: one
    per story (its representative) and those in no story, each with its ``outlet`` —
    what a column made now would have been offered."""
    query = (select(articles.c.id, articles.c.title, articles.c.text, articles.c.url,
                    articles.c.published_at, articles.c.source_id, articles.c.story_id,
                    articles.c.created_at,
                    sources.c.name.label("outlet"), articles.c.source_name)
             .outerjoin(sources, sources.c.id == articles.c.source_id)
             .outerjoin(stories, stories.c.id == articles.c.story_id)
             .where(articles.c.created_at >= since,
                    or_(articles.c.story_id.is_(None), stories.c.representative_id.is_(None),
                        stories.c.representative_id == articles.c.id))
             .order_by(articles.c.created_at.desc(), articles.c.id.desc())
             .limit(limit))
    return list(conn.execute(query).all())
