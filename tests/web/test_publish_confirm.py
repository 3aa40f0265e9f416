"""发布确认: publishing from the desk first shows what the publish will queue — articles,
people by channel (each app, then e-mail), people who cannot be reached, group chats, the
编者按 — and only the confirmed POST publishes. The counts are those the publish then
writes into the outbox. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from tests.support.appservers import AppServers
from tests.support.study_seed import seed_articles
from tests.web.conftest import SLUG, csrf_of, logged_in
from zhuanlan.store.schema import deliveries, subscribers


def _organisation(zl, servers) -> dict[str, int]:
    add = zl.people.add_person
    ids = {
        "wecom": add("a@example.com", "甲", department="集团/一公司", wecom_userid="jia"),
        "both": add("b@example.com", "乙", department="集团/一公司", wecom_userid="yi",
                    dingtalk_userid="yi-dd"),
        "ding": add("c@example.com", "丙", department="集团/一公司/财务部", dingtalk_userid="bing"),
        "mail": add("d@example.com", "丁", department="集团/二公司"),
        "empty": add("e@example.com", "戊", department="集团/二公司"),
        "feishu": add("f@example.com", "己", department="集团/二公司", feishu_open_id="ou_ji"),
        "gone": add("g@example.com", "庚", department="集团/二公司", active=False),
        "optout": add("h@example.com", "辛", department="集团/二公司", wecom_userid="xin"),
        "outside": add("i@example.com", "壬", department="外单位", wecom_userid="ren"),
    }
    zl.people.subscribe_department(SLUG, "集团")
    zl.people.unsubscribe(SLUG, ids["optout"])
    with zl.db.write() as conn:        # an old record without an address (no app id either)
        conn.execute(update(subscribers).where(subscribers.c.id == ids["empty"])
                     .values(email=""))
    zl.targets.add("企业微信应用", "wecom_app", servers.config("wecom"), columns_=[SLUG])
    zl.targets.add("钉钉工作通知", "dingtalk_app", servers.config("dingtalk"), columns_=[SLUG])
    zl.targets.add("党办群", "wecom", {"url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"},
                   columns_=[SLUG])
    zl.targets.add("停用的群", "feishu", {"url": "http://127.0.0.1:9/open-apis/bot/v2/hook/x"},
                   enabled=False, columns_=[SLUG])
    zl.targets.add("别的专栏的群", "dingtalk",
                   {"url": "http://127.0.0.1:9/robot/send?access_token=t"}, columns_=["other"])
    return ids


def _figure(html: str, element_id: str) -> str:
    end = "</ul>" if element_id == "plan-people" else "</li>"
    found = re.search(rf'id="{element_id}"[^>]*>(.*?){end}', html, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>|\s+", "", found.group(1))


def test_the_confirmation_counts_what_the_publish_queues(site):
    zl, web = site
    with AppServers() as servers:
        _organisation(zl, servers)
        seed_articles(zl, 3, "本期")
        client = logged_in(web, "ed", "editor-password")
        try:
            review = client.get(f"/admin/c/{SLUG}/review?state=approved").text
            assert f'action="/admin/c/{SLUG}/publish"' in review
            # The old one-click POST no longer publishes: it leads to the confirmation.
            r = client.post(f"/admin/c/{SLUG}/publish", data={"csrf_token": csrf_of(review)})
            assert r.status_code == 303 and r.headers["location"] == f"/admin/c/{SLUG}/publish"
            assert zl.issues_of(SLUG) == []

            page = client.get(f"/admin/c/{SLUG}/publish").text
            assert _figure(page, "plan-items") == "文章3篇"
            people = _figure(page, "plan-people")
            # 甲 and 乙 through 企业微信 (乙 has both: the first app wins), 丙 through 钉钉,
            # 丁, 戊 and 己 (飞书 is not one of the column's apps) by e-mail; 庚 inactive,
            # 辛 opted out, 壬 outside the subscribed department.
            assert people.startswith("推送给6人")
            assert "企业微信应用（发给个人）“企业微信应用”2人" in people
            assert "钉钉工作通知（发给个人）“钉钉工作通知”1人" in people
            assert "电子邮件3人" in people
            assert _figure(page, "plan-unreachable") == "其中1人既没有邮箱也没有应用账号，无法送达"
            assert _figure(page, "plan-targets") == "群聊1个：党办群（企业微信群机器人）"
            assert "这一期没有编者按，仍然发布吗" in _figure(page, "plan-note")

            r = client.post(f"/admin/c/{SLUG}/publish",
                            data={"csrf_token": csrf_of(page),
                                  "confirmed": re.search(r'name="confirmed" value="([^"]+)"',
                                                         page).group(1)})
            assert r.status_code == 303 and r.headers["location"] == f"/c/{SLUG}/1"
        finally:
            client.close()
    issue_id = zl.issue_id(SLUG, 1)
    with zl.db.read() as conn:
        by_channel = dict(conn.execute(
            select(deliveries.c.channel, func.count()).where(deliveries.c.issue_id == issue_id)
            .group_by(deliveries.c.channel)).all())
    assert by_channel == {"wecom_app": 2, "dingtalk_app": 1, "email": 3, "wecom": 1}
    assert len(zl.issue_view(SLUG, 1).items) == 3
    assert any(e["action"] == "publish" for e in zl.audit())


def test_counts_that_changed_meanwhile_are_confirmed_again(site):
    zl, web = site
    zl.people.add_person("a@example.com", "甲", department="集团")
    zl.people.subscribe_department(SLUG, "集团")
    zl.set_editor_note(SLUG, "认真学习。")
    seed_articles(zl, 2, "本期")
    client = logged_in(web, "ed", "editor-password")
    try:
        page = client.get(f"/admin/c/{SLUG}/publish").text
        assert _figure(page, "plan-note") == "编者按：认真学习。"
        key = re.search(r'name="confirmed" value="([^"]+)"', page).group(1)
        zl.people.add_person("b@example.com", "乙", department="集团")
        r = client.post(f"/admin/c/{SLUG}/publish",
                        data={"csrf_token": csrf_of(page), "confirmed": key})
        assert r.status_code == 409 and "数字有了变化" in r.text
        assert zl.issues_of(SLUG) == []
        assert _figure(r.text, "plan-people").startswith("推送给2人")
        r = client.post(f"/admin/c/{SLUG}/publish", data={
            "csrf_token": csrf_of(page),
            "confirmed": re.search(r'name="confirmed" value="([^"]+)"', r.text).group(1)})
        assert r.status_code == 303 and len(zl.issues_of(SLUG)) == 1
    finally:
        client.close()
    look = logged_in(web, "look", "viewer-password")
    try:
        assert look.get(f"/admin/c/{SLUG}/publish").status_code == 403
    finally:
        look.close()
