"""Queries of study records: opens, reading views (visible seconds), 我已学习.

Every write is idempotent — an open makes the reading or only moves the time it was last
seen forward, heartbeats carry the view's running total and only ever raise it — so a
repeated flush, or two web processes writing the same reader, change nothing twice."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Executable,
    Integer,
    String,
    bindparam,
    case,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import sqlite as _sqlite
from sqlalchemy.dialects.postgresql import psycopg as _pg_psycopg

from zhuanlan.store.json_rows import JsonRows, rows_param
from zhuanlan.store.page_generation import bump
from zhuanlan.store.schema import (
    articles,
    columns,
    issue_items,
    issues,
    readings,
)


def write_records(conn, opens: dict, beats: dict) -> None:
    """Write buffered opens ``{(reader key, article id): (subscriber id, issue id, at)}``
    and heartbeats ``{view id: (reader key, article id, seconds, at)}`` in three
    statements (store.json_rows says why not row by row)."""
    sql = _statements(conn.dialect.name)
    # In key order: two processes writing the same readers lock them in one order.
    if opens:
        rows = rows_param(conn.dialect, [[r, a, sub, issue, when] for (r, a), (sub, issue, when)
                                         in sorted(opens.items(), key=lambda o: o[0])])
        conn.execute(sql["opens"], rows)
    if beats:
        rows = rows_param(conn.dialect, [
            [view, r, a, seconds, when] for view, (r, a, seconds, when)
            in sorted(beats.items(), key=lambda b: (b[1][0], b[1][1], b[0]))])
        conn.execute(sql["views"], rows)
        conn.execute(sql["active"], rows)


def confirm_studied(conn, reader_key: str, subscriber_id: int | None, article_id: int,
                    at: datetime, issue_id: int | None = None) -> datetime:
    """Record 我已学习 (not buffered), marked ``quick`` when no reading time was recorded
    before it. Returns when it was first confirmed: confirming again keeps the first time
    (and its mark)."""
    return confirm_many(conn, [(reader_key, subscriber_id, article_id, at, issue_id)])[
        (reader_key, article_id)]


def confirm_many(conn, confirmations: list[tuple[str, int | None, int, datetime, int | None]]
                 ) -> dict[tuple[str, int], datetime]:
    """``confirm_studied`` of many ``(reader key, subscriber id, article id, at, issue
    id)`` in three statements (the group commit of the web processes). Returns when each
    (reader key, article id) was first confirmed."""
    first: dict[tuple[str, int], tuple[int | None, datetime, int | None]] = {}
    for reader, sub, article_id, at, issue_id in confirmations:
        first.setdefault((reader, article_id), (sub, at, issue_id))
    if not first:
        return {}
    sql = _statements(conn.dialect.name)
    rows = rows_param(conn.dialect, [[r, a, sub, issue, at] for (r, a), (sub, at, issue)
                                     in sorted(first.items(), key=lambda f: f[0])])
    conn.execute(sql["reading"], rows)
    conn.execute(sql["studied"], rows)
    return {(r, a): t for r, a, t in conn.execute(sql["first"], rows)}


@cache
def _statements(dialect_name: str) -> dict[str, Executable]:
    """The set-based statements of the record writes, each reading the rows of one JSON
    parameter: opens and confirmations ``[reader, article, subscriber, issue, at]``,
    heartbeats ``[view, reader, article, seconds, at]``. Every lookup goes through the
    unique index (reader, article_id); the query-plan test checks it on SQLite."""
    j = JsonRows(dialect_name)
    f = j.field

    def key(r: int, a: int, t: str) -> str:
        return f"{t}.reader = {f(r, 'text')} AND {t}.article_id = {f(a, 'int')}"

    # A reading for each row unless it has one; the opens and the confirmations differ in
    # what they do to one it has.
    reading = f"""INSERT INTO readings (reader, article_id, subscriber_id, issue_id,
    opened_at, last_seen_at, active_seconds)
SELECT {f(0, 'text')}, {f(1, 'int')}, {f(2, 'int')}, {f(3, 'int')}, {f(4, 'time')},
    {f(4, 'time')}, 0
FROM {j.source} WHERE true
ON CONFLICT (reader, article_id)"""
    statements = {
        # A confirmation's reading: made if it was never opened, otherwise left alone.
        "reading": f"{reading} DO NOTHING",
        # An open: a new reading, or the last time an existing one was seen (and the
        # issue it was first read in, if it had none). One statement rather than an
        # INSERT … DO NOTHING and an UPDATE: one index lookup a row, and a row just made
        # is not written twice (at the 9:00 burst nearly every open is a first one).
        # The WHERE leaves a row alone when nothing would change (an open flushed late
        # by another process does not move the time back).
        "opens": f"""{reading} DO UPDATE SET
    last_seen_at = {j.greatest('readings.last_seen_at', 'excluded.last_seen_at')},
    issue_id = coalesce(readings.issue_id, excluded.issue_id)
WHERE readings.last_seen_at < excluded.last_seen_at
    OR (readings.issue_id IS NULL AND excluded.issue_id IS NOT NULL)""",
        "views": f"""INSERT INTO reading_views (view_id, reading_id, seconds, started_at)
SELECT {f(0, 'text')}, r.id, {f(3, 'int')}, {f(4, 'time')}
FROM {j.source} JOIN readings AS r ON {key(1, 2, 'r')}
WHERE true
ON CONFLICT (view_id) DO UPDATE SET
    seconds = {j.greatest('reading_views.seconds', 'excluded.seconds')}""",
        # Only readings whose total changed: an unchanged one would still fire the
        # statistics' trigger.
        "active": f"""UPDATE readings SET active_seconds = t.total
FROM (SELECT v.reading_id AS id, sum(v.seconds) AS total FROM reading_views AS v
      WHERE v.reading_id IN (SELECT r.id FROM {j.source}
                             JOIN readings AS r ON {key(1, 2, 'r')})
      GROUP BY v.reading_id) AS t
WHERE readings.id = t.id AND readings.active_seconds <> t.total""",
        "studied": f"""UPDATE readings SET studied_at = {f(4, 'time')},
    quick = readings.active_seconds <= 0
FROM {j.source} WHERE {key(0, 1, 'readings')} AND readings.studied_at IS NULL""",
        "first": f"""SELECT r.reader, r.article_id, r.studied_at
FROM {j.source} JOIN readings AS r ON {key(0, 1, 'r')}""",
    }
    out: dict[str, Executable] = {name: text(sql) for name, sql in statements.items()}
    # The stored time comes back through the store's time type (aware UTC).
    out["first"] = text(statements["first"]).columns(reader=String, article_id=Integer,
                                        studied_at=readings.c.studied_at.type)
    return out


def min_read_seconds(conn, article_id: int, issue_id: int | None) -> int:
    """The reading time a 我已学习 of the article needs to count: the minimum of the
    issue's column, or without an issue the largest of the columns that published it."""
    query = (select(func.max(columns.c.min_read_seconds))
             .join(issues, issues.c.column_id == columns.c.id)
             .join(issue_items, issue_items.c.issue_id == issues.c.id)
             .where(issue_items.c.article_id == article_id))
    if issue_id is not None:
        query = query.where(issues.c.id == issue_id)
    return int(conn.execute(query).scalar() or 0)


def set_min_read_seconds(conn, column_id: int, seconds: int | None) -> None:
    conn.execute(update(columns).where(columns.c.id == column_id)
                 .values(min_read_seconds=seconds))
    bump(conn)                  # the processes' cached minimums (app.reading) go too


def counts_as_studied(min_seconds):
    """The condition on ``readings`` under which a confirmation counts as studied:
    confirmed, with at least ``min_seconds`` of reading time. Reading time that comes
    after the confirmation counts too: the record is kept, and once the time reaches the
    minimum the confirmation counts."""
    return readings.c.studied_at.is_not(None) & (readings.c.active_seconds >= min_seconds)


def too_quick(min_seconds):
    """Confirmed with less reading time than needed — below the column's minimum, or with
    none at all where the column sets no minimum (still studied then, but told apart)."""
    floor = (max(1, min_seconds) if isinstance(min_seconds, int)
             else case((min_seconds > 1, min_seconds), else_=1))   # a column's, in SQL
    return readings.c.studied_at.is_not(None) & (readings.c.active_seconds < floor)


def reading_in(conn, reader_key: str, article_id: int) -> dict | None:
    """The reader's record of the article."""
    row = conn.execute(select(readings).where(
        readings.c.reader == reader_key, readings.c.article_id == article_id)).mappings().first()
    return dict(row) if row else None


def state_rows(conn, reader_key: str, article_id: int) -> list:
    """The reader's record of the article (``article_id``, ``studied_at``,
    ``active_seconds``), or none: ``/read/state`` of a page opened outside an issue."""
    return list(conn.execute(_STATE_OF_ARTICLE, {"reader": reader_key, "article": article_id}))


def item_titles(conn, issue_id: int) -> list[tuple[int, str]]:
    """The issue's items in order: (article id, title — the editor's, else the
    article's). A published issue keeps its items; a title changes only with a bump of
    the page generation (``app.reading`` keeps them per generation)."""
    return [(r.article_id, r.shown) for r in conn.execute(_ITEMS, {"issue": issue_id})]


def reading_times(conn, reader_key: str, article_ids: list[int]) -> list:
    """The reader's records of these articles (``article_id``, ``studied_at``,
    ``active_seconds``): the read path's ``/read/state`` in an issue, one lookup of the
    unique index per article."""
    return list(conn.execute(_READING_TIMES, {"reader": reader_key, "articles": article_ids}))


class Times(NamedTuple):
    article_id: int
    studied_at: datetime | None
    active_seconds: int


def reading_times_peek(conn: sqlite3.Connection, reader_key: str,
                       article_ids: list[int]) -> list[Times]:
    """``reading_times`` on SQLite's own connection (``Database.peek``), the values
    converted as SQLAlchemy converts them. Raises sqlite3.Error."""
    rows = conn.execute(_peek_sql(len(article_ids)), (reader_key, *article_ids)).fetchall()
    return [Times(a, _STUDIED_AT(at), s or 0) for a, at, s in rows]


@cache
def _peek_sql(count: int) -> str:
    return (f"SELECT {readings.c.article_id.name}, {readings.c.studied_at.name}, "
            f"{readings.c.active_seconds.name} FROM {readings.name} "
            f"WHERE {readings.c.reader.name} = ? AND {readings.c.article_id.name} "
            f"IN ({', '.join('?' * count)})")


def _studied_at(dialect) -> Callable[[Any], datetime | None]:
    """What SQLAlchemy does to a stored ``studied_at`` read by the driver of ``dialect``:
    the datetime, with UTC attached (UTCDateTime)."""
    return cast(Callable[[Any], datetime | None],
                readings.c.studied_at.type.dialect_impl(dialect).result_processor(dialect, None))


_STUDIED_AT = _studied_at(_sqlite.dialect())
_STUDIED_AT_PG = _studied_at(_pg_psycopg.dialect())


# The records of these (reader, article) pairs on PostgreSQL — readers in $1, their
# articles in $2, one pair per position: the ``/read/state`` requests of one moment in one
# statement (``app.state_reads``, sent by ``Database.loop_reads``). Two arrays, so one
# statement whatever their length; pairs, not every reader × every article: the readers
# of one moment read different issues (bench/reader.py --pg: 76 rows a statement, most
# of them another issue's, where pairs fetch the ~20 wanted).
READING_TIMES_OF_PAIRS = (
    f"SELECT r.{readings.c.reader.name}, r.{readings.c.article_id.name}, "
    f"r.{readings.c.studied_at.name}, r.{readings.c.active_seconds.name} "
    f"FROM unnest($1::varchar[], $2::integer[]) AS p(reader, article_id) "
    f"JOIN {readings.name} AS r ON r.{readings.c.reader.name} = p.reader "
    f"AND r.{readings.c.article_id.name} = p.article_id").encode()


def reader_times(rows: list[tuple]) -> list[tuple[str, Times]]:
    """``READING_TIMES_OF_PAIRS``' rows as (reader, their ``Times``), the values converted
    as SQLAlchemy converts them."""
    return [(r, Times(a, _STUDIED_AT_PG(at), s or 0)) for r, a, at, s in rows]


# Built once: /read/state is the burst's most frequent store read, and building the
# statement (and its cache key) per request was half of its time (cProfile: 0.84 ms a
# call, 0.45 of it there). The issue's items are not joined in: every reader of an issue
# asked the store for the same five titles (on PostgreSQL, which shares the web
# processes' cores at the bench, most of the read's time).
_STATE_OF_ARTICLE = (
    select(readings.c.article_id, readings.c.studied_at, readings.c.active_seconds)
    .where(readings.c.reader == bindparam("reader"),
           readings.c.article_id == bindparam("article")))
_READING_TIMES = (
    select(readings.c.article_id, readings.c.studied_at, readings.c.active_seconds)
    .where(readings.c.reader == bindparam("reader"),
           readings.c.article_id.in_(bindparam("articles", expanding=True))))
# An issue's items in order: the editor's title (``title``, may be empty) and what the
# issue lists (``shown``: the editor's title, else the article's).
_ITEMS = (
    select(issue_items.c.article_id, issue_items.c.title,
           func.coalesce(func.nullif(issue_items.c.title, ""), articles.c.title).label("shown"))
    .join(articles, articles.c.id == issue_items.c.article_id)
    .where(issue_items.c.issue_id == bindparam("issue")).order_by(issue_items.c.position))


def issue_context(conn, issue_id: int, article_id: int, reader_key: str,
                  min_seconds: int = 0) -> dict | None:
    """Where an article stands in the issue it was opened from: the issue (column slug and
    name, number), its items in order (article id, the editor's title), this item's
    position, the next item, and how many of them the reader has confirmed."""
    head = conn.execute(
        select(issues.c.number, columns.c.slug, columns.c.name)
        .join(columns, columns.c.id == issues.c.column_id)
        .where(issues.c.id == issue_id)).first()
    if head is None:
        return None
    items = list(conn.execute(_ITEMS, {"issue": issue_id}))
    ids = [r.article_id for r in items]
    if article_id not in ids:
        return None
    studied = set(conn.execute(
        select(readings.c.article_id).where(
            readings.c.reader == reader_key, readings.c.article_id.in_(ids),
            counts_as_studied(min_seconds))).scalars())
    at = ids.index(article_id)
    nxt = items[at + 1] if at + 1 < len(items) else None
    return {"slug": head.slug, "column_name": head.name, "number": head.number,
            "position": at + 1, "count": len(items), "title": items[at].title or None,
            "next": {"article_id": nxt.article_id, "title": nxt.shown} if nxt else None,
            "studied": len(studied), "unstudied": [
                {"article_id": r.article_id, "title": r.shown} for r in items
                if r.article_id not in studied and r.article_id != article_id][:3]}
