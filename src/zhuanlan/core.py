"""The facade: one ``Zhuanlan`` object that the CLI, the web app, the worker and the
tests all call. Front ends parse input, call a method here, render the answer.

The work that moves rows between stages (polling, extraction, publishing, delivery)
lives in ``zhuanlan.jobs``; this module holds the editorial and administrative
operations and wires the jobs to the store.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from zhuanlan.config import Config
from zhuanlan.editorial import states
from zhuanlan.errors import (
    ConfigError, InvalidTransition, NotFoundError, RuleError, SourceError,
)
from zhuanlan.jobs import delivery, ingest, publishing
from zhuanlan.model import CandidateState, IssueView
from zhuanlan.publish.schedule import next_run, validate_cron
from zhuanlan.redact import redact_text, redact_url
from zhuanlan.selection import parse_rules
from zhuanlan.store import Database, audit, migrate
from zhuanlan.store.schema import (
    articles, audit_log, candidates, columns, issues, sources, subscribers, subscriptions,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class WorkDone:
    polled: int = 0
    pages: int = 0
    published: int = 0
    delivered: int = 0
    images: int = 0
    chat_delivered: int = 0      # outbox rows of chat targets (group robots, webhooks)

    @property
    def total(self) -> int:
        return (self.polled + self.pages + self.published + self.delivered + self.images
                + self.chat_delivered)


class Zhuanlan:
    """Everything zhuanlan does, over one store.

    ``clock`` is injectable so that tests can move time; ``fetcher`` replaces the polite
    fetcher the facade would make from the settings (tests point the settings at local
    servers instead: the traffic stays real HTTP and SMTP).
    """

    def __init__(self, cfg: Config, *, clock: Clock = utcnow, worker_id: str | None = None,
                 fetcher=None, db: Database | None = None) -> None:  # noqa: ANN001
        self.cfg = cfg
        self.clock = clock
        self.db = db or Database(cfg.database_url)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._fetcher = fetcher
        self._pool = None
        self._pool_made = False
        self._story_index = None
        self._records = None
        self._link_cache: dict[int, str] = {}
        self._links = None
        self._column_ids: dict[str, int] = {}

    # -- lifecycle -----------------------------------------------------------------

    def migrate(self) -> None:
        """Create or upgrade the schema (Alembic)."""
        migrate.upgrade(self.db)

    def close(self) -> None:
        if self._records is not None:
            self._records.stop()
        if self._fetcher is not None:
            self._fetcher.close()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        self.db.dispose()

    @property
    def story_index(self):  # noqa: ANN201
        """The process's near-duplicate index, built from the store on first use."""
        if self._story_index is None:
            from zhuanlan.jobs.stories import StoryIndex
            self._story_index = StoryIndex(self.cfg["dedup.window_days"])
        return self._story_index

    def other_outlets(self, article_id: int) -> list[dict]:
        """The other outlets' copies of the article's story ("also carried by")."""
        from zhuanlan.jobs.stories import other_outlets
        with self.db.read() as conn:
            return other_outlets(conn, article_id)

    @property
    def extract_pool(self):  # noqa: ANN201
        """The process pool that extracts pages (None: extract in this process)."""
        if not self._pool_made:
            from zhuanlan.jobs.extraction import make_pool
            self._pool = make_pool(self.cfg["worker.processes"])
            self._pool_made = True
        return self._pool

    @property
    def fetcher(self):  # noqa: ANN201
        if self._fetcher is None:
            # One polite fetcher per process: per-host limits, retries and robots.txt
            # are shared by every thread that fetches.
            from zhuanlan.fetch.polite import PoliteFetcher
            self._fetcher = PoliteFetcher.from_config(self.cfg)
        return self._fetcher

    @property
    def staff(self):  # noqa: ANN201
        """Staff accounts, roles, logins and API tokens (``zhuanlan.staff``)."""
        from zhuanlan.staff import Staff
        return Staff(self.db, self.clock, login_attempts=self.cfg["web.login_attempts"],
                     session_hours=self.cfg["web.session_hours"])

    @property
    def desk(self):  # noqa: ANN201
        """The editor's desk: edits, order and the next issue's preview (``zhuanlan.desk``)."""
        from zhuanlan.desk import Desk
        return Desk(self.db, self.clock)

    @property
    def people(self):  # noqa: ANN201
        """People, the department tree, import/export and subscriptions (``zhuanlan.people``)."""
        from zhuanlan.people.directory import Directory
        return Directory(self)

    @property
    def records(self):  # noqa: ANN201
        """The process's buffer of study records (opens and reading heartbeats)."""
        if self._records is None:
            from zhuanlan.study.records import RecordBuffer
            self._records = RecordBuffer(self.db, self.clock)
        return self._records

    @property
    def links(self):  # noqa: ANN201
        """Signer of personal reader links and unsubscribe links."""
        if self._links is None:
            from zhuanlan.links import LinkSigner
            self._links = LinkSigner(self.cfg.secret_key)
        return self._links

    @property
    def tz(self) -> str:
        return self.cfg["timezone"]

    # -- sources -------------------------------------------------------------------

    def add_source(self, name: str, url: str, *, kind: str = "feed", preset: str | None = None,
                   spec: dict | None = None, params: dict[str, str] | None = None,
                   authority: int = 50, poll_minutes: int | None = None,
                   enabled: bool = True, max_new_per_poll: int | None = None,
                   by: str = "admin") -> int:
        """Add a source (or return the id of the one with this URL).

        ``spec`` holds the fields of a list source (selectors, JSON paths … see
        ``sources/spec.py``); a preset's spec comes from its data file instead.
        Raises SourceError for a URL that is not http(s) or an unknown kind, ConfigError
        naming the field for an invalid spec.
        """
        from zhuanlan.sources.spec import KINDS, spec_from_dict, spec_to_dict

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceError("a source URL must start with http:// or https://", resource=url)
        if kind not in KINDS:
            raise SourceError(f"unknown source kind {kind!r} ({', '.join(KINDS)})", resource=url)
        spec_json = None
        if spec is not None:
            checked = spec_from_dict({**spec, "kind": kind, "url": url})
            spec_json = json.dumps(spec_to_dict(checked), ensure_ascii=False)
        now = self.clock()
        with self.db.write() as conn:
            existing = conn.execute(select(sources.c.id).where(sources.c.url == url)).scalar()
            if existing is not None:
                return existing
            source_id = conn.execute(sources.insert().values(
                name=name, kind=kind, url=url, preset=preset, spec=spec_json,
                params=json.dumps(params, ensure_ascii=False) if params else None,
                authority=authority, enabled=enabled,
                poll_minutes=poll_minutes or self.cfg["sources.poll_minutes"],
                next_poll_at=now, consecutive_failures=0, recent_counts="", created_at=now,
                max_new_per_poll=max_new_per_poll,
            )).inserted_primary_key[0]
            _audit(conn, by, "add_source", f"source {source_id}", f"{name} <{url}>", at=now)
            return source_id

    def list_sources(self) -> list[dict]:
        with self.db.read() as conn:
            rows = conn.execute(select(sources).order_by(sources.c.id)).mappings().all()
            counts = dict(conn.execute(
                select(articles.c.source_id, func.count()).group_by(articles.c.source_id)).all())
        return [_shown(dict(r, article_count=counts.get(r["id"], 0))) for r in rows]

    def get_source(self, source_id: int) -> dict:
        with self.db.read() as conn:
            row = conn.execute(select(sources).where(sources.c.id == source_id)).mappings().first()
        if row is None:
            raise NotFoundError("没有这个信息源", resource=f"source {source_id}")
        return _shown(dict(row))

    def update_source(self, source_id: int, *, enabled: bool | None = None,
                      params: dict[str, str] | None = None, by: str = "admin") -> dict:
        """Enable or disable a source, or set values of its URL's parameters (a preset's
        channel id …). The source is polled at once. Raises NotFoundError, ConfigError
        when a parameter still lacks a value."""
        from zhuanlan.jobs.specs import base_spec, display_url
        from zhuanlan.sources.spec import resolve_spec

        source = self.get_source(source_id)
        values: dict = {"next_poll_at": self.clock()}
        if enabled is not None:
            values["enabled"] = enabled
        if params:
            merged = {**json.loads(source["params"] or "{}"), **params}
            with self.db.read() as conn:
                row = conn.execute(select(sources).where(sources.c.id == source_id)).one()
            spec = base_spec(row)
            resolve_spec(spec, now=self.clock(), params=merged)   # refuse a still-empty one
            values["params"] = json.dumps(merged, ensure_ascii=False)
            if source["preset"] and not row.spec:
                values["url"] = display_url(spec.url, {**spec.param_map(), **merged})
        with self.db.write() as conn:
            conn.execute(update(sources).where(sources.c.id == source_id).values(**values))
            detail = json.dumps({k: v for k, v in (("enabled", enabled), ("params", params))
                                 if v is not None}, ensure_ascii=False)
            _audit(conn, by, "update_source", f"source {source_id}", detail, at=self.clock())
        return self.get_source(source_id)

    def poll_now(self, source_id: int) -> None:
        """Make a source due at once (the worker polls it on its next round)."""
        with self.db.write() as conn:
            conn.execute(update(sources).where(sources.c.id == source_id)
                         .values(next_poll_at=self.clock()))

    # -- columns -------------------------------------------------------------------

    def add_column(self, slug: str, name: str, *, include: str, exclude: str = "",
                   title_terms: str = "", sources_filter: list[int | str] | None = None,
                   max_age_days: int | None = None, min_length: int = 0,
                   schedule: str = "0 9 * * 1", timezone_name: str | None = None,
                   editor_note: str = "", description: str = "",
                   auto_approve: bool = False,
                   auto_approve_threshold: float | None = None, by: str = "admin") -> int:
        """Create a column. Raises RuleError naming the field (and, for an expression,
        the position) for invalid rules or a malformed cron; ConfigError for an unknown
        time zone."""
        parse_rules(include, exclude, title_terms=title_terms, sources=sources_filter or (),
                    max_age_days=max_age_days, min_length=min_length)
        validate_cron(schedule)
        tz = timezone_name or self.tz
        _check_tz(tz)
        if not slug or not slug.replace("-", "").replace("_", "").isalnum() or not slug.isascii():
            raise RuleError("a slug is ASCII letters, digits, - and _", resource=slug)
        if auto_approve_threshold is not None and not 0 < auto_approve_threshold < 1:
            raise RuleError("the auto-approve threshold is a probability between 0 and 1",
                            resource="auto_approve_threshold")
        now = self.clock()
        with self.db.write() as conn:
            if conn.execute(select(columns.c.id).where(columns.c.slug == slug)).scalar():
                raise RuleError("a column with this slug exists", resource=slug)
            _audit(conn, by, "add_column", f"column {slug}", f"{name}: {include}", at=now)
            return conn.execute(columns.insert().values(
                slug=slug, name=name, description=description, editor_note=editor_note,
                include_terms=include, exclude_terms=exclude, title_terms=title_terms,
                source_filter=json.dumps(sources_filter, ensure_ascii=False)
                if sources_filter else None,
                max_age_days=max_age_days, min_length=min_length, schedule=schedule,
                timezone=tz, auto_approve=auto_approve,
                auto_approve_threshold=auto_approve_threshold,
                next_run_at=next_run(schedule, tz, now), created_at=now,
            )).inserted_primary_key[0]

    def list_columns(self) -> list[dict]:
        with self.db.read() as conn:
            rows = conn.execute(select(columns).order_by(columns.c.id)).mappings().all()
            counts = dict(conn.execute(select(issues.c.column_id, func.count())
                                       .group_by(issues.c.column_id)).all())
            pending = dict(conn.execute(
                select(candidates.c.column_id, func.count())
                .where(candidates.c.state == CandidateState.PENDING.value)
                .group_by(candidates.c.column_id)).all())
        return [dict(r, issue_count=counts.get(r["id"], 0), pending_count=pending.get(r["id"], 0))
                for r in rows]

    def get_column(self, slug: str) -> dict:
        with self.db.read() as conn:
            row = conn.execute(select(columns).where(columns.c.slug == slug)).mappings().first()
        if row is None:
            raise NotFoundError("没有这个专栏", resource=slug)
        return dict(row)

    def set_editor_note(self, slug: str, note: str, *, by: str = "editor") -> None:
        column = self.get_column(slug)
        with self.db.write() as conn:
            conn.execute(update(columns).where(columns.c.id == column["id"])
                         .values(editor_note=note))
            _audit(conn, by, "editor_note", f"column {slug}", note, at=self.clock())

    def set_schedule(self, slug: str, schedule: str, timezone_name: str | None = None,
                     *, first_run_at: datetime | None = None) -> None:
        """Change a column's schedule; ``first_run_at`` overrides the next run once."""
        validate_cron(schedule)
        column = self.get_column(slug)
        tz = timezone_name or column["timezone"]
        _check_tz(tz)
        when = first_run_at or next_run(schedule, tz, self.clock())
        with self.db.write() as conn:
            conn.execute(update(columns).where(columns.c.id == column["id"])
                         .values(schedule=schedule, timezone=tz, next_run_at=when))

    # -- subscribers ---------------------------------------------------------------

    def add_subscriber(self, email: str, name: str = "", *, department: str = "",
                       employee_no: str | None = None) -> int:
        """Add a person (or return the id of the one with this e-mail); the department
        path ("集团/公司/部门") is placed in the department tree."""
        return self.people.add_person(email, name, department=department,
                                      employee_no=employee_no)

    def subscriber_active(self, subscriber_id: int) -> bool:
        with self.db.read() as conn:
            return bool(conn.execute(select(subscribers.c.active).where(
                subscribers.c.id == subscriber_id)).scalar())

    def subscribe(self, slug: str, subscriber_id: int) -> None:
        self.get_column(slug)
        self.people.subscribe_person(slug, subscriber_id)

    def list_subscribers(self, slug: str | None = None) -> list[dict]:
        query = select(subscribers).order_by(subscribers.c.id)
        if slug is not None:
            column = self.get_column(slug)
            query = query.join(subscriptions, subscriptions.c.subscriber_id == subscribers.c.id)\
                .where(subscriptions.c.column_id == column["id"])
        with self.db.read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    # -- review --------------------------------------------------------------------

    def candidates(self, slug: str, state: str | None = "pending") -> list[dict]:
        """The review queue of a column, best first: by the column's learner once it has
        learnt enough from the editor's decisions, by keyword score before. Each row has
        ``terms`` (the matched terms), ``reason`` and ``priority``."""
        from zhuanlan.jobs.selecting import column_learner, terms_of
        from zhuanlan.selection import featurize

        column = self.get_column(slug)
        query = (select(candidates.c.id, candidates.c.state, candidates.c.score,
                        candidates.c.terms, candidates.c.reason, candidates.c.created_at,
                        candidates.c.decided_at, candidates.c.decided_by,
                        candidates.c.title_override, candidates.c.summary_override,
                        candidates.c.position, candidates.c.story_id,
                        articles.c.id.label("article_id"), articles.c.title, articles.c.url,
                        articles.c.published_at, articles.c.source_name, articles.c.text,
                        sources.c.name.label("outlet"))
                 .join(articles, articles.c.id == candidates.c.article_id)
                 .outerjoin(sources, sources.c.id == articles.c.source_id)
                 .where(candidates.c.column_id == column["id"])
                 .order_by(candidates.c.score.desc(), candidates.c.id))
        if state:
            query = query.where(candidates.c.state == state)
        with self.db.read() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
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
        column = self.get_column(slug)
        with self.db.read() as conn:
            return dict(conn.execute(select(candidates.c.state, func.count())
                                     .where(candidates.c.column_id == column["id"])
                                     .group_by(candidates.c.state)).all())

    def learner_ready(self, slug: str) -> bool:
        from zhuanlan.jobs.selecting import column_learner
        return column_learner(_Row(self.get_column(slug))).ready

    def decide(self, candidate_id: int, action: str, *, by: str = "editor",
               column: str | None = None) -> str:
        """Approve, reject or undo a candidate. Returns the new state. An approval or a
        rejection also trains the column's learner, in the same transaction.

        ``column`` (a slug) limits the decision to that column's candidates, so that a
        permission checked on the column covers the candidate.

        Raises NotFoundError, InvalidTransition (e.g. a published candidate), RuleError
        for an unknown action.
        """
        from zhuanlan.jobs.selecting import column_learner
        from zhuanlan.selection import featurize

        if action not in states.ACTIONS:
            raise RuleError(f"unknown action {action!r} (approve, reject, undo)")
        with self.db.write() as conn:
            row = conn.execute(
                select(candidates.c.state, candidates.c.score, candidates.c.column_id,
                       columns.c.slug, articles.c.title, articles.c.text,
                       sources.c.name.label("outlet"))
                .join(articles, articles.c.id == candidates.c.article_id)
                .join(columns, columns.c.id == candidates.c.column_id)
                .outerjoin(sources, sources.c.id == articles.c.source_id)
                .where(candidates.c.id == candidate_id)).first()
            if row is None or (column is not None and row.slug != column):
                raise NotFoundError("没有这篇候选稿件", resource=f"candidate {candidate_id}")
            new = states.move(row.state, states.ACTIONS[action],
                              resource=f"candidate {candidate_id}")
            undo = new is CandidateState.PENDING
            values = dict(state=new.value, decided_at=None if undo else self.clock(),
                          decided_by=None if undo else by)
            if new is not CandidateState.APPROVED:
                values["position"] = None    # approved again later, it goes to the end
            conn.execute(update(candidates).where(candidates.c.id == candidate_id)
                         .values(**values))
            _audit(conn, by, action, f"candidate {candidate_id}", row.title, at=self.clock())
            if not undo and by != "auto":
                # An undo is not unlearnt: the editor's later decisions correct the model.
                col = conn.execute(select(columns.c.model).where(
                    columns.c.id == row.column_id)).first()
                learner = column_learner(col)
                learner.update(featurize(row.title, row.text, row.outlet, row.score),
                               new is CandidateState.APPROVED)
                conn.execute(update(columns).where(columns.c.id == row.column_id)
                             .values(model=learner.to_bytes()))
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

    # -- the jobs the worker runs ----------------------------------------------------

    def poll_due_sources(self, limit: int | None = None) -> int:
        return ingest.poll_due_sources(self, limit or self.cfg["worker.batch"])

    def process_due_pages(self, limit: int | None = None) -> int:
        return ingest.process_due_pages(self, limit or self.cfg["worker.batch"])

    def publish_due(self) -> list[int]:
        return publishing.publish_due(self)

    def publish_now(self, slug: str, *, by: str = "editor") -> int | None:
        """Publish the column's approved candidates as a new issue now (not waiting for
        its schedule). Returns the issue id, or None when nothing is approved."""
        issue_id = publishing.publish_column_now(self, self.get_column(slug)["id"])
        if issue_id is not None:
            with self.db.write() as conn:
                _audit(conn, by, "publish", f"column {slug}", f"issue {issue_id}",
                       at=self.clock())
        return issue_id

    def audit(self, limit: int = 200) -> list[dict]:
        """The newest entries of the audit log (who approved, published … what, when)."""
        with self.db.read() as conn:
            return [dict(r) for r in conn.execute(
                select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).mappings()]

    def reextract(self, source_id: int | None = None, progress=None) -> tuple[int, int]:  # noqa: ANN001
        """Extract the kept pages again and update their articles: (updated, failed)."""
        return ingest.reextract(self, source_id=source_id, progress=progress)

    def deliver_due(self, limit: int | None = None) -> int:
        return delivery.deliver_due(self, limit or self.cfg["worker.batch"])

    def deliver_chat_due(self, limit: int | None = None, **kwargs) -> int:  # noqa: ANN003
        """Send the due outbox rows of chat targets (``zhuanlan.jobs.chat_delivery``)."""
        from zhuanlan.jobs.chat_delivery import deliver_chat_due
        return deliver_chat_due(self, limit or self.cfg["worker.batch"], **kwargs)

    def fetch_due_images(self, limit: int | None = None) -> int:
        from zhuanlan.jobs.images import fetch_due_images
        return fetch_due_images(self, limit or self.cfg["worker.batch"])

    def run_once(self) -> WorkDone:
        """One round of every job; returns how much work each did."""
        return WorkDone(
            polled=self.poll_due_sources(),
            pages=self.process_due_pages(),
            published=len(self.publish_due()),
            delivered=self.deliver_due(),
            images=self.fetch_due_images(),
            chat_delivered=self.deliver_chat_due(),
        )

    def run_until_idle(self, max_rounds: int = 100) -> WorkDone:
        """Repeat rounds until one finds nothing to do (for the CLI and tests)."""
        total = WorkDone()
        for _ in range(max_rounds):
            done = self.run_once()
            total = WorkDone(total.polled + done.polled, total.pages + done.pages,
                             total.published + done.published, total.delivered + done.delivered,
                             total.images + done.images,
                             total.chat_delivered + done.chat_delivered)
            if done.total == 0:
                break
        return total

    # -- reading -------------------------------------------------------------------

    def issues_of(self, slug: str) -> list[dict]:
        column = self.get_column(slug)
        with self.db.read() as conn:
            return [dict(r) for r in conn.execute(
                select(issues).where(issues.c.column_id == column["id"])
                .order_by(issues.c.number.desc())).mappings()]

    def issue_view(self, slug: str, number: int) -> IssueView:
        column = self.get_column(slug)
        with self.db.read() as conn:
            issue_id = conn.execute(select(issues.c.id).where(
                issues.c.column_id == column["id"], issues.c.number == number)).scalar()
            if issue_id is None:
                raise NotFoundError("没有这一期", resource=f"{slug} #{number}")
            return publishing.issue_view(conn, issue_id, self.cfg.base_url)

    def search(self, query: str, *, column: str | int | None = None, outlet: str | None = None,
               since=None, until=None, limit: int = 20, offset: int = 0,  # noqa: ANN001
               staff: bool = False):  # noqa: ANN201
        """Full-text search (:func:`zhuanlan.store.search.search`): ``column`` a slug or an
        id; ``since``/``until`` dates are days in the installation's zone, both inclusive.
        Anonymous (``staff=False``): only articles published in an issue."""
        from zhuanlan.store import search as fts
        column_id = self.get_column(column)["id"] if isinstance(column, str) else column
        since, until = fts.day_bounds(since, until, self.tz)
        with self.db.read() as conn:
            return fts.search(conn, query, column_id=column_id, outlet=outlet, since=since,
                              until=until, limit=limit, offset=offset, staff=staff)

    def article(self, article_id: int) -> dict:
        with self.db.read() as conn:
            row = conn.execute(
                select(articles, sources.c.name.label("outlet"))
                .outerjoin(sources, sources.c.id == articles.c.source_id)
                .where(articles.c.id == article_id)).mappings().first()
        if row is None:
            raise NotFoundError("没有这篇文章", resource=f"article {article_id}")
        return dict(row)

    def delivery_counts(self, issue_id: int) -> dict[str, int]:
        return delivery.counts(self, issue_id)

    @property
    def targets(self):  # noqa: ANN201
        """Chat targets (group robots, webhooks) and their columns (``zhuanlan.chat_targets``)."""
        from zhuanlan.chat_targets import ChannelTargets
        return ChannelTargets(self)

    def delivery_report(self, issue_id: int) -> dict:
        """Per channel: sent, failed (reasons, first recipients), pending (next attempt);
        per chat target its row (``zhuanlan.delivery_report``)."""
        from zhuanlan.delivery_report import delivery_report
        return delivery_report(self, issue_id)

    def issue_id(self, slug: str, number: int) -> int:
        from zhuanlan.delivery_report import issue_id_of
        return issue_id_of(self, slug, number)

    def retry_failed_deliveries(self, issue_id: int, *, by: str = "admin",
                                channel: str | None = None) -> int:
        """Failed rows of the issue back to pending, due now (audited)."""
        from zhuanlan.delivery_report import retry_failed
        return retry_failed(self, issue_id, by=by, channel=channel)

    # -- per-recipient parts of a pushed message (the e-mail channel asks for these) -----

    def reader_link(self, subscriber_id: int, path: str) -> str:
        """The personal link that makes the reader known (no password), then opens
        ``path`` on the site."""
        from urllib.parse import quote

        from zhuanlan.links import READER
        token = self._link_cache.get(subscriber_id)
        if token is None:
            if len(self._link_cache) > 100_000:
                self._link_cache.clear()
            token = self._link_cache[subscriber_id] = self.links.sign(READER, {"s": subscriber_id})
        return f"{self.cfg.base_url}/r/{token}?next={quote(path, safe='')}"

    def email_reader_url(self, recipient, article_id: int) -> str:  # noqa: ANN001
        return self.reader_link(recipient.id, f"/a/{article_id}?i={recipient.issue_id}")

    def email_unsubscribe_url(self, recipient) -> str | None:  # noqa: ANN001
        column_id = self._column_ids.get(recipient.column_slug)
        if column_id is None:
            try:
                column_id = self._column_ids[recipient.column_slug] = \
                    self.get_column(recipient.column_slug)["id"]
            except NotFoundError:
                return None
        return self.people.unsubscribe_url(recipient.id, column_id)

    def email_greeting(self, recipient) -> str | None:  # noqa: ANN001
        return f"{recipient.name}，您好：" if recipient.name else None


_audit = audit.record


def _shown(source: dict) -> dict:
    """A source as people see it: a password in its URL (or quoted in its last error)
    masked; the stored row keeps it for the fetcher."""
    source["url"] = redact_url(source["url"])
    source["last_error"] = redact_text(source.get("last_error"))
    return source


class _Row:
    """Attribute access over a column dict, for helpers written against store rows."""

    def __init__(self, data: dict) -> None:
        self.__dict__.update(data)


def _check_tz(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", f"unknown time zone {name!r}") from None

