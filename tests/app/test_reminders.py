"""催学 (``zl.reminders``): who is reminded (received the issue, not studied it, in the
department's subtree, not reminded today), through which channel (their app, else
e-mail, over real HTTP and SMTP), apart from the issue's own report and statistics, and
the automatic reminder before the study deadline. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.support.appservers import AppServers
from tests.support.clock import FakeClock
from tests.support.smtp import SmtpSink
from tests.support.study_seed import SLUG, mark_sent, organisation, publish
from zhuanlan.errors import ConfigError, NotFoundError
from zhuanlan.store.schema import deliveries, subscribers
from zhuanlan.study.records import Reader


@pytest.fixture
def env(make_zl):
    with AppServers() as servers, SmtpSink() as sink:
        clock = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
        zl = make_zl(clock=clock, smtp__port=sink.port, smtp__sender="学习专栏 <zl@example.com>",
                     fetch__allow_private=[f"127.0.0.1:{servers.server.port}"])
        people = organisation(zl)
        with zl.db.write() as conn:
            conn.execute(update(subscribers).where(subscribers.c.id == people["甲"])
                         .values(wecom_userid="zhangsan"))
        zl.targets.add("企业微信", "wecom_app", servers.config("wecom"), columns_=[SLUG])
        issue_id, arts = publish(zl, 2, "本期")
        mark_sent(zl, issue_id)
        yield zl, clock, people, issue_id, arts, servers, sink


def _studied(zl, person: int, arts: list[int], issue_id: int) -> None:
    for a in arts:
        zl.reading.confirm(Reader.person(person), a, issue_id=issue_id, staff=False)
    zl.records.flush()


def _reminder_rows(zl, reminder_id: int) -> dict[int, str]:
    with zl.db.read() as conn:
        return dict(conn.execute(select(deliveries.c.subscriber_id, deliveries.c.channel)
                                 .where(deliveries.c.reminder_id == reminder_id)).all())


def test_only_who_has_not_studied_is_reminded_once_a_day(env):
    zl, clock, people, issue_id, arts, _servers, _sink = env
    _studied(zl, people["乙"], arts, issue_id)
    _studied(zl, people["丙"], arts[:1], issue_id)          # half done: still reminded
    done = zl.reminders.remind(issue_id, by="chief")
    assert done.count == 3
    rows = _reminder_rows(zl, done.reminder_id)
    assert rows == {people["甲"]: "wecom_app", people["丙"]: "email", people["丁"]: "email"}
    assert zl.reminders.remind(issue_id, by="chief").count == 0      # not twice a day
    clock.advance(hours=25)
    assert zl.reminders.remind(issue_id, by="chief").count == 3
    history = zl.reminders.history(issue_id)
    assert [h["recipients"] for h in history] == [3, 0, 3]
    assert zl.audit(1)[0]["action"] == "issue.remind"


def test_a_department_subtree(env):
    zl, _clock, people, issue_id, arts, _servers, _sink = env
    _studied(zl, people["乙"], arts, issue_id)
    done = zl.reminders.remind(issue_id, department="集团/一公司", by="chief")
    assert set(_reminder_rows(zl, done.reminder_id)) == {people["甲"], people["丙"]}
    with pytest.raises(NotFoundError):
        zl.reminders.remind(issue_id, department="集团/不存在", by="chief")


def test_reminders_go_out_by_app_and_mail_and_stay_out_of_the_issue_figures(env):
    zl, _clock, people, issue_id, _arts, servers, sink = env
    before_report = zl.delivery_report(issue_id)["totals"]
    before_stats = zl.statistics.issue_by_id(issue_id).nodes[""].recipients
    zl.reminders.remind(issue_id, by="chief")
    zl.work.deliver_app_due()
    card = servers.calls("wecom", "message/send")[-1].body
    assert card["touser"] == "zhangsan" and card["textcard"]["title"].startswith("学习提醒")
    zl.work.deliver_due()
    mails = sink.wait_for(3)
    assert sorted(m.message["To"] for m in mails) == [
        "丁 <d@example.com>", "丙 <c@example.com>", "乙 <b@example.com>"]
    assert all("学习提醒" in m.message["Subject"] for m in mails)
    assert all(".remind-" in m.message["Message-ID"] for m in mails)
    assert zl.delivery_report(issue_id)["totals"] == before_report
    assert zl.statistics.issue_by_id(issue_id).nodes[""].recipients == before_stats
    assert zl.reminders.history(issue_id)[0]["sent"] == 4
    shown = zl.delivery_report(issue_id)["reminders"]
    assert [(r["recipients"], r["sent"], r["failed"], r["pending"]) for r in shown] == [(4, 4, 0, 0)]


def test_the_automatic_reminder_before_the_deadline(env):
    zl, clock, people, issue_id, arts, _servers, _sink = env
    with pytest.raises(ConfigError):
        zl.reminders.set_deadline(SLUG, 3, 72, by="chief")     # not before the deadline
    zl.reminders.set_deadline(SLUG, 3, 24, by="chief")
    _studied(zl, people["乙"], arts, issue_id)
    published = zl.issues_of(SLUG)[0]["published_at"]
    clock.now = published + timedelta(days=1)
    assert zl.reminders.remind_due() == 0                        # not yet
    clock.now = published + timedelta(days=2, hours=1)
    assert zl.reminders.remind_due() == 3
    assert zl.reminders.remind_due() == 0                        # once
    assert zl.reminders.history(issue_id)[0]["automatic"]
    clock.now = published + timedelta(days=4)
    assert zl.reminders.remind_due() == 0                        # past the deadline
