"""The apps' web login for readers, over real HTTP: the web app on uvicorn, the platform
imitation (``tests.support.appservers``) as the identity provider, redirects followed by
hand so that each hop can be checked. On SQLite and PostgreSQL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update

from tests.support.appservers import AppServers
from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, organisation, publish
from tests.support.web import WebServer
from zhuanlan.store.schema import subscribers
from zhuanlan.web.app_login import LOGIN_COOKIE
from zhuanlan.web.readers import READER_COOKIE

WXWORK = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 wxwork/4.1.22 MicroMessenger/7.0.1"
LARK = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Lark/7.20.0 LarkLocale/zh_CN"
DINGTALK = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 (KHTML, like Gecko) DingTalk/7.6.0 Channel/201200"


@pytest.fixture
def servers():
    with AppServers() as s:
        yield s


@pytest.fixture
def site(make_zl, servers):
    from zhuanlan.web.app import create_app
    port = free_port()
    zl = make_zl(web__base_url=f"http://127.0.0.1:{port}",
                 fetch__allow_private=[f"127.0.0.1:{servers.server.port}"])
    people = organisation(zl)
    with zl.db.write() as conn:
        conn.execute(update(subscribers).where(subscribers.c.id == people["甲"])
                     .values(wecom_userid="zhangsan", feishu_open_id="ou_aaa",
                             dingtalk_userid="manager001"))
    wecom = zl.targets.add("企业微信", "wecom_app", servers.config("wecom"), columns_=[SLUG])
    feishu = zl.targets.add("飞书", "feishu_app", servers.config("feishu"))
    dingtalk = zl.targets.add("钉钉", "dingtalk_app", servers.config("dingtalk"))
    publish(zl, 2, "本期")
    with WebServer(create_app(zl), port) as web:
        yield zl, web, people, {"wecom": wecom, "feishu": feishu, "dingtalk": dingtalk}


def _hops(client: httpx.Client, url: str, *, ua: str, limit: int = 8) -> list[httpx.Response]:
    """Follow redirects one by one (the browser's part), returning every answer."""
    answers = []
    for _ in range(limit):
        r = client.get(url, headers={"User-Agent": ua})
        answers.append(r)
        if r.status_code not in (302, 303, 307):
            break
        url = str(r.url.join(r.headers["location"]))
    return answers


def test_a_group_link_opened_in_wecom_logs_the_person_in(site, servers):
    zl, web, people, apps = site
    with httpx.Client(trust_env=False, timeout=10) as client:
        hops = _hops(client, web.url(f"/c/{SLUG}/1"), ua=WXWORK)
        urls = [str(h.url) for h in hops]
        assert f"/app-login/{apps['wecom']}?" in urls[1]
        authorize = urlsplit(urls[2])
        q = parse_qs(authorize.query)
        assert authorize.path == "/connect/oauth2/authorize"
        assert q["scope"] == ["snsapi_base"] and q["appid"] == ["ww-corp-1"]
        assert len(q["state"][0]) == 56 and q["state"][0].isalnum()
        assert "/callback" in urls[3]
        assert hops[-1].status_code == 200 and urls[-1] == web.url(f"/c/{SLUG}/1")
        assert client.cookies.get(READER_COOKIE)
        # The reader is 甲 now: the article page does not say anonymous.
        article = client.get(web.url(f"/a/{_first_article(zl)}"), headers={"User-Agent": WXWORK})
        assert "匿名" not in article.text


def test_outside_the_apps_the_page_stays_anonymous(site):
    zl, web, _people, _apps = site
    with httpx.Client(trust_env=False, timeout=10) as client:
        hops = _hops(client, web.url(f"/a/{_first_article(zl)}"), ua="Mozilla/5.0 Firefox/120")
        assert len(hops) == 1 and "匿名" in hops[0].text
        assert not client.cookies.get(READER_COOKIE)


def test_someone_not_in_the_directory_reads_anonymously_and_is_not_sent_round_again(
        site, servers):
    zl, web, _people, _apps = site
    servers.p["wecom"].current_user = "wangwu"          # in the app, not in our directory
    with httpx.Client(trust_env=False, timeout=10) as client:
        hops = _hops(client, web.url(f"/c/{SLUG}/1"), ua=WXWORK)
        assert hops[-1].status_code == 200 and not client.cookies.get(READER_COOKIE)
        again = _hops(client, web.url(f"/c/{SLUG}/1"), ua=WXWORK)
        assert len(again) == 1                           # no loop through the login


@pytest.mark.parametrize("platform, ua, login_path", [
    ("feishu", LARK, "/open-apis/authen/v1/index"),
    ("dingtalk", DINGTALK, "/oauth2/auth"),
])
def test_the_platform_is_chosen_by_its_user_agent(site, servers, platform, ua, login_path):
    _zl, web, _people, apps = site
    with httpx.Client(trust_env=False, timeout=10) as client:
        hops = _hops(client, web.url(f"/c/{SLUG}/1"), ua=ua)
        assert f"/app-login/{apps[platform]}?" in str(hops[1].url)
        assert login_path in str(hops[2].url)
        assert hops[-1].status_code == 200 and client.cookies.get(READER_COOKIE)


def _callback(client, web, servers, app_id: int, next_path: str = f"/c/{SLUG}/1") -> str:
    """Start a login and return the callback URL the platform sends the reader to."""
    r = client.get(web.url(f"/app-login/{app_id}"), params={"next": next_path})
    r = client.get(r.headers["location"])              # the imitation's authorize page
    return r.headers["location"]


def test_the_callback_url_is_fixed_so_it_can_be_registered(site, servers):
    _zl, web, _people, apps = site
    with httpx.Client(trust_env=False, timeout=10) as client:
        r = client.get(web.url(f"/app-login/{apps['wecom']}?next=/c/{SLUG}/1"))
        q = parse_qs(urlsplit(r.headers["location"]).query)
        assert q["redirect_uri"] == [web.url(f"/app-login/{apps['wecom']}/callback")]


def test_a_replayed_callback_is_refused(site, servers):
    _zl, web, _people, apps = site
    with httpx.Client(trust_env=False, timeout=10) as client:
        callback = _callback(client, web, servers, apps["wecom"])
        cookie = client.cookies.get(LOGIN_COOKIE)
        first = client.get(callback)
        assert first.status_code == 303
    # Even with the browser's login cookie copied, the same state and code do not work twice.
    with httpx.Client(trust_env=False, timeout=10, cookies={LOGIN_COOKIE: cookie}) as other:
        replay = other.get(callback)
        assert replay.status_code == 403 and "已经用过" in replay.text
        assert not other.cookies.get(READER_COOKIE)


def test_a_login_started_in_another_browser_is_refused(site, servers):
    """Login CSRF: an attacker's callback link opened by someone else must not make them
    read (and study) as the attacker."""
    _zl, web, _people, apps = site
    with httpx.Client(trust_env=False, timeout=10) as attacker:
        callback = _callback(attacker, web, servers, apps["wecom"])
    with httpx.Client(trust_env=False, timeout=10) as victim:
        r = victim.get(callback)
        assert r.status_code == 403 and "登录请求无效" in r.text
        assert not victim.cookies.get(READER_COOKIE)


@pytest.mark.parametrize("tamper", ["state", "app"])
def test_a_tampered_callback_is_refused(site, servers, tamper):
    _zl, web, _people, apps = site
    with httpx.Client(trust_env=False, timeout=10) as client:
        callback = _callback(client, web, servers, apps["wecom"])
        parts = urlsplit(callback)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        if tamper == "state":
            q["state"] = q["state"][:-1] + ("0" if q["state"][-1] != "0" else "1")
        else:                         # the same login presented to another app
            path = path.replace(f"/app-login/{apps['wecom']}/", f"/app-login/{apps['feishu']}/")
        r = client.get(web.url(path), params=q)
        assert r.status_code == 403 and "登录请求无效" in r.text
        assert not client.cookies.get(READER_COOKIE)


def test_no_open_redirect_through_the_login(site, servers):
    _zl, web, _people, apps = site
    with httpx.Client(trust_env=False, timeout=10) as client:
        callback = _callback(client, web, servers, apps["wecom"], "https://evil.example/x")
        landing = client.get(callback)
        assert landing.status_code == 303 and landing.headers["location"] == "/"


def _first_article(zl) -> int:
    view = zl.issue_view(SLUG, 1)
    return int(view.items[0].web_url.rsplit("/a/", 1)[1].split("?")[0])
