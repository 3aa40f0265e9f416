"""What readers read and search, and the per-person links of a push."""

from __future__ import annotations

from datetime import date

from zhuanlan.jobs.context import Context
from zhuanlan.jobs.stories import other_outlets
from zhuanlan.store import search as fts
from zhuanlan.store.articles import article_with_outlet
from zhuanlan.store.columns import column_by_slug


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

    def article(self, article_id: int) -> dict:
        """Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            return article_with_outlet(conn, article_id)

    def other_outlets(self, article_id: int) -> list[dict]:
        """The other outlets' copies of the article's story ("also carried by")."""
        with self.ctx.db.read() as conn:
            return other_outlets(conn, article_id)
