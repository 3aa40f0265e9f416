"""DingTalk (钉钉) enterprise internal app (企业内部应用): an issue as a work notice
(工作通知) to named people, the notice's per-person outcome, and the app's web login.

What this relies on, from DingTalk's server API documentation (open.dingtalk.com,
document/orgapp/…, mirrored in the 组织云钉钉API reference):

* Token — ``GET https://oapi.dingtalk.com/gettoken?appkey=KEY&appsecret=SECRET`` →
  ``{"errcode": 0, "access_token", "expires_in": 7200}``; asking again within the
  validity returns the same token.
* Send — ``POST /topapi/message/corpconversation/asyncsend_v2?access_token=`` with
  ``agent_id``, ``userid_list`` "a,b" (at most 100) and ``msg``; we send an
  ``action_card`` (title, markdown, single_title, single_url). The answer is only a
  ``task_id``: the platform sends asynchronously, so the batch is ``pending``.
* Outcome — ``POST …/getsendprogress`` {agent_id, task_id} → ``progress.status``
  (0 not started, 1 in progress, 2 done), then ``POST …/getsendresult`` → ``send_result``
  with ``invalid_user_id_list`` (not in the directory), ``forbidden_user_id_list``
  (flow-controlled and not sent: the same content to a person once a day, at most 500
  notices a day per app and person), ``failed_user_id_list``, ``read_user_id_list``,
  ``unread_user_id_list``. Results can be read for 24 hours.
* Login — ONE flow, chosen because it works from a plain link, inside the DingTalk
  client (where the person is already signed in) and in a browser alike: DingTalk's
  web login (登录第三方网站, OAuth 2.0)
  ``https://login.dingtalk.com/oauth2/auth?redirect_uri=…&response_type=code&
  client_id=APPKEY&scope=openid&state=…&prompt=consent``, which redirects to
  ``redirect_uri?authCode=…&state=…`` (newer answers also carry ``code=``; either is
  what :meth:`DingTalkApp.identify` takes). The code is exchanged on the new API host:
  ``POST https://api.dingtalk.com/v1.0/oauth2/userAccessToken`` {clientId, clientSecret,
  code, grantType: "authorization_code"} → ``accessToken``; ``GET /v1.0/contact/users/me``
  (header ``x-acs-dingtalk-access-token``) → ``unionId``; and back on the old host
  ``POST /topapi/user/getbyunionid?access_token`` {unionid} → ``result.userid``.
  The app needs the 个人权限 "通讯录个人信息读权限" and 成员信息读权限; the redirect URL
  must be registered (开发配置 → 安全设置 → 重定向URL). The JS-only H5 免登 flow
  (``dd.runtime.permission.requestAuthCode`` → ``/topapi/v2/user/getuserinfo``) needs a
  page running DingTalk's JSAPI, which a link in a notice does not give: not used.
* Limits: an internal app may call an API 20 times a second and send 1,500 work
  notices a minute (the figures we know; 143103/143104 "发送人次QPM超限" when passed).

Error codes (:data:`CODES`) from 服务端API错误码 (document/orgapp/server-api-error-codes-1)
and the pages of the APIs above. errcode 88 is "鉴权异常": its ``sub_code`` says what.
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
from zhuanlan.channels.chat_http import DEFAULT_TIMEOUT, EndpointRateLimiter, json_answer
from zhuanlan.channels.chat_text import truncate_bytes
from zhuanlan.model import APP_ID_FIELDS, IssueView

__all__ = ["DingTalkApp", "CODES", "MAX_USERS"]

API_BASE = "https://oapi.dingtalk.com"
NEW_API_BASE = "https://api.dingtalk.com"
OAUTH_BASE = "https://login.dingtalk.com"
MAX_USERS = 100
TITLE_MAX_BYTES = 128
# No exact figure is documented for a work notice's action_card; the robot's markdown
# takes 20,000 bytes. A card shows a few lines: 2,000 bytes is plenty and safe.
MARKDOWN_MAX_BYTES = 2000
DONE = 2

CODES = ErrorTable(
    # 40014 invalid access_token, 42001 access_token expired, 41001 missing (also as
    # the sub_code of errcode 88)
    token=frozenset({40014, 42001, 41001}),
    # 90002/90006 API call rate over limit, 90018 the corp's concurrency over limit,
    # 143103/143104 the app's/corp's notices per minute over limit (as we know them)
    rate=frozenset({90002, 90006, 90018, 143103, 143104}),
    # 40089 invalid appkey/appsecret, 33001 invalid corp, 40056 invalid agent_id,
    # 60011 no permission for the API, 60020 server IP not in the app's whitelist,
    # 40035 / 71006 / 60121 are the caller's data, not the app's: not here
    app=frozenset({40089, 33001, 40056, 60011, 60020}),
)
NOT_FOUND = 60121            # getbyunionid: no such member in the organisation

REASONS = {
    "invalid_user_id_list": "钉钉通讯录中没有此人（userid 无效）",
    "forbidden_user_id_list": "钉钉限流未发送（同一内容每天只能发一次，或超过每人每天的条数上限）",
    "failed_user_id_list": "钉钉发送失败",
}


class DingTalkApp(AppBase):
    """``DingTalkApp(appkey, appsecret, agent_id, corpid, *, api_base, new_api_base,
    oauth_base, …)``; :meth:`results` reads a sent task's per-person outcome."""

    kind = "dingtalk_app"
    batch_size = MAX_USERS
    id_field = APP_ID_FIELDS["dingtalk_app"]
    platform_name = "钉钉"
    codes = CODES

    def __init__(self, appkey: str, appsecret: str, agent_id: int, corpid: str, *,
                 api_base: str = API_BASE, new_api_base: str = NEW_API_BASE,
                 oauth_base: str = OAUTH_BASE, client: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT, limiter: EndpointRateLimiter | None = None,
                 name: str | None = None, clock: Callable[[], float] = time.time,
                 tokens: TokenCache | None = None) -> None:
        super().__init__(api_base, appkey, (appsecret,), client=client, timeout=timeout,
                         limiter=limiter, name=name, clock=clock, tokens=tokens)
        self.appkey = appkey
        self._appsecret = appsecret
        self.agent_id = agent_id
        self.corpid = corpid
        self.new_api_base = new_api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], *, client: httpx.Client | None = None,
                    clock: Callable[[], float] = time.time, where: str = "channel",
                    limiter: EndpointRateLimiter | None = None,
                    tokens: TokenCache | None = None,
                    timeout: float = DEFAULT_TIMEOUT) -> DingTalkApp:
        check_app_keys(cfg, {"appkey", "appsecret", "agent_id", "corpid", "api_base",
                             "new_api_base", "oauth_base"}, where)
        return cls(check_text(cfg, "appkey", where, "应用的 AppKey（Client ID）"),
                   check_text(cfg, "appsecret", where, "应用的 AppSecret"),
                   check_agent(cfg, "agent_id", where, "应用的 AgentId（开发者后台“应用信息”）"),
                   check_text(cfg, "corpid", where, "企业编号 CorpId"),
                   api_base=check_base(cfg, "api_base", API_BASE, where),
                   new_api_base=check_base(cfg, "new_api_base", NEW_API_BASE, where),
                   oauth_base=check_base(cfg, "oauth_base", OAUTH_BASE, where),
                   client=client, timeout=timeout, limiter=limiter, name=cfg.get("name"),
                   clock=clock, tokens=tokens)

    # -- plumbing

    def code_of(self, answer: dict | None, response: httpx.Response) -> int | None:
        """errcode, or for errcode 88 (鉴权异常) its numeric sub_code."""
        code = answer.get("errcode") if answer else None
        if code == 88 and answer is not None:
            sub = str(answer.get("sub_code", "")).strip()
            if sub.lstrip("-").isdigit():
                return int(sub)
        return code if isinstance(code, int) else None

    @staticmethod
    def _detail(answer: dict | None) -> str:
        answer = answer or {}
        return str(answer.get("sub_msg") or answer.get("errmsg") or "")[:200]

    def fetch_token(self, kind: str) -> tuple[str, float]:
        response = self.request("GET", self.url + "/gettoken",
                                params={"appkey": self.appkey, "appsecret": self._appsecret})
        answer = json_answer(response) or {}
        code = self.code_of(answer, response)
        token = answer.get("access_token")
        if code != 0 or not isinstance(token, str) or not token:
            raise self.refuse("获取访问凭证", code, self._detail(answer),
                              status=response.status_code, token_call=True)
        return token, float(answer.get("expires_in") or 7200)

    def _with_token(self, token: str) -> tuple[dict[str, str], dict[str, str]]:
        return {"access_token": token}, {}

    def _post(self, path: str, body: dict, what: str) -> dict:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        answer, response = self.call("POST", path, body=raw, authorize=self._with_token)
        code = self.code_of(answer, response)
        if code != 0:
            raise self.refuse(what, code, self._detail(answer), status=response.status_code)
        return answer or {}

    # -- sending

    def payload(self, user_ids: list[str], issue: IssueView, url: str) -> dict:
        d = digest(issue)
        title = truncate_bytes(d.title, TITLE_MAX_BYTES)
        text = pack_lines([f"### {title}", d.note], d.lines, d.more, MARKDOWN_MAX_BYTES,
                          sep="\n\n")
        return {"agent_id": self.agent_id, "userid_list": ",".join(user_ids),
                "msg": {"msgtype": "action_card", "action_card": {
                    "title": title, "markdown": text, "single_title": "阅读本期",
                    "single_url": button_url(url)}}}

    def send_batch(self, user_ids: list[str], issue: IssueView, url: str) -> BatchResult:
        check_batch(user_ids, MAX_USERS, ",")
        payload = self.payload(user_ids, issue, url)
        self.wait_turn()
        answer = self._post("/topapi/message/corpconversation/asyncsend_v2", payload, "发送工作通知")
        task_id = answer.get("task_id")
        if task_id in (None, ""):
            raise self.refuse("发送工作通知", None, "应答中没有 task_id")
        return BatchResult(accepted=list(user_ids), message_id=str(task_id), pending=True)

    def results(self, task_id: str) -> dict | None:
        """The outcome of a sent task, or None while DingTalk is still sending it.

        ``{"failed": {userid: Chinese reason}, "read": [...], "unread": [...]}`` plus the
        platform's own lists (``invalid_user_id_list`` …) as it gave them."""
        body = {"agent_id": self.agent_id, "task_id": int(task_id)}
        progress = self._post("/topapi/message/corpconversation/getsendprogress", body,
                              "查询工作通知进度").get("progress") or {}
        if progress.get("status") != DONE:
            return None
        result = self._post("/topapi/message/corpconversation/getsendresult", body,
                            "查询工作通知结果").get("send_result") or {}
        failed: dict[str, str] = {}
        for name, reason in REASONS.items():
            for uid in result.get(name) or []:
                failed.setdefault(str(uid), reason)
        lists = {k: [str(u) for u in v] for k, v in result.items()
                 if k.endswith("_list") and isinstance(v, list)}
        return {**lists, "failed": failed, "read": lists.get("read_user_id_list", []),
                "unread": lists.get("unread_user_id_list", [])}

    # -- login

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        return (f"{self.oauth_base}/oauth2/auth?redirect_uri={quote(redirect_uri, safe='')}"
                f"&response_type=code&client_id={quote(self.appkey)}&scope=openid"
                f"&state={quote(state, safe='')}&prompt=consent")

    def identify(self, code: str) -> str:
        if not code or not code.strip():
            raise LoginCodeError("登录码为空，请从钉钉中重新打开页面", resource=self.endpoint)
        user_token = self._user_token(code.strip())
        response = self.request("GET", self.new_api_base + "/v1.0/contact/users/me",
                                headers={"x-acs-dingtalk-access-token": user_token})
        me = json_answer(response) or {}
        union_id = me.get("unionId")
        if response.status_code != 200 or not isinstance(union_id, str) or not union_id:
            raise self.refuse("读取登录者信息", None, str(me.get("message", ""))[:200],
                              status=response.status_code)
        raw = json.dumps({"unionid": union_id}).encode()
        answer, response = self.call("POST", "/topapi/user/getbyunionid", body=raw,
                                     authorize=self._with_token)
        errcode = self.code_of(answer, response)
        userid = ((answer or {}).get("result") or {}).get("userid")
        if errcode == NOT_FOUND or (errcode == 0 and not userid):
            raise LoginCodeError("打开页面的人不是本企业的成员", resource=self.endpoint)
        if errcode != 0:
            raise self.refuse("识别登录者", errcode, self._detail(answer),
                              status=response.status_code)
        return str(userid)

    def _user_token(self, code: str) -> str:
        body = json.dumps({"clientId": self.appkey, "clientSecret": self._appsecret,
                           "code": code, "grantType": "authorization_code"}).encode()
        response = self.request("POST", self.new_api_base + "/v1.0/oauth2/userAccessToken", body)
        answer = json_answer(response) or {}
        token = answer.get("accessToken")
        if response.status_code == 200 and isinstance(token, str) and token:
            return token
        if 400 <= response.status_code < 500 and response.status_code != 429:
            # The new API answers a wrong, expired or used code with HTTP 400 and a
            # string code; a wrong clientSecret too, which only check() can tell apart.
            raise LoginCodeError("登录码无效或已被使用，请从钉钉中重新打开页面"
                                 f"（{answer.get('code', response.status_code)}）",
                                 resource=self.endpoint)
        raise self.refuse("换取登录凭证", None, str(answer.get("message", ""))[:200],
                          status=response.status_code)
