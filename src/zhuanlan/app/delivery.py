"""The delivery report of an issue: per channel, how many rows are sent, failed (and
why, grouped by reason with the first few recipients or targets) and pending (with the
next attempt), and each chat target's row; and "retry failed", which puts an issue's
failed rows back in the outbox.

Reached through the facade: ``zl.delivery_report(issue_id)``,
``zl.retry_failed_deliveries(issue_id, by=…)``.
"""

from __future__ import annotations

from zhuanlan.jobs.context import Context
from zhuanlan.model import APP_NAMES, DeliveryState
from zhuanlan.store import audit
from zhuanlan.store import deliveries as store
from zhuanlan.store import reminders as reminder_store

EXAMPLES = 5          # recipients or targets shown per failure reason
PENDING_SHOWN = 10    # pending rows shown per channel
CHANNEL_NAMES = {"email": "电子邮件", **APP_NAMES, "wecom": "企业微信群", "dingtalk": "钉钉群",
                 "feishu": "飞书群", "webhook": "Webhook"}
CHANNEL_ORDER = ["wecom_app", "dingtalk_app", "feishu_app", "email", "wecom", "dingtalk",
                 "feishu", "webhook"]


def _who(row) -> str:
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
                       "notes": [{"note", "count", "examples": [who, …]}]  (why e-mail
                                 instead of the app), "repeats" (sent rows handed over
                                 twice: a worker died after the platform accepted),
                       "pending_rows": [{"who", "attempts", "next_attempt_at",
                                         "last_error", "progress"}]}],
         "targets": [{"target_id", "name", "kind", "kind_name", "state", "progress", "attempts",
                      "sent_at", "next_attempt_at", "last_error"}],
         "reminders": [{"created_at", "department", "created_by", "automatic",
                        "recipients", "sent", "failed", "pending"}]}   (催学, newest first;
                        their rows are not in the figures above)
    """
    with ctx.db.read() as conn:
        header = store.issue_header(conn, issue_id)
        counts = store.channel_state_counts(conn, issue_id)
        # Failure reasons: counted in the database; a few examples of each.
        reasons = store.failure_reasons(conn, issue_id)
        examples = {(channel, reason): [_who(r) for r in store.failed_rows(
                        conn, issue_id, channel, reason, EXAMPLES)]
                    for channel, reason, _n in reasons[:50]}
        noted = store.notes(conn, issue_id)
        note_examples = {(channel, note): [_who(r) for r in store.noted_rows(
                             conn, issue_id, channel, note, EXAMPLES)]
                         for channel, note, _n in noted[:20]}
        repeats = store.repeats(conn, issue_id)
        pending = {channel: [
            {"who": _who(r), "attempts": r.attempts, "next_attempt_at": r.next_attempt_at,
             "last_error": r.last_error, "progress": r.progress}
            for r in store.pending_rows(conn, issue_id, channel, PENDING_SHOWN)]
            for channel in {c for c, s, *_ in counts if s == DeliveryState.PENDING.value}}
        targets = [
            {"target_id": r.target_id, "name": r.target_name, "kind": r.target_kind,
             "kind_name": CHANNEL_NAMES.get(r.target_kind, r.target_kind),
             "state": r.state, "progress": r.progress, "attempts": r.attempts,
             "sent_at": r.sent_at, "next_attempt_at": r.next_attempt_at,
             "last_error": r.last_error}
            for r in store.target_rows(conn, issue_id)]
        reminder_states = store.reminder_counts(conn, issue_id)
        reminders = [{**dict(r._mapping), **{k: reminder_states.get(r.id, {}).get(k, 0)
                                            for k in ("sent", "failed", "pending")}}
                     for r in reminder_store.history(conn, issue_id, limit=50)]

    per: dict[str, dict] = {}
    for channel, state, n, first_due, last_sent in counts:
        c = per.setdefault(channel, {
            "channel": channel, "name": CHANNEL_NAMES.get(channel, channel), "total": 0,
            "sent": 0, "failed": 0, "pending": 0, "next_attempt_at": None,
            "last_sent_at": None, "reasons": [], "notes": [],
            "repeats": repeats.get(channel, 0), "pending_rows": pending.get(channel, [])})
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
    for channel, note, n in noted:
        if channel in per:
            per[channel]["notes"].append({"note": note, "count": n,
                                          "examples": note_examples.get((channel, note), [])})
    ordered = sorted(per.values(), key=lambda c: (
        CHANNEL_ORDER.index(c["channel"]) if c["channel"] in CHANNEL_ORDER else 99,
        c["channel"]))
    totals = {k: sum(c[k] for c in ordered) for k in ("total", "sent", "failed", "pending")}
    return {"issue": header, "totals": totals, "channels": ordered, "targets": targets,
            "reminders": reminders}


def retry_failed(ctx: Context, issue_id: int, *, by: str = "admin",
                 channel: str | None = None) -> int:
    """Put the issue's failed rows (of ``channel``, or all) back in the outbox, due now,
    with their attempts reset; a chat row keeps its progress (the parts sent are not
    sent again). Audited. Returns how many rows."""
    now = ctx.clock()
    with ctx.db.write() as conn:
        header = store.issue_header(conn, issue_id)
        n = store.retry_failed(conn, issue_id, channel, now)
        audit.record(conn, by, "deliveries.retry",
                     f"issue {header['slug']} #{header['number']}",
                     f"{n} 条失败的推送重新排队" + (f"（{channel}）" if channel else ""),
                     at=now)
    return n


class Deliveries:
    """An issue's outbox as the delivery report shows it, and "retry failed"."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def counts(self, issue_id: int) -> dict[str, int]:
        """How many of the issue's outbox rows are in each state."""
        with self.ctx.db.read() as conn:
            return store.state_counts(conn, issue_id)

    def report(self, issue_id: int) -> dict:
        """Per channel: sent, failed (reasons, first recipients), pending (next attempt);
        per chat target its row."""
        return delivery_report(self.ctx, issue_id)

    def retry_failed(self, issue_id: int, *, by: str = "admin",
                     channel: str | None = None) -> int:
        """Failed rows of the issue back to pending, due now (audited)."""
        return retry_failed(self.ctx, issue_id, by=by, channel=channel)
