"""Columns: their rules and schedules, the review queue and the editor's decisions (which
train the column's learner), publishing now, the issues and the audit log."""

from __future__ import annotations

import json
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zhuanlan.app.audit_log import readable
from zhuanlan.app.column_form import (
    ColumnFields,
    FieldError,
    chinese_time,
    next_times,
    problems,
    refused,
    slug_problem,
)
from zhuanlan.app.column_trial import Trial
from zhuanlan.app.column_trial import trial as column_trial
from zhuanlan.app.desk_steps import decision, keep_decisions, keep_note
from zhuanlan.editorial import states
from zhuanlan.editorial.assemble import clean_note
from zhuanlan.errors import ConfigError, InvalidTransition, NotFoundError, RuleError
from zhuanlan.jobs import publishing
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.ingest import offer_recent
from zhuanlan.jobs.selecting import column_learner, terms_of
from zhuanlan.model import CandidateState, IssueView
from zhuanlan.publish.schedule import next_run, validate_cron
from zhuanlan.selection import featurize
from zhuanlan.store import candidates as candidate_store
from zhuanlan.store import columns as store
from zhuanlan.store.audit import entries as audit_entries
from zhuanlan.store.audit import record as audit
from zhuanlan.store.issues import issue_view, publish_plan

log = logging.getLogger(__name__)

BACKLOG_DAYS = 30
FIELD_NAMES = {"name": "名称", "description": "简介", "include": "包含条件",
               "exclude": "排除条件", "title_terms": "标题条件", "sources": "信息源",
               "max_age_days": "时间范围（天）", "min_length": "最短字数",
               "schedule": "推送时间", "timezone": "时区", "auto_approve": "自动通过",
               "auto_approve_threshold": "自动通过门槛", "compulsory": "必学",
               "contact": "联系人", "reflection_names": "心得选登直接署名"}


class Columns:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- the columns ---------------------------------------------------------------

    def add(self, slug: str, name: str, *, include: str, exclude: str = "",
            title_terms: str = "", sources_filter: list[int | str] | None = None,
            max_age_days: int | None = None, min_length: int = 0,
            schedule: str = "0 9 * * 1", timezone_name: str | None = None,
            editor_note: str = "", description: str = "", auto_approve: bool = False,
            auto_approve_threshold: float | None = None, compulsory: bool = False,
            contact: str = "", reflection_names: bool = False, by: str = "admin") -> int:
        """Create a column, and offer it the articles stored in the last 30 days that
        its rules select (pending review), not only those fetched from now on.

        Raises RuleError (``column_form.refused``: naming the first field at fault, with
        every field's fault in ``errors``; for a rule, with the position) for invalid
        fields, a bad slug or one already taken."""
        f = ColumnFields(name=name, description=description, include=include,
                         exclude=exclude, title_terms=title_terms,
                         sources=tuple(sources_filter or ()), max_age_days=max_age_days,
                         min_length=min_length, schedule=schedule,
                         timezone=timezone_name or self.ctx.tz, auto_approve=auto_approve,
                         auto_approve_threshold=auto_approve_threshold,
                         compulsory=compulsory, contact=contact,
                         reflection_names=reflection_names)
        errors = problems(f)
        if (bad_slug := slug_problem(slug)) is not None:
            errors = {"slug": bad_slug, **errors}
        if errors:
            raise refused(errors)
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            if store.column_exists(conn, slug):
                raise refused({"slug": FieldError("slug", f"已有代号为 {slug} 的专栏，"
                                                           "请换一个")})
            column_id = store.insert_column(
                conn, slug=slug, editor_note=clean_note(editor_note),
                **_values(f), next_run_at=next_run(f.schedule, f.timezone, now),
                created_at=now)
            offer_recent(conn, column_id, now, days=BACKLOG_DAYS)
            offered = candidate_store.state_counts(conn, column_id).get("pending", 0)
            audit(conn, by, "add_column", f"column {slug}",
                  f"新建专栏「{f.name}」：包含条件 {f.include}；推送时间 {f.schedule}"
                  f"（{f.timezone}）{'；必学' if f.compulsory else ''}；"
                  f"近 {BACKLOG_DAYS} 天已收录的文章中 {offered} 篇进入待审", at=now)
        log.info("column added", extra={"column": slug, "offered": offered})
        return column_id

    def fields(self, slug: str) -> ColumnFields:
        return ColumnFields.of_row(self.get(slug))

    def update(self, slug: str, f: ColumnFields, *, by: str = "editor") -> list[str]:
        """Save a column's edited fields; returns the names of the fields that changed.
        A changed schedule or time zone sets the next run anew. Raises RuleError
        (``column_form.refused``)."""
        errors = problems(f)
        if errors:
            raise refused(errors)
        column = self.get(slug)
        before = ColumnFields.of_row(column)
        changed = before.differences(f)
        if not changed:
            return []
        values = _values(f)
        if {"schedule", "timezone"} & set(changed) and column["archived_at"] is None:
            values["next_run_at"] = next_run(f.schedule, f.timezone, self.ctx.clock())
        with self.ctx.db.write() as conn:
            store.update_column(conn, column["id"], **values)
            audit(conn, by, "edit_column", f"column {slug}",
                  f"修改专栏「{f.name}」：" + "；".join(
                      f"{FIELD_NAMES.get(k, k)} {_shown(getattr(before, k))} → "
                      f"{_shown(getattr(f, k))}" for k in changed), at=self.ctx.clock())
        return changed

    def archive(self, slug: str, *, by: str = "admin") -> None:
        """归档: the column no longer runs (no scheduled issue, so no new deliveries or
        automatic reminders), is offered no new articles and is no longer listed to
        readers as active; its issues, statistics and readers' links stay. Idempotent."""
        column = self.get(slug)
        if column["archived_at"] is not None:
            return
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            store.update_column(conn, column["id"], archived_at=now, archived_by=by,
                                next_run_at=None)
            audit(conn, by, "archive_column", f"column {slug}",
                  f"归档专栏「{column['name']}」：停止定时发布和推送，往期、统计和读者链接保留",
                  at=now)

    def unarchive(self, slug: str, *, by: str = "admin") -> None:
        """恢复: the column runs again from its schedule's next time."""
        column = self.get(slug)
        if column["archived_at"] is None:
            return
        now = self.ctx.clock()
        when = next_run(column["schedule"], column["timezone"], now)
        with self.ctx.db.write() as conn:
            store.update_column(conn, column["id"], archived_at=None, archived_by=None,
                                next_run_at=when)
            audit(conn, by, "unarchive_column", f"column {slug}",
                  f"恢复专栏「{column['name']}」：下次推送 "
                  f"{chinese_time(when.astimezone(ZoneInfo(column['timezone'])))}", at=now)

    def trial(self, f: ColumnFields) -> Trial:
        """试跑 (``app.column_trial``): what the rules would select, before saving."""
        return column_trial(self.ctx, f)

    def next_times(self, schedule: str, timezone_name: str, count: int = 5) -> list:
        """The next run times of a schedule in its zone. Raises RuleError."""
        return next_times(schedule, timezone_name, self.ctx.clock(), count)

    def all(self) -> list[dict]:
        with self.ctx.db.read() as conn:
            return store.column_rows(conn)

    def get(self, slug: str) -> dict:
        """Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            return store.column_by_slug(conn, slug)

    def set_editor_note(self, slug: str, note: str, *, by: str = "editor",
                        keep_step: bool = False) -> None:
        """Save the 编者按 of the column's next issue (and when it was saved, for the
        desk's warning about an old note); ``keep_step`` as in ``decide``."""
        note = clean_note(note)
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            column = store.column_by_slug(conn, slug)
            store.update_column(conn, column["id"], editor_note=note, editor_note_at=now)
            audit(conn, by, "editor_note", f"column {slug}", note, at=now)
            if keep_step:
                keep_note(conn, column["id"], by, column["editor_note"],
                          column["editor_note_at"], note, now)

    def set_schedule(self, slug: str, schedule: str, timezone_name: str | None = None,
                     *, first_run_at=None) -> None:
        """Change a column's schedule; ``first_run_at`` overrides the next run once."""
        validate_cron(schedule)
        column = self.get(slug)
        tz = timezone_name or column["timezone"]
        check_tz(tz)
        when = first_run_at or next_run(schedule, tz, self.ctx.clock())
        with self.ctx.db.write() as conn:
            store.update_column(conn, column["id"], schedule=schedule, timezone=tz,
                                next_run_at=when)

    # -- the review ------------------------------------------------------------------

    def candidates(self, slug: str, state: str | None = "pending") -> list[dict]:
        """The review queue of a column, best first: by the column's learner once it has
        learnt enough from the editor's decisions, by keyword score before. Each row has
        ``terms`` (the matched terms), ``reason`` and ``priority``."""
        column = self.get(slug)
        with self.ctx.db.read() as conn:
            rows = candidate_store.queue(conn, column["id"], state)
        learner = column_learner(_Row(column))
        for r in rows:
            r["terms"] = terms_of(r["terms"])
            r["priority"] = learner.priority(
                featurize(r["title"], r["text"], r["outlet"], r["score"]), r["score"]) \
                if learner.ready else r["score"]
        if learner.ready:
            rows.sort(key=lambda r: -r["priority"])
        return rows

    def candidate_counts(self, slug: str) -> dict[str, int]:
        """How many candidates of the column are in each state."""
        column = self.get(slug)
        with self.ctx.db.read() as conn:
            return candidate_store.state_counts(conn, column["id"])

    def learner_ready(self, slug: str) -> bool:
        return column_learner(_Row(self.get(slug))).ready

    def decide(self, candidate_id: int, action: str, *, by: str = "editor",
               column: str | None = None, keep_step: bool = False) -> str:
        """Approve, reject or undo a candidate. Returns the new state. An approval or a
        rejection also trains the column's learner, in the same transaction.

        ``column`` (a slug) limits the decision to that column's candidates, so that a
        permission checked on the column covers the candidate. ``keep_step`` keeps the
        decision as ``by``'s last step on the column, for 撤销上一步 (``zl.desk.steps``).

        Raises NotFoundError, InvalidTransition (e.g. a published candidate), RuleError
        for an unknown action.
        """
        _check_action(action)
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            new, done, column_id = self._decide(conn, candidate_id, action, by, column, now)
            if keep_step:
                keep_decisions(conn, column_id, by, action, [done], now, bulk=False)
        log.info("candidate decided", extra={"candidate_id": candidate_id, "state": new,
                                             "by": by})
        return new

    def decide_many(self, candidate_ids: list[int], action: str, *, by: str = "editor",
                    column: str | None = None, keep_step: bool = False) -> dict[int, str]:
        """``decide`` for several candidates, in one transaction; returns the new state
        or the error per id (one refused move does not stop the others). With
        ``keep_step`` the decisions made are one step, undone together."""
        _check_action(action)
        now = self.ctx.clock()
        results: dict[int, str] = {}
        done: list[dict] = []
        with self.ctx.db.write() as conn:
            column_id = None
            for cid in dict.fromkeys(candidate_ids):
                try:
                    results[cid], item, column_id = self._decide(conn, cid, action, by,
                                                                 column, now)
                    done.append(item)
                except (InvalidTransition, NotFoundError) as exc:
                    results[cid] = f"错误：{exc}"
            if keep_step and done and column_id is not None:
                keep_decisions(conn, column_id, by, action, done, now, bulk=True)
        return results

    @staticmethod
    def _decide(conn, candidate_id: int, action: str, by: str, column: str | None,
                now) -> tuple[str, dict, int]:
        """One decision in the caller's transaction: (new state, the step's item, the
        column's id)."""
        row = candidate_store.for_decision(conn, candidate_id)
        if row is None or (column is not None and row.slug != column):
            raise NotFoundError("没有这篇候选稿件", resource=f"candidate {candidate_id}")
        new = states.move(row.state, states.ACTIONS[action],
                          resource=f"candidate {candidate_id}")
        undo = new is CandidateState.PENDING
        values = dict(state=new.value, decided_at=None if undo else now,
                      decided_by=None if undo else by)
        if new is not CandidateState.APPROVED:
            values["position"] = None    # approved again later, it goes to the end
        candidate_store.update_candidate(conn, candidate_id, **values)
        audit(conn, by, action, f"candidate {candidate_id}", row.title, at=now)
        if not undo and by != "auto":
            # An undo is not unlearnt: the editor's later decisions correct the model.
            learner = column_learner(store.column_model(conn, row.column_id))
            learner.update(featurize(row.title, row.text, row.outlet, row.score),
                           new is CandidateState.APPROVED)
            store.update_column(conn, row.column_id, model=learner.to_bytes())
        return new.value, decision(candidate_id, row, new.value), row.column_id

    # -- issues ----------------------------------------------------------------------

    def publish_now(self, slug: str, *, by: str = "editor") -> int | None:
        """Publish the column's approved candidates as a new issue now (not waiting for
        its schedule). Returns the issue id, or None when nothing is approved."""
        issue_id = publishing.publish_column_now(self.ctx, self.get(slug)["id"])
        if issue_id is not None:
            with self.ctx.db.write() as conn:
                audit(conn, by, "publish", f"column {slug}", f"issue {issue_id}",
                      at=self.ctx.clock())
        return issue_id

    def publish_plan(self, slug: str) -> dict:
        """What publishing the column now would queue (``store.issues.publish_plan``,
        counted by the statements the publish runs), for the confirmation before it."""
        column = self.get(slug)
        with self.ctx.db.read() as conn:
            return publish_plan(conn, column["id"], self.ctx.clock())

    def issues(self, slug: str) -> list[dict]:
        column = self.get(slug)
        with self.ctx.db.read() as conn:
            return store.issue_rows(conn, column["id"])

    def issue_id(self, slug: str, number: int) -> int:
        """Raises NotFoundError."""
        column = self.get(slug)
        with self.ctx.db.read() as conn:
            return store.issue_id_by_number(conn, column["id"], number, slug=slug)

    def issue_view(self, slug: str, number: int) -> IssueView:
        column = self.get(slug)
        with self.ctx.db.read() as conn:
            issue_id = store.issue_id_by_number(conn, column["id"], number, slug=slug)
            return issue_view(conn, issue_id, self.ctx.cfg.base_url)

    def audit(self, limit: int = 200) -> list[dict]:
        """The newest entries of the audit log (who approved, published … what, when)."""
        with self.ctx.db.read() as conn:
            return readable(conn, audit_entries(conn, limit))


def _check_action(action: str) -> None:
    if action not in states.ACTIONS:
        raise RuleError(f"未知的操作 {action[:40]!r}（approve、reject、undo）")


class _Row:
    """Attribute access over a column dict, for helpers written against store rows."""

    def __init__(self, data: dict) -> None:
        self.__dict__.update(data)


def check_tz(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", f"未知的时区 {name!r}") from None


def _values(f: ColumnFields) -> dict:
    """The store's columns for the form's fields."""
    return dict(name=f.name.strip(), description=f.description,
                include_terms=f.include, exclude_terms=f.exclude, title_terms=f.title_terms,
                source_filter=json.dumps(list(f.sources), ensure_ascii=False)
                if f.sources else None,
                max_age_days=f.max_age_days, min_length=f.min_length,
                schedule=validate_cron(f.schedule), timezone=f.timezone,
                auto_approve=f.auto_approve or f.auto_approve_threshold is not None,
                auto_approve_threshold=f.auto_approve_threshold,
                compulsory=f.compulsory, contact=f.contact.strip(),
                reflection_names=f.reflection_names)


def _shown(value) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None or value == "" or value == ():
        return "（空）"
    if isinstance(value, tuple):
        return "、".join(str(v) for v in value)
    return str(value)[:200]
