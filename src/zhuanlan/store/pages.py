"""Queries of sources as work (polled when due) and of pages (an entry of a source's
list, fetched and extracted once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from zhuanlan.model import PageState
from zhuanlan.store.claims import claim, release_values, still_held
from zhuanlan.store.schema import pages, sources
from zhuanlan.store.upsert import insert_ignore


def claim_due_sources(conn: Connection, *, now: datetime, limit: int, worker: str,
                      lease_seconds: float) -> list[Row]:
    return claim(conn, sources, (sources.c.enabled.is_(True)) & (sources.c.next_poll_at <= now),
                 order_by=[sources.c.next_poll_at, sources.c.id], limit=limit, worker=worker,
                 lease_seconds=lease_seconds, now=now)


def record_poll(conn: Connection, source_id: int, worker: str, **values: Any) -> None:
    """A poll's outcome on the source's row (and its release), if still ours."""
    conn.execute(update(sources).where(still_held(sources, source_id, worker))
                 .values(**values, **release_values()))


def unknown(conn: Connection, rows: list[dict]) -> list[dict]:
    """The page rows whose URL is not yet a page."""
    urls = [r["url"] for r in rows]
    known: set[str] = set()
    for i in range(0, len(urls), 500):
        known.update(conn.execute(select(pages.c.url)
                                  .where(pages.c.url.in_(urls[i:i + 500]))).scalars())
    return [r for r in rows if r["url"] not in known]


def queue_pages(conn: Connection, rows: list[dict]) -> int:
    """New pages (a URL already a page is skipped); returns how many were queued."""
    return insert_ignore(conn, pages, rows, ["url"])


def claim_due_pages(conn: Connection, *, now: datetime, limit: int, worker: str,
                    lease_seconds: float) -> list[Row]:
    return claim(conn, pages, (pages.c.state == PageState.PENDING.value)
                 & (pages.c.next_attempt_at <= now),
                 order_by=[pages.c.next_attempt_at, pages.c.id], limit=limit,
                 worker=worker, lease_seconds=lease_seconds, now=now)


def source_rows(conn: Connection, source_ids: set[int]) -> list[Row]:
    return list(conn.execute(select(sources).where(sources.c.id.in_(source_ids))).all())


def record_page(conn: Connection, page_id: int, worker: str, **values: Any) -> None:
    """A page's outcome (and its release), if still ours."""
    conn.execute(update(pages).where(still_held(pages, page_id, worker))
                 .values(**values, **release_values()))


def kept_pages(conn: Connection, *, after_id: int, limit: int,
               source_id: int | None = None) -> list[Row]:
    """Pages done with their bytes kept and an article, by id (for re-extraction)."""
    query = (select(pages.c.id, pages.c.final_url, pages.c.url, pages.c.encoding,
                    pages.c.content_gz, pages.c.article_id, pages.c.entry_title,
                    pages.c.entry_published)
             .where(pages.c.state == PageState.DONE.value, pages.c.content_gz.is_not(None),
                    pages.c.article_id.is_not(None), pages.c.id > after_id)
             .order_by(pages.c.id).limit(limit))
    if source_id is not None:
        query = query.where(pages.c.source_id == source_id)
    return list(conn.execute(query).all())
