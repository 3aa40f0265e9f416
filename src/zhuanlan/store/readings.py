"""Queries of study records: opens, reading views (visible seconds), 我已学习.

Every write is idempotent — opens are INSERT … ON CONFLICT DO NOTHING, heartbeats carry
the view's running total and only ever raise it — so a repeated flush, or two web
processes writing the same reader, change nothing twice."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import bindparam, case, func, literal, select, update

from zhuanlan.store.page_generation import bump
from zhuanlan.store.schema import (
    articles,
    columns,
    issue_items,
    issues,
    reading_views,
    readings,
)
from zhuanlan.store.upsert import insert_ignore


def write_records(conn, opens: dict, beats: dict) -> None:
    """Write buffered opens ``{(reader key, article id): (subscriber id, issue id, at)}``
    and heartbeats ``{view id: (reader key, article id, seconds, at)}``."""
    if conn.dialect.name == "sqlite":
        _write_records_sqlite(conn, opens, beats)
        return
    rows = [{"reader": reader, "article_id": article_id, "subscriber_id": sub,
             "issue_id": issue, "opened_at": at, "last_seen_at": at, "active_seconds": 0}
            for (reader, article_id), (sub, issue, at) in opens.items()]
    for chunk in _chunks(rows, 500):
        insert_ignore(conn, readings, chunk, ["reader", "article_id"])
    if not opens:
        return
    conn.execute(
        update(readings)
        .where(readings.c.reader == bindparam("r"), readings.c.article_id == bindparam("a"))
        .values(last_seen_at=bindparam("at"),
                issue_id=func.coalesce(readings.c.issue_id, bindparam("i"))),
        [{"r": r, "a": a, "at": at, "i": issue} for (r, a), (_, issue, at) in opens.items()])
    if not beats:
        return
    keys = {(reader, article_id) for reader, article_id, _, _ in beats.values()}
    ids = {key: rid for key, rid in _by_key(conn, keys, readings.c.id)}
    views = [{"view_id": view, "reading_id": ids[(reader, article_id)], "seconds": 0,
              "started_at": at}
             for view, (reader, article_id, _, at) in beats.items()
             if (reader, article_id) in ids]
    for chunk in _chunks(views, 500):
        insert_ignore(conn, reading_views, chunk, ["view_id"])
    conn.execute(
        update(reading_views).where(reading_views.c.view_id == bindparam("v"))
        .values(seconds=case((reading_views.c.seconds < bindparam("s"), bindparam("s")),
                             else_=reading_views.c.seconds)),
        [{"v": view, "s": seconds} for view, (_, _, seconds, _) in beats.items()])
    total = (select(func.coalesce(func.sum(reading_views.c.seconds), 0))
             .where(reading_views.c.reading_id == readings.c.id).scalar_subquery())
    touched = sorted({ids[(r, a)] for r, a, _, _ in beats.values() if (r, a) in ids})
    for chunk in _chunks(touched, 500):
        conn.execute(update(readings).where(readings.c.id.in_(chunk))
                     .values(active_seconds=total))


# SQLite: the whole buffer in four statements, each reading its rows from one JSON
# parameter. Python's sqlite3 lets go of the GIL for every row of an executemany, and the
# flusher thread then waited behind the busy event loop to take it back, row after row:
# at the 9:00 burst (bench/reader.py, py-spy) a flush spent ~250 µs a record so, and
# 我已学习, which waits for a flush, seconds. One statement is one wait. (PostgreSQL's
# driver sends an executemany's rows in one pipeline: the code above.)
_KEY = "json_extract(j.value, '$[{r}]') AND {t}.article_id = json_extract(j.value, '$[{a}]')"
_OPENS_SQL = """INSERT INTO readings (reader, article_id, subscriber_id, issue_id, opened_at,
    last_seen_at, active_seconds)
SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'),
    json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'),
    json_extract(j.value, '$[4]'), json_extract(j.value, '$[4]'), 0
FROM json_each(?) AS j WHERE true
ON CONFLICT (reader, article_id) DO NOTHING"""
_SEEN_SQL = f"""UPDATE readings SET last_seen_at = json_extract(j.value, '$[4]'),
    issue_id = coalesce(readings.issue_id, json_extract(j.value, '$[3]'))
FROM json_each(?) AS j
WHERE readings.reader = {_KEY.format(r=0, a=1, t="readings")}"""
_VIEWS_SQL = f"""INSERT INTO reading_views (view_id, reading_id, seconds, started_at)
SELECT json_extract(j.value, '$[0]'), r.id, json_extract(j.value, '$[3]'),
    json_extract(j.value, '$[4]')
FROM json_each(?) AS j JOIN readings AS r ON r.reader = {_KEY.format(r=1, a=2, t="r")}
WHERE true
ON CONFLICT (view_id) DO UPDATE SET seconds = max(reading_views.seconds, excluded.seconds)"""
_ACTIVE_SQL = f"""UPDATE readings SET active_seconds = (
    SELECT coalesce(sum(v.seconds), 0) FROM reading_views AS v WHERE v.reading_id = readings.id)
WHERE readings.id IN (SELECT r.id FROM json_each(?) AS j
    JOIN readings AS r ON r.reader = {_KEY.format(r=1, a=2, t="r")})"""


def _write_records_sqlite(conn, opens: dict, beats: dict) -> None:
    # The stored form of a time, exactly as the column's type writes it.
    stamp = readings.c.last_seen_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    at = stamp if stamp is not None else str
    if opens:
        rows = json.dumps([[r, a, sub, issue, at(when)]
                           for (r, a), (sub, issue, when) in opens.items()])
        conn.exec_driver_sql(_OPENS_SQL, (rows,))
        conn.exec_driver_sql(_SEEN_SQL, (rows,))
    if beats:
        rows = json.dumps([[view, r, a, seconds, at(when)]
                           for view, (r, a, seconds, when) in beats.items()])
        conn.exec_driver_sql(_VIEWS_SQL, (rows,))
        conn.exec_driver_sql(_ACTIVE_SQL, (rows,))


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


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
    id)`` in a few statements (the group commit of the web processes). Returns when each
    (reader key, article id) was first confirmed."""
    first: dict[tuple[str, int], tuple[int | None, datetime, int | None]] = {}
    for reader, sub, article_id, at, issue_id in confirmations:
        first.setdefault((reader, article_id), (sub, at, issue_id))
    if not first:
        return {}
    rows = [{"reader": reader, "article_id": article_id, "subscriber_id": sub,
             "issue_id": issue, "opened_at": at, "last_seen_at": at, "active_seconds": 0}
            for (reader, article_id), (sub, at, issue) in first.items()]
    for chunk in _chunks(rows, 500):
        insert_ignore(conn, readings, chunk, ["reader", "article_id"])
    conn.execute(
        update(readings)
        .where(readings.c.reader == bindparam("r"), readings.c.article_id == bindparam("a"),
               readings.c.studied_at.is_(None))
        .values(studied_at=bindparam("t"), quick=readings.c.active_seconds <= 0),
        [{"r": r, "a": a, "t": at} for (r, a), (_, at, _) in first.items()])
    return dict(_by_key(conn, first, readings.c.studied_at))


def _by_key(conn, keys, column):
    """``((reader, article id), column)`` of the readings of ``keys``. Not a row-value
    IN: SQLite scans the whole table for that (150 ms at 1.5M readings, per flush); the
    readers' keys lead the unique index, and the few other articles of those readers
    are left out here."""
    by_reader: dict[str, set[int]] = {}
    for reader, article_id in keys:
        by_reader.setdefault(reader, set()).add(article_id)
    readers = sorted(by_reader)
    for chunk in _chunks(readers, 400):
        articles = sorted({a for r in chunk for a in by_reader[r]})
        for reader, article_id, value in conn.execute(
                select(readings.c.reader, readings.c.article_id, column)
                .where(readings.c.reader.in_(chunk), readings.c.article_id.in_(articles))):
            if article_id in by_reader[reader]:
                yield (reader, article_id), value


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


def state_rows(conn, reader_key: str, article_id: int, issue_id: int | None) -> list:
    """The reader's record of each item of the issue (``article_id``, ``title`` — the
    editor's, else the article's —
    ``studied_at``, ``active_seconds``; None where there is none), in order — or, without
    an issue, of the article alone. One query: the read path's ``/read/state``."""
    mine = (readings.c.reader == reader_key)
    if issue_id is None:
        return list(conn.execute(
            select(readings.c.article_id, literal(None).label("title"),
                   readings.c.studied_at, readings.c.active_seconds)
            .where(mine, readings.c.article_id == article_id)))
    return list(conn.execute(
        select(issue_items.c.article_id,
               func.coalesce(func.nullif(issue_items.c.title, ""), articles.c.title)
               .label("title"), readings.c.studied_at, readings.c.active_seconds)
        .join(articles, articles.c.id == issue_items.c.article_id)
        .outerjoin(readings, mine & (readings.c.article_id == issue_items.c.article_id))
        .where(issue_items.c.issue_id == issue_id).order_by(issue_items.c.position)))


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
    # ``shown``: the editor's title, else the article's (what the issue lists).
    items = list(conn.execute(
        select(issue_items.c.article_id, issue_items.c.title,
               func.coalesce(func.nullif(issue_items.c.title, ""), articles.c.title)
               .label("shown"))
        .join(articles, articles.c.id == issue_items.c.article_id)
        .where(issue_items.c.issue_id == issue_id).order_by(issue_items.c.position)))
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
