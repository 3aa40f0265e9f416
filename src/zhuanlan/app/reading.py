"""What readers read and search, and the per-person links of a push.

A column may ask for a minimum reading time per article: a 我已学习 with less is kept
(and counts once later reading brings the time up) but is not studied yet, and the
article page says so. The minimum is looked up once per article and issue and kept for
``MIN_CACHE_SECONDS``, so the reader's pages do not ask the database for it each time."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from zhuanlan.app.page_cache import PageCache
from zhuanlan.app.state_reads import StateReads
from zhuanlan.errors import ConfigError, NotFoundError, StorageError
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.images import StoredImage, stored_image
from zhuanlan.publish.article_html import Figure
from zhuanlan.store import audit, images, progress, readings, visibility
from zhuanlan.store import search as fts
from zhuanlan.store.articles import article_for_page, article_with_outlet
from zhuanlan.store.columns import column_by_slug
from zhuanlan.store.stories import other_outlets
from zhuanlan.study.records import Reader

MIN_CACHE_SECONDS = 60.0
MAX_MIN_READ = 3600
HINT_WAIT_SECONDS = 1.0      # how long a state waits for another process's confirmation
HINT_POLL_SECONDS = 0.025


class Reading:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._minimums: dict[tuple[int, int | None], tuple[int, float]] = {}
        self._items: dict[int, list[tuple[int, str]]] = {}     # issue → its items
        self._minimums_lock = threading.Lock()                  # (and the items')
        self.pages = PageCache(ctx.db)
        self.state_reads = StateReads(ctx.db)
        self.pages.on_change(self._forget)

    def _forget(self) -> None:
        with self._minimums_lock:
            self._minimums.clear()
            self._items.clear()

    def min_seconds(self, conn, article_id: int, issue_id: int | None) -> int:
        """The reading time a 我已学习 of the article needs (0: any), cached."""
        hit = self._cached_minimum(article_id, issue_id)
        if hit is not None:
            return hit
        key, now = (article_id, issue_id), time.monotonic()
        value = readings.min_read_seconds(conn, article_id, issue_id)
        with self._minimums_lock:
            if len(self._minimums) > 10_000:
                self._minimums.clear()
            self._minimums[key] = (value, now + MIN_CACHE_SECONDS)
        return value

    def _cached_minimum(self, article_id: int, issue_id: int | None) -> int | None:
        with self._minimums_lock:
            hit = self._minimums.get((article_id, issue_id))
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def set_min_read(self, slug: str, seconds: int | None, *, by: str) -> None:
        """The column's minimum reading time per article (None or 0: none)."""
        if seconds is not None and not 0 <= seconds <= MAX_MIN_READ:
            raise ConfigError("min_read_seconds", f"最短阅读时间应为 0 到 {MAX_MIN_READ} 秒")
        with self.ctx.db.write() as conn:
            column = column_by_slug(conn, slug)
            readings.set_min_read_seconds(conn, column["id"], seconds or None)
            # What counts as studied changes with the minimum: in the same transaction,
            # so that the statistics never show the old rule with the new minimum.
            progress.refresh_columns(conn, [column["id"]])
            audit.record(conn, by, "column.min_read", f"column {slug}",
                         f"每篇最短阅读时间：{f'{seconds} 秒' if seconds else '不限'}"
                         f"（原为 {column['min_read_seconds'] or '不限'}）", at=self.ctx.clock())
        with self._minimums_lock:
            self._minimums.clear()

    def search(self, query: str, *, column: str | int | None = None, outlet: str | None = None,
               since: date | None = None, until: date | None = None, limit: int = 20,
               offset: int = 0, staff: bool = False) -> fts.SearchPage:
        """Full-text search (:func:`zhuanlan.store.search.search`): ``column`` a slug or an
        id; ``since``/``until`` dates are days in the installation's zone, both inclusive.
        Anonymous (``staff=False``): only articles published in an issue."""
        since_at, until_at = fts.day_bounds(since, until, self.ctx.tz)
        with self.ctx.db.read() as conn:
            column_id = column_by_slug(conn, column)["id"] if isinstance(column, str) else column
            return fts.search(conn, query, column_id=column_id, outlet=outlet, since=since_at,
                              until=until_at, limit=limit, offset=offset, staff=staff)

    def outlets(self, *, staff: bool) -> list[str]:
        """The outlets a search can be narrowed to (of published articles for readers)."""
        with self.ctx.db.read() as conn:
            return fts.facets(conn, staff=staff)

    def article(self, article_id: int) -> dict:
        """Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            return article_with_outlet(conn, article_id)

    def other_outlets(self, article_id: int) -> list[dict]:
        """The other outlets' copies of the article's story ("also carried by")."""
        with self.ctx.db.read() as conn:
            return other_outlets(conn, article_id)

    # -- the article page and its pictures -----------------------------------------------

    def article_page(self, article_id: int, *, issue_id: int | None, staff: bool,
                     reader: Reader) -> dict:
        """What the article page shows, read in one transaction (the page 50,000 phones
        open at 9:00): ``article``, ``figures``, ``others`` (the story's other outlets),
        ``reading`` (this reader's record), ``issue`` (where the article stands in the
        issue it was opened from: the editor's title, the next item, how many this reader
        has studied; None without an issue) and ``published``. Readers see articles
        published in an issue; staff preview every one. An ``issue_id`` must be an issue
        that carries the article. Raises NotFoundError (the same for an unpublished
        article as for none, so ids cannot be probed)."""
        with self.ctx.db.read() as conn:
            published = visibility.article_visible(conn, article_id, staff=False)
            if not published and not (staff and visibility.article_visible(
                    conn, article_id, staff=True)):
                raise NotFoundError("没有这篇文章", resource=f"article {article_id}")
            if issue_id is not None and not visibility.issue_carries(conn, issue_id, article_id):
                raise NotFoundError("这一期没有这篇文章", resource=f"issue {issue_id}")
            article = article_for_page(conn, article_id)
            figures = [Figure(id=r.id, caption=r.caption or "", width=r.width, height=r.height)
                       for r in images.shown(conn, article_id)]
            minimum = self.min_seconds(conn, article_id, issue_id) if published else 0
            reading = readings.reading_in(conn, reader.key, article_id)
            return {"article": article, "figures": figures,
                    "others": other_outlets(conn, article_id),
                    "reading": reading, "min_seconds": minimum,
                    "too_quick": bool(reading and reading["studied_at"]
                                      and reading["active_seconds"] < minimum),
                    "issue": readings.issue_context(conn, issue_id, article_id, reader.key,
                                                    minimum)
                    if issue_id is not None else None,
                    "published": published}

    def reader_state(self, reader: Reader, article_id: int, *, issue_id: int | None,
                     staff: bool, flush: bool = True,
                     hint: datetime | None = None) -> dict | None:
        """The personal part of the article page, for ``/read/state``: whether the reader
        is known, when they confirmed (``studied_at``, local time, or None), ``too_quick``
        with the column's ``min_seconds``, and in the issue (None without one) how many
        of its ``count`` items they studied and up to three ``unstudied`` others. Checked
        like the page; raises NotFoundError. With ``flush=False`` it only reads: None
        when the answer needs this process's buffered records written first.

        A 我已学习 answered before it was stored (``RecordBuffer.keep_confirmation``)
        shows at once: this process's own from its buffer; another process's by its
        ``hint`` (the time the 303 told the browser, see ``reader_lane``). Whether it
        was quick is only told from the store: when the stored time is under the
        minimum, the state waits for the confirmation (and its reading time) to be
        written: this process's for its flush, another's by looking again for up to
        ``HINT_WAIT_SECONDS``."""
        self.pages.generation()              # an editor's change of the minimum
        records = self.ctx.records
        kept = records.unwritten(reader, article_id)
        pending = kept.at if kept is not None else hint
        state, overlaid = self._state(reader, article_id, issue_id, staff, pending)
        if state["too_quick"] and (overlaid or records.pending(reader, article_id)):
            # Reading time not stored yet may bring it up to the minimum.
            if not flush:
                return None
            if kept is not None:          # its flush writes the reading's records too
                records.hurry()
                with contextlib.suppress(Exception):
                    kept.done.result(timeout=HINT_WAIT_SECONDS)
            elif records.pending(reader, article_id):
                records.flush()
            state, overlaid = self._state(reader, article_id, issue_id, staff, pending)
        # Still only the hint says it: another process writes it, look again.
        deadline = time.monotonic() + HINT_WAIT_SECONDS
        while state["too_quick"] and overlaid and flush and time.monotonic() < deadline:
            time.sleep(HINT_POLL_SECONDS)
            state, overlaid = self._state(reader, article_id, issue_id, staff, pending)
        return state

    async def reader_state_on_loop(self, reader: Reader, article_id: int, *,
                                   issue_id: int, hint: datetime | None = None) -> dict | None:
        """``reader_state(staff=False, flush=False)`` of an article in an issue, read on
        the event loop (PostgreSQL, ``Database.loop_reads``, with the other states of the
        moment: ``app.state_reads``). None when the answer needs the
        thread's way: the issue's items or the minimum not kept yet, the page cache due
        its check, reading time still in this process's buffer, or the database failing
        (the thread's way then reports it as every read does)."""
        if (kept := self._kept_for_loop(article_id, issue_id)) is None:
            return None
        minimum, items = kept
        try:
            rows = await self.state_reads.rows(reader.key, [a for a, _ in items])
        except StorageError:
            return None
        return self._loop_state(reader, article_id, items, rows, minimum, hint)

    def reader_state_peek(self, reader: Reader, article_id: int, *, issue_id: int,
                          hint: datetime | None = None) -> dict | None:
        """``reader_state_on_loop`` on SQLite: one statement on ``Database.peek``'s
        connection, on the event loop. None as there."""
        if (kept := self._kept_for_loop(article_id, issue_id)) is None:
            return None
        minimum, items = kept
        try:
            rows = readings.reading_times_peek(self.ctx.db.peek(), reader.key,
                                               [a for a, _ in items])
        except (StorageError, sqlite3.Error):
            return None
        return self._loop_state(reader, article_id, items, rows, minimum, hint)

    def _kept_for_loop(self, article_id: int, issue_id: int):
        """(minimum, items) kept in this process for a read on the loop, or None (then
        NotFoundError raised when the items kept do not carry the article)."""
        minimum = self._cached_minimum(article_id, issue_id)
        with self._minimums_lock:
            items = self._items.get(issue_id)
        if minimum is None or items is None or self.pages.due():
            return None
        _carried(items, article_id, issue_id)
        return minimum, items

    def _loop_state(self, reader: Reader, article_id: int, items, rows, minimum: int,
                    hint: datetime | None) -> dict | None:
        kept = self.ctx.records.unwritten(reader, article_id)
        state, overlaid = self._shape(reader, article_id, items, rows, minimum,
                                      kept.at if kept is not None else hint)
        if state["too_quick"] and (overlaid or self.ctx.records.pending(reader, article_id)):
            return None
        return state

    def carries(self, issue_id: int, article_id: int) -> bool | None:
        """Whether the issue carries the article, from the items kept in this process;
        None when they are not kept. Not held back while the page cache is due its
        check (as long as ``readable_articles`` may be behind an editor's change): the
        bench's 我已学习 that waited then waited for seconds, behind a slow commit."""
        with self._minimums_lock:
            items = self._items.get(issue_id)
        return None if items is None else _holds(items, article_id)

    def _state(self, reader: Reader, article_id: int, issue_id: int | None,
               staff: bool, pending: datetime | None) -> tuple[dict, bool]:
        with self.ctx.db.glance() as conn:
            if issue_id is not None:
                items = self._issue_items(conn, issue_id)
                _carried(items, article_id, issue_id)
                rows = readings.reading_times(conn, reader.key, [a for a, _ in items])
                published = True
            else:
                items = None
                rows = readings.state_rows(conn, reader.key, article_id)
                published = visibility.article_visible(conn, article_id, staff=False)
                if not published and not (staff and visibility.article_visible(
                        conn, article_id, staff=True)):
                    raise NotFoundError("没有这篇文章", resource=f"article {article_id}")
            minimum = self.min_seconds(conn, article_id, issue_id) if published else 0
        return self._shape(reader, article_id, items, rows, minimum, pending)

    def _issue_items(self, conn, issue_id: int) -> list[tuple[int, str]]:
        """The issue's items (article id, title), kept until the readers' pages change:
        every reader of the issue asks for the same."""
        with self._minimums_lock:
            hit = self._items.get(issue_id)
        if hit is not None:
            return hit
        items = readings.item_titles(conn, issue_id)
        with self._minimums_lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[issue_id] = items
        return items

    def _shape(self, reader: Reader, article_id: int, items: list[tuple[int, str]] | None,
               rows: list, minimum: int,
               pending: datetime | None = None) -> tuple[dict, bool]:
        """The state from the reader's records (``rows``) of the issue's ``items`` (None:
        a page outside an issue), and whether a confirmation not stored yet (``pending``)
        made it studied."""
        times = {r.article_id: (r.studied_at, r.active_seconds or 0) for r in rows}
        studied_at, seconds = times.get(article_id, (None, 0))
        overlaid = studied_at is None and pending is not None
        if overlaid:
            studied_at = pending
            times[article_id] = (pending, seconds)
        tz = ZoneInfo(self.ctx.tz)
        state: dict = {
            "known": reader.known, "min_seconds": minimum,
            "studied_at": studied_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            if studied_at else None,
            "too_quick": bool(studied_at and seconds < minimum),
            "issue": None}
        if items is not None:
            done = {a for a, (at, s) in times.items() if at is not None and s >= minimum}
            state["issue"] = {"count": len(items), "studied": len(done), "unstudied": [
                {"article_id": a, "title": title} for a, title in items
                if a not in done and a != article_id][:3]}
        return state, overlaid

    def readable(self, article_id: int, *, staff: bool) -> tuple[bool, bool]:
        """(whether the visitor may record reading of it, whether it is published)."""
        with self.ctx.db.read() as conn:
            if visibility.article_visible(conn, article_id, staff=False):
                return True, True
            return staff and visibility.article_visible(conn, article_id, staff=True), False

    def confirm(self, reader: Reader, article_id: int, *, issue_id: int | None,
                staff: bool) -> None:
        """我已学习, after the same checks as the page. Always kept; marked ``quick`` when
        no reading time came before it. Returns once it is committed (with the reading
        time buffered before it: see ``study.records``). Raises NotFoundError."""
        self.ctx.records.confirm_now(reader, article_id, issue_id=issue_id, staff=staff)

    def picture(self, image_id: int, *, staff: bool) -> tuple[StoredImage | None, bool]:
        """(the picture's file, or None when not fetched or not for this visitor;
        whether it is public — of a published article)."""
        with self.ctx.db.read() as conn:
            public = visibility.image_visible(conn, image_id, staff=False)
            if not (public or (staff and visibility.image_visible(conn, image_id, staff=True))):
                return None, False
            row = images.file_of(conn, image_id)
        return stored_image(self.ctx, row), public


def _carried(items: list[tuple[int, str]], article_id: int, issue_id: int) -> None:
    """Raise NotFoundError unless the issue has the article. Items are published: the
    issue carrying the article proves it visible."""
    if not _holds(items, article_id):
        raise NotFoundError("这一期没有这篇文章", resource=f"issue {issue_id}")


def _holds(items: list[tuple[int, str]], article_id: int) -> bool:
    return any(a == article_id for a, _ in items)
