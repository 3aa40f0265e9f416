"""Who may see an article: staff see every article; readers (anonymous or known by their
personal link) see the articles published in an issue, and their pictures. Anonymous
search applies the same rule (``store.search``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, select, tuple_
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


def visible_articles(conn: Connection, article_ids: Iterable[int], *, staff: bool) -> set[int]:
    """Those of the articles the visitor may see (``article_visible`` for many at once)."""
    column = articles.c.id if staff else issue_items.c.article_id
    ids, found = sorted(set(article_ids)), set[int]()
    for i in range(0, len(ids), 500):
        found.update(conn.execute(select(column).distinct()
                                  .where(column.in_(ids[i:i + 500]))).scalars())
    return found


def carried(conn: Connection, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Those (issue id, article id) pairs whose issue has the article among its items."""
    keys, found = sorted(set(pairs)), set[tuple[int, int]]()
    for i in range(0, len(keys), 400):
        found.update((r.issue_id, r.article_id) for r in conn.execute(
            select(issue_items.c.issue_id, issue_items.c.article_id)
            .where(tuple_(issue_items.c.issue_id, issue_items.c.article_id)
                   .in_(keys[i:i + 400]))))
    return found


def image_visible(conn: Connection, image_id: int, *, staff: bool) -> bool:
    article_id = conn.execute(select(images.c.article_id)
                              .where(images.c.id == image_id)).scalar()
    return article_id is not None and article_visible(conn, article_id, staff=staff)
