"""The work the worker does, round after round: poll due sources, extract due pages,
publish due issues, deliver the outbox, fetch pictures. Each job claims its rows from the
store with a lease (``jobs/``); this module only orders them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from zhuanlan.app.reminders import Reminders
from zhuanlan.jobs import delivery, ingest, publishing
from zhuanlan.jobs.app_delivery import deliver_app_due, settle_app_results
from zhuanlan.jobs.chat_delivery import deliver_chat_due
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.images import fetch_due_images
from zhuanlan.jobs.personal import PersonalLinks


@dataclass(frozen=True)
class WorkDone:
    polled: int = 0
    pages: int = 0
    published: int = 0
    delivered: int = 0
    images: int = 0
    chat_delivered: int = 0      # outbox rows of chat targets (group robots, webhooks)
    app_delivered: int = 0       # people reached by name through an app (企业微信/钉钉/飞书)
    reminded: int = 0            # people queued for an automatic 催学 reminder

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def __add__(self, other: WorkDone) -> WorkDone:
        return WorkDone(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


class Work:
    def __init__(self, ctx: Context, links: PersonalLinks, reminders: Reminders) -> None:
        self.ctx = ctx
        self.links = links
        self.reminders = reminders

    def _limit(self, limit: int | None) -> int:
        return limit or self.ctx.cfg["worker.batch"]

    def poll_due_sources(self, limit: int | None = None) -> int:
        return ingest.poll_due_sources(self.ctx, self._limit(limit))

    def process_due_pages(self, limit: int | None = None) -> int:
        return ingest.process_due_pages(self.ctx, self._limit(limit))

    def publish_due(self) -> list[int]:
        return publishing.publish_due(self.ctx)

    def deliver_due(self, limit: int | None = None, **kwargs) -> int:
        """Send the due e-mails of the outbox, each with the recipient's own links."""
        kwargs.setdefault("reader_url", self.links.email_reader_url)
        kwargs.setdefault("unsubscribe_url", self.links.email_unsubscribe_url)
        kwargs.setdefault("greeting", self.links.email_greeting)
        return delivery.deliver_due(self.ctx, self._limit(limit), **kwargs)

    def deliver_chat_due(self, limit: int | None = None, **kwargs) -> int:
        """Send the due outbox rows of chat targets (``zhuanlan.jobs.chat_delivery``)."""
        return deliver_chat_due(self.ctx, self._limit(limit), **kwargs)

    def deliver_app_due(self, limit: int | None = None, **kwargs) -> int:
        """Send the due personal messages through the apps (``zhuanlan.jobs.app_delivery``),
        then read back the outcomes the platforms report later (钉钉)."""
        handled = deliver_app_due(self.ctx, self._limit(limit), **kwargs)
        settle_app_results(self.ctx, client=kwargs.get("client"))
        return handled

    def fetch_due_images(self, limit: int | None = None) -> int:
        return fetch_due_images(self.ctx, self._limit(limit))

    def reextract(self, source_id: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
        """Extract the kept pages again and update their articles: (updated, failed)."""
        return ingest.reextract(self.ctx, source_id=source_id, progress=progress)

    def run_once(self) -> WorkDone:
        """One round of every job; returns how much work each did."""
        return WorkDone(
            polled=self.poll_due_sources(),
            pages=self.process_due_pages(),
            published=len(self.publish_due()),
            reminded=self.reminders.remind_due(),
            delivered=self.deliver_due(),
            images=self.fetch_due_images(),
            chat_delivered=self.deliver_chat_due(),
            app_delivered=self.deliver_app_due(),
        )

    def run_until_idle(self, max_rounds: int = 100) -> WorkDone:
        """Repeat rounds until one finds nothing to do (for the CLI and tests)."""
        total = WorkDone()
        for _ in range(max_rounds):
            done = self.run_once()
            total = total + done
            if done.total == 0:
                break
        return total
