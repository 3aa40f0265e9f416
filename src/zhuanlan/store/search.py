"""The SQL of full-text search (what is indexed and the query language:
``zhuanlan.search.query``): the FTS5 table on SQLite, the tsvector table on PostgreSQL,
indexing, searching and the outlets to filter by.

Both tables are made by migration 0009 (the articles already stored are indexed by
``store.migrate.catch_up``); they are not in ``schema.py`` (``include_object`` keeps
autogenerate from proposing to drop them).

Visibility: anonymous readers find only articles published in some issue; staff
(``staff=True``) find every article. A column filter means "published in an issue of
that column".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import ColumnElement, Connection, and_, exists, func, literal_column, select, text
from sqlalchemy.sql import column as sql_column
from sqlalchemy.sql import table as sql_table

from zhuanlan.search.query import (
    SearchQuery,
    SearchQueryError,
    fts5_match,
    parse_query,
    segment,
    tsquery_text,
)
from zhuanlan.search.snippets import Marked, mark_all, snippet
from zhuanlan.store.schema import articles, issue_items, issues, sources

__all__ = ["index_article", "remove_article", "reindex", "search", "parse_query",
           "segment", "day_bounds", "facets", "SearchPage", "SearchHit", "SearchQuery",
           "SearchQueryError", "include_object", "is_search_object", "search_schema_present",
           "MAX_LIMIT", "MAX_OFFSET"]

MAX_LIMIT = 50
MAX_OFFSET = 1000

FTS_TABLE = "article_fts"
PG_TABLE = "article_search"
# bm25() weights of the FTS5 columns title, body, parts.
FTS_WEIGHTS = (3.0, 1.0, 0.3)


_fts = sql_table(FTS_TABLE, sql_column("rowid"))
_pg = sql_table(PG_TABLE, sql_column("article_id"), sql_column("tsv"))


# -- schema helpers --------------------------------------------------------------------

def is_search_object(name: str | None, type_: str) -> bool:
    """Whether a reflected object is one of search's own (not declared in schema.py)."""
    if not name:
        return False
    if type_ == "table":
        return name == PG_TABLE or name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    if type_ == "index":
        return name.startswith("ix_" + PG_TABLE)
    return False


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object`` hook: leave the search tables (FTS5 and its shadow
    tables on SQLite, ``article_search`` on PostgreSQL) out of autogenerate."""
    return not (reflected and compare_to is None and is_search_object(name, type_))


def search_schema_present(conn: Connection) -> bool:
    if conn.dialect.name == "postgresql":
        return conn.execute(text(f"SELECT to_regclass('{PG_TABLE}')")).scalar() is not None
    return conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"),
                        {"n": FTS_TABLE}).scalar() is not None


# -- indexing --------------------------------------------------------------------------

def index_article(conn: Connection, article_id: int, title: str, text_: str) -> bool:
    """Write (or rewrite) the search row of an article, in the caller's transaction.

    Returns False, and writes nothing, when the store has no search tables yet (a
    store migrated only to a revision before 0009: the migration indexes every
    article when it runs)."""
    if not search_schema_present(conn):
        return False
    _write(conn, article_id, title, text_)
    return True


def _write(conn: Connection, article_id: int, title: str, text_: str) -> None:
    t, b, p = segment(title, text_)
    if conn.dialect.name == "postgresql":
        conn.execute(text(
            f"INSERT INTO {PG_TABLE} (article_id, tsv) VALUES (:id, "
            "setweight(to_tsvector('simple', :t), 'A') || "
            "setweight(to_tsvector('simple', :b), 'B') || "
            "setweight(to_tsvector('simple', :p), 'C')) "
            "ON CONFLICT (article_id) DO UPDATE SET tsv = excluded.tsv"),
            {"id": article_id, "t": t, "b": b, "p": p})
    else:
        conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": article_id})
        conn.execute(text(f"INSERT INTO {FTS_TABLE} (rowid, title, body, parts) "
                          "VALUES (:id, :t, :b, :p)"), {"id": article_id, "t": t, "b": b, "p": p})


def remove_article(conn: Connection, article_id: int) -> None:
    """Drop an article's search row (PostgreSQL does it by cascade on delete)."""
    if not search_schema_present(conn):
        return
    table = PG_TABLE if conn.dialect.name == "postgresql" else FTS_TABLE
    key = "article_id" if conn.dialect.name == "postgresql" else "rowid"
    conn.execute(text(f"DELETE FROM {table} WHERE {key} = :id"), {"id": article_id})


def reindex(conn: Connection, *, batch: int = 500, only_missing: bool = False,
            progress=None) -> int:
    """Index every article (or those without a search row), in batches of ``batch``
    by id. Returns how many were indexed. Used by migration 0009's backfill."""
    done, last = 0, 0
    while True:
        q = (select(articles.c.id, articles.c.title, articles.c.text)
             .where(articles.c.id > last).order_by(articles.c.id).limit(batch))
        if only_missing:
            q = q.where(~_indexed(articles.c.id, conn.dialect.name))
        rows = conn.execute(q).all()
        if not rows:
            return done
        for r in rows:
            _write(conn, r.id, r.title, r.text)
        done += len(rows)
        last = rows[-1].id
        if progress:
            progress(done)


def _indexed(article_id_col, dialect: str):
    if dialect == "postgresql":
        return exists().where(_pg.c.article_id == article_id_col)
    return exists().where(_fts.c.rowid == article_id_col)


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    title: str
    outlet: str | None
    published_at: datetime | None
    snippet: Marked              # the text around the first hit, with the hits' spans
    marked_title: Marked
    source_name: str | None = None

    def __getitem__(self, key: str):
        return getattr(self, key)


@dataclass(frozen=True)
class SearchPage:
    total: int
    hits: list[SearchHit]
    query: SearchQuery | None = None
    limit: int = 20
    offset: int = 0
    staff: bool = False
    terms: tuple[str, ...] = field(default=())

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, MAX_OFFSET + self.limit) // self.limit))


def _as_utc(value: datetime | date | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to search; use aware datetimes")
        return value
    return datetime.combine(value, time(), tzinfo=UTC)


def day_bounds(since: date | datetime | None, until: date | datetime | None,
               tz: str) -> tuple[datetime | None, datetime | None]:
    """Dates of the reader (days in ``tz``, both inclusive) as the [since, until) times
    :func:`search` takes; datetimes pass through."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    if isinstance(since, date) and not isinstance(since, datetime):
        since = datetime.combine(since, time(), tzinfo=zone)
    if isinstance(until, date) and not isinstance(until, datetime):
        until = datetime.combine(until + timedelta(days=1), time(), tzinfo=zone)
    return since, until


def search(conn: Connection, query: str | SearchQuery, *, column_id: int | None = None,
           outlet: str | None = None, since: datetime | date | None = None,
           until: datetime | date | None = None, limit: int = 20, offset: int = 0,
           staff: bool = False) -> SearchPage:
    """Ranked articles matching ``query`` (module doc), with highlighted snippets.

    ``column_id``: published in an issue of that column; ``outlet``: the source's name
    (what the reader shows as the outlet); ``since`` (inclusive) / ``until``
    (exclusive): publish time (a date means midnight UTC). Anonymous readers
    (``staff=False``) only find articles published in some issue. ``limit`` is capped
    at :data:`MAX_LIMIT`, ``offset`` at :data:`MAX_OFFSET`. Raises SearchQueryError."""
    q = query if isinstance(query, SearchQuery) else parse_query(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    pg = conn.dialect.name == "postgresql"

    a = articles
    conds: list[ColumnElement[bool]] = []
    if pg:
        tsq = func.to_tsquery(literal_column("'simple'"), tsquery_text(q))
        src = _pg.join(a, a.c.id == _pg.c.article_id)
        conds.append(_pg.c.tsv.op("@@")(tsq))
        rank = func.ts_rank_cd(_pg.c.tsv, tsq, 1)
        order = [rank.desc()]
    else:
        src = _fts.join(a, a.c.id == _fts.c.rowid)
        conds.append(literal_column(FTS_TABLE).op("MATCH")(fts5_match(q)))
        rank = func.bm25(literal_column(FTS_TABLE), *FTS_WEIGHTS)
        order = [rank.asc()]
    order += [a.c.published_at.desc(), a.c.id.desc()]
    src = src.outerjoin(sources, sources.c.id == a.c.source_id)

    if not staff:
        conds.append(exists().where(issue_items.c.article_id == a.c.id))
    if column_id is not None:
        conds.append(exists().where(issue_items.c.article_id == a.c.id,
                                    issues.c.id == issue_items.c.issue_id,
                                    issues.c.column_id == column_id))
    if outlet:
        conds.append(sources.c.name == outlet)
    since, until = _as_utc(since), _as_utc(until)
    if since is not None:
        conds.append(a.c.published_at >= since)
    if until is not None:
        conds.append(a.c.published_at < until)
    where = and_(*conds)

    total = conn.execute(select(func.count()).select_from(src).where(where)).scalar() or 0
    rows = conn.execute(
        select(a.c.id, a.c.title, a.c.text, a.c.published_at, a.c.source_name,
               sources.c.name.label("outlet"))
        .select_from(src).where(where).order_by(*order).limit(limit).offset(offset)).all()
    hits = [SearchHit(article_id=r.id, title=r.title, outlet=r.outlet,
                      published_at=r.published_at, source_name=r.source_name,
                      snippet=snippet(r.text, q.highlight),
                      marked_title=mark_all(r.title, q.highlight)) for r in rows]
    return SearchPage(total=int(total), hits=hits, query=q, limit=limit, offset=offset,
                      staff=staff, terms=q.highlight)


def facets(conn: Connection, *, staff: bool = False) -> list[str]:
    """The outlets (source names) that have searchable articles, for the filter."""
    q = (select(sources.c.name).distinct()
         .select_from(sources.join(articles, articles.c.source_id == sources.c.id)))
    if not staff:
        q = q.where(exists().where(issue_items.c.article_id == articles.c.id))
    return sorted(n for n in conn.execute(q).scalars() if n)


