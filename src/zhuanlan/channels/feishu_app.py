"""Feishu (飞书) self-built app (企业自建应用): an issue as a message card to named
people, and the app's web login.

What this relies on, from Feishu's server documentation (open.feishu.cn/document, mirrored
at open.larkoffice.com):

* Token — ``POST /open-apis/auth/v3/tenant_access_token/internal`` {app_id, app_secret}
  → ``{"code": 0, "tenant_access_token", "expire"}`` (at most 2 hours; asked with less
  than 30 minutes left it returns a new one, both valid), sent as
  ``Authorization: Bearer …``. The login exchange needs the *app* token instead:
  ``POST /open-apis/auth/v3/app_access_token/internal`` → ``app_access_token``.
* Send — the batch API ``POST /open-apis/message/v4/batch_send/`` (批量发送消息) with
  ``open_ids`` (at most 200), ``msg_type: "interactive"`` and ``card``; answer ``data``
  {``message_id`` ("bm-…"), ``invalid_open_ids``, ``invalid_department_ids`` …}. Chosen
  over one ``POST /open-apis/im/v1/messages?receive_id_type=open_id`` per person because
  one call covers 200 people, its answer still names each person it cannot reach (not
  in the tenant, outside the app's 可用范围) — the per-person result the outbox needs —
  and 50,000 people take 250 calls instead of 50,000 under the same 1,000/minute limit.
  What it costs: delivery is asynchronous (the message ids are "bm-" ids that cannot be
  edited or replied to) and a tenant may send 500,000 such messages a day.
* Limits: batch_send 1,000 calls a minute and 50 a second; the request body (the card)
  at most 30 KB. Over a rate limit: HTTP 429 with code 99991400 and
  ``x-ogw-ratelimit-reset`` seconds (频控策略, server-docs/api-call-guide/frequency-control).
* Login — ``https://open.feishu.cn/open-apis/authen/v1/index?app_id=…&redirect_uri=…&
  state=…`` redirects to ``redirect_uri?code=…&state=…`` (inside Feishu at once);
  ``POST /open-apis/authen/v1/access_token`` {grant_type: "authorization_code", code}
  with the app token → ``data.open_id``. The code is single-use, 5 minutes.

Error codes (:data:`CODES`) from 通用错误码 (server-docs/api-call-guide/generic-error-code)
and the batch_send page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from zhuanlan.backoff import parse_retry_after
from zhuanlan.channels.app_http import (
    AppBase,
    BatchResult,
    ErrorTable,
    LoginCodeError,
    TokenCache,
    button_url,
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

__all__ = ["FeishuApp", "CODES", "MAX_USERS"]

API_BASE = "https://open.feishu.cn"
MAX_USERS = 200
TITLE_MAX_BYTES = 200
TEXT_MAX_BYTES = 4000        # far inside the 30 KB card: a card shows a few lines

CODES = ErrorTable(
    # 99991661 Authorization missing or malformed, 99991663 tenant token invalid,
    # 99991664 app token invalid, 99991668 token invalid or expired
    token=frozenset({99991661, 99991663, 99991664, 99991668}),
    # 99991400 request trigger frequency limit (HTTP 429)
    rate=frozenset({99991400}),
    # 10003 invalid app_id, 10014 app secret invalid, 99991401 IP not allowed,
    # 99991672 the app lacks the API's scope (权限), 230006 bot ability not enabled
    app=frozenset({10003, 10014, 99991401, 99991672, 230006}),
)


class FeishuApp(AppBase):
    """``FeishuApp(app_id, app_secret, *, api_base, oauth_base, …)``."""

    kind = "feishu_app"
    batch_size = MAX_USERS
    id_field = APP_ID_FIELDS["feishu_app"]
    platform_name = "飞书"
    codes = CODES

    def __init__(self, app_id: str, app_secret: str, *, api_base: str = API_BASE,
                 oauth_base: str | None = None, client: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT, limiter: EndpointRateLimiter | None = None,
                 name: str | None = None, clock: Callable[[], float] = time.time,
                 tokens: TokenCache | None = None) -> None:
        super().__init__(api_base, app_id, (app_secret,), client=client, timeout=timeout,
                         limiter=limiter, name=name, clock=clock, tokens=tokens)
        self._app_secret = app_secret
        self.oauth_base = (oauth_base or self.url).rstrip("/")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], *, client: httpx.Client | None = None,
                    clock: Callable[[], float] = time.time, where: str = "channel",
                    limiter: EndpointRateLimiter | None = None,
                    tokens: TokenCache | None = None,
                    timeout: float = DEFAULT_TIMEOUT) -> FeishuApp:
        check_app_keys(cfg, {"app_id", "app_secret", "api_base", "oauth_base"}, where)
        api_base = check_base(cfg, "api_base", API_BASE, where)
        return cls(check_text(cfg, "app_id", where, "应用的 App ID"),
                   check_text(cfg, "app_secret", where, "应用的 App Secret"),
                   api_base=api_base, oauth_base=check_base(cfg, "oauth_base", api_base, where),
                   client=client, timeout=timeout, limiter=limiter, name=cfg.get("name"),
                   clock=clock, tokens=tokens)

    # -- plumbing

    def code_of(self, answer: dict | None, response: httpx.Response) -> int | None:
        code = answer.get("code") if answer else None
        return code if isinstance(code, int) else None

    @staticmethod
    def _detail(answer: dict | None) -> str:
        return str((answer or {}).get("msg", ""))[:200]

    def _reset(self, response: httpx.Response) -> float | None:
        return parse_retry_after(response.headers.get("x-ogw-ratelimit-reset")
                                 or response.headers.get("Retry-After"))

    def fetch_token(self, kind: str) -> tuple[str, float]:
        name = "tenant_access_token" if kind == "app" else "app_access_token"
        body = json.dumps({"app_id": self.app_id, "app_secret": self._app_secret}).encode()
        response = self.request("POST", f"{self.url}/open-apis/auth/v3/{name}/internal", body)
        answer = json_answer(response) or {}
        code = self.code_of(answer, response)
        token = answer.get(name)
        if code != 0 or not isinstance(token, str) or not token:
            raise self.refuse("获取访问凭证", code, self._detail(answer),
                              status=response.status_code, token_call=True,
                              retry_after=self._reset(response))
        return token, float(answer.get("expire") or 7200)

    @staticmethod
    def _bearer(token: str) -> tuple[dict[str, str], dict[str, str]]:
        return {}, {"Authorization": f"Bearer {token}"}

    # -- sending

    def card(self, issue: IssueView, url: str) -> dict:
        d = digest(issue)
        text = pack_lines([d.note], d.lines, d.more, TEXT_MAX_BYTES)
        return {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text",
                                 "content": truncate_bytes(d.title, TITLE_MAX_BYTES)},
                       "template": "red"},
            "elements": [
                {"tag": "div", "text": {"tag": "lark_md", "content": text}},
                {"tag": "action", "actions": [{
                    "tag": "button", "type": "primary", "url": button_url(url),
                    "text": {"tag": "plain_text", "content": "阅读本期"}}]},
            ]}

    def send_batch(self, user_ids: list[str], issue: IssueView, url: str) -> BatchResult:
        check_batch(user_ids, MAX_USERS)
        body = json.dumps({"open_ids": user_ids, "msg_type": "interactive",
                           "card": self.card(issue, url)},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.wait_turn()
        answer, response = self.call("POST", "/open-apis/message/v4/batch_send/", body=body,
                                     authorize=self._bearer)
        code = self.code_of(answer, response)
        if code != 0:
            raise self.refuse("发送消息", code, self._detail(answer), status=response.status_code,
                              retry_after=self._reset(response))
        data = (answer or {}).get("data") or {}
        invalid = {str(u) for u in data.get("invalid_open_ids") or []}
        failed = {u: "飞书中没有此人，或此人不在应用的可用范围内" for u in user_ids if u in invalid}
        return BatchResult(accepted=[u for u in user_ids if u not in invalid], failed=failed,
                           message_id=str(data["message_id"]) if data.get("message_id") else None)

    # -- login

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        return (f"{self.oauth_base}/open-apis/authen/v1/index?app_id={quote(self.app_id)}"
                f"&redirect_uri={quote(redirect_uri, safe='')}&state={quote(state, safe='')}")

    def identify(self, code: str) -> str:
        if not code or not code.strip():
            raise LoginCodeError("登录码为空，请从飞书中重新打开页面", resource=self.endpoint)
        body = json.dumps({"grant_type": "authorization_code", "code": code.strip()}).encode()
        answer, response = self.call("POST", "/open-apis/authen/v1/access_token", body=body,
                                     authorize=self._bearer, token_kind="login")
        errcode = self.code_of(answer, response)
        busy = errcode is None or response.status_code >= 500 or response.status_code == 429
        if errcode != 0 and not busy and errcode not in CODES.rate | CODES.app | CODES.token:
            # Any other refusal of this call is about the code: wrong, expired or used.
            raise LoginCodeError(f"登录码无效或已被使用，请从飞书中重新打开页面（code={errcode}）",
                                 resource=self.endpoint)
        if errcode != 0:
            raise self.refuse("识别登录者", errcode, self._detail(answer),
                              status=response.status_code, retry_after=self._reset(response))
        open_id = ((answer or {}).get("data") or {}).get("open_id")
        if not isinstance(open_id, str) or not open_id:
            raise LoginCodeError("飞书没有返回登录者的 open_id", resource=self.endpoint)
        return open_id
