"""A worker killed with SIGKILL in the middle of a delivery run: a second run sends the
rest and re-sends nothing that was recorded as sent. The only repeat allowed is the one
message whose SMTP transaction may have completed just before the kill (RFC 1047); it
carries the same Message-ID as its first copy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone

from sqlalchemy import func, select

from zhuanlan.store.schema import deliveries
from tests.support.smtp import SmtpSink

RECIPIENTS = 200
LEASE = 2.0


def _worker(database_url: str, tmp_path, smtp_port: int) -> subprocess.Popen:
    env = dict(os.environ,
               ZHUANLAN_DATABASE_URL=database_url,
               ZHUANLAN_DATA_DIR=str(tmp_path / "data"),
               ZHUANLAN_SMTP_HOST="127.0.0.1",
               ZHUANLAN_SMTP_PORT=str(smtp_port),
               ZHUANLAN_WORKER_LEASE_SECONDS=str(LEASE),
               ZHUANLAN_SAMPLE_ENABLED="false",
               ZHUANLAN_LOG_LEVEL="WARNING")
    env.pop("ZHUANLAN_CONFIG", None)
    return subprocess.Popen([sys.executable, "-m", "zhuanlan", "worker", "--once"], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _publish_issue(zl) -> int:

    from zhuanlan.store.schema import articles, candidates

    zl.add_column("crash", "崩溃测试", include="学习")
    column = zl.get_column("crash")
    now = datetime.now(timezone.utc)
    with zl.db.write() as conn:
        aid = conn.execute(articles.insert().values(
            url="http://example.com/a", canonical_url="http://example.com/a",
            content_hash="h" * 64, title="学习材料", text="学习" * 100, title_orig="学习材料",
            text_orig="学习" * 100, flags="", created_at=now)).inserted_primary_key[0]
        conn.execute(candidates.insert().values(column_id=column["id"], article_id=aid,
                                                state="approved", score=1.0, terms="学习",
                                                created_at=now))
    for i in range(RECIPIENTS):
        sid = zl.add_subscriber(f"user{i:04d}@example.com", f"员工{i}")
        zl.subscribe("crash", sid)
    issue_id = zl.publish_now("crash")
    assert issue_id is not None
    return issue_id


def test_sigkill_mid_delivery_then_rerun_sends_the_rest_once(make_zl, database_url, tmp_path):
    zl = make_zl()
    issue_id = _publish_issue(zl)
    # 10 ms per message: the run takes ~2 s, long enough to kill it in the middle.
    with SmtpSink(delay=0.01) as sink:
        first = _worker(database_url, tmp_path, sink.port)
        sink.wait_for(RECIPIENTS // 3, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = len(sink.messages)
        assert 0 < at_kill < RECIPIENTS, "the kill must land in the middle of the run"

        with zl.db.read() as conn:
            recorded = conn.execute(select(func.count()).where(
                deliveries.c.issue_id == issue_id, deliveries.c.state == "sent")).scalar()
        # Every message recorded as sent really went out; at most one went out unrecorded.
        assert recorded <= at_kill <= recorded + 1

        time.sleep(LEASE + 0.5)   # the dead worker's leases run out
        second = _worker(database_url, tmp_path, sink.port)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err.decode()
        received = sink.messages

    per_rcpt: dict[str, list[str]] = defaultdict(list)
    for m in received:
        for rcpt in m.rcpt_tos:
            per_rcpt[rcpt].append(m.message["Message-ID"])
    assert len(per_rcpt) == RECIPIENTS, "every recipient has a message"
    repeats = {r: ids for r, ids in per_rcpt.items() if len(ids) > 1}
    # Only the message in flight at the kill may repeat, and with the same Message-ID.
    assert len(repeats) <= 1, repeats
    for ids in repeats.values():
        assert len(set(ids)) == 1
    assert len(received) == RECIPIENTS + len(repeats)
    assert zl.delivery_counts(issue_id) == {"sent": RECIPIENTS}
    # Message-IDs are fixed per issue and recipient.
    assert len(Counter(mid for ids in per_rcpt.values() for mid in set(ids))) == RECIPIENTS
