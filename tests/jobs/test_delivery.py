"""The outbox worker (jobs/delivery.py) on SQLite and PostgreSQL: parallel connections,
per-recipient links, temporary failures back off, permanent ones are marked with the
reason, a dead server fails nothing for good, other channels' rows are left alone, and a
row whose lease is nearly out is not sent."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from tests.support.smtp import SmtpSink, free_port
from zhuanlan.jobs import delivery
from zhuanlan.store.schema import articles, candidates, deliveries, subscribers, subscriptions


def _publish(zl, n: int, *, bad: dict[int, str] | None = None) -> int:
    zl.add_column("c", "学习专栏", include="学习")
    column = zl.get_column("c")
    now = datetime.now(UTC)
    with zl.db.write() as conn:
        for i in range(2):
            aid = conn.execute(articles.insert().values(
                url=f"http://example.com/{i}", canonical_url=f"http://example.com/{i}",
                content_hash=f"{i:064d}", title=f"学习材料{i}", text="学习" * 50,
                title_orig="", text_orig="", flags="", created_at=now)).inserted_primary_key[0]
            conn.execute(candidates.insert().values(column_id=column["id"], article_id=aid,
                                                    state="approved", score=1.0 - i / 10,
                                                    terms="学习", created_at=now))
        conn.execute(subscribers.insert(), [
            {"email": (bad or {}).get(i, f"u{i:03d}@example.com"), "name": f"员工{i}",
             "department": "", "active": True, "created_at": now} for i in range(n)])
        ids = conn.execute(select(subscribers.c.id)).scalars().all()
        conn.execute(subscriptions.insert(), [
            {"column_id": column["id"], "subscriber_id": s, "created_at": now} for s in ids])
    issue_id = zl.publish_now("c")
    assert issue_id is not None
    return issue_id


def _rows(zl, issue_id: int) -> list:
    with zl.db.read() as conn:
        return list(conn.execute(select(deliveries).where(deliveries.c.issue_id == issue_id)
                                 .order_by(deliveries.c.id)))


def test_many_recipients_over_parallel_connections_with_links(make_zl):
    with SmtpSink() as sink:
        zl = make_zl(smtp__port=sink.port, smtp__sender="学习专栏 <zl@example.com>",
                     smtp__connections=3, worker__batch=7)
        issue_id = _publish(zl, 60)
        links = []
        handled = delivery.deliver_due(
            zl, 7,
            reader_url=lambda r, aid: links.append(aid) or f"https://zl.example.com/r/{aid}/{r.id}",
            unsubscribe_url=lambda r: f"https://zl.example.com/u/{r.id}/{r.column_slug}",
            greeting=lambda r: f"{r.name}，您好：")
        assert handled == 60
        received = sink.wait_for(60)
    assert zl.delivery_counts(issue_id) == {"sent": 60}
    assert sorted(r for m in received for r in m.rcpt_tos) == [f"u{i:03d}@example.com"
                                                               for i in range(60)]
    by_rcpt = {m.rcpt_tos[0]: m.message for m in received}
    msg = by_rcpt["u005@example.com"]
    rows = {r.subscriber_id: r for r in _rows(zl, issue_id)}
    with zl.db.read() as conn:
        sid = conn.execute(select(subscribers.c.id)
                           .where(subscribers.c.email == "u005@example.com")).scalar()
    assert msg["Message-ID"] == rows[sid].message_id == f"<zl.issue-{issue_id}.r-{sid}@example.com>"
    assert msg["List-Unsubscribe"] == f"<https://zl.example.com/u/{sid}/c>"
    text = msg.get_body(("plain",)).get_content()
    assert text.startswith("员工5，您好：") and f"/{sid}" in text and "zl.example.com/r/" in text
    assert all(r.sent_at is not None and r.claimed_by is None and r.attempts == 1
               for r in rows.values())
    assert len(set(links)) == 2


def test_refusals_temporary_and_permanent(make_zl):
    with SmtpSink() as sink:
        async def rcpt(server, session, envelope, address, options):
            if address.startswith("u001"):
                return "550 5.1.1 no such user"
            if address.startswith("u002"):
                return "452 4.2.2 mailbox full"
            envelope.rcpt_tos.append(address)
            return "250 OK"
        sink.handler.handle_RCPT = rcpt
        clock = [datetime(2026, 11, 23, 1, 0, tzinfo=UTC)]
        zl = make_zl(clock=lambda: clock[0], smtp__port=sink.port, smtp__connections=2)
        issue_id = _publish(zl, 5, bad={3: "张三@example.com"})
        assert zl.deliver_due() == 5
        assert len(sink.wait_for(2)) == 2
    rows = {r.subscriber_id: r for r in _rows(zl, issue_id)}
    by_state = sorted((r.state, (r.last_error or "")[:40]) for r in rows.values())
    assert [s for s, _ in by_state] == ["failed", "failed", "pending", "sent", "sent"]
    failed = [r for r in rows.values() if r.state == "failed"]
    assert any("550" in r.last_error for r in failed)
    assert any("有效的邮件地址" in r.last_error for r in failed)
    [retry] = [r for r in rows.values() if r.state == "pending"]
    assert "452" in retry.last_error and retry.attempts == 1 and retry.claimed_by is None
    # Backoff with jitter: between half and all of 30 s after the first attempt.
    wait = (retry.next_attempt_at - clock[0]).total_seconds()
    assert 15 <= wait <= 30
    assert zl.deliver_due() == 0          # not due yet


def test_server_down_backs_off_everything_and_fails_nothing(make_zl):
    zl = make_zl(smtp__port=free_port(), smtp__timeout=2.0)
    issue_id = _publish(zl, 30)
    handled = zl.deliver_due()
    assert 0 < handled <= 30
    rows = _rows(zl, issue_id)
    assert {r.state for r in rows} == {"pending"}
    tried = [r for r in rows if r.attempts]
    assert len(tried) == handled and all("无法连接" in r.last_error for r in tried)
    assert all(r.claimed_by is None for r in rows)


def test_other_channels_and_short_leases_are_left_alone(make_zl):
    with SmtpSink() as sink:
        zl = make_zl(smtp__port=sink.port)
        issue_id = _publish(zl, 4)
        rows = _rows(zl, issue_id)
        with zl.db.write() as conn:
            conn.execute(update(deliveries).where(deliveries.c.id == rows[0].id)
                         .values(channel="wecom"))
        # A lease that is already half gone when the row is taken: not sent, not recorded.
        assert delivery.deliver_due(zl, 10) == 3
        assert len(sink.wait_for(3)) == 3
        rows = _rows(zl, issue_id)
        assert rows[0].state == "pending" and rows[0].attempts == 0
        zl2 = make_zl(smtp__port=sink.port, worker__lease_seconds=0.0001)
        with zl2.db.write() as conn:
            conn.execute(update(deliveries).where(deliveries.c.id == rows[0].id)
                         .values(channel="email"))
        delivery.deliver_due(zl2, 10)
        assert len(sink.messages) == 3
        row = _rows(zl, issue_id)[0]
        assert row.state == "pending" and row.attempts == 0
        # With a normal lease (the short one has run out) it goes.
        assert zl.deliver_due() == 1
        assert len(sink.wait_for(4)) == 4
    assert zl.delivery_counts(issue_id) == {"sent": 4}
