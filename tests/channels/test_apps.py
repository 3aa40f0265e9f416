"""The app (自建应用) channels of WeCom, DingTalk and Feishu against the local imitation
in tests/support/appservers.py, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.appservers import AppServers
from tests.support.clock import FakeClock
from zhuanlan.channels.apps import (
    AppError,
    BatchResult,
    LoginCodeError,
    TokenCache,
    app_from_config,
)
from zhuanlan.channels.chat_http import EndpointRateLimiter
from zhuanlan.errors import ConfigError
from zhuanlan.model import IssueItemView, IssueView

CST = timezone(timedelta(hours=8))
URL = "https://zl.example/r/xuexi/3?t=abc.def"
PLATFORMS = ("wecom", "dingtalk", "feishu")
VALID = {"wecom": ["zhangsan", "lisi"], "dingtalk": ["manager001", "staff003"],
         "feishu": ["ou_aaa", "ou_bbb"]}
LIMIT = {"wecom": 1000, "dingtalk": 100, "feishu": 200}


def issue(n: int = 8, title: str = "第{}条：深入学习贯彻党的二十大精神") -> IssueView:
    items = tuple(IssueItemView(title=title.format(i), web_url=f"https://zl.example/a/{i}",
                                original_url=f"https://www.news.cn/{i}.htm", source_name="新华网",
                                published=datetime(2026, 3, 1, 8, tzinfo=CST))
                  for i in range(1, n + 1))
    return IssueView(column_name="学习二十大", column_slug="xuexi", number=3, title="第3期",
                     editor_note="学习贯彻党的二十大精神。", web_url="https://zl.example/c/xuexi/3",
                     published_at=datetime(2026, 3, 2, 9, tzinfo=CST), items=items)


@pytest.fixture
def servers():
    with AppServers() as s:
        yield s


@pytest.fixture
def client():
    with httpx.Client(trust_env=False, timeout=5.0) as c:
        yield c


@pytest.fixture
def clock():
    return FakeClock(1_000_000.0)


def make(servers, platform, client, clock=None, **changes):
    return app_from_config(servers.config(platform, **changes), client=client,
                           clock=clock or FakeClock(1_000_000.0), tokens=TokenCache(),
                           limiter=EndpointRateLimiter([(100_000, 60.0)]))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_valid_and_invalid_people_get_the_right_result(servers, client, platform):
    app = make(servers, platform, client)
    result = app.send_batch([*VALID[platform], "nobody"], issue(), URL)
    assert isinstance(result, BatchResult)
    assert result.message_id
    if platform == "dingtalk":            # known only after the task's result is read
        assert result.pending and result.accepted == [*VALID[platform], "nobody"]
    else:
        assert not result.pending
        assert result.accepted == VALID[platform]
        assert list(result.failed) == ["nobody"] and "可" in result.failed["nobody"]
    sent = servers.sent(platform)
    assert len(sent) == 1 and URL.split("?")[0] in str(sent[0])


def test_the_cards_carry_title_items_and_button_within_the_byte_limits(servers, client):
    long = issue(40, title="〔{}〕" + "深入学习贯彻习近平新时代中国特色社会主义思想" * 4)
    for platform in PLATFORMS:
        make(servers, platform, client).send_batch(VALID[platform][:1], long, URL)
    card = servers.sent("wecom")[0]["textcard"]
    assert card["title"].startswith("学习二十大 · 第3期") and card["btntxt"] == "阅读本期"
    assert len(card["description"].encode()) <= 512 and "等" in card["description"]
    action = servers.sent("dingtalk")[0]["msg"]["action_card"]
    assert action["single_url"] == URL and "1. 〔1〕" in action["markdown"]
    fs = servers.sent("feishu")[0]["card"]
    assert fs["elements"][1]["actions"][0]["url"] == URL


def test_wecom_news_and_all_invalid(servers, client):
    app = make(servers, "wecom", client, msgtype="news")
    result = app.send_batch(["ghost1", "ghost2"], issue(), URL)
    assert result.accepted == [] and set(result.failed) == {"ghost1", "ghost2"}
    assert servers.sent("wecom")[0]["news"]["articles"][0]["url"] == URL


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_batch_over_the_limit_raises_before_any_traffic(servers, client, platform):
    app = make(servers, platform, client)
    with pytest.raises(ValueError):
        app.send_batch([f"u{i}" for i in range(LIMIT[platform] + 1)], issue(), URL)
    with pytest.raises(ValueError):
        app.send_batch([], issue(), URL)
    assert app.batch_size == LIMIT[platform]
    assert servers.calls(platform) == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_token_is_cached_and_refreshed_before_expiry(servers, client, platform, clock):
    app = make(servers, platform, client, clock)
    for _ in range(3):
        app.send_batch(VALID[platform][:1], issue(), URL)
    assert len(servers.calls(platform, "token")) == 1
    clock.advance(7200 - 299)                        # within the last five minutes
    app.send_batch(VALID[platform][:1], issue(), URL)
    assert len(servers.calls(platform, "token")) == 2


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_expired_token_is_refreshed_once_and_the_call_retried_once(servers, client,
                                                                      platform):
    app = make(servers, platform, client)
    app.send_batch(VALID[platform][:1], issue(), URL)
    servers.expire_token(platform)
    result = app.send_batch(VALID[platform][:1], issue(), URL)
    assert result.message_id
    assert len(servers.calls(platform, "token")) == 2
    sends = [c for c in servers.calls(platform) if "send" in c.path]
    assert len(sends) == 3 and len(servers.sent(platform)) == 2


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_wrong_secret_stops_the_app_with_a_chinese_message(servers, client, platform):
    secret_key = {"wecom": "corpsecret", "dingtalk": "appsecret", "feishu": "app_secret"}
    app = make(servers, platform, client, **{secret_key[platform]: "wrong-Secret-123"})
    with pytest.raises(AppError) as err:
        app.check()
    assert err.value.scope == "app" and err.value.permanent
    assert "应用的设置或权限有误" in str(err.value)
    assert "wrong-Secret-123" not in str(err.value) and "wrong-Secret-123" not in repr(app)
    servers.refuse_secret(platform)
    good = make(servers, platform, client)
    with pytest.raises(AppError) as err:
        good.send_batch(VALID[platform], issue(), URL)
    assert err.value.scope == "app"
    assert servers.p[platform].secret not in str(err.value)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_rate_limit_asks_to_retry_later(servers, client, platform):
    app = make(servers, platform, client)
    servers.rate_limit(platform)
    with pytest.raises(AppError) as err:
        app.send_batch(VALID[platform], issue(), URL)
    assert err.value.scope == "retry" and not err.value.permanent
    assert err.value.retry_after == (7.0 if platform == "feishu" else 60.0)
    assert "频繁" in str(err.value)


def test_the_local_limiter_is_keyed_by_app_and_refuses_to_wait_long(servers, client):
    clock = FakeClock(0.0)
    limiter = EndpointRateLimiter([(2, 60.0)], clock=clock, sleep=clock.sleep)
    app = app_from_config(servers.config("wecom"), client=client, tokens=TokenCache(),
                          limiter=limiter)
    app.send_batch(["zhangsan"], issue(), URL)
    app.send_batch(["lisi"], issue(), URL)
    with pytest.raises(AppError) as err:
        app.send_batch(["wangwu"], issue(), URL)
    assert err.value.scope == "retry" and err.value.retry_after == pytest.approx(60.0)
    assert len(servers.sent("wecom")) == 2


def test_dingtalk_results_after_progress(servers, client):
    app = make(servers, "dingtalk", client)
    result = app.send_batch(["manager001", "staff003", "ghost"], issue(), URL)
    assert app.results(result.message_id) is None          # still sending
    outcome = app.results(result.message_id)
    assert outcome is not None
    assert list(outcome["failed"]) == ["ghost"] and "无效" in outcome["failed"]["ghost"]
    assert outcome["read"] == ["manager001"] and outcome["unread"] == ["staff003"]
    assert outcome["invalid_user_id_list"] == ["ghost"]


def _follow(client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_login_identifies_the_person_and_a_code_is_single_use(servers, client, platform):
    app = make(servers, platform, client)
    back = "https://zl.example/login/app?next=/r/3"
    url = app.authorize_url(back, "st-123")
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == [back] and query["state"] == ["st-123"]
    expected = {"wecom": {"appid": "ww-corp-1", "scope": "snsapi_base", "agentid": "1000002"},
                "dingtalk": {"client_id": "dingappkey1", "scope": "openid",
                             "prompt": "consent", "response_type": "code"},
                "feishu": {"app_id": "cli_app1"}}[platform]
    assert all(query[k] == [v] for k, v in expected.items())
    if platform == "wecom":
        assert url.endswith("#wechat_redirect")
        url = url.split("#")[0]
    answer = _follow(client, url)
    assert answer["state"] == "st-123"
    code = answer["code"]
    assert app.identify(code) == servers.p[platform].current_user
    with pytest.raises(LoginCodeError):
        app.identify(code)
    with pytest.raises(LoginCodeError):
        app.identify("")


@pytest.mark.parametrize("platform,key,value", [
    ("wecom", "corpid", None), ("wecom", "agentid", "abc"), ("wecom", "msgtype", "markdown"),
    ("wecom", "api_base", "http://qyapi.example"), ("wecom", "oauth_base", "ftp://x"),
    ("dingtalk", "appsecret", ""), ("dingtalk", "agent_id", 0), ("dingtalk", "corpid", None),
    ("feishu", "app_id", None), ("feishu", "api_base", "not a url"), ("feishu", "timeout", 0),
    ("feishu", "colour", "red"), ("wecom", "url", "https://qyapi.weixin.qq.com"),
])
def test_config_errors_name_the_key(servers, platform, key, value):
    cfg = servers.config(platform)
    if value is None:
        del cfg[key]
    else:
        cfg[key] = value
    with pytest.raises(ConfigError) as err:
        app_from_config(cfg)
    assert err.value.key == f"channel.{key}"
    with pytest.raises(ConfigError) as err:
        app_from_config({**servers.config(platform), "kind": "qq_app"}, where="c")
    assert err.value.key == "c.kind"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_secrets_appear_neither_in_endpoint_nor_repr_nor_errors(servers, client, platform):
    app = make(servers, platform, client)
    secret = servers.p[platform].secret
    assert app.endpoint == servers.base and secret not in repr(app)
    app.close()
    defaults = {k: v for k, v in servers.config(platform).items()
                if not k.endswith("base")}
    official = app_from_config(defaults)
    assert official.endpoint.startswith("https://") and secret not in official.endpoint
    servers.server.stop()                         # a network failure: retry, no secret
    with pytest.raises(AppError) as err:
        app.check()
    assert err.value.scope == "retry" and secret not in str(err.value)
