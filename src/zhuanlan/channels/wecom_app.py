"""WeCom (企业微信) self-built app (自建应用): an issue as an app message to named
members, and the app's web login (网页授权登录).

What this relies on, from WeCom's server API documentation
(https://developer.work.weixin.qq.com/document/path/90664 and the pages it links):

* Token — ``GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET`` →
  ``{"errcode": 0, "access_token", "expires_in": 7200}`` (path/91039). Asking again
  before expiry returns the same token; every call carries it as ``?access_token=``.
* Send — ``POST /cgi-bin/message/send?access_token=`` (path/90236) with ``touser``
  "a|b|c" (at most 1,000 members), ``agentid`` and ``msgtype``:
  ``textcard`` {title ≤ 128 bytes, description ≤ 512 bytes, url ≤ 2048 bytes, btntxt
  ≤ 4 characters} or ``news`` {articles: [{title ≤ 128 bytes, description ≤ 512 bytes,
  url, picurl}]}. The answer names the members it could not reach —
  ``invaliduser`` "a|b" (not in the directory or outside the app's 可见范围) and, since
  the 2022 接口许可, ``unlicenseduser`` — and sends to the rest (errcode 0); when all
  are invalid it answers 81013 with the same lists. ``msgid`` identifies the message.
* Login — ``https://open.weixin.qq.com/connect/oauth2/authorize?appid=CORPID&
  redirect_uri=…&response_type=code&scope=snsapi_base&state=…&agentid=…#wechat_redirect``
  (path/91022) redirects at once, inside WeCom, to ``redirect_uri?code=…&state=…``; the
  code is single-use and lives 5 minutes; ``GET /cgi-bin/auth/getuserinfo?access_token&
  code`` (path/91023) → ``userid`` (``UserId`` in answers of the older
  ``/cgi-bin/user/getuserinfo``); a non-member gets ``openid`` only.
* Limits (path/90312, 主动调用频率限制): per corp and API 10,000 calls a minute and
  150,000 an hour; a member receives at most 30 app messages a minute.

The error codes (:data:`CODES`) are from the global table (全局错误码, path/90313).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from zhuanlan.channels.app_http import (
    AppBase,
    BatchResult,
    ErrorTable,
    LoginCodeError,
    TokenCache,
    button_url,
    check_agent,
    check_app_keys,
    check_base,
    check_batch,
    check_text,
    digest,
    pack_lines,
)
from zhuanlan.channels.chat_http import (
    DEFAULT_TIMEOUT,
    EndpointRateLimiter,
    check_choice,
    json_answer,
)
from zhuanlan.channels.chat_text import truncate_bytes
from zhuanlan.model import APP_ID_FIELDS, IssueView

__all__ = ["WeComApp", "CODES", "MAX_USERS"]

API_BASE = "https://qyapi.weixin.qq.com"
OAUTH_BASE = "https://open.weixin.qq.com"
MAX_USERS = 1000
TITLE_MAX_BYTES = 128
DESCRIPTION_MAX_BYTES = 512

CODES = ErrorTable(
    # 40014 invalid access_token, 42001 access_token expired, 41001 access_token missing
    token=frozenset({40014, 42001, 41001}),
    # 45009 api freq out of limit, 45011 api minute-quota, 45033 max concurrency
    rate=frozenset({45009, 45011, 45033}),
    # 40001 invalid secret, 40013 invalid corpid, 40056 invalid agentid, 40091 secret
    # invalid, 41002/41004 corpid/secret missing, 48002 api forbidden, 60011 no privilege,
    # 60020 ip not allowed (可信IP), 301002 no permission to access the member,
    # 50001 redirect_uri not in the app's 可信域名
    app=frozenset({40001, 40013, 40056, 40091, 41002, 41004, 48002, 60011, 60020, 301002,
                   50001}),
)
ALL_INVALID = 81013          # user & party & tag all invalid: every member in invaliduser
BAD_CODE = frozenset({40029, 40031})   # invalid / used oauth code (40031 in old answers)


def _ids(value: Any) -> list[str]:
    """``invaliduser`` is "a|b" in the documentation and a list in some answers."""
    if isinstance(value, str):
        return [v for v in value.split("|") if v]
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return []


class WeComApp(AppBase):
    """``WeComApp(corpid, corpsecret, agentid, *, api_base, oauth_base, msgtype, …)``."""

    kind = "wecom_app"
    batch_size = MAX_USERS
    id_field = APP_ID_FIELDS["wecom_app"]
    platform_name = "企业微信"
    codes = CODES

    def __init__(self, corpid: str, corpsecret: str, agentid: int, *,
                 api_base: str = API_BASE, oauth_base: str = OAUTH_BASE,
                 msgtype: str = "textcard", client: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT, limiter: EndpointRateLimiter | None = None,
                 name: str | None = None, clock: Callable[[], float] = time.time,
                 tokens: TokenCache | None = None) -> None:
        if msgtype not in {"textcard", "news"}:
            raise ValueError(f"msgtype must be textcard or news, got {msgtype!r}")
        super().__init__(api_base, corpid, (corpsecret,), client=client, timeout=timeout,
                         limiter=limiter, name=name, clock=clock, tokens=tokens)
        self.corpid = corpid
        self._corpsecret = corpsecret
        self.agentid = agentid
        self.oauth_base = oauth_base.rstrip("/")
        self.msgtype = msgtype

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], *, client: httpx.Client | None = None,
                    clock: Callable[[], float] = time.time, where: str = "channel",
                    limiter: EndpointRateLimiter | None = None,
                    tokens: TokenCache | None = None,
                    timeout: float = DEFAULT_TIMEOUT) -> WeComApp:
        check_app_keys(cfg, {"corpid", "corpsecret", "agentid", "api_base", "oauth_base",
                             "msgtype"}, where)
        return cls(check_text(cfg, "corpid", where, "企业编号"),
                   check_text(cfg, "corpsecret", where, "应用密钥"),
                   check_agent(cfg, "agentid", where, "应用编号（管理后台“应用管理 → 自建应用”）"),
                   api_base=check_base(cfg, "api_base", API_BASE, where),
                   oauth_base=check_base(cfg, "oauth_base", OAUTH_BASE, where),
                   msgtype=check_choice(cfg, "msgtype", ("textcard", "news"), where),
                   client=client, timeout=timeout, limiter=limiter, name=cfg.get("name"),
                   clock=clock, tokens=tokens)

    # -- plumbing

    def code_of(self, answer: dict | None, response: httpx.Response) -> int | None:
        code = answer.get("errcode") if answer else None
        return code if isinstance(code, int) else None

    def fetch_token(self, kind: str) -> tuple[str, float]:
        response = self.request("GET", self.url + "/cgi-bin/gettoken",
                                params={"corpid": self.corpid, "corpsecret": self._corpsecret})
        answer, code = self._answer(response)
        token = answer.get("access_token") if answer else None
        if code != 0 or not isinstance(token, str) or not token:
            raise self.refuse("获取访问凭证", code, self._detail(answer),
                              status=response.status_code, token_call=True)
        return token, float(answer.get("expires_in") or 7200)

    def _answer(self, response: httpx.Response) -> tuple[dict, int | None]:
        answer = json_answer(response) or {}
        return answer, self.code_of(answer, response)

    @staticmethod
    def _detail(answer: dict | None) -> str:
        return str((answer or {}).get("errmsg", ""))[:200]

    def _with_token(self, token: str) -> tuple[dict[str, str], dict[str, str]]:
        return {"access_token": token}, {}

    # -- sending

    def payload(self, user_ids: list[str], issue: IssueView, url: str) -> dict:
        d = digest(issue)
        title = truncate_bytes(d.title, TITLE_MAX_BYTES)
        link = button_url(url)
        body: dict[str, Any] = {"touser": "|".join(user_ids), "msgtype": self.msgtype,
                                "agentid": self.agentid}
        if self.msgtype == "textcard":
            body["textcard"] = {
                "title": title, "url": link, "btntxt": "阅读本期",
                "description": pack_lines([f'<div class="gray">{d.note}</div>'] if d.note else [],
                                          d.lines, d.more, DESCRIPTION_MAX_BYTES,
                                          sep="", wrap=lambda s: f'<div class="normal">{s}</div>')}
        else:
            body["news"] = {"articles": [{
                "title": title, "url": link,
                "description": pack_lines([d.note], d.lines, d.more, DESCRIPTION_MAX_BYTES)}]}
        return body

    def send_batch(self, user_ids: list[str], issue: IssueView, url: str) -> BatchResult:
        check_batch(user_ids, MAX_USERS, "|")
        body = json.dumps(self.payload(user_ids, issue, url), ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
        self.wait_turn()
        answer, response = self.call("POST", "/cgi-bin/message/send", body=body,
                                     authorize=self._with_token)
        code = self.code_of(answer, response)
        answer = answer or {}
        if code not in (0, ALL_INVALID):
            raise self.refuse("发送消息", code, self._detail(answer), status=response.status_code)
        failed: dict[str, str] = {}
        by_lower = {u.lower(): u for u in user_ids}    # WeCom userids ignore case
        for uid in _ids(answer.get("invaliduser")):
            failed[by_lower.get(uid.lower(), uid)] = "企业微信中没有此成员，或此成员不在应用的可见范围内"
        for uid in _ids(answer.get("unlicenseduser")):
            failed[by_lower.get(uid.lower(), uid)] = "此成员没有企业微信接口许可"
        if code == ALL_INVALID and not failed:
            failed = dict.fromkeys(user_ids, "企业微信中没有此成员，或此成员不在应用的可见范围内")
        msgid = answer.get("msgid")
        return BatchResult(accepted=[u for u in user_ids if u not in failed], failed=failed,
                           message_id=str(msgid) if msgid else None)

    # -- login

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        return (f"{self.oauth_base}/connect/oauth2/authorize?appid={quote(self.corpid)}"
                f"&redirect_uri={quote(redirect_uri, safe='')}&response_type=code"
                f"&scope=snsapi_base&state={quote(state, safe='')}&agentid={self.agentid}"
                "#wechat_redirect")

    def identify(self, code: str) -> str:
        if not code or not code.strip():
            raise LoginCodeError("登录码为空，请从企业微信中重新打开页面", resource=self.endpoint)
        answer, response = self.call("GET", "/cgi-bin/auth/getuserinfo",
                                     params={"code": code.strip()}, authorize=self._with_token)
        errcode = self.code_of(answer, response)
        answer = answer or {}
        if errcode in BAD_CODE:
            raise LoginCodeError("登录码无效或已被使用，请从企业微信中重新打开页面",
                                 resource=self.endpoint)
        if errcode != 0:
            raise self.refuse("识别登录成员", errcode, self._detail(answer),
                              status=response.status_code)
        userid = answer.get("userid") or answer.get("UserId")
        if not isinstance(userid, str) or not userid:
            raise LoginCodeError("打开页面的人不是本企业的成员", resource=self.endpoint)
        return userid

