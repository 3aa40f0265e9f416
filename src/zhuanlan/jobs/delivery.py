"""Delivery job: send the outbox's due e-mails, fast, and record each outcome once.

How a run goes (:func:`deliver_due`):

* The calling thread claims due e-mail rows in batches of ``limit`` with a lease
  (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite: two workers
  never hold the same row), and hands them to an :class:`SmtpPool` — ``smtp.connections``
  threads, each sending over one reused SMTP connection, paced by
  ``smtp.rate_per_second``. It claims the next batch only when the pool's queue has room,
  so rows wait little between claim and send. It goes on until nothing is due (or for
  at most :data:`RUN_SECONDS`, so that the worker's other jobs get their turn).
* Each issue is rendered once (:class:`IssueMail`); a recipient's message is made by
  filling the recipient's links into the pre-encoded bytes.
* A message is sent only while at least half of its lease is left; a row whose lease is
  nearly out is left unsent, unrecorded, for a later claim — so a row whose lease ran
  out is never sent by two workers at once.
* When the SMTP transaction of a message ends (250 after the final ".", or an error) the
  sending thread hands the outcome to one recorder thread, which writes all outcomes
  waiting at that moment in ONE transaction: state, ``sent_at``, the Message-ID or the
  error, and the release of the lease together, and only where the row is still ours.
  Temporary failures (4xx, lost connection, server down) come back after exponential
  backoff with jitter; permanent ones (5xx, an invalid address) are marked failed with
  the reason; ``jobs.outbox.EMAIL.max_attempts`` temporary failures in a row also fail for good.

The guarantee and its trade-off: a row recorded as sent is never sent again (sending
needs a held lease on a pending row; recording sent releases it in the same statement).
A message can be sent twice only when a worker dies between the server's 250 and the
commit that records it (RFC 1047's window): it is then sent again after its lease runs
out, with the same Message-ID (fixed per issue and recipient) so that the repeat can be
recognised. Group commit widens that window from one message per connection to what
waits for the recorder: at most ``RESULT_BACKLOG × connections`` outcomes queued (32 by
default) plus the batch being committed (no more than that) plus one in flight per
connection — ~70 messages at the very worst, and in practice the handful that finished
during the last commit and its :data:`RECORD_GATHER` pause (3–10 in the crash test). In
exchange one commit covers many messages instead of one each: a commit costs ~0.5 ms of
CPU through SQLAlchemy, as much as sending a message, and a commit per message would
halve the throughput of a worker.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from zhuanlan.channels.email import IssueMail, Recipient, SmtpSender
from zhuanlan.channels.smtp_pool import SmtpPool
from zhuanlan.errors import DeliveryError, StorageError, ZhuanlanError
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.outbox import EMAIL, RUN_SECONDS, reminder_view
from zhuanlan.store import DatabaseError, outbox
from zhuanlan.store.columns import compulsory
from zhuanlan.store.issues import issue_view

log = logging.getLogger(__name__)

RESULT_BACKLOG = 8         # outcomes per connection that may wait for the recorder
RECORD_BATCH = 500         # most outcomes written in one transaction
RECORD_GATHER = 0.005      # after a small batch, seconds the recorder lets outcomes gather


@dataclasses.dataclass(slots=True)
class _Job:
    row: Any                   # the claimed deliveries row
    recipient: Recipient
    mail: IssueMail
    send_by: float             # time.monotonic() after which the lease is too short to send


def deliver_due(ctx: Context, limit: int, *,
                reader_url: Callable[[Recipient, int], str] | None = None,
                unsubscribe_url: Callable[[Recipient], str | None] | None = None,
                greeting: Callable[[Recipient], str | None] | None = None) -> int:
    """Send the due e-mail deliveries, claiming ``limit`` rows at a time, until none is
    due (or :data:`RUN_SECONDS` have passed). Returns how many rows were handled.

    ``reader_url(recipient, article_id)``, ``unsubscribe_url(recipient)`` and
    ``greeting(recipient)`` make a recipient's own links and greeting
    (``jobs.personal.PersonalLinks``); without them: the issue's plain links, no
    unsubscribe link, no greeting.

    Raises StorageError when outcomes could not be recorded (the rows then come back
    when their leases run out), ConfigError for an invalid ``smtp.sender``.
    """
    cfg = ctx.cfg
    hooks = {"reader_url": reader_url, "unsubscribe_url": unsubscribe_url,
             "greeting": greeting}
    connections = cfg["smtp.connections"]
    lease = float(cfg["worker.lease_seconds"])
    batch = max(int(limit), 1)
    mails: dict[tuple[int, int], IssueMail] = {}      # (issue, reminder) → its mail
    recorder = _Recorder(ctx, capacity=RESULT_BACKLOG * connections)

    def prepare(job: _Job, eightbit: bool):
        if recorder.error is not None or time.monotonic() > job.send_by:
            return None          # left unrecorded: claimed again when the lease runs out
        return job.mail.for_recipient(job.recipient, eightbit=eightbit)

    pool: SmtpPool[_Job] = SmtpPool(
        lambda: SmtpSender.from_config(cfg), prepare=prepare, done=recorder.put,
        connections=connections, rate_per_second=cfg["smtp.rate_per_second"],
        backlog=batch)
    handled = 0
    seen: set[int] = set()
    started = time.monotonic()
    recorder.start()
    pool.start()
    try:
        while (pool.broken is None and recorder.error is None
               and time.monotonic() - started < RUN_SECONDS):
            jobs = _claim(ctx, batch, lease, mails, hooks)
            # A row claimed again in the same run is one whose lease ran out before it
            # could be sent (a lease too short for the pace): it waits for a later run
            # rather than going round here.
            jobs = [j for j in jobs if j.row.id not in seen]
            if not jobs:
                break
            for job in jobs:
                seen.add(job.row.id)
                pool.submit(job)
            handled += len(jobs)
    finally:
        pool.close()
        recorder.close()
    if recorder.error is not None:
        raise recorder.error
    if handled:
        log.info("deliveries handled", extra={"count": handled, "sent": pool.sent,
                                              "failed": pool.failed,
                                              "seconds": round(time.monotonic() - started, 3)})
    return handled


def _claim(ctx: Context, batch: int, lease: float, mails: dict[tuple[int, int], IssueMail],
           hooks: dict) -> list[_Job]:
    """Claim up to ``batch`` due e-mail rows; make their jobs (and the issue's mail the
    first time an issue is seen)."""
    started = time.monotonic()
    now = ctx.clock()
    with ctx.db.write() as conn:
        rows = outbox.claim_email(conn, now=now, limit=batch, worker=ctx.worker_id,
                                  lease_seconds=lease)
    if not rows:
        return []
    # Send only while at least half of the lease is left: a slow send then still ends
    # long before another worker may take the row over.
    send_by = started + lease / 2
    with ctx.db.read() as conn:
        people = outbox.people(conn, {d.subscriber_id for d in rows})
        for issue_id, reminder_id in {(d.issue_id, d.reminder_id) for d in rows} - mails.keys():
            mails[issue_id, reminder_id] = _issue_mail(ctx, conn, issue_id, hooks, reminder_id)
    jobs = []
    for d in rows:
        person = people[d.subscriber_id]
        mail = mails[d.issue_id, d.reminder_id]
        jobs.append(_Job(d, Recipient(person.id, person.email, person.name or "",
                                      d.issue_id, mail.column_slug), mail, send_by))
    return jobs


def _issue_mail(ctx: Context, conn, issue_id: int, hooks: dict,
                reminder_id: int = 0) -> IssueMail:
    view = issue_view(conn, issue_id, ctx.cfg.base_url)
    if hooks["unsubscribe_url"] is not None and compulsory(conn, view.column_slug):
        # 必学: readers may not opt out, so no footer link and no List-Unsubscribe.
        hooks = {**hooks, "unsubscribe_url": None}
    if reminder_id:
        view = reminder_view(view)
    article_ids = None
    if hooks["reader_url"] is not None:
        # The same items in the same order as issue_view.
        article_ids = outbox.item_article_ids(conn, issue_id)
    return IssueMail(view, issue_id=issue_id, sender=ctx.cfg["smtp.sender"], tz=ctx.tz,
                     article_ids=article_ids, reminder_id=reminder_id, **hooks)


# ---------------------------------------------------------------- recording outcomes

class _Recorder:
    """One thread writing the pool's outcomes: everything waiting goes into one
    transaction. Bounded: a sending thread waits when ``capacity`` outcomes are queued,
    which bounds how many sent messages can be unrecorded at any moment."""

    def __init__(self, ctx: Context, capacity: int) -> None:
        self.ctx = ctx
        self._queue: queue.Queue = queue.Queue(maxsize=max(capacity, 1))
        self._thread = threading.Thread(target=self._run, name="zhuanlan-delivery-recorder",
                                        daemon=True)
        self._statements = outbox.outcome_statements(ctx.worker_id)
        self.error: ZhuanlanError | None = None

    def start(self) -> None:
        self._thread.start()

    def put(self, job: _Job, error: DeliveryError | None) -> None:
        self._queue.put((job, error, self.ctx.clock()))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < RECORD_BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = items[-1] is None
            outcomes = [i for i in items if i is not None]
            if outcomes and self.error is None:
                try:
                    self._record(outcomes)
                except (ZhuanlanError, DatabaseError) as exc:
                    log.error("recording deliveries failed", extra={"error": str(exc),
                                                                    "count": len(outcomes)})
                    self.error = exc if isinstance(exc, ZhuanlanError) else StorageError(
                        f"database error: {exc}")
            if stop:
                return
            if len(items) < self._queue.maxsize // 2:
                # Let a few more outcomes gather: a commit costs ~0.5 ms of CPU (taken
                # from the sending threads, GIL) whether it records one message or twenty.
                time.sleep(RECORD_GATHER)

    def _record(self, outcomes: list[tuple[_Job, DeliveryError | None, datetime]]) -> None:
        params: dict[str, list[dict]] = {"sent": [], "retry": [], "failed": []}
        for job, error, at in outcomes:
            d = job.row
            attempts = d.attempts + 1
            mid = job.mail.message_id(job.recipient)
            if error is None:
                params["sent"].append({"d_id": d.id, "d_at": at, "d_mid": mid,
                                       "d_attempts": attempts})
                continue
            entry = {"d_id": d.id, "d_attempts": attempts, "d_error": error.message,
                     "d_mid": mid}
            next_at = EMAIL.next_attempt(attempts, permanent=error.permanent, now=at)
            final = next_at is None
            if final:
                params["failed"].append(entry)
            else:
                entry["d_next"] = next_at
                params["retry"].append(entry)
            log.warning("delivery failed", extra={"delivery_id": d.id, "issue_id": d.issue_id,
                                                  "error": error.message, "final": final})
        with self.ctx.db.write() as conn:
            for kind, rows in params.items():
                if rows:
                    outbox.execute_many(conn, self._statements[kind], rows)
