"""Group-robot channels (WeCom, DingTalk, Feishu) and the generic webhook, against the
local imitations in tests/support/botservers.py (127.0.0.1 only)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import re
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import quote_plus

import httpx
import pytest

from tests.support.botservers import BotServers
from tests.support.clock import FakeClock
from zhuanlan.channels.chat import (
    ChannelError,
    EndpointRateLimiter,
    RateLimitExceeded,
    channel_from_config,
    mask_url,
    send_issue,
    utf8_len,
)
from zhuanlan.channels.dingtalk import MARKDOWN_MAX_BYTES as DD_MAX
from zhuanlan.channels.dingtalk import DingTalkRobot, dingtalk_sign
from zhuanlan.channels.feishu import BODY_MAX_BYTES, FeishuBot, feishu_sign
from zhuanlan.channels.webhook import Webhook, sign_body, verify_signature
from zhuanlan.channels.wecom import MARKDOWN_MAX_BYTES, WeComRobot
from zhuanlan.errors import ConfigError
from zhuanlan.model import IssueItemView, IssueView

CST = timezone(timedelta(hours=8))


def item(i: int, *, title: str | None = None, summary: str = "", url: str | None = None
         ) -> IssueItemView:
    return IssueItemView(
        title=title if title is not None else f"第{i}条",
        web_url=url or f"https://zl.example/a/{i}",
        original_url=f"https://www.news.cn/politics/{i}.htm",
        source_name="新华网", published=datetime(2026, 3, 1 + i % 27, 8, tzinfo=CST),
        summary=summary)


def issue(items, *, note: str = "学习贯彻党的二十大精神。\n第二段。") -> IssueView:
    return IssueView(column_name="学习二十大", column_slug="xuexi", number=3, title="第3期",
                     editor_note=note, web_url="https://zl.example/c/xuexi/3",
                     published_at=datetime(2026, 3, 2, 9, tzinfo=CST), items=tuple(items))


def long_issue(n: int = 60) -> IssueView:
    return issue([item(i, title=f"〔{i:02d}〕" + "深入学习贯彻习近平新时代中国特色社会主义思想" * 6,
                       summary="主题教育走深走实，" * 20) for i in range(1, n + 1)])


def free_limiter() -> EndpointRateLimiter:
    return EndpointRateLimiter([(10_000, 60.0)])


@pytest.fixture
def client():
    with httpx.Client(trust_env=False, timeout=5.0) as c:
        yield c


@pytest.fixture
def bots():
    with BotServers() as b:
        yield b


def numbers_in(texts: list[str]) -> list[int]:
    return [int(n) for t in texts for n in re.findall(r"\*\*(\d+)\.\*\*", t)]


# ------------------------------------------------------------------- render and split

def test_wecom_splits_a_60_item_issue_within_4096_bytes_every_item_once_in_order():
    iv = long_issue()
    msgs = WeComRobot("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
                      limiter=free_limiter()).messages(iv)
    texts = [m["markdown"]["content"] for m in msgs]
    assert len(texts) > 1
    assert all(utf8_len(t) <= MARKDOWN_MAX_BYTES for t in texts)
    assert numbers_in(texts) == list(range(1, 61))
    for i in range(1, 61):
        assert sum(t.count(f"(https://zl.example/a/{i})") for t in texts) == 1
    assert texts[0].startswith(f"## 学习二十大 · 第3期（1/{len(texts)}）")
    assert texts[-1].startswith(f"## 学习二十大 · 第3期（{len(texts)}/{len(texts)}）")
    assert "编者按" in texts[0] and all("编者按" not in t for t in texts[1:])
    assert "[在网页上阅读本期](https://zl.example/c/xuexi/3)" in texts[-1]
    assert all("在网页上阅读本期" not in t for t in texts[:-1])


def test_dingtalk_and_feishu_split_within_their_limits():
    iv = long_issue()
    dd = DingTalkRobot("https://oapi.dingtalk.com/robot/send?access_token=t",
                       secret="SECx", limiter=free_limiter()).messages(iv)
    texts = [m["markdown"]["text"] for m in dd]
    assert all(utf8_len(t) <= DD_MAX for t in texts)
    assert numbers_in(texts) == list(range(1, 61))
    assert [m["markdown"]["title"] for m in dd][0] == f"学习二十大 · 第3期（1/{len(dd)}）"

    fs = FeishuBot("https://open.feishu.cn/open-apis/bot/v2/hook/x", secret="s",
                   limiter=free_limiter())
    cards = fs.messages(iv)
    assert len(cards) > 1
    for card in cards:
        body = json.dumps(fs.signed(card), ensure_ascii=False, separators=(",", ":"))
        assert len(body.encode()) <= BODY_MAX_BYTES
    lark = [c["card"]["elements"][0]["text"]["content"] for c in cards]
    assert numbers_in(lark) == list(range(1, 61))

    posts = FeishuBot("https://open.feishu.cn/open-apis/bot/v2/hook/x", msg_type="post",
                      limiter=free_limiter()).messages(iv)
    seen = [el["text"] for p in posts for para in p["content"]["post"]["zh_cn"]["content"]
            for el in para if el["tag"] == "text" and re.fullmatch(r"\d+\. ", el["text"])]
    assert seen == [f"{i}. " for i in range(1, 61)]


def test_short_issue_is_one_message_without_page_numbers():
    msgs = WeComRobot("https://q.example/cgi-bin/webhook/send?key=k").messages(
        issue([item(1), item(2)]))
    assert len(msgs) == 1
    assert msgs[0]["markdown"]["content"].startswith("## 学习二十大 · 第3期\n")


def test_an_item_too_big_alone_is_shortened_not_dropped_and_a_huge_note_is_cut():
    iv = issue([item(1, title="长" * 5000, summary="摘" * 5000), item(2)], note="按" * 20000)
    texts = [m["markdown"]["content"] for m in
             WeComRobot("https://q.example/cgi-bin/webhook/send?key=k").messages(iv)]
    assert all(utf8_len(t) <= MARKDOWN_MAX_BYTES for t in texts)
    assert numbers_in(texts) == [1, 2]
    assert "编者按：按" in texts[0]


def test_markdown_in_titles_cannot_break_links_and_bad_links_fall_back():
    evil = item(1, title="标题](javascript:alert(1)) **粗** <@all> <font>", url="javascript:x")
    links = {1: "https://zl.example/r/TOKEN-1?sig=a b)", 2: "https://zl.example/r/TOKEN-2"}
    text = WeComRobot("https://q.example/cgi-bin/webhook/send?key=k").messages(
        issue([evil, item(2)]), links=lambda it: links[int(it.web_url.rsplit("/", 1)[-1])]
        if it.web_url.startswith("https") else "javascript:y")[0]["markdown"]["content"]
    assert "javascript" in text and "](javascript" not in text   # only as escaped text
    assert "<@all>" not in text and "<font>" not in text
    assert "(https://www.news.cn/politics/1.htm)" in text        # fell back to original
    assert "(https://zl.example/r/TOKEN-2)" in text               # the personal link


def test_wecom_news_has_at_most_8_articles_per_message():
    msgs = WeComRobot("https://q.example/cgi-bin/webhook/send?key=k", msgtype="news"
                      ).messages(long_issue(20))
    assert all(1 <= len(m["news"]["articles"]) <= 8 for m in msgs)
    titles = [a["title"] for m in msgs for a in m["news"]["articles"]][1:]
    assert [int(t.split(".")[0]) for t in titles] == list(range(1, 21))
    assert all(len(a["title"].encode()) <= 128 for m in msgs for a in m["news"]["articles"])


# ------------------------------------------------------------------------- signatures

def test_dingtalk_sign_matches_the_documented_algorithm():
    secret, ts = "SECthis is secret", 1700000000123
    mac = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    assert dingtalk_sign(secret, ts) == quote_plus(base64.b64encode(mac))


def test_feishu_sign_matches_the_documented_algorithm():
    secret, ts = "feishu secret", 1599360473
    mac = hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()
    assert feishu_sign(secret, ts) == base64.b64encode(mac).decode()


def test_wecom_sends_a_long_issue_to_the_imitation(bots, client):
    robot = channel_from_config({"kind": "wecom", "url": bots.wecom_url}, client=client,
                                limiter=free_limiter())
    report = send_issue(robot, long_issue())
    assert report.sent == report.total == len(bots.received["wecom"]) > 1
    texts = [m["markdown"]["content"] for m in bots.received["wecom"]]
    assert numbers_in(texts) == list(range(1, 61))


def test_dingtalk_signed_send_is_accepted_and_a_wrong_secret_is_permanent(bots, client):
    cfg = {"kind": "dingtalk", "url": bots.dingtalk_url, "secret": bots.dingtalk_secret}
    robot = channel_from_config(cfg, client=client, limiter=free_limiter())
    send_issue(robot, long_issue(10))
    assert bots.received["dingtalk"] and not bots.rejected

    wrong = channel_from_config({**cfg, "secret": "SECwrong"}, client=client,
                                limiter=free_limiter())
    with pytest.raises(ChannelError) as info:
        send_issue(wrong, long_issue(3))
    assert info.value.permanent and info.value.code == 310000
    assert "310000" in str(info.value) and "sign not match" in str(info.value)
    assert "ddtoken1" not in str(info.value)             # the token is masked

    stale = channel_from_config(cfg, client=client, limiter=free_limiter(),
                                clock=lambda: bots.clock() - 7200)
    with pytest.raises(ChannelError) as info:
        send_issue(stale, long_issue(3))
    assert info.value.permanent and info.value.code == 310000


def test_dingtalk_action_card_passes_the_imitation(bots, client):
    robot = DingTalkRobot(bots.dingtalk_url, secret=bots.dingtalk_secret, msgtype="actionCard",
                          client=client, limiter=free_limiter())
    send_issue(robot, issue([item(1)]))
    card = bots.received["dingtalk"][0]["actionCard"]
    assert card["singleURL"] == "https://zl.example/c/xuexi/3"


def test_feishu_signed_card_and_post_are_accepted_and_a_wrong_secret_is_permanent(bots, client):
    for msg_type in ("interactive", "post"):
        bot = channel_from_config({"kind": "feishu", "url": bots.feishu_url,
                                   "secret": bots.feishu_secret, "msg_type": msg_type},
                                  client=client, limiter=free_limiter())
        send_issue(bot, long_issue())
    assert {m["msg_type"] for m in bots.received["feishu"]} == {"interactive", "post"}
    assert all(m["timestamp"].isdigit() and m["sign"] for m in bots.received["feishu"])
    assert not bots.rejected

    bad = FeishuBot(bots.feishu_url, secret="nope", client=client, limiter=free_limiter())
    with pytest.raises(ChannelError) as info:
        send_issue(bad, issue([item(1)]))
    assert info.value.permanent and info.value.code == 19021


def test_feishu_without_the_secret_when_the_bot_requires_it_fails_permanently(bots, client):
    bot = FeishuBot(bots.feishu_url, client=client, limiter=free_limiter())
    with pytest.raises(ChannelError) as info:
        bot.send(bot.messages(issue([item(1)]))[0])
    assert info.value.permanent and info.value.code == 19021


# ----------------------------------------------------------------- error classification

@pytest.mark.parametrize("kind,preset,permanent,code,retry_after", [
    ("wecom", "rate", False, 45009, 60.0),
    ("wecom", "invalid", True, 93000, None),
    ("wecom", "type", True, 40008, None),
    ("wecom", "busy", False, -1, None),
    ("wecom", "http502", False, None, None),
    ("dingtalk", "rate", False, 130101, 600.0),
    ("dingtalk", "keyword", True, 310000, None),
    ("dingtalk", "token", True, 300001, None),
    ("feishu", "rate", False, 11232, 60.0),
    ("feishu", "too_many", False, 9499, 60.0),
    ("feishu", "bad_request", True, 9499, None),
    ("feishu", "keyword", True, 19024, None),
    ("feishu", "param", True, 19001, None),
    ("feishu", "http429", False, 99991400, 7.0),
])
def test_platform_errors_are_classified(bots, client, kind, preset, permanent, code,
                                        retry_after):
    url = {"wecom": bots.wecom_url, "dingtalk": bots.dingtalk_url,
           "feishu": bots.feishu_url}[kind]
    cfg = {"kind": kind, "url": url}
    if kind == "dingtalk":
        cfg["secret"] = bots.dingtalk_secret
    if kind == "feishu":
        cfg["secret"] = bots.feishu_secret
    clock = FakeClock(1000.0)
    limiter = EndpointRateLimiter([(100, 60.0)], clock=clock, sleep=clock.sleep)
    robot = channel_from_config(cfg, client=client, limiter=limiter)
    bots.fail_next(kind, preset)
    with pytest.raises(ChannelError) as info:
        send_issue(robot, issue([item(1)]))
    err = info.value
    assert (err.permanent, err.code, err.retry_after) == (permanent, code, retry_after)
    if code is not None:
        assert str(code) in err.message
    if retry_after:
        # The endpoint is paused locally as long as the platform asked.
        assert limiter.delay(robot.url) == pytest.approx(retry_after)


def test_unknown_token_is_permanent(bots, client):
    url = bots.wecom_url.replace(bots.wecom_key, "other")
    with pytest.raises(ChannelError) as info:
        WeComRobot(url, client=client, limiter=free_limiter()).send(
            {"msgtype": "markdown", "markdown": {"content": "x"}})
    assert info.value.permanent and info.value.code == 93000


def test_unreachable_endpoint_is_temporary(client):
    with BotServers() as gone:
        url = gone.wecom_url
    with pytest.raises(ChannelError) as info:
        WeComRobot(url, client=client, limiter=free_limiter()).send(
            {"msgtype": "markdown", "markdown": {"content": "x"}})
    assert not info.value.permanent


def test_a_failure_midway_reports_what_was_sent_and_resume_sends_the_rest_once(bots, client):
    robot = WeComRobot(bots.wecom_url, client=client, limiter=free_limiter())
    iv = long_issue()
    total = len(robot.messages(iv))
    bots.received["wecom"].clear()
    # Let the first message through, then rate-limit the second.
    robot.send(robot.messages(iv)[0])
    bots.fail_next("wecom", "rate")
    with pytest.raises(ChannelError) as info:
        send_issue(robot, iv, start=1)
    assert info.value.sent == 1 and not info.value.permanent
    robot.limiter = free_limiter()          # the shared pause would make us wait 60 s
    report = send_issue(robot, iv, start=info.value.sent)
    assert report.sent == total
    texts = [m["markdown"]["content"] for m in bots.received["wecom"]]
    assert numbers_in(texts) == list(range(1, 61))


# ------------------------------------------------------------------------ webhook

def test_webhook_body_is_signed_and_verifies(bots, client):
    hook = channel_from_config({"kind": "webhook", "url": bots.webhook_url,
                                "secret": bots.webhook_secret}, client=client,
                               limiter=free_limiter())
    iv = issue([item(1, summary="摘要"), item(2)])
    send_issue(hook, iv, links=lambda it: it.web_url + "?t=personal",
               delivery_id="delivery-42")
    [req] = bots.webhook_requests
    assert verify_signature(bots.webhook_secret, req.body, req.headers["x-zhuanlan-signature"])
    assert not verify_signature("another secret 123", req.body,
                                req.headers["x-zhuanlan-signature"])
    assert req.headers["x-zhuanlan-signature"] == sign_body(bots.webhook_secret, req.body)
    assert req.headers["x-zhuanlan-event"] == "issue.published"
    assert req.headers["x-zhuanlan-delivery"] == "delivery-42"
    doc = json.loads(req.body)
    assert doc["column"] == "学习二十大" and doc["number"] == 3
    assert doc["published_at"] == "2026-03-02T09:00:00+08:00"
    assert doc["items"][0] == {"title": "第1条", "url": "https://zl.example/a/1?t=personal",
                               "original_url": "https://www.news.cn/politics/1.htm",
                               "outlet": "新华网", "published_at": "2026-03-02T08:00:00+08:00",
                               "summary": "摘要"}
    # A retry carries the same delivery key, so the receiver can drop the repeat.
    send_issue(hook, iv, delivery_id="delivery-42")
    assert len(bots.webhook_requests) == 2 and len(bots.received["webhook"]) == 1


@pytest.mark.parametrize("preset,permanent,status,retry_after", [
    ("unavailable", False, 503, 120.0),
    ("too_many", False, 429, 30.0),
    ("timeout", False, 408, None),
    ("not_found", True, 404, None),
    ("moved", True, 302, None),
])
def test_webhook_status_classification(bots, client, preset, permanent, status, retry_after):
    hook = Webhook(bots.webhook_url, secret=bots.webhook_secret, client=client,
                   limiter=free_limiter())
    bots.fail_next("webhook", preset)
    with pytest.raises(ChannelError) as info:
        send_issue(hook, issue([item(1)]), delivery_id="d1")
    err = info.value
    assert (err.permanent, err.code, err.retry_after) == (permanent, status, retry_after)


def test_webhook_with_a_wrong_secret_is_refused_permanently(bots, client):
    hook = Webhook(bots.webhook_url, secret="not-the-right-secret", client=client,
                   limiter=free_limiter())
    with pytest.raises(ChannelError) as info:
        send_issue(hook, issue([item(1)]))
    assert info.value.permanent and info.value.code == 401


# -------------------------------------------------------------------- rate limiter

def test_rate_limiter_admits_20_per_minute_with_a_fake_clock():
    clock = FakeClock(1000.0)
    limiter = EndpointRateLimiter([(20, 60.0)], clock=clock, sleep=clock.sleep)
    assert [limiter.try_acquire("a") for _ in range(20)] == [0.0] * 20
    assert limiter.try_acquire("a") == pytest.approx(60.0)
    assert limiter.try_acquire("b") == 0.0            # another robot is independent
    clock.now += 30
    assert limiter.try_acquire("a") == pytest.approx(30.0)
    clock.now += 30
    assert limiter.try_acquire("a") == 0.0


def test_rate_limiter_never_lets_more_than_n_through_in_any_window():
    clock = FakeClock(1000.0)
    limiter = EndpointRateLimiter([(20, 60.0)], clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(70):
        limiter.acquire("robot", max_wait=120)
        sent.append(clock.now)
        clock.now += 0.5
    for i, t in enumerate(sent):
        assert sum(1 for u in sent[i:] if u < t + 60.0) <= 20
    assert clock.slept                                 # it did wait, on the fake clock


def test_rate_limiter_combines_rules_and_pauses():
    clock = FakeClock(1000.0)
    limiter = EndpointRateLimiter([(100, 60.0), (5, 1.0)], clock=clock, sleep=clock.sleep)
    assert [limiter.try_acquire("f") for _ in range(5)] == [0.0] * 5
    assert limiter.try_acquire("f") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.try_acquire("f") == 0.0
    limiter.pause("f", 600)
    assert limiter.delay("f") == pytest.approx(600)
    with pytest.raises(RateLimitExceeded) as info:
        limiter.acquire("f", max_wait=60)
    assert info.value.retry_after == pytest.approx(600)
    assert clock.slept == []


def test_rate_limiter_is_thread_safe():
    clock = FakeClock(1000.0)
    limiter = EndpointRateLimiter([(100, 60.0)], clock=clock, sleep=clock.sleep)
    wins = []
    lock = threading.Lock()

    def worker():
        mine = sum(1 for _ in range(50) if limiter.try_acquire("x") == 0.0)
        with lock:
            wins.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(wins) == 100


def test_send_waits_for_the_limiter_on_a_fake_clock(bots, client):
    clock = FakeClock(1000.0)
    limiter = EndpointRateLimiter([(20, 60.0)], clock=clock, sleep=clock.sleep)
    robot = WeComRobot(bots.wecom_url, client=client, limiter=limiter)
    payload = {"msgtype": "markdown", "markdown": {"content": "测试"}}
    for _ in range(25):
        robot.send(payload)
    assert len(bots.received["wecom"]) == 25
    assert sum(clock.slept) >= 60.0


# ----------------------------------------------------------------------- config

@pytest.mark.parametrize("cfg,key,fragment", [
    ({"kind": "slack", "url": "https://x"}, "channel.kind", "slack"),
    ({"kind": "wecom"}, "channel.url", "url"),
    ({"kind": "wecom", "url": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
     "channel.url", "https"),
    ({"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"},
     "channel.url", "key"),
    ({"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
      "secret": "abc"}, "channel.secret", "SEC"),
    ({"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send"}, "channel.url",
     "access_token"),
    ({"kind": "feishu", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/"},
     "channel.url", "hook"),
    ({"kind": "webhook", "url": "https://h.example/x", "secret": "short"},
     "channel.secret", "16"),
    ({"kind": "webhook", "url": "ftp://h.example/x", "secret": "0123456789abcdef"},
     "channel.url", "http"),
    ({"kind": "feishu", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/t",
      "secert": "x"}, "channel.secert", "未知"),
    ({"kind": "wecom", "key": "k", "msgtype": "image"}, "channel.msgtype", "image"),
    ({"kind": "wecom", "key": "k", "timeout": 0}, "channel.timeout", "超时"),
])
def test_config_errors_name_the_key(cfg, key, fragment):
    with pytest.raises(ConfigError) as info:
        channel_from_config(cfg)
    assert info.value.key == key and fragment in info.value.message


def test_config_shortcuts_and_masking():
    w = channel_from_config({"kind": "wecom", "key": "abcdef-123"})
    assert w.url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef-123"
    assert "abcdef-123" not in w.endpoint
    d = channel_from_config({"kind": "dingtalk", "access_token": "tok123456", "secret": "SECs"})
    assert d.url.endswith("access_token=tok123456") and "tok123456" not in d.endpoint
    f = channel_from_config({"kind": "feishu", "token": "hook-abcdef"})
    assert f.url.endswith("/hook/hook-abcdef") and "hook-abcdef" not in mask_url(f.url)


def test_the_featured_reflections_close_the_last_message_of_every_robot():
    from zhuanlan.model import FeaturedReflection
    iv = dataclasses.replace(long_issue(), reflections=(
        FeaturedReflection("张三", "集团/第一公司/宣传部", "学习体会……"),
        FeaturedReflection("李*四[x](http://evil)", "", "心得")))
    line = "学习心得选登：张三（集团/第一公司/宣传部）、李＊四［x］(http://evil) — 共 2 篇，全文见网页"
    wecom = [m["markdown"]["content"] for m in WeComRobot(
        "https://q.example/cgi-bin/webhook/send?key=k", limiter=free_limiter()).messages(iv)]
    dd = [m["markdown"]["text"] for m in DingTalkRobot(
        "https://oapi.dingtalk.com/robot/send?access_token=t", limiter=free_limiter()
    ).messages(iv)]
    fs = FeishuBot("https://open.feishu.cn/open-apis/bot/v2/hook/x", limiter=free_limiter())
    lark = [c["card"]["elements"][0]["text"]["content"] for c in fs.messages(iv)]
    for texts, limit in ((wecom, MARKDOWN_MAX_BYTES), (dd, DD_MAX), (lark, None)):
        assert len(texts) > 1 and line in texts[-1]
        assert all("学习心得选登" not in t for t in texts[:-1])
        assert numbers_in(texts) == list(range(1, 61))     # no item pushed out by it
        assert limit is None or all(utf8_len(t) <= limit for t in texts)
    posts = FeishuBot("https://open.feishu.cn/open-apis/bot/v2/hook/x", msg_type="post",
                      limiter=free_limiter()).messages(iv)
    last = [el.get("text") for para in posts[-1]["content"]["post"]["zh_cn"]["content"]
            for el in para]
    assert line in last
    # Without any, nothing is added.
    plain = WeComRobot("https://q.example/cgi-bin/webhook/send?key=k").messages(
        issue([item(1)]))
    assert "学习心得" not in plain[0]["markdown"]["content"]


def test_the_webhook_document_carries_the_featured_reflections():
    from zhuanlan.channels.webhook import issue_document
    from zhuanlan.model import FeaturedReflection
    iv = dataclasses.replace(issue([item(1)]), reflections=(
        FeaturedReflection("张三", "宣传部", "第一段\n第二段"),))
    assert issue_document(iv)["reflections"] == [
        {"name": "张三", "department": "宣传部", "body": "第一段\n第二段"}]
    assert issue_document(issue([item(1)]))["reflections"] == []
