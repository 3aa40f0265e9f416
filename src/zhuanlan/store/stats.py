"""The queries of the statistics for managers: per column, issue and department (rolled
up the tree) — delivered, opened, studied, completion rate, average reading time; who has
not studied yet; trends over issues. They read the roll-up ``study_progress`` (one row
per issue and person, kept up to date as records arrive: ``store.progress``), grouped
per department in the database; the tree roll-up is done in Python (``study.rollup``)
over the hundred or so departments.

A ``Scope`` (``study.scope``) limits every figure to the people of some department
subtrees: the others are left out before anything is counted, so totals are over those
units only and other departments are absent, not zero.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Literal

from sqlalchemy import Integer, cast, distinct, false, func, or_, select

from zhuanlan.errors import NotFoundError
from zhuanlan.store.schema import (
    columns,
    departments,
    issue_items,
    issues,
    readings,
    study_progress,
    subscribers,
)
from zhuanlan.study.figures import IssueStats, PersonRow
from zhuanlan.study.rollup import Group, roll_up_groups
from zhuanlan.study.scope import Scope

People = Literal["all", "pending", "none"]
P = study_progress.c


def scoped_people(scope: Scope):
    """The ids of the people whose department lies in the scope (a subquery)."""
    path = departments.c.path
    return (select(subscribers.c.id)
            .join(departments, departments.c.id == subscribers.c.department_id)
            .where(or_(*[(path == d) | path.startswith(d + "/", autoescape=True)
                         for d in scope.departments])))


def department_path(text: str | None) -> str:
    """A subscriber's department text as a path "集团/公司/部门"."""
    return (text or "").replace(" › ", "/").replace("›", "/").strip("/")


def _count(condition):
    """How many rows meet the condition (None over no rows). A cast, not a CASE: this is
    evaluated for each of 50,000 rows an issue."""
    return func.sum(cast(condition, Integer))


def _done(n_items: int):
    """Confirmed every article of the issue."""
    return P.studied >= n_items if n_items > 0 else false()


def _figures(n_items: int) -> list:
    """The figures of a group of recipients, in the order of ``rollup.Group``: how many,
    delivered, opened, studied (every article), reading seconds, too-quick confirmations.
    Seconds, too-quick confirmations and a done issue all come with readings: summed over
    every recipient they are the sums over those who opened."""
    return [func.count(), _count(P.delivered), _count(P.opened > 0), _count(_done(n_items)),
            func.sum(P.seconds), func.sum(P.too_quick)]


@contextmanager
def _whole_issue_scans(conn):
    """The aggregations over all of an issue's rows, read on PostgreSQL by a bitmap scan:
    the planner prefers walking the primary key row by row, which at 50,000 rows took
    twice as long (bench/reader.py --pg store: 30–35 ms an issue against 15–18). For
    these statements only, and undone inside the read's transaction."""
    pg = conn.dialect.name == "postgresql"
    if pg:
        conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
    yield
    # (After an error the transaction is rolled back, and the setting with it.)
    if pg:
        conn.exec_driver_sql("SET LOCAL enable_indexscan TO DEFAULT")


def _in_scope(query, scope: Scope):
    return query.where(P.subscriber_id.in_(scoped_people(scope))) if scope.limited else query


def issue_stats(conn, issue_id: int, scope: Scope = Scope(), *, people: People = "all",
                department: str = "", limit: int | None = None) -> IssueStats:
    """The issue's figures per department (the tree rolled up) and the rows of ``people``:
    everyone who received or read it, only the recipients who have not studied yet, or
    nobody; within ``department``'s subtree (a path), the first ``limit`` of them (in the order of
    department, employee number, name). Raises NotFoundError."""
    issue = conn.execute(select(issues).where(issues.c.id == issue_id)).mappings().first()
    if issue is None:
        raise NotFoundError("没有这一期", resource=f"issue {issue_id}")
    column = conn.execute(select(columns.c.id, columns.c.slug, columns.c.name,
                                 columns.c.min_read_seconds)
                          .where(columns.c.id == issue["column_id"])).mappings().first()
    min_seconds = int(column["min_read_seconds"] or 0)
    n_items = conn.execute(select(func.count()).select_from(issue_items)
                           .where(issue_items.c.issue_id == issue_id)).scalar_one()
    # Recipients: everyone the issue was pushed to (any channel), sent or not yet. Readers
    # who were not pushed the issue (opened a forwarded link) are people of the issue but
    # not counted in the figures.
    groups: dict[str, list[int]] = {}
    with _whole_issue_scans(conn):
        by_department = conn.execute(_in_scope(
            select(subscribers.c.department, *_figures(n_items))
            .join(subscribers, subscribers.c.id == P.subscriber_id)
            .where(P.issue_id == issue_id, P.recipient)
            .group_by(subscribers.c.department), scope)).all()
    for dept, *figures in by_department:
        # Texts spelled differently ("集团 › 公司") are the same department.
        total = groups.setdefault(department_path(dept), [0] * len(figures))
        for k, value in enumerate(figures):
            total[k] += int(value or 0)
    nodes = roll_up_groups([Group(path, *figures) for path, figures in groups.items()],
                           root_name="管辖单位合计" if scope.limited else "全部")
    anonymous = 0             # nobody's department: outside every scope
    if not scope.limited:
        anonymous = conn.execute(
            select(func.count(distinct(readings.c.reader)))
            .join(issue_items, issue_items.c.article_id == readings.c.article_id)
            .where(issue_items.c.issue_id == issue_id, readings.c.subscriber_id.is_(None))
        ).scalar_one()
    rows: list[PersonRow] = []
    pending_count = None
    if people != "none":
        who = [P.issue_id == issue_id]
        if scope.limited:
            who.append(P.subscriber_id.in_(scoped_people(scope)))
        if people == "pending":
            who += [P.recipient, P.delivered, ~_done(n_items)]
        else:
            who.append(or_(P.recipient, P.opened > 0))
        if department in nodes and department:      # an unknown one: the whole scope
            who.append(P.subscriber_id.in_(scoped_people(Scope.of([department]))))
        if limit is not None and people == "pending":
            pending_count = conn.execute(select(func.count()).select_from(study_progress)
                                         .where(*who)).scalar_one()
        rows = _people(conn, who, n_items, limit)
    return IssueStats(dict(issue), dict(column), n_items, nodes, rows, anonymous,
                      min_seconds=min_seconds, scope=scope, pending_count=pending_count)


def _people(conn, who: list, n_items: int, limit: int | None) -> list[PersonRow]:
    query = (select(P.subscriber_id, subscribers.c.name, subscribers.c.employee_no,
                    subscribers.c.email, subscribers.c.department, P.delivered, P.opened,
                    P.studied, P.seconds, P.too_quick)
             .join(subscribers, subscribers.c.id == P.subscriber_id)
             .where(*who))
    if limit is not None:
        query = query.order_by(subscribers.c.department, subscribers.c.employee_no,
                               subscribers.c.name).limit(limit)
    out = [PersonRow(sid, name, no or "", email, department_path(dept), bool(delivered),
                     opened, studied, seconds, n_items, quick)
           for sid, name, no, email, dept, delivered, opened, studied, seconds, quick
           in conn.execute(query)]
    if limit is None:        # the paths as shown, which the database did not sort by
        out.sort(key=lambda p: (p.department, p.employee_no, p.name))
    return out


def column_trend(conn, column_id: int, *, last: int = 12, scope: Scope = Scope()) -> list[dict]:
    """Per issue, oldest first, over the ``last`` newest issues: recipients, opened and
    studied (every article confirmed) among the recipients, and the rates, summed over
    the roll-up's rows of each issue."""
    recent = conn.execute(select(issues.c.id, issues.c.number, issues.c.title,
                                 issues.c.published_at)
                          .where(issues.c.column_id == column_id)
                          .order_by(issues.c.number.desc()).limit(last)).mappings().all()
    ids = [i["id"] for i in recent]
    if not ids:
        return []
    n_items = dict(conn.execute(select(issue_items.c.issue_id, func.count())
                                .where(issue_items.c.issue_id.in_(ids))
                                .group_by(issue_items.c.issue_id)).all())
    # One query an issue: its number of articles is then a constant of the query, not a
    # lookup for each of its 50,000 rows.
    figures = {}
    with _whole_issue_scans(conn):
        for iid in ids:
            figures[iid] = conn.execute(_in_scope(
                select(*_figures(n_items.get(iid, 0))).where(P.issue_id == iid, P.recipient),
                scope)).one()
    out = []
    for issue in reversed(recent):
        n, delivered, o, st, secs, quick = (int(v or 0) for v in figures[issue["id"]])
        base = (delivered or n) or 0
        out.append({"number": issue["number"], "title": issue["title"],
                    "published_at": issue["published_at"], "recipients": n,
                    "delivered": delivered, "opened": o, "studied": st,
                    "open_rate": o / base if base else 0.0,
                    "completion": st / base if base else 0.0,
                    "avg_minutes": secs / o / 60 if o else 0.0, "too_quick": quick})
    return out
