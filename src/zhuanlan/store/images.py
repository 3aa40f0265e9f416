"""Queries of article pictures: recorded with their article, claimed by the worker,
their outcome recorded, and read back for the article page and ``/img/{id}``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, select, update

from zhuanlan.store.claims import claim, still_held
from zhuanlan.store.page_generation import bump_if_shown
from zhuanlan.store.schema import articles, images

PENDING, FETCHED, FAILED, TOO_LARGE = "pending", "fetched", "failed", "too_large"


def insert_images(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(images.insert(), rows)
        bump_if_shown(conn, sorted({r["article_id"] for r in rows}))


def claim_due(conn: Connection, *, now: datetime, limit: int, worker: str,
              lease_seconds: float) -> list[Row]:
    return claim(conn, images, (images.c.state == PENDING) & (images.c.next_attempt_at <= now),
                 order_by=[images.c.next_attempt_at, images.c.id], limit=limit,
                 worker=worker, lease_seconds=lease_seconds, now=now)


def article_urls(conn: Connection, article_ids: set[int]) -> dict[int, str]:
    """Each article's page URL (the Referer its pictures are fetched with)."""
    return dict(conn.execute(select(articles.c.id, articles.c.url)
                             .where(articles.c.id.in_(article_ids))).all())


def fetched_with_urls(conn: Connection, urls: set[str]) -> list[Row]:
    """Pictures already fetched from these URLs (for other articles)."""
    return list(conn.execute(select(images).where(images.c.state == FETCHED,
                                                  images.c.source_url.in_(urls))))


def record_outcome(conn: Connection, image_id: int, worker: str, **values) -> None:
    """The fetch's outcome, if the row is still this worker's."""
    conn.execute(update(images).where(still_held(images, image_id, worker)).values(**values))
    bump_if_shown(conn, list(conn.execute(select(images.c.article_id)
                                          .where(images.c.id == image_id)).scalars()))


def shown(conn: Connection, article_id: int) -> list[Row]:
    """The article's fetched pictures in their order (id, caption, width, height)."""
    return list(conn.execute(
        select(images.c.id, images.c.caption, images.c.width, images.c.height)
        .where(images.c.article_id == article_id, images.c.state == FETCHED)
        .order_by(images.c.position)))


def file_of(conn: Connection, image_id: int) -> Row | None:
    """A picture's state, SHA-256, MIME type and size, or None."""
    return conn.execute(select(images.c.state, images.c.sha256, images.c.mime, images.c.size)
                        .where(images.c.id == image_id)).first()
