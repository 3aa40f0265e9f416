"""Chat targets and the delivery report over real HTTP: administrators manage the
targets (add, test, enable/disable, assign, delete), any staff user reads an issue's
delivery report, only administrators retry failed rows; CSRF on every form."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, update

from tests.support.botservers import BotServers
from tests.web.conftest import SLUG, csrf_of, logged_in
from zhuanlan.channels.chat import EndpointRateLimiter
from zhuanlan.store.schema import articles, candidates, deliveries


@pytest.fixture
def bots():
    with BotServers() as b:
        yield b


def _publish(zl) -> int:
    column = zl.get_column(SLUG)
    now = datetime.now(UTC)
    with zl.db.write() as conn:
        aid = conn.execute(articles.insert().values(
            url="http://example.com/1", canonical_url="http://example.com/1",
            content_hash="1" * 64, title="学习二十大精神", text="党的建设" * 40,
            title_orig="", text_orig="", flags="", created_at=now)).inserted_primary_key[0]
        conn.execute(candidates.insert().values(column_id=column["id"], article_id=aid,
                                                state="approved", score=1.0, terms="二十大",
                                                created_at=now))
    return zl.publish_now(SLUG)


def _post(client: httpx.Client, page: str, action: str, data: dict) -> httpx.Response:
    token = csrf_of(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": token})


def test_admin_manages_targets_and_tests_one(site, bots):
    zl, web = site
    zl.chat_limiter = EndpointRateLimiter([(10_000, 60.0)])
    chief = logged_in(web, "chief", "chief-password")
    page = chief.get("/admin/channels")
    assert page.status_code == 200 and "推送渠道" in page.text
    assert 'href="/admin/channels"' in page.text                 # the nav link

    r = _post(chief, "/admin/channels", "/admin/channels/add",
              {"name": "坏的", "kind": "webhook", "url": bots.webhook_url, "secret": "short"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/channels"
    assert "未保存" in chief.get("/admin/channels").text
    r = _post(chief, "/admin/channels", "/admin/channels/add",
              {"name": "党群钉钉群", "kind": "dingtalk", "url": bots.dingtalk_url,
               "secret": bots.dingtalk_secret, "column": SLUG})
    assert r.status_code == 303
    page = chief.get("/admin/channels").text
    assert "已添加推送渠道" in page
    assert "党群钉钉群" in page and "学习二十大" in page
    assert bots.dingtalk_secret not in page and "ddtoken1" not in page   # secrets hidden
    target = zl.targets.get("党群钉钉群")
    assert [c["slug"] for c in target["columns"]] == [SLUG]

    r = _post(chief, "/admin/channels", f"/admin/channels/{target['id']}/test", {})
    assert r.status_code == 303
    assert "测试消息已发送成功" in chief.get(r.headers["location"]).text
    assert len(bots.received["dingtalk"]) == 1 and not bots.rejected
    assert "测试消息" in bots.received["dingtalk"][0]["markdown"]["text"]
    with zl.db.read() as conn:                              # not an outbox row
        assert conn.execute(select(deliveries)).first() is None

    r = _post(chief, "/admin/channels", f"/admin/channels/{target['id']}/assign",
              {"column": "other"})
    assert r.status_code == 303
    assert {c["slug"] for c in zl.targets.get(target["id"])["columns"]} == {SLUG, "other"}
    _post(chief, "/admin/channels", f"/admin/channels/{target['id']}/unassign",
          {"column": "other"})
    _post(chief, "/admin/channels", f"/admin/channels/{target['id']}/disable", {})
    assert zl.targets.get(target["id"])["enabled"] is False
    _post(chief, "/admin/channels", f"/admin/channels/{target['id']}/enable", {})
    assert zl.targets.get(target["id"])["enabled"] is True
    # Without the CSRF token: refused.
    assert chief.post(f"/admin/channels/{target['id']}/delete").status_code == 403
    _post(chief, "/admin/channels", f"/admin/channels/{target['id']}/delete", {})
    assert zl.targets.all() == []


def test_targets_are_for_administrators_only(site, bots):
    zl, web = site
    for user, password in (("ed", "editor-password"), ("look", "viewer-password")):
        client = logged_in(web, user, password)
        assert client.get("/admin/channels").status_code == 403
        token = csrf_of(client.get("/admin").text)
        r = client.post("/admin/channels/add", data={
            "csrf_token": token, "name": "x", "kind": "wecom", "url": bots.wecom_url})
        assert r.status_code == 403
        assert 'href="/admin/channels"' not in client.get("/admin").text
    assert zl.targets.all() == []
    anon = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)
    assert anon.get("/admin/channels").status_code == 303


def test_delivery_report_page_and_retry_failed(site, bots):
    zl, web = site
    zl.targets.add("错的群", "dingtalk", {
        "url": bots.dingtalk_url.replace("ddtoken1", "nope"),
        "secret": bots.dingtalk_secret}, columns_=[SLUG])
    zl.add_subscriber("wang@example.com", "王五")
    zl.subscribe(SLUG, zl.list_subscribers()[0]["id"])
    issue_id = _publish(zl)
    assert zl.deliver_chat_due(limiter=EndpointRateLimiter([(10_000, 60.0)])) == 1
    with zl.db.write() as conn:
        conn.execute(update(deliveries).where(deliveries.c.channel == "email")
                     .values(state="failed", last_error="550 no such user"))
    url = f"/admin/c/{SLUG}/1/deliveries"

    look = logged_in(web, "look", "viewer-password")            # any staff user reads
    page = look.get(url)
    assert page.status_code == 200
    assert 'id="failed">2<' in page.text and 'id="sent">0<' in page.text
    assert "300001" in page.text and "错的群" in page.text
    assert "550 no such user" in page.text and "王五 &lt;wang@example.com&gt;" in page.text
    assert "重试失败的推送" not in page.text
    r = look.post(f"{url}/retry", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 403
    assert look.get(f"/admin/stats/c/{SLUG}/1").text.count(url) == 1   # linked

    anon = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)
    assert anon.get(url).status_code == 303
    assert look.get(f"/admin/c/{SLUG}/9/deliveries").status_code == 404

    chief = logged_in(web, "chief", "chief-password")
    page = chief.get(url)
    assert "重试失败的推送（2）" in page.text
    r = chief.post(f"{url}/retry", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and "已将 2 条" in chief.get(r.headers["location"]).text
    report = zl.delivery_report(issue_id)
    assert report["totals"] == {"total": 2, "sent": 0, "failed": 0, "pending": 2}
    entry = zl.audit(5)[0]
    assert (entry["action"], entry["actor"]) == ("deliveries.retry", "chief")
