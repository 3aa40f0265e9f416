"""App delivery job: the outbox rows of people reached by name through the
organization's own app (企业微信 应用消息, 钉钉 工作通知, 飞书 应用; ``deliveries.app_id``
set), sent in the platform's batches (1,000 / 100 / 200 people a call).

How a batch goes (:func:`deliver_app_due`):

* Due rows are claimed with a lease, ordered so that one issue's rows of one app come
  together; each group is cut into the app's batches.
* Before a batch is handed to the platform, each row's ``sends`` is counted and
  committed, and only rows still ours are sent. If a worker dies after the platform
  accepted and before the outcome is recorded, the rows come back after their lease and
  go again: those people get the message twice, and the report counts them (``sends`` >
  1 on a sent row: "可能重复"). No one is left out.
* The platform's answer is recorded per person: accepted → sent (钉钉: ``awaiting_result``
  until :func:`settle_app_results` has read the task's outcome); refused person (not in
  the app's visible range, left the company) → failed with the platform's reason, and the
  issue goes to them by e-mail instead; a throttled or unavailable platform → the batch
  back to pending after backoff (``jobs.outbox.CHAT``), at least what the platform asked;
  a wrong credential → every row of the app's group failed with the reason (an
  administrator must fix the app; "重试失败的推送" puts them back), and the app's health shows it.
* People whose directory entry lost their id since publishing get e-mail, with the reason.

The message links to the issue through the app's web login (``/app-login/{app}``): the
link carries no personal token, the platform tells us who opened it.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterator
from itertools import groupby
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from zhuanlan.channels.apps import AppChannel, AppError, app_from_config
from zhuanlan.errors import ConfigError, DeliveryError
from zhuanlan.jobs.chat_delivery import failure_reason, guarded_client
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.outbox import CHAT, RUN_SECONDS, reminder_view
from zhuanlan.model import APP_ID_FIELDS, APP_ID_LABELS, DeliveryState, IssueView
from zhuanlan.store import outbox
from zhuanlan.store.issues import issue_view

log = logging.getLogger(__name__)

CLAIM_BATCH = 2000         # most rows claimed at once: two 企业微信 batches, twenty 钉钉 ones
RESULT_DELAY = 30.0        # seconds before a 钉钉 task's per-person outcome is asked for


def app_login_url(base_url: str, app_id: int, target: str) -> str:
    """The link a message through an app carries: the app's web login, then ``target``
    (an absolute link of this site, or a path)."""
    parts = urlsplit(target)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{base_url}/app-login/{app_id}?next={quote(path or '/', safe='')}"


def deliver_app_due(ctx: Context, limit: int, *, client: httpx.Client | None = None,
                    limiter: Any = None) -> int:
    """Send the due app rows until none is due (or :data:`RUN_SECONDS` passed). Returns
    how many rows were handled. ``client`` replaces the SSRF-guarded client and
    ``limiter`` the apps' rate limiters (tests, benchmarks)."""
    lease = float(ctx.cfg["worker.lease_seconds"])
    # Rows are cheap to claim and send in big batches; a bound keeps two workers sharing
    # one large issue (worker.batch 20 → 1,000 rows: one 企业微信 call, ten 钉钉 ones).
    batch = max(1, min(int(limit) * 50, CLAIM_BATCH))
    own = client is None
    http = client
    channels: dict[int, AppChannel | str] = {}
    views: dict[int, IssueView] = {}
    handled = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < RUN_SECONDS:
            claimed_at = time.monotonic()
            with ctx.db.write() as conn:
                rows = outbox.claim_app(conn, now=ctx.clock(), limit=batch,
                                        worker=ctx.worker_id, lease_seconds=lease)
            if not rows:
                break
            if http is None:
                http = guarded_client(ctx.cfg)
            send_by = claimed_at + lease / 2
            for _key, group in groupby(
                    rows, key=lambda r: (r.issue_id, r.app_id, r.reminder_id)):
                handled += _deliver_group(ctx, list(group), http, limiter, channels, views,
                                          send_by)
    finally:
        for channel in channels.values():
            if not isinstance(channel, str):
                channel.close()
        if own and http is not None:
            http.close()
    if handled:
        log.info("app deliveries handled", extra={
            "count": handled, "seconds": round(time.monotonic() - started, 3)})
    return handled


def _channel(ctx: Context, app_id: int, http: httpx.Client, limiter: Any,
             channels: dict[int, AppChannel | str]) -> tuple[Any, AppChannel | str]:
    """The app's target row and its channel, or the reason it cannot be built."""
    with ctx.db.read() as conn:
        target = outbox.target(conn, app_id)
    if app_id not in channels and target is not None:
        if not target.enabled:
            channels[app_id] = "应用已停用"
        else:
            try:
                kwargs = {"limiter": limiter} if limiter is not None else {}
                channels[app_id] = app_from_config(json.loads(target.config), client=http,
                                                   where=f"应用“{target.name}”", **kwargs)
            except (ValueError, ConfigError) as exc:
                message = exc.message if isinstance(exc, ConfigError) else str(exc)
                channels[app_id] = f"设置无效：{message}"
    return target, channels.get(app_id, "应用已删除")


def _batches(rows: list, size: int) -> Iterator[list]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _deliver_group(ctx: Context, rows: list, http: httpx.Client, limiter: Any,
                   channels: dict[int, AppChannel | str], views: dict[int, IssueView],
                   send_by: float) -> int:
    first = rows[0]
    target, channel = _channel(ctx, first.app_id, http, limiter, channels)
    if target is None:               # deleted meanwhile: its rows went with it (cascade)
        return 0
    if isinstance(channel, str):
        _fail(ctx, [r.id for r in rows], channel, target.id)
        return len(rows)
    with ctx.db.read() as conn:
        if first.issue_id not in views:
            views[first.issue_id] = issue_view(conn, first.issue_id, ctx.cfg.base_url)
        ids = outbox.app_ids(conn, {r.subscriber_id for r in rows},
                             APP_ID_FIELDS[target.kind])
    view = views[first.issue_id]
    if first.reminder_id:
        view = reminder_view(view)
    url = app_login_url(ctx.cfg.base_url, target.id, view.web_url)
    sendable: list = []
    lost: list = []
    for r in rows:
        (sendable if (ids.get(r.subscriber_id) or "").strip() else lost).append(r)
    if lost:
        _to_email(ctx, lost, f"通讯录中已没有{APP_ID_LABELS[target.kind]}，改发邮件")
    handled = len(lost)
    for part in _batches(sendable, channel.batch_size):
        if time.monotonic() > send_by:
            with ctx.db.write() as conn:
                outbox.finish_many(conn, [r.id for r in part], ctx.worker_id)
            handled += len(part)
            continue
        handled += _send_batch(ctx, part, ids, channel, target, view, url)
    return handled


def _send_batch(ctx: Context, rows: list, ids: dict[int, str | None], channel: AppChannel,
                target: Any, view: IssueView, url: str) -> int:
    with ctx.db.write() as conn:
        held = set(outbox.count_sends(conn, [r.id for r in rows], ctx.worker_id))
    rows = [r for r in rows if r.id in held]
    if not rows:
        return 0
    by_user: dict[str, list] = {}
    for r in rows:
        by_user.setdefault(str(ids[r.subscriber_id]).strip(), []).append(r)
    try:
        result = channel.send_batch(list(by_user), view, url)
    except AppError as exc:
        if exc.scope == "app":
            _fail(ctx, [r.id for r in rows], failure_reason(exc), target.id)
        else:
            _retry(ctx, rows, failure_reason(exc), target.id, exc.retry_after,
                   permanent=exc.permanent)
        return len(rows)
    except DeliveryError as exc:
        _retry(ctx, rows, failure_reason(exc), target.id, getattr(exc, "retry_after", None),
               permanent=exc.permanent)
        return len(rows)
    now = ctx.clock()
    refused = [r for uid, rs in by_user.items() if uid in result.failed for r in rs]
    accepted = [r.id for uid, rs in by_user.items() if uid not in result.failed for r in rs]
    with ctx.db.write() as conn:
        outbox.finish_many(conn, accepted, ctx.worker_id, state=DeliveryState.SENT.value,
                           sent_at=now, message_id=result.message_id, last_error=None,
                           attempts=rows[0].attempts + 1, awaiting_result=result.pending)
        for r in refused:
            why = result.failed[str(ids[r.subscriber_id]).strip()]
            outbox.fail_to_email(conn, r, worker=ctx.worker_id, reason=f"{why}（已改发邮件）",
                                 note=f"{APP_ID_LABELS[target.kind]}无效：{why}，改发邮件",
                                 now=now, attempts=r.attempts + 1)
        outbox.mark_target(conn, target.id, last_success_at=now, last_error=None)
    return len(rows)


def _to_email(ctx: Context, rows: list, note: str) -> None:
    now = ctx.clock()
    with ctx.db.write() as conn:
        for r in rows:
            outbox.fail_to_email(conn, r, worker=ctx.worker_id, reason=note, note=note, now=now)


def _fail(ctx: Context, ids: list[int], reason: str, target_id: int) -> None:
    with ctx.db.write() as conn:
        outbox.finish_many(conn, ids, ctx.worker_id, state=DeliveryState.FAILED.value,
                           last_error=reason[:2000])
        outbox.mark_target(conn, target_id, last_error=reason[:2000])
    log.warning("app delivery failed", extra={"rows": len(ids), "app": target_id,
                                              "error": reason})


def _retry(ctx: Context, rows: list, reason: str, target_id: int,
           retry_after: float | None, *, permanent: bool) -> None:
    now = ctx.clock()
    attempts = rows[0].attempts + 1
    asked = retry_after * random.uniform(1.0, 1.2) if retry_after else None
    next_at = CHAT.next_attempt(attempts, permanent=permanent, now=now, retry_after=asked)
    values: dict[str, Any] = {"attempts": attempts, "last_error": reason[:2000]}
    if next_at is None:
        values["state"] = DeliveryState.FAILED.value
    else:
        values["next_attempt_at"] = next_at
    with ctx.db.write() as conn:
        outbox.finish_many(conn, [r.id for r in rows], ctx.worker_id, **values)
        outbox.mark_target(conn, target_id, last_error=reason[:2000])
    log.warning("app batch not sent", extra={"rows": len(rows), "app": target_id,
                                             "error": reason, "final": next_at is None})


def settle_app_results(ctx: Context, *, client: httpx.Client | None = None,
                       limit: int = 50) -> int:
    """Read the per-person outcome of 钉钉 tasks accepted at least :data:`RESULT_DELAY`
    ago; the people the platform could not reach are failed with its reason and get
    e-mail instead. Returns how many tasks were settled."""
    from datetime import timedelta
    now = ctx.clock()
    with ctx.db.read() as conn:
        tasks = outbox.awaiting_tasks(conn, sent_before=now - timedelta(seconds=RESULT_DELAY),
                                      limit=limit)
    if not tasks:
        return 0
    own = client is None
    http = client or guarded_client(ctx.cfg)
    channels: dict[int, Any] = {}
    settled = 0
    try:
        for task in tasks:
            with ctx.db.read() as conn:
                target = outbox.target(conn, task.app_id)
                rows = outbox.task_rows(conn, task.app_id, task.message_id)
                ids = outbox.app_ids(conn, {r.subscriber_id for r in rows},
                                     APP_ID_FIELDS[target.kind]) if target else {}
            if target is None or not rows:
                continue
            try:
                if target.id not in channels:
                    channels[target.id] = app_from_config(json.loads(target.config),
                                                          client=http)
                outcome = channels[target.id].results(task.message_id)
            except (DeliveryError, ConfigError, ValueError) as exc:
                log.warning("app task result not read", extra={
                    "app": target.id, "task": task.message_id, "error": str(exc)})
                continue
            if outcome is None:                     # the platform is still sending
                continue
            refused = outcome.get("failed") or {}
            with ctx.db.write() as conn:
                outbox.settle_task(conn, [r.id for r in rows])
                for r in rows:
                    why = refused.get(str(ids.get(r.subscriber_id)))
                    if why:
                        outbox.fail_to_email(
                            conn, r, worker=None, reason=why,
                            note=f"{APP_ID_LABELS[target.kind]}未送达：{why}，改发邮件", now=now)
            settled += 1
    finally:
        for channel in channels.values():
            channel.close()
        if own:
            http.close()
    return settled
