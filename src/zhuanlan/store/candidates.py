"""Queries of candidates: the review queue of a column and the editor's decisions."""

from __future__ import annotations

from sqlalchemy import Connection, func, select, update

from zhuanlan.store.schema import articles, candidates, columns, sources
from zhuanlan.store.upsert import insert_ignore


def queue(conn: Connection, column_id: int, state: str | None) -> list[dict]:
    """The column's candidates (in ``state``, or all) with their article, by score."""
    query = (select(candidates.c.id, candidates.c.state, candidates.c.score,
                    candidates.c.terms, candidates.c.reason, candidates.c.created_at,
                    candidates.c.decided_at, candidates.c.decided_by,
                    candidates.c.title_override, candidates.c.summary_override,
                    candidates.c.position, candidates.c.story_id,
                    articles.c.id.label("article_id"), articles.c.title, articles.c.url,
                    articles.c.published_at, articles.c.source_name, articles.c.text,
                    sources.c.name.label("outlet"))
             .join(articles, articles.c.id == candidates.c.article_id)
             .outerjoin(sources, sources.c.id == articles.c.source_id)
             .where(candidates.c.column_id == column_id)
             .order_by(candidates.c.score.desc(), candidates.c.id))
    if state:
        query = query.where(candidates.c.state == state)
    return [dict(r) for r in conn.execute(query).mappings()]


def state_counts(conn: Connection, column_id: int) -> dict[str, int]:
    return dict(conn.execute(select(candidates.c.state, func.count())
                             .where(candidates.c.column_id == column_id)
                             .group_by(candidates.c.state)).all())


def for_decision(conn: Connection, candidate_id: int):  # noqa: ANN201
    """The candidate's state, score, column and article text, or None."""
    return conn.execute(
        select(candidates.c.state, candidates.c.score, candidates.c.column_id,
               columns.c.slug, articles.c.title, articles.c.text,
               sources.c.name.label("outlet"))
        .join(articles, articles.c.id == candidates.c.article_id)
        .join(columns, columns.c.id == candidates.c.column_id)
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(candidates.c.id == candidate_id)).first()


def update_candidate(conn: Connection, candidate_id: int, **values) -> None:  # noqa: ANN003
    conn.execute(update(candidates).where(candidates.c.id == candidate_id).values(**values))


def columns_to_offer(conn: Connection, column_ids: list[int] | None = None) -> list:
    """The columns (all, or these) a new article is checked against."""
    query = select(columns)
    if column_ids is not None:
        query = query.where(columns.c.id.in_(column_ids))
    return conn.execute(query).all()


def outlet_name(conn: Connection, source_id: int | None) -> str | None:
    return conn.execute(select(sources.c.name).where(sources.c.id == source_id)).scalar()


def insert_candidates(conn: Connection, rows: list[dict]) -> int:
    """New candidates; one colliding on (column, article) or (column, story) is skipped
    (no conflict target: either key alike). Returns how many were inserted."""
    return insert_ignore(conn, candidates, rows)
