"""Columns: their rules and schedules, the review queue and the editor's decisions (which
train the column's learner), publishing now, the issues and the audit log."""

from __future__ import annotations

import json
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zhuanlan.editorial import states
from zhuanlan.editorial.assemble import clean_note
from zhuanlan.errors import ConfigError, InvalidTransition, NotFoundError, RuleError
from zhuanlan.jobs import publishing
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.selecting import column_learner, terms_of
from zhuanlan.model import CandidateState, IssueView
from zhuanlan.publish.schedule import next_run, validate_cron
from zhuanlan.selection import featurize, parse_rules
from zhuanlan.store import candidates as candidate_store
from zhuanlan.store import columns as store
from zhuanlan.store.audit import entries as audit_entries
from zhuanlan.store.audit import record as audit
from zhuanlan.store.issues import issue_view, publish_plan

log = logging.getLogger(__name__)


class Columns:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- the columns ---------------------------------------------------------------

    def add(self, slug: str, name: str, *, include: str, exclude: str = "",
            title_terms: str = "", sources_filter: list[int | str] | None = None,
            max_age_days: int | None = None, min_length: int = 0,
            schedule: str = "0 9 * * 1", timezone_name: str | None = None,
            editor_note: str = "", description: str = "", auto_approve: bool = False,
            auto_approve_threshold: float | None = None, by: str = "admin") -> int:
        """Create a column. Raises RuleError naming the field (and, for an expression,
        the position) for invalid rules or a malformed cron; ConfigError for an unknown
        time zone."""
        parse_rules(include, exclude, title_terms=title_terms, sources=sources_filter or (),
                    max_age_days=max_age_days, min_length=min_length)
        validate_cron(schedule)
        tz = timezone_name or self.ctx.tz
        check_tz(tz)
        if not slug or not slug.replace("-", "").replace("_", "").isalnum() or not slug.isascii():
            raise RuleError("专栏代号只能由英文字母、数字、- 和 _ 组成", resource=slug)
        if auto_approve_threshold is not None and not 0 < auto_approve_threshold < 1:
            raise RuleError("自动通过的门槛是 0 到 1 之间的概率", resource="auto_approve_threshold")
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            if store.column_exists(conn, slug):
                raise RuleError("已有这个代号的专栏", resource=slug)
            audit(conn, by, "add_column", f"column {slug}", f"{name}: {include}", at=now)
            return store.insert_column(
                conn, slug=slug, name=name, description=description,
                editor_note=clean_note(editor_note),
                include_terms=include, exclude_terms=exclude, title_terms=title_terms,
                source_filter=json.dumps(sources_filter, ensure_ascii=False)
                if sources_filter else None,
                max_age_days=max_age_days, min_length=min_length, schedule=schedule,
                timezone=tz, auto_approve=auto_approve,
                auto_approve_threshold=auto_approve_threshold,
                next_run_at=next_run(schedule, tz, now), created_at=now)

    def all(self) -> list[dict]:
        with self.ctx.db.read() as conn:
            return store.column_rows(conn)

    def get(self, slug: str) -> dict:
        """Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            return store.column_by_slug(conn, slug)

    def set_editor_note(self, slug: str, note: str, *, by: str = "editor") -> None:
        column = self.get(slug)
        note = clean_note(note)
        with self.ctx.db.write() as conn:
            store.update_column(conn, column["id"], editor_note=note)
            audit(conn, by, "editor_note", f"column {slug}", note, at=self.ctx.clock())

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
               column: str | None = None) -> str:
        """Approve, reject or undo a candidate. Returns the new state. An approval or a
        rejection also trains the column's learner, in the same transaction.

        ``column`` (a slug) limits the decision to that column's candidates, so that a
        permission checked on the column covers the candidate.

        Raises NotFoundError, InvalidTransition (e.g. a published candidate), RuleError
        for an unknown action.
        """
        if action not in states.ACTIONS:
            raise RuleError(f"未知的操作 {action[:40]!r}（approve、reject、undo）")
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
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
        log.info("candidate decided", extra={"candidate_id": candidate_id, "state": new.value,
                                             "by": by})
        return new.value

    def decide_many(self, candidate_ids: list[int], action: str, *, by: str = "editor",
                    column: str | None = None) -> dict[int, str]:
        """``decide`` for several candidates; returns the new state or the error per id
        (one refused move does not stop the others)."""
        results: dict[int, str] = {}
        for cid in candidate_ids:
            try:
                results[cid] = self.decide(cid, action, by=by, column=column)
            except (InvalidTransition, NotFoundError) as exc:
                results[cid] = f"错误：{exc}"
        return results

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
            return audit_entries(conn, limit)


class _Row:
    """Attribute access over a column dict, for helpers written against store rows."""

    def __init__(self, data: dict) -> None:
        self.__dict__.update(data)


def check_tz(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", f"未知的时区 {name!r}") from None
