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
