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
                    articles.c.flags, sources.c.name.label("outlet"))
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


def for_decision(conn: Connection, candidate_id: int):
    """The candidate's state (with who decided when, and its place in the next issue),
    score, column, the editor's title and the article's title and text, or None."""
    return conn.execute(
        select(candidates.c.state, candidates.c.score, candidates.c.column_id,
               candidates.c.decided_at, candidates.c.decided_by, candidates.c.position,
               candidates.c.title_override,
               columns.c.slug, articles.c.title, articles.c.text,
               sources.c.name.label("outlet"))
        .join(articles, articles.c.id == candidates.c.article_id)
        .join(columns, columns.c.id == candidates.c.column_id)
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(candidates.c.id == candidate_id)).first()


def update_candidate(conn: Connection, candidate_id: int, **values) -> None:
    conn.execute(update(candidates).where(candidates.c.id == candidate_id).values(**values))


def columns_to_offer(conn: Connection, column_ids: list[int] | None = None) -> list:
    """The columns (all, or these) a new article is checked against: archived columns
    are offered nothing."""
    query = select(columns).where(columns.c.archived_at.is_(None))
    if column_ids is not None:
        query = query.where(columns.c.id.in_(column_ids))
    return list(conn.execute(query).all())


def outlet_name(conn: Connection, source_id: int | None) -> str | None:
    return conn.execute(select(sources.c.name).where(sources.c.id == source_id)).scalar()


def insert_candidates(conn: Connection, rows: list[dict]) -> int:
    """New candidates; one colliding on (column, article) or (column, story) is skipped
    (no conflict target: either key alike). Returns how many were inserted."""
    return insert_ignore(conn, candidates, rows)


def outlets(conn: Connection, column_id: int) -> list[str]:
    """The outlets that have candidates in the column."""
    names = conn.execute(
        select(func.coalesce(sources.c.name, articles.c.source_name)).distinct()
        .select_from(candidates)
        .join(articles, articles.c.id == candidates.c.article_id)
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(candidates.c.column_id == column_id)).scalars().all()
    return sorted(n for n in names if n)


def story_sizes(conn: Connection, story_ids: set[int]) -> dict[int, int]:
    return dict(conn.execute(
        select(articles.c.story_id, func.count()).where(
            articles.c.story_id.in_(story_ids)).group_by(articles.c.story_id)).all())


def detail(conn: Connection, candidate_id: int) -> dict | None:
    """The candidate with its column, article and outlet, or None."""
    row = conn.execute(
        select(candidates.c.id, candidates.c.state, candidates.c.score,
               candidates.c.terms, candidates.c.reason, candidates.c.created_at,
               candidates.c.decided_at, candidates.c.decided_by,
               candidates.c.title_override, candidates.c.summary_override,
               candidates.c.position, candidates.c.issue_id, candidates.c.story_id,
               columns.c.slug.label("column_slug"), columns.c.id.label("column_id"),
               articles.c.id.label("article_id"), articles.c.title, articles.c.url,
               articles.c.text, articles.c.published_at, articles.c.source_name,
               articles.c.author, articles.c.flags, sources.c.name.label("outlet"))
        .join(columns, columns.c.id == candidates.c.column_id)
        .join(articles, articles.c.id == candidates.c.article_id)
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(candidates.c.id == candidate_id)).mappings().first()
    return dict(row) if row else None


def story_of(conn: Connection, candidate_id: int):
    """(story_id, article_id, slug) of the candidate (its own story, else its article's),
    or None."""
    return conn.execute(
        select(func.coalesce(candidates.c.story_id, articles.c.story_id).label("story_id"),
               candidates.c.article_id, columns.c.slug)
        .join(columns, columns.c.id == candidates.c.column_id)
        .join(articles, articles.c.id == candidates.c.article_id)
        .where(candidates.c.id == candidate_id)).first()


def columns_standing_for(conn: Connection, article_id: int, story_id: int) -> list[int]:
    """The columns whose candidate stands for the story through this copy."""
    return [r.column_id for r in conn.execute(
        select(candidates.c.column_id).where(candidates.c.article_id == article_id,
                                             candidates.c.story_id == story_id))]


def state_and_column(conn: Connection, candidate_id: int):
    """(state, column_id, slug) of the candidate, or None."""
    return conn.execute(
        select(candidates.c.state, candidates.c.column_id, columns.c.slug)
        .join(columns, columns.c.id == candidates.c.column_id)
        .where(candidates.c.id == candidate_id)).first()


def set_positions(conn: Connection, order: list[int]) -> None:
    """Every candidate of ``order`` holds its place (written where it changed)."""
    for i, cid in enumerate(order):
        conn.execute(update(candidates).where(candidates.c.id == cid,
                                              candidates.c.position.is_distinct_from(i))
                     .values(position=i))


def positions(conn: Connection, ids: list[int]) -> dict[int, int | None]:
    """id → its place in the next issue's order (None: after the ordered ones)."""
    if not ids:
        return {}
    return dict(conn.execute(select(candidates.c.id, candidates.c.position)
                             .where(candidates.c.id.in_(ids))).all())
