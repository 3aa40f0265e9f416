"""Chat delivery job: send the outbox's due group-robot and webhook rows (``target_id``
set), one issue per target, resuming a split issue where it stopped.

How a row goes (:func:`deliver_chat_due`):

* Due rows are claimed with a lease (``zhuanlan.store.claims``: ``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), a few at a time, so two
  workers never hold the same row.
* The channel is built from the target's stored config with ONE shared ``httpx.Client``
  over the fetcher's SSRF-guarded transport: targets are typed by administrators, but a
  URL that resolves to an internal address is still refused (permanently) unless the
  address is in ``fetch.allow_private``. Redirects are not followed.
* ``send_issue(channel, view, delivery_id=f"d{id}", start=progress)`` sends the
  messages of the issue from ``progress`` on. Each message that the platform accepted is
  recorded at once (``progress`` + 1, only while the row is still ours), so a worker
  that dies midway re-sends at most the message in flight, never the parts recorded.
  Before each message the lease is checked: with less than half of it left the row is
  released (not counted as an attempt) and picked up again by the next claim.
* The outcome is written with the state in one transaction, together with the target's
  health (``last_success_at`` / ``last_error``): sent; or, on ChannelError,
  ``progress = exc.sent`` and either failed with the platform's reason (errcode and
  errmsg) when permanent or after ``jobs.outbox.CHAT.max_attempts``, or back to pending at
  ``max(backoff, retry_after)`` with jitter.

The items' links are the issue's public web links: a group message is not personal.
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any

import httpx

from zhuanlan.channels.chat import (
    ChannelError,
    EndpointRateLimiter,
    channel_from_config,
    send_issue,
)
from zhuanlan.errors import ConfigError, ZhuanlanError
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.outbox import CHAT, RUN_SECONDS
from zhuanlan.model import DeliveryState, IssueView
from zhuanlan.store import outbox
from zhuanlan.store.issues import issue_view

log = logging.getLogger(__name__)

CLAIM_BATCH = 10           # rows claimed at once: sending is sequential, leases stay fresh


class _LeaseShort(Exception):
    """Less than half of the lease is left before a message: stop, release the row."""


class _LeaseLost(Exception):
    """Another worker took the row over (our lease ran out): stop, record nothing."""


def guarded_client(cfg: Any, timeout: float | None = None) -> httpx.Client:
    """An ``httpx.Client`` whose connections go through the SSRF guard of the fetcher
    (``fetch.allow_private`` is the allow-list), no redirects, no proxies from the
    environment."""
    from zhuanlan.fetch.guard import AddressPolicy
    from zhuanlan.fetch.transport import GuardedTransport
    try:
        policy = AddressPolicy(list(cfg["fetch.allow_private"]))
    except ValueError as exc:
        raise ConfigError("fetch.allow_private", str(exc)) from exc
    return httpx.Client(transport=GuardedTransport(policy), follow_redirects=False,
                        trust_env=False, timeout=timeout or 10.0)


def failure_reason(exc: ZhuanlanError) -> str:
    """The reason recorded for a failed row: the platform's message (which names its
    errcode and errmsg) with the code in front when the message does not show it."""
    code = getattr(exc, "code", None)
    message = exc.message
    if code is not None and str(code) not in message:
        message = f"[{code}] {message}"
    return message[:2000]


class _Guarded:
    """The channel as ``send_issue`` sees it, with a lease check before each message and
    the progress recorded after each one the platform accepted."""

    def __init__(self, ctx: Context, channel: Any, row: Any, send_by: float) -> None:
        self.ctx = ctx
        self.channel = channel
        self.row = row
        self.send_by = send_by
        self.kind = channel.kind
        self.endpoint = channel.endpoint
        self.max_wait = channel.max_wait
        self.sent_parts: list[int] = []

    def messages(self, *args: Any, **kwargs: Any) -> list[dict]:
        return self.channel.messages(*args, **kwargs)

    def send(self, payload: dict, *, delivery_id: str | None = None) -> None:
        if time.monotonic() > self.send_by:
            raise _LeaseShort()
        self.channel.send(payload, delivery_id=delivery_id)
        with self.ctx.db.write() as conn:
            done = outbox.count_part(conn, self.row.id, self.ctx.worker_id)
        if not done:
            raise _LeaseLost()
        self.sent_parts.append(1)


def deliver_chat_due(ctx: Context, limit: int, *, client: httpx.Client | None = None,
                     limiter: EndpointRateLimiter | None = None) -> int:
    """Send the due chat-target deliveries until none is due (or :data:`RUN_SECONDS`
    passed). Returns how many rows were handled (sent, failed, retried or released).

    ``client`` replaces the SSRF-guarded client (tests); ``limiter`` replaces the
    process-wide rate limiters of the platforms (tests).
    """
    lease = float(ctx.cfg["worker.lease_seconds"])
    batch = max(1, min(int(limit), CLAIM_BATCH))
    own = client is None
    http = client
    views: dict[int, IssueView] = {}
    seen: set[int] = set()
    handled = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < RUN_SECONDS:
            claimed_at = time.monotonic()
            rows = [r for r in _claim(ctx, batch, lease) if r.id not in seen]
            if not rows:
                break
            send_by = claimed_at + lease / 2
            for i, row in enumerate(rows):
                if time.monotonic() > send_by:
                    _release(ctx, rows[i:])
                    break
                seen.add(row.id)
                if http is None:
                    http = guarded_client(ctx.cfg)
                _deliver(ctx, row, http, limiter, views, send_by)
                handled += 1
    finally:
        if own and http is not None:
            http.close()
    if handled:
        log.info("chat deliveries handled", extra={
            "count": handled, "seconds": round(time.monotonic() - started, 3)})
    return handled


def _claim(ctx: Context, batch: int, lease: float) -> list:
    now = ctx.clock()
    with ctx.db.write() as conn:
        return outbox.claim_chat(conn, now=now, limit=batch, worker=ctx.worker_id,
                                 lease_seconds=lease)


def _release(ctx: Context, rows: list) -> None:
    """Give rows back without an attempt: another claim may take them at once."""
    with ctx.db.write() as conn:
        for row in rows:
            outbox.release(conn, row.id, ctx.worker_id)


def _deliver(ctx: Context, row: Any, http: httpx.Client, limiter: EndpointRateLimiter | None,
             views: dict[int, IssueView], send_by: float) -> None:
    with ctx.db.read() as conn:
        target = outbox.target(conn, row.target_id)
        if row.issue_id not in views:
            views[row.issue_id] = issue_view(conn, row.issue_id, ctx.cfg.base_url)
    view = views[row.issue_id]
    if target is None:        # deleted meanwhile: the row went with it (cascade)
        return
    if not target.enabled:
        _record_failure(ctx, row, target, "推送渠道已停用", permanent=True,
                        progress=row.progress)
        return
    try:
        cfg = json.loads(target.config)
        channel = channel_from_config(cfg, client=http, limiter=limiter,
                                      where=f"推送渠道“{target.name}”")
    except (ValueError, ConfigError) as exc:
        message = exc.message if isinstance(exc, ConfigError) else f"设置无法读取：{exc}"
        _record_failure(ctx, row, target, f"设置无效：{message}", permanent=True,
                        progress=row.progress)
        return
    # The limiter may make a send wait; never longer than the lease allows.
    channel.max_wait = max(0.0, min(channel.max_wait, send_by - time.monotonic()))
    guarded = _Guarded(ctx, channel, row, send_by)
    try:
        report = send_issue(guarded, view, links=lambda item: item.web_url, tz=ctx.tz,
                            start=row.progress, delivery_id=f"d{row.id}")
    except _LeaseShort:
        _release(ctx, [row])
        return
    except _LeaseLost:
        log.warning("chat delivery taken over", extra={"delivery_id": row.id})
        return
    except ChannelError as exc:
        _record_failure(ctx, row, target, failure_reason(exc), permanent=exc.permanent,
                        progress=exc.sent, retry_after=exc.retry_after)
        return
    except ZhuanlanError as exc:          # e.g. an item too big even when shortened
        _record_failure(ctx, row, target, failure_reason(exc), permanent=True,
                        progress=row.progress + len(guarded.sent_parts))
        return
    now = ctx.clock()
    with ctx.db.write() as conn:
        if outbox.finish(conn, row.id, ctx.worker_id, state=DeliveryState.SENT.value,
                         sent_at=now, progress=report.total, attempts=row.attempts + 1,
                         last_error=None, message_id=f"d{row.id}"):
            outbox.mark_target(conn, target.id, last_success_at=now, last_error=None)


def _record_failure(ctx: Context, row: Any, target: Any, reason: str, *, permanent: bool,
                    progress: int, retry_after: float | None = None) -> None:
    now = ctx.clock()
    attempts = row.attempts + 1
    # What the platform asked for, plus a little jitter so that the rows throttled
    # together do not all come back in the same second.
    asked = retry_after * random.uniform(1.0, 1.2) if retry_after else None
    next_at = CHAT.next_attempt(attempts, permanent=permanent, now=now, retry_after=asked)
    final = next_at is None
    values: dict[str, Any] = {"attempts": attempts, "last_error": reason,
                              "progress": max(progress, row.progress)}
    if final:
        values["state"] = DeliveryState.FAILED.value
    else:
        values["next_attempt_at"] = next_at
    with ctx.db.write() as conn:
        if outbox.finish(conn, row.id, ctx.worker_id, **values):
            outbox.mark_target(conn, target.id, last_error=reason)
    log.warning("chat delivery failed", extra={
        "delivery_id": row.id, "issue_id": row.issue_id, "target": target.name,
        "error": reason, "final": final, "progress": values["progress"]})
