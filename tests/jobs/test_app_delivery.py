"""Personal messages through the organization's app (``jobs.app_delivery``): publishing
puts each person on the column's app that knows them (else e-mail, with the reason), the
worker sends in the platform's batches over real HTTP to the local imitation
(``tests.support.appservers``), and every person's outcome lands in the outbox and the
delivery report. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.support.appservers import AppServers
from tests.support.clock import FakeClock
from zhuanlan.store.schema import articles, candidates, deliveries, subscribers, subscriptions

ID_FIELD = {"wecom": "wecom_userid", "dingtalk": "dingtalk_userid", "feishu": "feishu_open_id"}


@pytest.fixture
def servers():
    with AppServers() as s:
        yield s


@pytest.fixture
def clock():
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def zl(make_zl, servers, clock):
    return make_zl(clock=clock, fetch__allow_private=[f"127.0.0.1:{servers.server.port}"])


def _column(zl, people: list[tuple[str, dict]], *, items: int = 2) -> None:
    """Column ``c`` with approved articles and these subscribers: (name, platform ids)."""
    zl.add_column("c", "学习专栏", include="学习")
    column = zl.get_column("c")
    now = zl.clock()
    with zl.db.write() as conn:
        for i in range(items):
            aid = conn.execute(articles.insert().values(
                url=f"http://example.com/{i}", canonical_url=f"http://example.com/{i}",
                content_hash=f"{i:064d}", title=f"学习材料{i}", text="主题教育走深走实，学习" * 30,
                title_orig="", text_orig="", flags="", created_at=now)).inserted_primary_key[0]
            conn.execute(candidates.insert().values(column_id=column["id"], article_id=aid,
                                                    state="approved", score=1.0 - i / 100,
                                                    terms="学习", created_at=now))
        for n, (name, ids) in enumerate(people):
            sid = conn.execute(subscribers.insert().values(
                email=f"u{n}@example.com", name=name, department="", active=True,
                created_at=now, **ids)).inserted_primary_key[0]
            conn.execute(subscriptions.insert().values(column_id=column["id"],
                                                       subscriber_id=sid, created_at=now))


def _rows(zl, issue_id: int) -> dict[str, list]:
    with zl.db.read() as conn:
        rows = list(conn.execute(
            select(deliveries, subscribers.c.name)
            .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
            .where(deliveries.c.issue_id == issue_id).order_by(deliveries.c.id)))
    out: dict[str, list] = {}
    for r in rows:
        out.setdefault(r.channel, []).append(r)
    return out


def _app(zl, servers, platform: str, **changes) -> int:
    return zl.targets.add(f"{platform}应用", f"{platform}_app",
                          servers.config(platform, **changes), columns_=["c"])


def test_publishing_puts_each_person_on_the_app_that_knows_them_else_email(zl, servers):
    _column(zl, [("张三", {"wecom_userid": "zhangsan"}), ("李四", {"wecom_userid": "lisi"}),
                 ("赵六", {}), ("钱七", {"dingtalk_userid": "manager001"})])
    _app(zl, servers, "wecom")
    issue_id = zl.publish_now("c")
    rows = _rows(zl, issue_id)
    assert sorted(r.name for r in rows["wecom_app"]) == ["张三", "李四"]
    assert sorted(r.name for r in rows["email"]) == ["赵六", "钱七"]
    assert all(r.note == "通讯录中没有企业微信 userid，改发邮件" for r in rows["email"])
    assert all(r.app_id is not None and r.note is None for r in rows["wecom_app"])


def test_the_first_app_of_the_column_that_knows_a_person_wins(zl, servers):
    _column(zl, [("张三", {"wecom_userid": "zhangsan", "dingtalk_userid": "manager001"}),
                 ("钱七", {"dingtalk_userid": "manager002"})])
    _app(zl, servers, "wecom")
    _app(zl, servers, "dingtalk")
    rows = _rows(zl, zl.publish_now("c"))
    assert [r.name for r in rows["wecom_app"]] == ["张三"]
    assert [r.name for r in rows["dingtalk_app"]] == ["钱七"]
    assert "email" not in rows


def test_wecom_batch_records_each_person_and_invalid_ones_get_email(zl, servers):
    _column(zl, [("张三", {"wecom_userid": "zhangsan"}), ("李四", {"wecom_userid": "lisi"}),
                 ("离职者", {"wecom_userid": "ghost"})])
    _app(zl, servers, "wecom")
    issue_id = zl.publish_now("c")
    handled = zl.work.deliver_app_due()
    assert handled == 3
    sends = servers.calls("wecom", "message/send")
    assert len(sends) == 1                                        # one batch for all
    assert sorted(sends[0].body["touser"].split("|")) == ["ghost", "lisi", "zhangsan"]
    card = sends[0].body["textcard"]
    assert "学习专栏" in card["title"] and "/app-login/" in card["url"]
    assert "token" not in card["url"] and "/r/" not in card["url"]   # no personal token
    rows = _rows(zl, issue_id)
    by_name = {r.name: r for r in rows["wecom_app"]}
    assert by_name["张三"].state == by_name["李四"].state == "sent"
    assert by_name["张三"].message_id and by_name["张三"].sends == 1
    assert by_name["离职者"].state == "failed" and "已改发邮件" in by_name["离职者"].last_error
    # The one the platform refused gets the issue by e-mail instead, with the reason.
    assert [r.name for r in rows["email"]] == ["离职者"]
    assert "无效" in rows["email"][0].note
    report = zl.delivery_report(issue_id)
    names = {c["channel"]: c["name"] for c in report["channels"]}
    assert names["wecom_app"] == "企业微信应用"
    app = next(c for c in report["channels"] if c["channel"] == "wecom_app")
    assert (app["sent"], app["failed"]) == (2, 1)


def test_feishu_goes_in_batches_of_200(zl, servers):
    people = [(f"员工{i}", {"feishu_open_id": f"ou_{i:04d}"}) for i in range(250)]
    servers.p["feishu"].directory.update(ids["feishu_open_id"] for _n, ids in people)
    _column(zl, people)
    _app(zl, servers, "feishu")
    issue_id = zl.publish_now("c")
    zl.work.deliver_app_due()
    sizes = sorted(len(c.body["open_ids"]) for c in servers.calls("feishu", "batch_send"))
    assert sizes == [50, 200]
    rows = _rows(zl, issue_id)["feishu_app"]
    assert len(rows) == 250 and {r.state for r in rows} == {"sent"}


def test_dingtalk_outcomes_are_read_back_from_the_task(zl, servers, clock):
    _column(zl, [("经理一", {"dingtalk_userid": "manager001"}),
                 ("查无此人", {"dingtalk_userid": "nobody9"})])
    _app(zl, servers, "dingtalk")
    issue_id = zl.publish_now("c")
    zl.work.deliver_app_due()
    rows = _rows(zl, issue_id)["dingtalk_app"]
    assert {r.state for r in rows} == {"sent"} and all(r.awaiting_result for r in rows)
    task = rows[0].message_id
    assert task and all(r.message_id == task for r in rows)
    clock.advance(seconds=60)
    zl.work.deliver_app_due()          # first progress answer: still sending
    assert all(r.awaiting_result for r in _rows(zl, issue_id)["dingtalk_app"])
    zl.work.deliver_app_due()
    rows = {r.name: r for r in _rows(zl, issue_id)["dingtalk_app"]}
    assert rows["经理一"].state == "sent" and not rows["经理一"].awaiting_result
    assert rows["查无此人"].state == "failed" and not rows["查无此人"].awaiting_result
    assert [r.name for r in _rows(zl, issue_id)["email"]] == ["查无此人"]


def test_a_wrong_secret_fails_the_app_and_shows_on_its_health(zl, servers):
    _column(zl, [("张三", {"wecom_userid": "zhangsan"})])
    target = _app(zl, servers, "wecom", corpsecret="wrong-secret-000")
    issue_id = zl.publish_now("c")
    zl.work.deliver_app_due()
    row = _rows(zl, issue_id)["wecom_app"][0]
    assert row.state == "failed" and row.last_error
    assert "secret" not in row.last_error.lower() or "wrong-secret-000" not in row.last_error
    health = zl.targets.get(target)
    assert health["last_error"] and "wrong-secret-000" not in health["last_error"]
    assert not servers.calls("wecom", "message/send")
    # After the administrator fixes it, "retry failed" sends.
    zl.retry_failed_deliveries(issue_id)
    with zl.db.write() as conn:
        import json

        from zhuanlan.store.schema import channel_targets
        conn.execute(update(channel_targets).where(channel_targets.c.id == target)
                     .values(config=json.dumps(servers.config("wecom"))))
    zl.work.deliver_app_due()
    assert _rows(zl, issue_id)["wecom_app"][0].state == "sent"


def test_a_throttled_platform_gets_the_batch_again_later(zl, servers, clock):
    _column(zl, [("员工", {"feishu_open_id": "ou_aaa"})])
    _app(zl, servers, "feishu")
    issue_id = zl.publish_now("c")
    servers.rate_limit("feishu", 1)
    zl.work.deliver_app_due()
    row = _rows(zl, issue_id)["feishu_app"][0]
    assert row.state == "pending" and row.attempts == 1 and row.last_error
    assert row.next_attempt_at > clock()
    zl.work.deliver_app_due()                       # not due yet: nothing sent
    assert len(servers.calls("feishu", "batch_send")) == 1
    clock.now = row.next_attempt_at + timedelta(seconds=1)
    zl.work.deliver_app_due()
    row = _rows(zl, issue_id)["feishu_app"][0]
    assert row.state == "sent" and row.sends == 2


def test_a_person_who_lost_their_id_gets_email(zl, servers):
    _column(zl, [("张三", {"wecom_userid": "zhangsan"}), ("李四", {"wecom_userid": "lisi"})])
    _app(zl, servers, "wecom")
    issue_id = zl.publish_now("c")
    with zl.db.write() as conn:
        conn.execute(update(subscribers).where(subscribers.c.name == "李四")
                     .values(wecom_userid=None))
    zl.work.deliver_app_due()
    rows = _rows(zl, issue_id)
    assert [r.name for r in rows["email"]] == ["李四"]
    assert servers.calls("wecom", "message/send")[0].body["touser"] == "zhangsan"
