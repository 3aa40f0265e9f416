"""The queries of the statistics for managers: per column, issue and department (rolled
up the tree) — delivered, opened, studied, completion rate, average reading time; who has
not studied yet; trends over issues. Queries are grouped in the database (one row per
person), the tree roll-up is done in Python (``study.rollup``): for 50,000 people that is
one pass.

A ``Scope`` (``study.scope``) limits every figure to the people of some department
subtrees: the others are left out before anything is counted, so totals are over those
units only and other departments are absent, not zero.
"""

from __future__ import annotations

from sqlalchemy import Integer, case, distinct, func, or_, select

from zhuanlan.errors import NotFoundError
from zhuanlan.store.readings import counts_as_studied, too_quick
from zhuanlan.store.schema import (
    columns,
    deliveries,
    departments,
    issue_items,
    issues,
    readings,
    subscribers,
)
from zhuanlan.study.figures import IssueStats, PersonRow
from zhuanlan.study.rollup import Person, roll_up
from zhuanlan.study.scope import Scope


def scoped_people(scope: Scope):
    """The ids of the people whose department lies in the scope (a subquery)."""
    path = departments.c.path
    return (select(subscribers.c.id)
            .join(departments, departments.c.id == subscribers.c.department_id)
            .where(or_(*[(path == d) | path.startswith(d + "/", autoescape=True)
                         for d in scope.departments])))


def department_paths(conn) -> dict[int, str]:
    """Each subscriber's department as a path "集团/公司/部门"."""
    rows = conn.execute(select(subscribers.c.id, subscribers.c.department))
    return {sid: (dept or "").replace(" › ", "/").replace("›", "/").strip("/")
            for sid, dept in rows}


def issue_stats(conn, issue_id: int, scope: Scope = Scope()) -> IssueStats:
    issue = conn.execute(select(issues).where(issues.c.id == issue_id)).mappings().first()
    if issue is None:
        raise NotFoundError("没有这一期", resource=f"issue {issue_id}")
    column = conn.execute(select(columns.c.id, columns.c.slug, columns.c.name,
                                 columns.c.min_read_seconds)
                          .where(columns.c.id == issue["column_id"])).mappings().first()
    min_seconds = int(column["min_read_seconds"] or 0)
    n_items = conn.execute(select(func.count()).select_from(issue_items)
                           .where(issue_items.c.issue_id == issue_id)).scalar_one()
    # Recipients: everyone the issue was pushed to (any channel), sent or not yet.
    recipients = dict(conn.execute(
        select(deliveries.c.subscriber_id,
               func.max((deliveries.c.state == "sent").cast(Integer)))
        .where(deliveries.c.issue_id == issue_id, deliveries.c.subscriber_id.is_not(None),
               deliveries.c.reminder_id == 0)
        .group_by(deliveries.c.subscriber_id)).all())
    reading = {sid: (opened, studied, seconds, quick)
               for sid, opened, studied, seconds, quick in conn.execute(
        select(readings.c.subscriber_id, func.count(readings.c.id),
               func.count(case((counts_as_studied(min_seconds), 1))),
               func.sum(readings.c.active_seconds),
               func.count(case((too_quick(min_seconds), 1))))
        .join(issue_items, issue_items.c.article_id == readings.c.article_id)
        .where(issue_items.c.issue_id == issue_id, readings.c.subscriber_id.is_not(None))
        .group_by(readings.c.subscriber_id))}
    anonymous = conn.execute(
        select(func.count(distinct(readings.c.reader)))
        .join(issue_items, issue_items.c.article_id == readings.c.article_id)
        .where(issue_items.c.issue_id == issue_id, readings.c.subscriber_id.is_(None))
    ).scalar_one()
    if scope.limited:
        allowed = set(conn.execute(scoped_people(scope)).scalars())
        recipients = {k: v for k, v in recipients.items() if k in allowed}
        reading = {k: v for k, v in reading.items() if k in allowed}
        anonymous = 0             # nobody's department: outside every scope
    paths = department_paths(conn)
    info = {sid: (name, no or "", email) for sid, name, no, email in conn.execute(
        select(subscribers.c.id, subscribers.c.name, subscribers.c.employee_no,
               subscribers.c.email))}
    people: list[PersonRow] = []
    # Readers who were not pushed the issue (opened a forwarded link) still count as readers
    # of their department, not as recipients.
    for sid in set(recipients) | set(reading):
        opened, studied, seconds, quick = reading.get(sid, (0, 0, 0, 0))
        name, no, email = info.get(sid, ("", "", ""))
        people.append(PersonRow(sid, name, no, email, paths.get(sid, ""),
                                bool(recipients.get(sid)), opened, studied, int(seconds or 0),
                                n_items, quick))
    people.sort(key=lambda p: (p.department, p.employee_no, p.name))
    nodes = roll_up([Person(p.department, p.delivered, p.opened > 0, p.done, p.seconds,
                            p.too_quick)
                     for p in people if p.subscriber_id in recipients],
                    root_name="管辖单位合计" if scope.limited else "全部")
    return IssueStats(dict(issue), dict(column), n_items, nodes, people, anonymous,
                      min_seconds=min_seconds, scope=scope)


def column_trend(conn, column_id: int, *, last: int = 12, scope: Scope = Scope()) -> list[dict]:
    """Per issue, oldest first, over the ``last`` newest issues: recipients, opened and
    studied (every article confirmed) among the recipients, and the rates. Grouped in the
    database: three queries whatever the number of people."""
    min_seconds = int(conn.execute(select(columns.c.min_read_seconds)
                                   .where(columns.c.id == column_id)).scalar() or 0)
    recent = conn.execute(select(issues.c.id, issues.c.number, issues.c.title,
                                 issues.c.published_at)
                          .where(issues.c.column_id == column_id)
                          .order_by(issues.c.number.desc()).limit(last)).mappings().all()
    ids = [i["id"] for i in recent]
    if not ids:
        return []
    sent = (deliveries.c.state == "sent").cast(Integer)
    person_q = (select(deliveries.c.issue_id, deliveries.c.subscriber_id,
                       func.max(sent).label("sent"))
                .where(deliveries.c.issue_id.in_(ids), deliveries.c.subscriber_id.is_not(None),
                       deliveries.c.reminder_id == 0))
    if scope.limited:
        person_q = person_q.where(deliveries.c.subscriber_id.in_(scoped_people(scope)))
    per_person = person_q.group_by(deliveries.c.issue_id, deliveries.c.subscriber_id).subquery()
    recipients = {iid: (n, d) for iid, n, d in conn.execute(
        select(per_person.c.issue_id, func.count(), func.sum(per_person.c.sent))
        .group_by(per_person.c.issue_id))}
    n_items = dict(conn.execute(select(issue_items.c.issue_id, func.count())
                                .where(issue_items.c.issue_id.in_(ids))
                                .group_by(issue_items.c.issue_id)).all())
    # Readers per issue and person, kept when the person was a recipient: an EXISTS on
    # the outbox's (issue_id, subscriber_id, …) key per reader, rather than a join with
    # the grouped recipients above (which SQLite materializes: 600,000 rows for 12
    # issues of 50,000 people).
    read_q = (select(issue_items.c.issue_id, readings.c.subscriber_id,
                     func.count(case((counts_as_studied(min_seconds), 1))).label("studied"),
                     func.sum(readings.c.active_seconds).label("seconds"),
                     func.count(case((too_quick(min_seconds), 1))).label("quick"))
              .join(readings, readings.c.article_id == issue_items.c.article_id)
              .where(issue_items.c.issue_id.in_(ids), readings.c.subscriber_id.is_not(None)))
    if scope.limited:
        read_q = read_q.where(readings.c.subscriber_id.in_(scoped_people(scope)))
    read = read_q.group_by(issue_items.c.issue_id, readings.c.subscriber_id).subquery()
    recipient = (select(deliveries.c.id)
                 .where(deliveries.c.issue_id == read.c.issue_id,
                        deliveries.c.subscriber_id == read.c.subscriber_id)
                 .exists())
    opened: dict[int, list[int]] = {}
    for iid, studied, seconds, quick in conn.execute(
            select(read.c.issue_id, read.c.studied, read.c.seconds, read.c.quick)
            .where(recipient)):
        entry = opened.setdefault(iid, [0, 0, 0, 0])
        entry[0] += 1
        entry[1] += studied >= n_items.get(iid, 0) > 0
        entry[2] += int(seconds or 0)
        entry[3] += quick
    out = []
    for issue in reversed(recent):
        n, delivered = recipients.get(issue["id"], (0, 0))
        o, st, secs, quick = opened.get(issue["id"], (0, 0, 0, 0))
        base = (delivered or n) or 0
        out.append({"number": issue["number"], "title": issue["title"],
                    "published_at": issue["published_at"], "recipients": n,
                    "delivered": int(delivered or 0), "opened": o, "studied": st,
                    "open_rate": o / base if base else 0.0,
                    "completion": st / base if base else 0.0,
                    "avg_minutes": secs / o / 60 if o else 0.0, "too_quick": quick})
    return out
