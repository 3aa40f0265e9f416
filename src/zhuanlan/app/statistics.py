"""Statistics for managers: each column's trend over its issues, and an issue's figures
per department and person (``store.stats``, rolled up in ``study.rollup``)."""

from __future__ import annotations

from zhuanlan.jobs.context import Context
from zhuanlan.store import stats as store
from zhuanlan.store.columns import column_by_slug, column_rows, issue_id_by_number
from zhuanlan.study.figures import IssueStats


class Statistics:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def overview(self) -> list[tuple[dict, dict | None]]:
        """(column, its newest issue's figures or None) for every column."""
        with self.ctx.db.read() as conn:
            out = []
            for column in column_rows(conn):
                trend = store.column_trend(conn, column["id"], last=1)
                out.append((column, trend[-1] if trend else None))
            return out

    def column_trend(self, slug: str, *, last: int = 12) -> tuple[dict, list[dict]]:
        """(column, per issue oldest first over the ``last`` newest: recipients, opened,
        studied and the rates). Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            column = column_by_slug(conn, slug)
            return column, store.column_trend(conn, column["id"], last=last)

    def issue(self, slug: str, number: int) -> IssueStats:
        """The issue's figures per department (the tree rolled up) and per person.
        Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            column = column_by_slug(conn, slug)
            return store.issue_stats(conn, issue_id_by_number(conn, column["id"], number,
                                                              slug=slug))

    def issue_by_id(self, issue_id: int) -> IssueStats:
        with self.ctx.db.read() as conn:
            return store.issue_stats(conn, issue_id)
