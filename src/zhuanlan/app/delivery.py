"""The delivery report of an issue: per channel, how many rows are sent, failed (and
why, grouped by reason with the first few recipients or targets) and pending (with the
next attempt), and each chat target's row; and "retry failed", which puts an issue's
failed rows back in the outbox.

Reached through the facade: ``zl.delivery_report(issue_id)``,
``zl.retry_failed_deliveries(issue_id, by=…)``.
"""

from __future__ import annotations


from sqlalchemy import func, select, update

from zhuanlan.errors import NotFoundError
from zhuanlan.model import DeliveryState
from zhuanlan.store import audit
from zhuanlan.store.claims import release_values
from zhuanlan.store.schema import channel_targets, columns, deliveries, issues, subscribers
from zhuanlan.jobs.context import Context


EXAMPLES = 5          # recipients or targets shown per failure reason
PENDING_SHOWN = 10    # pending rows shown per channel
CHANNEL_NAMES = {"email": "电子邮件", "wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书",
                 "webhook": "Webhook"}
CHANNEL_ORDER = ["email", "wecom", "dingtalk", "feishu", "webhook"]


def issue_header(ctx: Context, issue_id: int) -> dict:
    with ctx.db.read() as conn:
        row = conn.execute(
            select(issues.c.id, issues.c.number, issues.c.title, issues.c.published_at,
                   columns.c.slug, columns.c.name.label("column_name"))
            .join(columns, columns.c.id == issues.c.column_id)
            .where(issues.c.id == issue_id)).mappings().first()
    if row is None:
        raise NotFoundError("没有这一期", resource=f"issue {issue_id}")
    return dict(row)


def _who(row) -> str:  # noqa: ANN001
    if row.target_id is not None:
        return row.target_name or f"渠道 {row.target_id}"
    if row.person_name and row.email:
        return f"{row.person_name} <{row.email}>"
    return row.email or f"订阅者 {row.subscriber_id}"


def delivery_report(ctx: Context, issue_id: int) -> dict:
    """The report of one issue::

        {"issue": {id, number, title, published_at, slug, column_name},
         "totals": {"total", "sent", "failed", "pending"},
         "channels": [{"channel", "name", "total", "sent", "failed", "pending",
                       "next_attempt_at" (earliest pending), "last_sent_at",
                       "reasons": [{"reason", "count", "examples": [who, …]}],
                       "pending_rows": [{"who", "attempts", "next_attempt_at",
                                         "last_error", "progress"}]}],
         "targets": [{"target_id", "name", "kind", "state", "progress", "attempts",
                      "sent_at", "next_attempt_at", "last_error"}]}
    """
    header = issue_header(ctx, issue_id)
    with ctx.db.read() as conn:
        counts = conn.execute(
            select(deliveries.c.channel, deliveries.c.state, func.count(),
                   func.min(deliveries.c.next_attempt_at), func.max(deliveries.c.sent_at))
            .where(deliveries.c.issue_id == issue_id)
            .group_by(deliveries.c.channel, deliveries.c.state)).all()
        detail = (select(deliveries.c.id, deliveries.c.channel, deliveries.c.state,
                         deliveries.c.subscriber_id, deliveries.c.target_id,
                         deliveries.c.attempts, deliveries.c.progress,
                         deliveries.c.next_attempt_at, deliveries.c.sent_at,
                         deliveries.c.last_error,
                         subscribers.c.name.label("person_name"), subscribers.c.email,
                         channel_targets.c.name.label("target_name"),
                         channel_targets.c.kind.label("target_kind"))
                  .outerjoin(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
                  .outerjoin(channel_targets, channel_targets.c.id == deliveries.c.target_id)
                  .where(deliveries.c.issue_id == issue_id))
        # Failure reasons: counted in the database; a few examples of each.
        reasons = conn.execute(
            select(deliveries.c.channel, deliveries.c.last_error, func.count())
            .where(deliveries.c.issue_id == issue_id,
                   deliveries.c.state == DeliveryState.FAILED.value)
            .group_by(deliveries.c.channel, deliveries.c.last_error)
            .order_by(func.count().desc())).all()
        examples: dict[tuple[str, str | None], list[str]] = {}
        for channel, reason, _n in reasons[:50]:
            cond = (deliveries.c.last_error.is_(None) if reason is None
                    else deliveries.c.last_error == reason)
            examples[(channel, reason)] = [_who(r) for r in conn.execute(
                detail.where(deliveries.c.channel == channel,
                             deliveries.c.state == DeliveryState.FAILED.value, cond)
                .order_by(deliveries.c.id).limit(EXAMPLES))]
        pending = {}
        for channel in {c for c, s, *_ in counts if s == DeliveryState.PENDING.value}:
            pending[channel] = [
                {"who": _who(r), "attempts": r.attempts, "next_attempt_at": r.next_attempt_at,
                 "last_error": r.last_error, "progress": r.progress}
                for r in conn.execute(detail.where(
                    deliveries.c.channel == channel,
                    deliveries.c.state == DeliveryState.PENDING.value)
                    .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
                    .limit(PENDING_SHOWN))]
        targets = [
            {"target_id": r.target_id, "name": r.target_name, "kind": r.target_kind,
             "state": r.state, "progress": r.progress, "attempts": r.attempts,
             "sent_at": r.sent_at, "next_attempt_at": r.next_attempt_at,
             "last_error": r.last_error}
            for r in conn.execute(detail.where(deliveries.c.target_id.is_not(None))
                                  .order_by(channel_targets.c.name))]

    per: dict[str, dict] = {}
    for channel, state, n, first_due, last_sent in counts:
        c = per.setdefault(channel, {
            "channel": channel, "name": CHANNEL_NAMES.get(channel, channel), "total": 0,
            "sent": 0, "failed": 0, "pending": 0, "next_attempt_at": None,
            "last_sent_at": None, "reasons": [], "pending_rows": pending.get(channel, [])})
        c["total"] += n
        if state in (DeliveryState.SENT.value, DeliveryState.FAILED.value,
                     DeliveryState.PENDING.value):
            c[state] += n
        if state == DeliveryState.PENDING.value:
            c["next_attempt_at"] = first_due
        if state == DeliveryState.SENT.value:
            c["last_sent_at"] = last_sent
    for channel, reason, n in reasons:
        if channel in per:
            per[channel]["reasons"].append({
                "reason": reason or "（未记录原因）", "count": n,
                "examples": examples.get((channel, reason), [])})
    ordered = sorted(per.values(), key=lambda c: (
        CHANNEL_ORDER.index(c["channel"]) if c["channel"] in CHANNEL_ORDER else 99,
        c["channel"]))
    totals = {k: sum(c[k] for c in ordered) for k in ("total", "sent", "failed", "pending")}
    return {"issue": header, "totals": totals, "channels": ordered, "targets": targets}


def retry_failed(ctx: Context, issue_id: int, *, by: str = "admin",
                 channel: str | None = None) -> int:
    """Put the issue's failed rows (of ``channel``, or all) back in the outbox, due now,
    with their attempts reset; a chat row keeps its progress (the parts sent are not
    sent again). Audited. Returns how many rows."""
    header = issue_header(ctx, issue_id)
    now = ctx.clock()
    cond = [deliveries.c.issue_id == issue_id,
            deliveries.c.state == DeliveryState.FAILED.value]
    if channel:
        cond.append(deliveries.c.channel == channel)
    with ctx.db.write() as conn:
        n = conn.execute(update(deliveries).where(*cond).values(
            state=DeliveryState.PENDING.value, attempts=0, next_attempt_at=now,
            **release_values())).rowcount
        audit.record(conn, by, "deliveries.retry",
                     f"issue {header['slug']} #{header['number']}",
                     f"{n} failed row(s) back to pending" + (f" ({channel})" if channel else ""),
                     at=now)
    return int(n or 0)


class Deliveries:
    """An issue's outbox as the delivery report shows it, and "retry failed"."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def counts(self, issue_id: int) -> dict[str, int]:
        """How many of the issue's outbox rows are in each state."""
        with self.ctx.db.read() as conn:
            return dict(conn.execute(select(deliveries.c.state, func.count())
                                     .where(deliveries.c.issue_id == issue_id)
                                     .group_by(deliveries.c.state)).all())

    def report(self, issue_id: int) -> dict:
        """Per channel: sent, failed (reasons, first recipients), pending (next attempt);
        per chat target its row."""
        return delivery_report(self.ctx, issue_id)

    def retry_failed(self, issue_id: int, *, by: str = "admin",
                     channel: str | None = None) -> int:
        """Failed rows of the issue back to pending, due now (audited)."""
        return retry_failed(self.ctx, issue_id, by=by, channel=channel)
