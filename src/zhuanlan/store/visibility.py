"""Who may see an article: staff see every article; readers (anonymous or known by their
personal link) see the articles published in an issue, and their pictures. Anonymous
search applies the same rule (``store.search``)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.engine import Connection

from zhuanlan.store.schema import articles, images, issue_items


def article_visible(conn: Connection, article_id: int, *, staff: bool) -> bool:
    if staff:
        return bool(conn.execute(select(exists().where(articles.c.id == article_id))).scalar())
    return bool(conn.execute(select(exists().where(issue_items.c.article_id == article_id))).scalar())


def issue_carries(conn: Connection, issue_id: int, article_id: int) -> bool:
    """Whether the issue has the article among its items."""
    return bool(conn.execute(select(exists().where(issue_items.c.issue_id == issue_id,
                                                   issue_items.c.article_id == article_id))).scalar())


def image_visible(conn: Connection, image_id: int, *, staff: bool) -> bool:
    article_id = conn.execute(select(images.c.article_id)
                              .where(images.c.id == image_id)).scalar()
    return article_id is not None and article_visible(conn, article_id, staff=staff)
