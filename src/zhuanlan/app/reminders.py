"""催学: remind the people who have not yet studied an issue, through their app (else
e-mail), for the whole issue or one department's subtree; by hand from the statistics
page, or automatically some hours before the column's study deadline.

A reminder is a row in ``reminders`` and one outbox row per person with its id
(``deliveries.reminder_id``), sent by the same jobs as the issue and shown apart from the
issue's own delivery report. A person is reminded of an issue at most once a day.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhuanlan.errors import ConfigError, NotFoundError
from zhuanlan.jobs.context import Context
from zhuanlan.store import audit
from zhuanlan.store import reminders as store
from zhuanlan.store.columns import column_by_slug
from zhuanlan.store.deliveries import issue_header
from zhuanlan.store.issues import column_apps, queue_people
from zhuanlan.study.scope import Scope

MAX_STUDY_DAYS = 365


@dataclass(frozen=True)
class Reminded:
    reminder_id: int | None     # None: nobody to remind (all studied, or reminded today)
    count: int


class Reminders:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def remind(self, issue_id: int, *, department: str | None = None, by: str = "admin",
               automatic: bool = False) -> Reminded:
        """Queue one reminder for each person of the issue (in ``department``'s subtree)
        who has not confirmed it and was not reminded of it in the last 24 hours."""
        now = self.ctx.clock()
        department = (department or "").strip("/") or None
        with self.ctx.db.write() as conn:
            header = issue_header(conn, issue_id)
            department_id = store.department_id(conn, department) if department else None
            if department and department_id is None:
                raise NotFoundError("没有这个部门", resource=f"department {department}")
            only = store.unstudied_conditions(conn, issue_id, department=department, now=now)
            reminder_id = store.create(conn, issue_id, department_id=department_id, by=by,
                                       automatic=automatic, now=now)
            column_id = column_by_slug(conn, header["slug"])["id"]
            n = queue_people(conn, issue_id, column_id, column_apps(conn, column_id), now,
                             reminder_id=reminder_id, only=only)
            store.set_recipients(conn, reminder_id, n)
            where = f"（{department}）" if department else ""
            audit.record(conn, by, "issue.remind", f"issue {header['slug']} #{header['number']}",
                         f"提醒未学人员{where}：{n} 人" + ("（自动）" if automatic else ""),
                         at=now)
        return Reminded(reminder_id if n else None, n)

    def remind_within(self, issue_id: int, scope: Scope, *, department: str = "",
                      by: str) -> Reminded:
        """``remind`` by a staff user: ``department`` must lie in their scope, and "" (all)
        means each of their units for a limited user."""
        department = department.strip("/")
        scope.require(department)
        if department or not scope.limited:
            return self.remind(issue_id, department=department or None, by=by)
        done = [self.remind(issue_id, department=d, by=by) for d in scope.departments]
        last = next((d.reminder_id for d in reversed(done) if d.reminder_id), None)
        return Reminded(last, sum(d.count for d in done))

    def history(self, issue_id: int) -> list[dict]:
        """The issue's reminders, newest first: when, by whom, where, to how many, and how
        many of those messages went out so far."""
        with self.ctx.db.read() as conn:
            return [dict(r._mapping) for r in store.history(conn, issue_id)]

    def set_deadline(self, slug: str, study_days: int | None, remind_hours: int | None, *,
                     by: str = "admin") -> None:
        """The column's study deadline (days after publishing; None: none) and the
        automatic reminder this many hours before it (None: off)."""
        if study_days is not None and not 1 <= study_days <= MAX_STUDY_DAYS:
            raise ConfigError("study_days", f"学习期限应为 1 到 {MAX_STUDY_DAYS} 天")
        if remind_hours is not None and (study_days is None
                                         or not 1 <= remind_hours < study_days * 24):
            raise ConfigError("remind_hours", "自动提醒须在学习期限之内（至少提前 1 小时）")
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            column_id = column_by_slug(conn, slug)["id"]
            store.set_deadline(conn, column_id, study_days, remind_hours)
            audit.record(conn, by, "column.deadline", f"column {slug}",
                         f"学习期限 {study_days or '无'} 天，自动提醒 "
                         f"{f'截止前 {remind_hours} 小时' if remind_hours else '关闭'}", at=now)

    def remind_due(self) -> int:
        """The worker's part: send the automatic reminders that are due. Returns how many
        people were queued."""
        now = self.ctx.clock()
        with self.ctx.db.read() as conn:
            due = store.due_automatic(conn, now)
        return sum(self.remind(r.id, by="auto", automatic=True).count for r in due)
