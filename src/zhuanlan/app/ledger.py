"""学习台账 and the yearly summary: a person's own record (我的学习记录), the ledger of the
people a manager may see (one row per person), and the figures per department over a
year, quarter or month, ranked by completion.

Every manager's call takes the caller's ``Scope`` (``StaffUser.scope``): a department
outside it is refused, and people outside it are never counted. Exports are written to
the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from zhuanlan.jobs.context import Context
from zhuanlan.sheets import Percent, write_grouped_xlsx
from zhuanlan.store import audit
from zhuanlan.store import ledger as store
from zhuanlan.store.columns import column_by_slug
from zhuanlan.study import export
from zhuanlan.study import ledger as figures
from zhuanlan.study.ledger import (
    TOTAL,
    Cell,
    Ledger,
    Unit,
    grouping,
    rank,
    ranked_level,
    units_of,
)
from zhuanlan.study.periods import Period
from zhuanlan.study.scope import Scope


@dataclass
class YearSummary:
    title: str
    issues: int                 # issues published in the period
    tree: list[Unit]            # depth first: the total, then the units inside the scope
    ranking: list[Unit]         # the units of one level, best completion first
    level: int


class StudyLedger:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.ctx.tz)

    def years(self, subscriber_id: int | None = None) -> list[int]:
        """The years (in the organisation's time zone) with issues — pushed to the
        person, or at all — newest first."""
        with self.ctx.db.read() as conn:
            first, last = store.published_span(conn, subscriber_id)
        if first is None or last is None:
            return []
        return list(range(last.astimezone(self.tz).year, first.astimezone(self.tz).year - 1,
                          -1))

    def personal(self, subscriber_id: int, year: int) -> dict:
        """The person's year: per column, each issue pushed to them with its figures, the
        column's total, and the year's total. Only ever the caller's own id (the web
        takes it from the signed reader cookie, never from the request)."""
        start, end = Period(year).bounds(self.tz)
        with self.ctx.db.read() as conn:
            issue_rows = store.period_issues(conn, start, end)
            group_of = {i["id"]: str(i["id"]) for i in issue_rows}
            found = store.ledger_rows(conn, issue_rows, group_of, subscriber_id=subscriber_id)
        cells = found[0].cells if found else {}
        by_column: dict[int, dict] = {}
        total = Cell()
        for issue in reversed(issue_rows):                  # newest first
            c = cells.get(str(issue["id"]))
            if c is None:
                continue
            entry = by_column.setdefault(issue["column_id"], {
                "name": issue["column_name"], "slug": issue["slug"], "issues": [],
                "total": Cell()})
            entry["issues"].append({**issue, "cell": c})
            entry["total"].add(c)
            total.add(c)
        return {"year": year, "columns": list(by_column.values()), "total": total}

    def _issues(self, conn, slug: str, period: Period) -> tuple[dict | None, list[dict]]:
        column = column_by_slug(conn, slug) if slug else None
        start, end = period.bounds(self.tz)
        return column, store.period_issues(conn, start, end,
                                           column["id"] if column else None)

    def table(self, *, scope: Scope, slug: str = "", period: Period, by: str = "issue",
              department: str = "", page: int | None = None, per_page: int = 100
              ) -> Ledger:
        """One row per person (of the scope, or the department's subtree inside it), a
        group of figures per issue or month; with ``page`` (1-based) the rows of that page
        only, and ``people`` the number of them all. PermissionDenied for a department
        outside the scope; NotFoundError for an unknown column."""
        scope.require(department)
        department = department.strip("/")
        with self.ctx.db.read() as conn:
            column, issue_rows = self._issues(conn, slug, period)
            group_of, groups = grouping(issue_rows, by, self.tz)
            people, only = None, None
            if page is not None:
                people, only = store.ledger_page(conn, issue_rows, scope=scope,
                                                 department=department,
                                                 offset=(page - 1) * per_page, limit=per_page)
            rows = store.ledger_rows(conn, issue_rows, group_of, scope=scope,
                                     department=department, only=only)
        title = f"{column['name'] if column else '全部专栏'} · {period.label}"
        return Ledger(title, groups, rows, issues=len(issue_rows), people=people)

    def summary(self, *, scope: Scope, slug: str = "", period: Period,
                level: int = 0) -> YearSummary:
        """Per department (rolled up the tree) over the period, and the units of one level
        (``level``; 0: the first that branches) ranked by completion."""
        with self.ctx.db.read() as conn:
            column, issue_rows = self._issues(conn, slug, period)
            rows = store.ledger_rows(conn, issue_rows, dict.fromkeys(
                (i["id"] for i in issue_rows), TOTAL), scope=scope)
        units = units_of(rows, root_name="管辖单位合计" if scope.limited else "全部")

        def visible(path: str) -> bool:
            return not path or scope.contains(path)

        tree = sorted((u for u in units.values() if visible(u.path)),
                      key=lambda u: (u.path.split("/") if u.path else []))
        level = level or ranked_level(units, lambda p: bool(p) and scope.contains(p))
        ranking = rank([u for u in units.values()
                        if u.depth == level and u.path and scope.contains(u.path)])
        title = f"{column['name'] if column else '全部专栏'} · {period.label}"
        return YearSummary(title, len(issue_rows), tree, ranking, level)

    def export(self, fmt: str, *, scope: Scope, slug: str = "", period: Period,
               by: str = "issue", department: str = "", actor: str) -> tuple[str, bytes]:
        """(file name, bytes) of the ledger as XLSX (a merged header over each issue's or
        month's columns, totals at the right) or CSV (one header row); audited."""
        book = self.table(scope=scope, slug=slug, period=period, by=by, department=department)
        groups = figures.sheet_groups(book)
        rows = figures.sheet_rows(book, Percent)
        body = (write_grouped_xlsx(figures.FIXED, groups, rows, title="学习台账",
                                   text_columns=[0]) if fmt == "xlsx"
                else export.to_csv(figures.flat_headers(groups), rows))
        self._audit(actor, "ledger.export", slug, (
            f"{book.title}；{'按月' if by == 'month' else '按期'}；"
            f"{department.strip('/') or scope.label}；{len(book.rows)} 人；{fmt.upper()}"))
        return f"学习台账-{book.title.replace(' · ', '-')}.{fmt}", body

    def export_summary(self, fmt: str, *, scope: Scope, slug: str = "", period: Period,
                       level: int = 0, actor: str) -> tuple[str, bytes]:
        """(file name, bytes) of the summary: the ranked units, then the whole tree."""
        summary = self.summary(scope=scope, slug=slug, period=period, level=level)
        units = summary.ranking + [u for u in summary.tree if u not in summary.ranking]
        rows = [figures.unit_row(u, Percent) for u in units]
        body = (export.to_xlsx(figures.UNIT_HEADERS, rows, title="学习汇总") if fmt == "xlsx"
                else export.to_csv(figures.UNIT_HEADERS, rows))
        self._audit(actor, "ledger.summary_export", slug,
                    f"{summary.title}；{scope.label}；{fmt.upper()}")
        return f"学习汇总-{summary.title.replace(' · ', '-')}.{fmt}", body

    def _audit(self, actor: str, action: str, slug: str, detail: str) -> None:
        """An export in the audit log: who took which people's records out."""
        with self.ctx.db.write() as conn:
            audit.record(conn, actor, action, f"column {slug}" if slug else "全部专栏", detail,
                         at=self.ctx.clock())
