"""Chat targets in the outbox (jobs/chat_delivery.py, chat_targets.py, delivery_report.py)
on SQLite and PostgreSQL, against the local imitations of the platforms
(tests/support/botservers.py): one row per target and per person at publishing, signed
platform-format messages, a split issue resumed after a rate limit without repeating a
part, permanent errors with the errcode in the report, the SSRF guard, no double sends
by two workers, the report's numbers, and the CLI."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tests.support.botservers import PRESETS, BotServers
from tests.support.clock import FakeClock
from zhuanlan.channels.chat import EndpointRateLimiter
from zhuanlan.store.schema import (
    articles,
    audit_log,
    candidates,
    channel_targets,
    deliveries,
    subscribers,
    subscriptions,
)


def free() -> EndpointRateLimiter:
    return EndpointRateLimiter([(10_000, 60.0)])


def _content(zl, *, people: int = 3, items: int = 2, long: bool = False) -> None:
    zl.add_column("c", "学习专栏", include="学习")
    column = zl.get_column("c")
    now = datetime.now(UTC)
    with zl.db.write() as conn:
        for i in range(items):
            title = (f"〔{i + 1:02d}〕" + "深入学习贯彻习近平新时代中国特色社会主义思想" * 4) if long \
                else f"学习材料{i}"
            aid = conn.execute(articles.insert().values(
                url=f"http://example.com/{i}", canonical_url=f"http://example.com/{i}",
                content_hash=f"{i:064d}", title=title, text="主题教育走深走实，学习" * 30,
                title_orig="", text_orig="", flags="", created_at=now)).inserted_primary_key[0]
            conn.execute(candidates.insert().values(column_id=column["id"], article_id=aid,
                                                    state="approved", score=1.0 - i / 100,
                                                    terms="学习", created_at=now))
        if people:
            conn.execute(subscribers.insert(), [
                {"email": f"u{i}@example.com", "name": f"员工{i}", "department": "",
                 "active": True, "created_at": now} for i in range(people)])
            ids = conn.execute(select(subscribers.c.id)).scalars().all()
            conn.execute(subscriptions.insert(), [
                {"column_id": column["id"], "subscriber_id": s, "created_at": now}
                for s in ids])


def _rows(zl, issue_id: int) -> list:
    with zl.db.read() as conn:
        return list(conn.execute(select(deliveries).where(deliveries.c.issue_id == issue_id)
                                 .order_by(deliveries.c.id)))


def _target_row(zl, issue_id: int, name: str):
    with zl.db.read() as conn:
        return conn.execute(select(deliveries).join(
            channel_targets, channel_targets.c.id == deliveries.c.target_id).where(
            deliveries.c.issue_id == issue_id, channel_targets.c.name == name)).one()


def numbers_in(texts: list[str]) -> list[int]:
    return [int(n) for t in texts for n in re.findall(r"\*\*(\d+)\.\*\*", t)]


@pytest.fixture
def bots():
    with BotServers() as b:
        yield b


# ------------------------------------------------------------------------ publishing

def test_publish_makes_one_row_per_enabled_target_and_per_person(make_zl, bots):
    zl = make_zl()
    _content(zl, people=3)
    zl.add_column("d", "其他专栏", include="经济")
    t = zl.targets
    t.add("党群群", "dingtalk", {"url": bots.dingtalk_url, "secret": bots.dingtalk_secret},
          columns_=["c"])
    t.add("飞书群", "feishu", {"url": bots.feishu_url, "secret": bots.feishu_secret})
    t.assign("飞书群", "c")
    assert t.assign("飞书群", "c") is False               # once
    t.add("停用群", "wecom", {"url": bots.wecom_url}, columns_=["c"], enabled=False)
    t.add("别的专栏", "wecom", {"url": bots.wecom_url}, columns_=["d"])
    issue_id = zl.publish_now("c")
    rows = _rows(zl, issue_id)
    people = [r for r in rows if r.subscriber_id is not None]
    targets = [r for r in rows if r.target_id is not None]
    assert len(people) == 3 and {r.channel for r in people} == {"email"}
    assert sorted(r.channel for r in targets) == ["dingtalk", "feishu"]
    assert all(r.state == "pending" and r.progress == 0 and r.subscriber_id is None
               for r in targets)
    # The unique key covers target rows; a row is for a person OR a target.
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError):
        with zl.db.write() as conn:
            conn.execute(deliveries.insert().values(
                issue_id=issue_id, target_id=targets[0].target_id, channel="dingtalk",
                state="pending", attempts=0, next_attempt_at=now, created_at=now))
    with pytest.raises(IntegrityError):
        with zl.db.write() as conn:
            conn.execute(deliveries.insert().values(
                issue_id=issue_id, channel="email", state="pending", attempts=0,
                next_attempt_at=now, created_at=now))
    # The e-mail worker leaves the target rows alone (no SMTP server is needed for that
    # to show: the chat rows are not even claimed).
    assert all(r.claimed_by is None for r in _rows(zl, issue_id))


def test_invalid_target_settings_are_refused_before_saving(make_zl, bots):
    from zhuanlan.errors import ConfigError
    zl = make_zl()
    with pytest.raises(ConfigError):
        zl.targets.add("x", "webhook", {"url": bots.webhook_url, "secret": "short"})
    with pytest.raises(ConfigError):
        zl.targets.add("x", "dingtalk", {"url": "ftp://example.com/robot"})
    with pytest.raises(ConfigError):
        zl.targets.add("x", "sms", {"url": bots.wecom_url})
    zl.targets.add("x", "wecom", {"url": bots.wecom_url})
    with pytest.raises(ConfigError):
        zl.targets.add("x", "wecom", {"url": bots.wecom_url})
    assert [t["name"] for t in zl.targets.all()] == ["x"]
    assert "wecom-key-1" not in zl.targets.all()[0]["endpoint"]


# ------------------------------------------------------------------------ sending

def test_worker_sends_signed_platform_messages_with_public_links(make_zl, bots):
    zl = make_zl()
    _content(zl, people=2)
    zl.targets.add("钉钉群", "dingtalk", {"url": bots.dingtalk_url,
                                        "secret": bots.dingtalk_secret}, columns_=["c"])
    zl.targets.add("飞书群", "feishu", {"url": bots.feishu_url,
                                      "secret": bots.feishu_secret}, columns_=["c"])
    issue_id = zl.publish_now("c")
    assert zl.deliver_chat_due(limiter=free()) == 2
    assert zl.deliver_chat_due(limiter=free()) == 0
    assert not bots.rejected                          # signatures valid, formats accepted
    assert len(bots.received["dingtalk"]) == 1 and len(bots.received["feishu"]) == 1
    dd = bots.received["dingtalk"][0]
    assert dd["msgtype"] == "markdown" and "学习专栏 · 第1期" in dd["markdown"]["title"]
    text = dd["markdown"]["text"]
    assert f"{zl.cfg.base_url}/a/" in text and "/r/" not in text     # public links
    fs = bots.received["feishu"][0]
    assert fs["msg_type"] == "interactive" and fs["timestamp"].isdigit() and fs["sign"]
    by_channel = {r.channel: r for r in _rows(zl, issue_id)}
    for kind in ("dingtalk", "feishu"):
        r = by_channel[kind]
        assert (r.state, r.progress, r.attempts, r.claimed_by) == ("sent", 1, 1, None)
        assert r.sent_at is not None and r.message_id == f"d{r.id}"
    assert all(t["last_success_at"] and not t["last_error"] for t in zl.targets.all())
    # E-mail rows are the other worker's business.
    assert zl.delivery_counts(issue_id) == {"pending": 2, "sent": 2}


def test_split_issue_rate_limited_on_part_two_resumes_without_repeating(make_zl, bots):
    clock = FakeClock(datetime.now(UTC))
    zl = make_zl(clock=clock)
    _content(zl, people=0, items=30, long=True)
    zl.targets.add("企微群", "wecom", {"url": bots.wecom_url}, columns_=["c"])
    issue_id = zl.publish_now("c")
    calls = []
    original = bots._canned

    def canned(kind):
        calls.append(kind)
        return PRESETS["wecom"]["rate"] if len(calls) == 2 else original(kind)

    bots._canned = canned
    assert zl.deliver_chat_due(limiter=free()) == 1
    row = _target_row(zl, issue_id, "企微群")
    assert (row.state, row.progress, row.attempts) == ("pending", 1, 1)
    assert "45009" in row.last_error
    assert row.next_attempt_at >= clock.now + timedelta(seconds=60)   # the platform's wait
    assert len(bots.received["wecom"]) == 1
    report = zl.delivery_report(issue_id)
    wecom = report["channels"][0]
    assert (wecom["channel"], wecom["pending"], wecom["sent"]) == ("wecom", 1, 0)
    assert wecom["next_attempt_at"] == row.next_attempt_at
    assert report["targets"][0]["progress"] == 1

    assert zl.deliver_chat_due(limiter=free()) == 0          # not due yet
    clock.now += timedelta(hours=3)
    assert zl.deliver_chat_due(limiter=free()) == 1
    row = _target_row(zl, issue_id, "企微群")
    texts = [m["markdown"]["content"] for m in bots.received["wecom"]]
    assert len(texts) > 2 and (row.state, row.progress) == ("sent", len(texts))
    assert numbers_in(texts) == list(range(1, 31))           # every item once, in order
    assert texts[0].count("（1/") == 1 and sum("（1/" in t for t in texts) == 1  # part 1 once


def test_invalid_token_fails_with_the_errcode_in_the_report_and_retry(make_zl, bots):
    zl = make_zl()
    _content(zl, people=1)
    url = bots.dingtalk_url.replace(bots.dingtalk_token, "no-such-token")
    zl.targets.add("错的群", "dingtalk", {"url": url, "secret": bots.dingtalk_secret},
                   columns_=["c"])
    issue_id = zl.publish_now("c")
    assert zl.deliver_chat_due(limiter=free()) == 1
    row = _target_row(zl, issue_id, "错的群")
    assert row.state == "failed" and row.attempts == 1
    assert "300001" in row.last_error and "token is not exist" in row.last_error
    assert "no-such-token" not in row.last_error                  # masked
    report = zl.delivery_report(issue_id)
    dd = [c for c in report["channels"] if c["channel"] == "dingtalk"][0]
    assert (dd["failed"], dd["sent"], dd["pending"]) == (1, 0, 0)
    assert dd["reasons"][0]["count"] == 1 and "300001" in dd["reasons"][0]["reason"]
    assert dd["reasons"][0]["examples"] == ["错的群"]
    assert zl.targets.get("错的群")["last_error"] == row.last_error

    assert zl.retry_failed_deliveries(issue_id, by="chief") == 1
    row = _target_row(zl, issue_id, "错的群")
    assert (row.state, row.attempts) == ("pending", 0)
    assert zl.audit(5)[0]["action"] == "deliveries.retry"


def test_a_target_on_a_private_address_is_refused_and_the_server_sees_nothing(make_zl, bots):
    zl = make_zl(fetch__allow_private=[])
    _content(zl, people=0)
    zl.targets.add("内网群", "wecom", {"url": bots.wecom_url}, columns_=["c"])
    issue_id = zl.publish_now("c")
    assert zl.deliver_chat_due(limiter=free()) == 1
    row = _target_row(zl, issue_id, "内网群")
    assert row.state == "failed" and "地址不允许访问" in row.last_error
    assert "allow_private" in row.last_error
    result = zl.targets.test("内网群")
    assert not result.ok and "地址不允许访问" in result.message
    assert bots.received["wecom"] == [] and bots.rejected == []
    assert bots.server.requests == []                   # not even a connection


def test_two_workers_never_send_one_row_twice(make_zl, bots):
    from zhuanlan.core import Zhuanlan
    zl = make_zl()
    _content(zl, people=0)
    for i in range(8):
        zl.targets.add(f"群{i}", "dingtalk", {"url": bots.dingtalk_url,
                                             "secret": bots.dingtalk_secret}, columns_=["c"])
    issue_id = zl.publish_now("c")
    other = Zhuanlan(zl.cfg, worker_id="worker-2")
    try:
        # A row held by another worker's live lease is not touched.
        with zl.db.write() as conn:
            held = conn.execute(select(deliveries.c.id).where(
                deliveries.c.issue_id == issue_id).order_by(deliveries.c.id).limit(1)).scalar()
            conn.execute(update(deliveries).where(deliveries.c.id == held).values(
                claimed_by="someone-else",
                lease_until=datetime.now(UTC) + timedelta(minutes=5)))
        limiter = free()
        counts = []
        threads = [threading.Thread(target=lambda z=z: counts.append(
            z.deliver_chat_due(limit=1, limiter=limiter))) for z in (zl, other)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sum(counts) == 7
        assert len(bots.received["dingtalk"]) == 7 and not bots.rejected
        rows = _rows(zl, issue_id)
        assert sorted(r.state for r in rows) == ["pending"] + ["sent"] * 7
        assert all(r.attempts == 1 for r in rows if r.state == "sent")
        assert [r.id for r in rows if r.state == "pending"] == [held]
    finally:
        other.close()


def test_report_numbers_per_channel(make_zl, bots):
    zl = make_zl()
    _content(zl, people=4)
    zl.targets.add("好群", "feishu", {"url": bots.feishu_url, "secret": bots.feishu_secret},
                   columns_=["c"])
    zl.targets.add("坏群", "feishu", {"url": bots.feishu_url, "secret": "wrong-secret"},
                   columns_=["c"])
    issue_id = zl.publish_now("c")
    assert zl.deliver_chat_due(limiter=free()) == 2
    emails = [r for r in _rows(zl, issue_id) if r.channel == "email"]
    with zl.db.write() as conn:
        for r, (state, err) in zip(emails, [("sent", None), ("failed", "550 no such user"),
                                            ("failed", "550 no such user"),
                                            ("pending", "421 try later")]):
            conn.execute(update(deliveries).where(deliveries.c.id == r.id).values(
                state=state, last_error=err,
                sent_at=datetime.now(UTC) if state == "sent" else None))
    report = zl.delivery_report(issue_id)
    assert report["totals"] == {"total": 6, "sent": 2, "failed": 3, "pending": 1}
    email, feishu = report["channels"]
    assert (email["channel"], email["sent"], email["failed"], email["pending"]) == \
        ("email", 1, 2, 1)
    assert email["reasons"] == [{"reason": "550 no such user", "count": 2,
                                 "examples": ["员工1 <u1@example.com>",
                                              "员工2 <u2@example.com>"]}]
    assert email["pending_rows"][0]["who"] == "员工3 <u3@example.com>"
    assert email["pending_rows"][0]["last_error"] == "421 try later"
    assert (feishu["sent"], feishu["failed"]) == (1, 1)
    assert "19021" in feishu["reasons"][0]["reason"]
    assert {t["name"]: t["state"] for t in report["targets"]} == {"好群": "sent",
                                                                  "坏群": "failed"}


def test_deleting_a_target_removes_its_rows_and_disabled_targets_fail_visibly(make_zl, bots):
    zl = make_zl()
    _content(zl, people=0)
    zl.targets.add("甲", "wecom", {"url": bots.wecom_url}, columns_=["c"])
    zl.targets.add("乙", "wecom", {"url": bots.wecom_url}, columns_=["c"])
    issue_id = zl.publish_now("c")
    zl.targets.set_enabled("乙", False)
    zl.targets.delete("甲")
    assert zl.deliver_chat_due(limiter=free()) == 1
    rows = _rows(zl, issue_id)
    assert len(rows) == 1 and rows[0].state == "failed" and "停用" in rows[0].last_error
    assert bots.received["wecom"] == []
    with zl.db.read() as conn:
        actions = set(conn.execute(select(audit_log.c.action)).scalars())
    assert {"target.add", "target.disable", "target.delete"} <= actions


def test_run_until_idle_includes_chat_deliveries(make_zl, bots):
    zl = make_zl()
    _content(zl, people=0)
    zl.targets.add("群", "webhook", {"url": bots.webhook_url, "secret": bots.webhook_secret},
                   columns_=["c"])
    issue_id = zl.publish_now("c")
    zl.chat_limiter = free()
    done = zl.run_until_idle()
    assert done.chat_delivered == 1
    assert len(bots.received["webhook"]) == 1
    row = _rows(zl, issue_id)[0]
    assert bots.webhook_requests[0].headers["x-zhuanlan-delivery"] == f"d{row.id}"


# ------------------------------------------------------------------------ CLI

def test_cli_channel_commands_and_report(tmp_path, capsys, make_zl, bots):
    from zhuanlan.cli import main
    zl = make_zl()
    _content(zl, people=1)
    config = tmp_path / "zhuanlan.toml"
    config.write_text(f'[database]\nurl = "{zl.cfg.database_url}"\n'
                      f'[fetch]\nallow_private = ["127.0.0.1"]\n')

    def run(*args: str) -> int:
        return main(["--config", str(config), *args])

    assert run("channel", "add", "钉钉群", "--kind", "dingtalk", "--url", bots.dingtalk_url,
               "--secret", bots.dingtalk_secret, "--column", "c") == 0
    out = capsys.readouterr().out
    assert "已添加推送渠道 钉钉群" in out and "ddtoken1" not in out
    assert run("channel", "add", "坏", "--kind", "webhook", "--url", bots.webhook_url) != 0
    capsys.readouterr()
    assert run("channel", "add", "飞书群", "--kind", "feishu", "--url", bots.feishu_url,
               "--secret", bots.feishu_secret) == 0
    assert run("channel", "assign", "飞书群", "c") == 0
    assert run("channel", "list") == 0
    out = capsys.readouterr().out
    assert "钉钉群\tdingtalk\t启用" in out and "飞书群\tfeishu" in out and "\tc\t" in out
    assert run("channel", "test", "钉钉群") == 0
    assert "测试消息已发送成功" in capsys.readouterr().out
    assert "测试消息" in bots.received["dingtalk"][0]["markdown"]["text"]

    issue_id = zl.publish_now("c")
    assert zl.deliver_chat_due(limiter=free()) == 2
    with zl.db.write() as conn:
        conn.execute(update(deliveries).where(deliveries.c.issue_id == issue_id,
                                              deliveries.c.channel == "email")
                     .values(state="failed", last_error="550 5.1.1 no such user"))
    assert run("report", "c", "1") == 0
    out = capsys.readouterr().out
    assert "合计 3：已发送 2，失败 1，待发送 0" in out
    assert "[电子邮件] 共 1：已发送 0，失败 1" in out and "550 5.1.1 no such user" in out
    assert "员工0 <u0@example.com>" in out
    assert "钉钉群（dingtalk）：已发送" in out
    assert run("report", "c", "1", "--retry-failed") == 0
    assert "已将 1 条失败的推送重新排队" in capsys.readouterr().out
    assert run("report", "c", "9") != 0
