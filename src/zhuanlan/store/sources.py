"""Queries of sources."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select, update

from zhuanlan.errors import NotFoundError
from zhuanlan.store.db import inserted_id
from zhuanlan.store.schema import articles, sources


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


def make_due(conn: Connection, source_id: int, now: datetime) -> None:
    update_source(conn, source_id, next_poll_at=now)


def known_presets(conn: Connection) -> set[str]:
    return set(conn.execute(select(sources.c.preset).where(sources.c.preset.is_not(None)))
               .scalars())


def source_id_by_preset(conn: Connection, preset: str) -> int | None:
    return conn.execute(select(sources.c.id).where(sources.c.preset == preset)).scalar()
