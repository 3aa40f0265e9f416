"""预览 (``zl.previews``): the next issue drawn from what each channel would send now —
the e-mail channel's own message, each robot's own ``messages`` and each app's own
payload — so that a change in a channel's builder shows in the preview. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json

from tests.support.appservers import AppServers
from tests.support.study_seed import SLUG, seed_articles

LOCAL = "http://127.0.0.1:9"


def column_with_every_channel(zl, servers) -> None:
    zl.add_column(SLUG, "学习二十大", include="学习", schedule="0 9 * * 1")
    zl.set_editor_note(SLUG, "认真学习本期文章。")
    zl.targets.add("党办群", "wecom", {"url": f"{LOCAL}/cgi-bin/webhook/send?key=k"},
                   columns_=[SLUG])
    zl.targets.add("钉钉群", "dingtalk", {"url": f"{LOCAL}/robot/send?access_token=t"},
                   columns_=[SLUG])
    zl.targets.add("飞书群", "feishu", {"url": f"{LOCAL}/open-apis/bot/v2/hook/x"},
                   columns_=[SLUG])
    zl.targets.add("停用的群", "wecom", {"url": f"{LOCAL}/cgi-bin/webhook/send?key=z"},
                   enabled=False, columns_=[SLUG])
    for kind in ("wecom", "dingtalk", "feishu"):
        zl.targets.add(f"{kind}应用", f"{kind}_app", servers.config(kind), columns_=[SLUG])


def _target(preview, kind):
    return next(t for t in preview.targets if t.kind == kind)


def test_every_channel_of_the_column_is_drawn_from_its_own_builder(make_zl):
    zl = make_zl(smtp__sender="学习专栏 <zl@example.com>")
    with AppServers() as servers:
        column_with_every_channel(zl, servers)
        seed_articles(zl, 7, "本期")
        p = zl.previews.next_issue(SLUG)
    assert p.issue.number == 1 and len(p.issue.items) == 7
    # The e-mail as the e-mail channel makes it: subject, both parts.
    assert p.email.subject == "学习二十大 · 第1期"
    assert "认真学习本期文章" in p.email.html and "本期 学习文章 6" in p.email.html
    assert "本期 学习文章 0" in p.email.text and p.email.html.lstrip().startswith("<!")
    # The enabled targets only, in the order added; the disabled one is not drawn.
    assert [t.name for t in p.targets] == ["党办群", "钉钉群", "飞书群", "wecom应用",
                                           "dingtalk应用", "feishu应用"]
    assert not any(t.error for t in p.targets)
    wecom = _target(p, "wecom")
    assert wecom.payloads[0]["msgtype"] == "markdown" and wecom.limit == 4096
    assert "本期 学习文章 0" in json.dumps(wecom.payloads, ensure_ascii=False)
    card = _target(p, "feishu_app").payloads[0]
    assert card["header"]["title"]["content"] == "学习二十大 · 第1期"
    # The app's link goes through the app's web login to the issue's page.
    assert "/app-login/" in json.dumps(card) and "%2Fc%2Fxuexi%2F1" in json.dumps(card)
    assert _target(p, "dingtalk_app").payloads[0]["msg"]["msgtype"] == "action_card"


def test_the_preview_follows_a_change_in_a_builder(make_zl, monkeypatch):
    from zhuanlan.channels.dingtalk_app import DingTalkApp
    from zhuanlan.channels.wecom import WeComRobot

    zl = make_zl()
    with AppServers() as servers:
        column_with_every_channel(zl, servers)
        seed_articles(zl, 2, "本期")
        monkeypatch.setattr(DingTalkApp, "payload",
                            lambda self, users, issue, url: {"msg": {"text": "换了样子"}})
        monkeypatch.setattr(WeComRobot, "messages",
                            lambda self, issue, links=None, tz="": [{"a": 1}, {"b": 2}])
        p = zl.previews.next_issue(SLUG)
    assert _target(p, "dingtalk_app").payloads == [{"msg": {"text": "换了样子"}}]
    assert _target(p, "wecom").payloads == [{"a": 1}, {"b": 2}]


def test_an_issue_too_long_for_a_robot_is_split_and_an_app_card_lists_a_few(make_zl):
    zl = make_zl()
    with AppServers() as servers:
        column_with_every_channel(zl, servers)
        seed_articles(zl, 30, "很长的一期" * 8)
        p = zl.previews.next_issue(SLUG)
    wecom = _target(p, "wecom")
    assert len(wecom.payloads) > 1
    assert all(len(m["markdown"]["content"].encode()) <= wecom.limit for m in wecom.payloads)
    assert "……等" in json.dumps(_target(p, "dingtalk_app").payloads, ensure_ascii=False)
