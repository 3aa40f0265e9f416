"""Queries of articles."""

from __future__ import annotations

from sqlalchemy import Connection, select

from zhuanlan.errors import NotFoundError
from zhuanlan.store.schema import articles, sources


def article_with_outlet(conn: Connection, article_id: int) -> dict:
    """The article's row with its source's name as ``outlet``. Raises NotFoundError."""
    row = conn.execute(
        select(articles, sources.c.name.label("outlet"))
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(articles.c.id == article_id)).mappings().first()
    if row is None:
        raise NotFoundError("没有这篇文章", resource=f"article {article_id}")
    return dict(row)
