"""发送测试给我: the next issue, as it will go, to the logged-in editor's own e-mail (a
real SMTP server) and app account (the local imitation of the apps' APIs); recorded apart
from the real send — no outbox row, nothing in the delivery report — shown on the preview
page with its outcome, failures in Chinese with the detail folded, and audited. On
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.support.appservers import AppServers
from tests.support.clock import FakeClock
from tests.support.smtp import SmtpSink, free_port
from tests.support.study_seed import seed_articles
from tests.support.web import WebServer
from tests.web.conftest import SLUG, csrf_of, logged_in
from zhuanlan.store.schema import deliveries


@contextmanager
def _site(make_zl, smtp_port: int | None = None):
    from zhuanlan.web.app import create_app

    with AppServers() as servers, SmtpSink() as sink:
        zl = make_zl(clock=FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)),
                     smtp__port=smtp_port or sink.port,
                     smtp__sender="学习专栏 <zl@example.com>", smtp__timeout=5,
                     fetch__allow_private=[f"127.0.0.1:{servers.server.port}"])
        zl.add_column(SLUG, "学习二十大", include="二十大", schedule="0 9 * * 1")
        zl.staff.add_user("ed", "editor-password", role="editor", columns_=[SLUG])
        zl.staff.add_user("look", "viewer-password", role="viewer")
        zl.targets.add("企业微信应用", "wecom_app", servers.config("wecom"), columns_=[SLUG])
        zl.people.add_person("a@example.com", "甲", department="集团")
        zl.people.subscribe_department(SLUG, "集团")
        zl.set_editor_note(SLUG, "认真学习本期文章。")
        seed_articles(zl, 2, "本期")
        with WebServer(create_app(zl), free_port()) as web:
            yield zl, web, servers, sink


@pytest.fixture
def env(make_zl):
    with _site(make_zl) as site:
        yield site


def _press(client, path: str = f"/admin/c/{SLUG}/preview"):
    page = client.get(path).text
    r = client.post(f"/admin/c/{SLUG}/preview/test", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303
    return client.get(r.headers["location"]).text


def test_the_editor_gets_the_issue_and_it_is_kept_apart(env):
    zl, web, servers, sink = env
    client = logged_in(web, "ed", "editor-password")
    try:
        page = _press(client)                          # no address yet: said, nothing sent
        assert "还没有设置测试收件地址" in page and not sink.handler.messages
        me = client.get("/admin/me").text
        r = client.post("/admin/me/test-addresses", data={
            "csrf_token": csrf_of(me), "email": "ed@example.com", "wecom_userid": "lisi"})
        assert r.status_code == 303
        page = _press(client)
    finally:
        client.close()
    # The e-mail as the issue's e-mail goes: subject, note, items.
    [mail] = sink.handler.messages
    assert mail.rcpt_tos == ["ed@example.com"]
    msg = mail.message
    assert str(msg["Subject"]) == "学习二十大 · 第1期"
    body = msg.get_body(("html",)).get_content()
    assert "认真学习本期文章" in body and "本期 学习文章 1" in body
    # The app message to the editor's own id only.
    [sent] = servers.sent("wecom")
    assert sent["touser"] == "lisi" and "学习二十大 · 第1期" in str(sent)
    # Shown on the preview page with its outcome.
    lines = re.findall(r"<li class=\"ok\">(.*?)</li>", page, re.S)
    assert len(lines) == 2
    assert any("发送测试到 ed@example.com" in x and "结果：成功" in x for x in lines)
    assert any("发送测试到 lisi" in x and "企业微信应用" in x for x in lines)
    assert "已于 2026-03-02" in page or "已于 2026年" in page
    # Apart from the real send: no issue, no outbox row; the publish later counts 1 person.
    assert zl.issues_of(SLUG) == []
    with zl.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(deliveries)).scalar_one() == 0
    zl.publish_now(SLUG)
    report = zl.delivery_report(zl.issue_id(SLUG, 1))
    assert report["totals"]["total"] == 1
    entry = next(e for e in zl.audit() if e["action"] == "test_send")
    assert entry["actor"] == "ed" and "ed@example.com" in entry["detail"]
    assert any(e["action"] == "set_test_addresses" for e in zl.audit())


def test_failures_are_said_in_chinese_with_the_detail_folded(make_zl):
    # No SMTP server listens on this port: the mail server is down.
    with _site(make_zl, smtp_port=free_port()) as (zl, web, servers, sink):
        zl.staff.set_test_addresses("ed", email="ed@example.com", wecom_userid="nobody")
        client = logged_in(web, "ed", "editor-password")
        try:
            page = _press(client)
        finally:
            client.close()
    assert "测试发送有 2 项失败" in page
    failed = re.findall(r'<li class="failed">(.*?)</li>', page, re.S)
    app_line = next(x for x in failed if "nobody" in x)
    assert "结果：失败（企业微信中没有此成员" in app_line and "<details>" in app_line
    mail_line = next(x for x in failed if "ed@example.com" in x)
    assert "结果：失败（" in mail_line and "<details>" in mail_line
    assert re.search(r"结果：失败（[^<]*[\u4e00-\u9fff]", mail_line)     # said in Chinese
    assert not sink.handler.messages
    with zl.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(deliveries)).scalar_one() == 0


def test_a_viewer_cannot_send_a_test(env):
    zl, web, servers, sink = env
    zl.staff.set_test_addresses("look", email="look@example.com")
    client = logged_in(web, "look", "viewer-password")
    try:
        page = client.get(f"/admin/c/{SLUG}/preview").text
        assert "发送测试给我" not in page
        r = client.post(f"/admin/c/{SLUG}/preview/test", data={"csrf_token": csrf_of(page)})
        assert r.status_code == 403 and not sink.handler.messages
    finally:
        client.close()
