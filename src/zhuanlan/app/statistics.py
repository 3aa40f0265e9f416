"""Statistics for managers: each column's trend over its issues, and an issue's figures
per department and person (``store.stats``, rolled up in ``study.rollup``).

Every call takes the caller's ``Scope`` (``StaffUser.scope``): a viewer or editor limited
to some department subtrees gets figures over those units only, and a department outside
them is refused here, for the pages, the exports and the API alike."""

from __future__ import annotations

from zhuanlan.jobs.context import Context
from zhuanlan.store import audit, progress
from zhuanlan.store import stats as store
from zhuanlan.store.columns import column_by_slug, column_rows, issue_id_by_number
from zhuanlan.store.stats import People
from zhuanlan.study.figures import IssueStats
from zhuanlan.study.scope import Scope


class Statistics:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def overview(self, *, scope: Scope = Scope()) -> list[tuple[dict, dict | None]]:
        """(column, its newest issue's figures or None) for every column."""
        with self.ctx.db.read() as conn:
            out = []
            for column in column_rows(conn):
                trend = store.column_trend(conn, column["id"], last=1, scope=scope)
                out.append((column, trend[-1] if trend else None))
            return out

    def column_trend(self, slug: str, *, last: int = 12,
                     scope: Scope = Scope()) -> tuple[dict, list[dict]]:
        """(column, per issue oldest first over the ``last`` newest: recipients, opened,
        studied and the rates). Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            column = column_by_slug(conn, slug)
            return column, store.column_trend(conn, column["id"], last=last, scope=scope)

    def issue(self, slug: str, number: int, *, scope: Scope = Scope(),
              department: str = "", people: People = "all",
              limit: int | None = None) -> IssueStats:
        """The issue's figures per department (the tree rolled up) and per person: all of
        them, the recipients who have not studied yet, or none; within ``department``'s
        subtree, the first ``limit`` (``IssueStats.pending_count`` tells how many there
        are). ``department`` is the one the caller asks about: PermissionDenied when it
        lies outside the scope. Raises NotFoundError."""
        scope.require(department)
        with self.ctx.db.read() as conn:
            column = column_by_slug(conn, slug)
            return store.issue_stats(conn, issue_id_by_number(conn, column["id"], number,
                                                              slug=slug), scope,
                                     people=people, department=department.strip("/"),
                                     limit=limit)

    def issue_by_id(self, issue_id: int, *, scope: Scope = Scope()) -> IssueStats:
        with self.ctx.db.read() as conn:
            return store.issue_stats(conn, issue_id, scope)

    def rebuild(self, *, by: str) -> int:
        """Recompute the roll-up the statistics read (``study_progress``) from the outbox
        and the readings. Returns its number of rows."""
        with self.ctx.db.write() as conn:
            rows = progress.rebuild(conn)
            audit.record(conn, by, "stats.rebuild", "study_progress",
                         f"重建统计汇总：{rows} 行", at=self.ctx.clock())
            return rows
