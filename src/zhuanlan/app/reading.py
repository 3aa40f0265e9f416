"""What readers read and search, and the per-person links of a push."""

from __future__ import annotations

from datetime import date

from zhuanlan.errors import NotFoundError
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.images import StoredImage, stored_image
from zhuanlan.publish.article_html import Figure
from zhuanlan.store import images, readings, visibility
from zhuanlan.store import search as fts
from zhuanlan.store.articles import article_for_page, article_with_outlet
from zhuanlan.store.columns import column_by_slug
from zhuanlan.store.stories import other_outlets
from zhuanlan.study.records import Reader, confirm_studied


class Reading:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

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
            return {"article": article, "figures": figures,
                    "others": other_outlets(conn, article_id),
                    "reading": readings.reading_in(conn, reader.key, article_id),
                    "issue": readings.issue_context(conn, issue_id, article_id, reader.key)
                    if issue_id is not None else None,
                    "published": published}

    def readable(self, article_id: int, *, staff: bool) -> tuple[bool, bool]:
        """(whether the visitor may record reading of it, whether it is published)."""
        with self.ctx.db.read() as conn:
            if visibility.article_visible(conn, article_id, staff=False):
                return True, True
            return staff and visibility.article_visible(conn, article_id, staff=True), False

    def confirm(self, reader: Reader, article_id: int, *, issue_id: int | None,
                staff: bool) -> None:
        """我已学习, after the same checks as the page. Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            if not visibility.article_visible(conn, article_id, staff=staff):
                raise NotFoundError("没有这篇文章", resource=f"article {article_id}")
            if issue_id is not None and not visibility.issue_carries(conn, issue_id, article_id):
                raise NotFoundError("这一期没有这篇文章", resource=f"issue {issue_id}")
        confirm_studied(self.ctx.db, reader, article_id, self.ctx.clock(), issue_id)

    def picture(self, image_id: int, *, staff: bool) -> tuple[StoredImage | None, bool]:
        """(the picture's file, or None when not fetched or not for this visitor;
        whether it is public — of a published article)."""
        with self.ctx.db.read() as conn:
            public = visibility.image_visible(conn, image_id, staff=False)
            if not (public or (staff and visibility.image_visible(conn, image_id, staff=True))):
                return None, False
            row = images.file_of(conn, image_id)
        return stored_image(self.ctx, row), public
