"""The generation of what readers' shared pages show: bumped in the transaction of every
write that changes an article page, an issue or a column as readers see them, read by
each process's page cache (``app.page_cache``) to know when to drop what it rendered.
The write and the bump commit together, so no process can keep a page older than a
committed change past its next check."""

from __future__ import annotations

from sqlalchemy import Connection, exists, insert, select, update

from zhuanlan.store.schema import articles, issue_items, page_generation


def bump(conn: Connection) -> None:
    """Readers' pages changed in this transaction."""
    done = conn.execute(update(page_generation).where(page_generation.c.id == 1)
                        .values(generation=page_generation.c.generation + 1)
                        .returning(page_generation.c.id)).first()
    if done is None:          # a store made before the row existed
        conn.execute(insert(page_generation).values(id=1, generation=1))


def current(conn: Connection) -> int:
    return conn.execute(select(page_generation.c.generation)
                        .where(page_generation.c.id == 1)).scalar() or 0


def bump_if_shown(conn: Connection, article_ids: list[int]) -> None:
    """Bump when one of the articles is published (in an issue): the worker's writes to
    articles nobody reads yet leave the readers' pages cached."""
    if article_ids and conn.execute(select(exists().where(
            issue_items.c.article_id.in_(article_ids)))).scalar():
        bump(conn)


def bump_if_story_shown(conn: Connection, story_id: int | None) -> None:
    """Bump when the story has a published copy: its page lists the story's others."""
    if story_id is not None and conn.execute(select(exists().where(
            articles.c.story_id == story_id,
            articles.c.id.in_(select(issue_items.c.article_id))))).scalar():
        bump(conn)
