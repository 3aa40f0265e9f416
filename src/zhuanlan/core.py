"""The facade: one ``Zhuanlan`` object that the CLI, the web app, the worker and the
tests all call. It only wires the parts together: each part (``zhuanlan.app``) is one
concern of the users and receives the ``Context`` (settings, store, clock, the shared
services), never the facade; the jobs the worker runs (``zhuanlan.jobs``) likewise.

The parts are attributes (``zl.sources``, ``zl.columns``, ``zl.desk``, ``zl.people``,
``zl.staff``, ``zl.targets``, ``zl.reading``, ``zl.quiz``, ``zl.reflections``, ``zl.app_login``,
``zl.statistics``, ``zl.ledger``, ``zl.work``); the operations used most are also methods of
the facade itself
(``zl.add_source``, ``zl.decide``, ``zl.run_once`` …).
"""

from __future__ import annotations

from typing import Any

from zhuanlan.app.app_login import AppLogin
from zhuanlan.app.channels import ChannelTargets
from zhuanlan.app.columns import Columns
from zhuanlan.app.delivery import Deliveries
from zhuanlan.app.desk import Desk
from zhuanlan.app.ledger import StudyLedger
from zhuanlan.app.people import Directory
from zhuanlan.app.preview import Previews
from zhuanlan.app.quiz import Quiz
from zhuanlan.app.reading import Reading
from zhuanlan.app.reflections import Reflections
from zhuanlan.app.reminders import Reminders
from zhuanlan.app.sources import Sources
from zhuanlan.app.staff import Staff
from zhuanlan.app.statistics import Statistics
from zhuanlan.app.work import Work, WorkDone
from zhuanlan.config import Config
from zhuanlan.jobs.context import Clock, Context, utcnow
from zhuanlan.jobs.personal import PersonalLinks
from zhuanlan.store import Database, migrate

__all__ = ["WorkDone", "Zhuanlan", "utcnow"]


class Zhuanlan:
    """Everything zhuanlan does, over one store.

    ``clock`` is injectable so that tests can move time; ``fetcher`` replaces the polite
    fetcher the context would make from the settings (tests point the settings at local
    servers instead: the traffic stays real HTTP and SMTP).
    """

    def __init__(self, cfg: Config, *, clock: Clock = utcnow, worker_id: str | None = None,
                 fetcher: Any = None, db: Database | None = None) -> None:
        ctx = self.ctx = Context(cfg, db=db, clock=clock, worker_id=worker_id, fetcher=fetcher)
        self.personal = PersonalLinks(ctx)
        self.sources = Sources(ctx)
        self.columns = Columns(ctx)
        self.desk = Desk(ctx)
        self.people = Directory(ctx)
        self.staff = Staff(ctx)
        self.targets = ChannelTargets(ctx)
        self.deliveries = Deliveries(ctx)
        self.reading = Reading(ctx)
        self.reflections = Reflections(ctx)
        self.app_login = AppLogin(ctx)
        self.reminders = Reminders(ctx)
        self.previews = Previews(ctx)
        self.statistics = Statistics(ctx)
        self.quiz = Quiz(ctx)
        self.ledger = StudyLedger(ctx)
        self.work = Work(ctx, self.personal, self.reminders)

        # The operations used most, on the facade itself.
        self.add_source, self.list_sources = self.sources.add, self.sources.all
        self.get_source, self.update_source = self.sources.get, self.sources.update
        self.poll_now = self.sources.poll_now
        self.add_column, self.list_columns = self.columns.add, self.columns.all
        self.get_column, self.set_editor_note = self.columns.get, self.columns.set_editor_note
        self.set_schedule, self.candidates = self.columns.set_schedule, self.columns.candidates
        self.candidate_counts = self.columns.candidate_counts
        self.learner_ready = self.columns.learner_ready
        self.decide, self.decide_many = self.columns.decide, self.columns.decide_many
        self.publish_now, self.issues_of = self.columns.publish_now, self.columns.issues
        self.issue_view, self.issue_id = self.columns.issue_view, self.columns.issue_id
        self.audit = self.columns.audit
        self.publish_plan = self.columns.publish_plan
        self.add_subscriber, self.subscribe = self.people.add_subscriber, self.people.subscribe
        self.subscriber_active = self.people.subscriber_active
        self.list_subscribers = self.people.list_subscribers
        self.search, self.article = self.reading.search, self.reading.article
        self.other_outlets = self.reading.other_outlets
        self.delivery_counts = self.deliveries.counts
        self.delivery_report = self.deliveries.report
        self.retry_failed_deliveries = self.deliveries.retry_failed
        self.poll_due_sources = self.work.poll_due_sources
        self.process_due_pages = self.work.process_due_pages
        self.publish_due, self.deliver_due = self.work.publish_due, self.work.deliver_due
        self.deliver_chat_due = self.work.deliver_chat_due
        self.deliver_app_due = self.work.deliver_app_due
        self.fetch_due_images, self.reextract = self.work.fetch_due_images, self.work.reextract
        self.run_once, self.run_until_idle = self.work.run_once, self.work.run_until_idle
        self.reader_link = self.personal.reader_link

    # The context's fields, as the callers have always read them.
    cfg = property(lambda self: self.ctx.cfg)
    db = property(lambda self: self.ctx.db)
    clock = property(lambda self: self.ctx.clock)
    worker_id = property(lambda self: self.ctx.worker_id)
    tz = property(lambda self: self.ctx.tz)
    fetcher = property(lambda self: self.ctx.fetcher)
    records = property(lambda self: self.ctx.records)
    story_index = property(lambda self: self.ctx.story_index)
    extract_pool = property(lambda self: self.ctx.extract_pool)
    links = property(lambda self: self.ctx.links)          # the signer of personal links

    def migrate(self) -> None:
        """Create or upgrade the schema (Alembic)."""
        migrate.upgrade(self.ctx.db)

    def check_schema(self) -> str:
        """The database's schema revision; ConfigError when it is not this release's
        (behind: migrate first; ahead: a newer release migrated it), StorageError when
        the database cannot be reached."""
        return migrate.check_current(self.ctx.db)

    def close(self) -> None:
        """Flush the study records, stop the extraction pool, release the store."""
        self.ctx.close()
