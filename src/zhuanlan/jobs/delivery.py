"""Delivery job: send the outbox's due e-mails.

A batch of deliveries is claimed with a lease; each message is sent, then marked sent in
its own short transaction, so a worker killed between two messages leaves every sent
one recorded and every other one to be claimed again when its lease runs out. A kill
between the SMTP server's "250" after the final "." and that commit can still repeat one
message (RFC 1047); its Message-ID, fixed per issue and recipient, lets the repeat be
recognised.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from zhuanlan.channels.email import SmtpSender, build_message, message_id
from zhuanlan.errors import DeliveryError
from zhuanlan.jobs.publishing import issue_view
from zhuanlan.jobs.retry import backoff
from zhuanlan.model import DeliveryState
from zhuanlan.publish.render import render_email
from zhuanlan.store.claims import claim, release_values, still_held
from zhuanlan.store.schema import deliveries, subscribers

if TYPE_CHECKING:
    from zhuanlan.core import Zhuanlan

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def deliver_due(zl: "Zhuanlan", limit: int) -> int:
    """Send up to ``limit`` due deliveries. Returns how many were handled."""
    now = zl.clock()
    with zl.db.write() as conn:
        claimed = claim(conn, deliveries, (deliveries.c.state == DeliveryState.PENDING.value)
                        & (deliveries.c.next_attempt_at <= now),
                        order_by=[deliveries.c.next_attempt_at, deliveries.c.id], limit=limit,
                        worker=zl.worker_id, lease_seconds=zl.cfg["worker.lease_seconds"], now=now)
        if not claimed:
            return 0
        people = {r.id: r for r in conn.execute(select(subscribers).where(
            subscribers.c.id.in_({d.subscriber_id for d in claimed})))}
        # Render once per issue; only the envelope differs per recipient.
        rendered = {issue_id: render_email(issue_view(conn, issue_id, zl.cfg.base_url), tz=zl.tz)
                    for issue_id in {d.issue_id for d in claimed}}
    domain = _domain(zl.cfg["smtp.sender"])
    try:
        sender = SmtpSender.from_config(zl.cfg)
    except (DeliveryError, OSError) as exc:
        err = exc if isinstance(exc, DeliveryError) else DeliveryError(str(exc))
        for d in claimed:
            _record_failure(zl, d, err)
        return len(claimed)
    with sender:
        for d in claimed:
            person = people[d.subscriber_id]
            mid = message_id(d.issue_id, d.subscriber_id, domain)
            msg = build_message(rendered[d.issue_id], sender=zl.cfg["smtp.sender"],
                                to_addr=person.email, to_name=person.name or None,
                                message_id=mid, unsubscribe_url=None)
            try:
                sender.send(msg)
            except DeliveryError as exc:
                _record_failure(zl, d, exc)
                continue
            with zl.db.write() as conn:
                conn.execute(update(deliveries).where(
                    still_held(deliveries, d.id, zl.worker_id)).values(
                    state=DeliveryState.SENT.value, sent_at=zl.clock(), message_id=mid,
                    attempts=d.attempts + 1, last_error=None, **release_values()))
    log.info("deliveries sent", extra={"count": len(claimed)})
    return len(claimed)


def _record_failure(zl: "Zhuanlan", d, exc: DeliveryError) -> None:  # noqa: ANN001
    attempts = d.attempts + 1
    final = exc.permanent or attempts >= MAX_ATTEMPTS
    values = {"attempts": attempts, "last_error": exc.message, **release_values()}
    if final:
        values["state"] = DeliveryState.FAILED.value
    else:
        values["next_attempt_at"] = zl.clock() + backoff(attempts, base=30.0, cap=3600.0)
    with zl.db.write() as conn:
        conn.execute(update(deliveries).where(still_held(deliveries, d.id, zl.worker_id))
                     .values(**values))
    log.warning("delivery failed", extra={"delivery_id": d.id, "issue_id": d.issue_id,
                                          "error": exc.message, "final": final})


def counts(zl: "Zhuanlan", issue_id: int) -> dict[str, int]:
    with zl.db.read() as conn:
        return dict(conn.execute(select(deliveries.c.state, func.count())
                                 .where(deliveries.c.issue_id == issue_id)
                                 .group_by(deliveries.c.state)).all())


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip("> ") or "localhost"
