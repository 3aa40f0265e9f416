"""A local imitation of the app (自建应用) APIs of WeCom, DingTalk and Feishu, on 127.0.0.1.

One :class:`AppServers` runs ONE real HTTP server (``LocalHTTPServer``) that answers, as
each platform documents (see the docstrings of ``zhuanlan.channels.wecom_app``,
``dingtalk_app`` and ``feishu_app``):

* wecom    ``/cgi-bin/gettoken``, ``/cgi-bin/message/send``, ``/cgi-bin/auth/getuserinfo``,
           ``/connect/oauth2/authorize``
* dingtalk ``/gettoken``, ``/topapi/message/corpconversation/{asyncsend_v2,
           getsendprogress,getsendresult}``, ``/topapi/user/getbyunionid``,
           ``/oauth2/auth``, ``/v1.0/oauth2/userAccessToken``, ``/v1.0/contact/users/me``
* feishu   ``/open-apis/auth/v3/{tenant,app}_access_token/internal``,
           ``/open-apis/message/v4/batch_send/``, ``/open-apis/authen/v1/{index,access_token}``

Each checks the credentials, that the token is the current one, the agent id, the body's
shape, the batch size and the byte limits, and answers the documented error code when
something is wrong. Only ids in ``directory[platform]`` are valid people; others come back
invalid. The login pages redirect at once to ``redirect_uri?code=…&state=…`` for
``current_user[platform]``, like an app opened by a signed-in person; codes are single-use.

Controls: :meth:`expire_token` (the current token answers "expired" once, and the next
token call issues a new one), :meth:`rate_limit` (the next N send calls answer the rate
code), :meth:`refuse_secret` (the token endpoint answers the wrong-secret code), and
``unlimited=True`` (no server-side rate limits, for a benchmark)::

    with AppServers() as servers:
        app = app_from_config(servers.config("wecom"), client=client)
        servers.calls("wecom", "message/send")
"""

from __future__ import annotations

import collections
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.httpserver import LocalHTTPServer, respond

PLATFORMS = ("wecom", "dingtalk", "feishu")
# The documented per-app limits the server enforces unless unlimited (calls, seconds).
SERVER_LIMITS = {"wecom": (10_000, 60.0), "dingtalk": (20, 1.0), "feishu": (50, 1.0)}


@dataclass
class Call:
    path: str                  # without the query
    query: dict[str, str]
    body: Any                  # parsed JSON, or None
    headers: dict[str, str]


@dataclass
class _Platform:
    name: str
    app_id: str
    secret: str
    directory: set[str]
    current_user: str | None
    token: str = ""
    expired: str = ""              # a token that answers "expired" once
    refuse_secret: bool = False
    rate_limited: int = 0
    calls: list[Call] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)     # login code → user
    sent: list[dict] = field(default_factory=list)           # accepted messages
    window: collections.deque = field(default_factory=collections.deque)


class AppServers:
    def __init__(self, *, unlimited: bool = False,
                 directory: dict[str, set[str]] | None = None,
                 current_user: dict[str, str] | None = None, expires_in: int = 7200) -> None:
        users = directory or {"wecom": {"zhangsan", "lisi", "wangwu"},
                              "dingtalk": {"manager001", "manager002", "staff003"},
                              "feishu": {"ou_aaa", "ou_bbb", "ou_ccc"}}
        current = current_user or {"wecom": "zhangsan", "dingtalk": "manager001",
                                   "feishu": "ou_aaa"}
        self.unlimited = unlimited
        self.expires_in = expires_in
        self.send_delay = 0.0          # seconds each send call takes after accepting
        self.server = LocalHTTPServer()
        self.p = {
            "wecom": _Platform("wecom", "ww-corp-1", "wecom-secret-XYZ", set(users["wecom"]),
                               current.get("wecom")),
            "dingtalk": _Platform("dingtalk", "dingappkey1", "dingtalk-secret-XYZ",
                                  set(users["dingtalk"]), current.get("dingtalk")),
            "feishu": _Platform("feishu", "cli_app1", "feishu-secret-XYZ", set(users["feishu"]),
                                current.get("feishu")),
        }
        self.agent_id = {"wecom": 1000002, "dingtalk": 2000003}
        self.app_token = ""                    # Feishu's app_access_token (login)
        self.tasks: dict[int, dict] = {}       # DingTalk task id → {users, progress calls}
        self.user_tokens: dict[str, str] = {}  # DingTalk user access token → userid
        self._serial = itertools.count(1)
        self._lock = threading.RLock()

    # -- lifecycle and controls

    def __enter__(self) -> AppServers:
        self.server.start()
        routes = {
            "/cgi-bin/gettoken": self._wecom_token, "/cgi-bin/message/send": self._wecom_send,
            "/cgi-bin/auth/getuserinfo": self._wecom_user,
            "/connect/oauth2/authorize": self._authorize("wecom"),
            "/gettoken": self._dd_token,
            "/topapi/message/corpconversation/asyncsend_v2": self._dd_send,
            "/topapi/message/corpconversation/getsendprogress": self._dd_progress,
            "/topapi/message/corpconversation/getsendresult": self._dd_result,
            "/topapi/user/getbyunionid": self._dd_by_union,
            "/oauth2/auth": self._authorize("dingtalk"),
            "/v1.0/oauth2/userAccessToken": self._dd_user_token,
            "/v1.0/contact/users/me": self._dd_me,
            "/open-apis/auth/v3/tenant_access_token/internal": self._fs_token("tenant"),
            "/open-apis/auth/v3/app_access_token/internal": self._fs_token("app"),
            "/open-apis/message/v4/batch_send/": self._fs_send,
            "/open-apis/authen/v1/index": self._authorize("feishu"),
            "/open-apis/authen/v1/access_token": self._fs_login,
        }
        for path, fn in routes.items():
            self.server.route_fn(path, self._recorded(fn))
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def base(self) -> str:
        return self.server.origin

    def config(self, platform: str, **changes: Any) -> dict[str, Any]:
        """The channel config that talks to this server."""
        p = self.p[platform]
        cfg: dict[str, Any]
        if platform == "wecom":
            cfg = {"kind": "wecom_app", "corpid": p.app_id, "corpsecret": p.secret,
                   "agentid": self.agent_id["wecom"], "api_base": self.base,
                   "oauth_base": self.base}
        elif platform == "dingtalk":
            cfg = {"kind": "dingtalk_app", "appkey": p.app_id, "appsecret": p.secret,
                   "agent_id": self.agent_id["dingtalk"], "corpid": "dingcorp1",
                   "api_base": self.base, "new_api_base": self.base, "oauth_base": self.base}
        else:
            cfg = {"kind": "feishu_app", "app_id": p.app_id, "app_secret": p.secret,
                   "api_base": self.base}
        return {**cfg, **changes}

    def calls(self, platform: str, fragment: str = "") -> list[Call]:
        with self._lock:
            return [c for c in self.p[platform].calls if fragment in c.path]

    def sent(self, platform: str) -> list[dict]:
        return list(self.p[platform].sent)

    def expire_token(self, platform: str) -> None:
        with self._lock:
            p = self.p[platform]
            p.expired, p.token = p.token, ""
            if platform == "feishu":
                self.app_token = ""

    def rate_limit(self, platform: str, calls: int = 1) -> None:
        self.p[platform].rate_limited += calls

    def refuse_secret(self, platform: str, refuse: bool = True) -> None:
        self.p[platform].refuse_secret = refuse

    # -- plumbing

    def _recorded(self, fn):
        def handle(handler: BaseHTTPRequestHandler) -> None:
            parts = urlsplit(handler.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(handler.headers.get("Content-Length") or 0)
            raw = handler.rfile.read(length) if length else b""
            try:
                body = json.loads(raw.decode("utf-8")) if raw else None
            except (UnicodeDecodeError, ValueError):
                body = None
            call = Call(parts.path, query, body, {k.lower(): v for k, v in handler.headers.items()})
            platform = _platform_of(parts.path)
            with self._lock:
                self.p[platform].calls.append(call)
                status, answer, headers = fn(call)
            if self.send_delay and "send" in parts.path:
                # Accepted, the answer not yet out: where a killed worker leaves a batch
                # the platform took but the store did not record.
                time.sleep(self.send_delay)
            data = answer if isinstance(answer, bytes) else \
                json.dumps(answer, ensure_ascii=False).encode("utf-8")
            hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
            respond(handler, status, data, hdrs)
        return handle

    def _new_token(self, p: _Platform) -> str:
        if not p.token:
            p.token = f"{p.name}-token-{next(self._serial)}"
        return p.token

    def _over_limit(self, p: _Platform) -> bool:
        """A documented rate limit taken literally (or a told one), per app."""
        if p.rate_limited:
            p.rate_limited -= 1
            return True
        if self.unlimited:
            return False
        n, window = SERVER_LIMITS[p.name]
        now = time.monotonic()
        while p.window and p.window[0] <= now - window:
            p.window.popleft()
        if len(p.window) >= n:
            return True
        p.window.append(now)
        return False

    def _login_code(self, p: _Platform) -> str:
        code = f"code-{p.name}-{next(self._serial)}"
        p.codes[code] = p.current_user or ""
        return code

    def _authorize(self, platform: str):
        def page(call: Call) -> tuple[int, Any, dict[str, str]]:
            p = self.p[platform]
            q = call.query
            expected = {"wecom": {"appid": p.app_id, "response_type": "code",
                                  "scope": "snsapi_base",
                                  "agentid": str(self.agent_id["wecom"])},
                        "dingtalk": {"client_id": p.app_id, "response_type": "code",
                                     "scope": "openid", "prompt": "consent"},
                        "feishu": {"app_id": p.app_id}}[platform]
            if any(q.get(k) != v for k, v in expected.items()) or not q.get("redirect_uri"):
                return 400, b"bad authorize request", {"Content-Type": "text/plain"}
            code = self._login_code(p)
            params = {"code": code, "state": q.get("state", "")}
            if platform == "dingtalk":
                params = {"authCode": code, **params}
            sep = "&" if "?" in q["redirect_uri"] else "?"
            return 302, b"", {"Location": q["redirect_uri"] + sep + urlencode(params)}
        return page

    # -- WeCom

    def _wecom_token(self, call: Call):
        p = self.p["wecom"]
        if call.query.get("corpid") != p.app_id:
            return 200, {"errcode": 40013, "errmsg": "invalid corpid"}, None
        if p.refuse_secret or call.query.get("corpsecret") != p.secret:
            return 200, {"errcode": 40001, "errmsg": "invalid credential"}, None
        return 200, self._token_answer(p), None

    def _token_answer(self, p: _Platform) -> dict:
        return {"errcode": 0, "errmsg": "ok", "access_token": self._new_token(p),
                "expires_in": self.expires_in}

    @staticmethod
    def _token_state(p: _Platform, token: str | None) -> str | None:
        """"expired" (once, for the token told to expire), "invalid", or None."""
        if token and token == p.expired:
            p.expired = ""
            return "expired"
        return "invalid" if not token or token != p.token else None

    def _wecom_auth(self, call: Call) -> dict | None:
        state = self._token_state(self.p["wecom"], call.query.get("access_token"))
        if state == "expired":
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if state == "invalid":
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        return None

    def _wecom_send(self, call: Call):
        p = self.p["wecom"]
        refused = self._wecom_auth(call)
        if refused:
            return 200, refused, None
        if self._over_limit(p):
            return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, None
        body = call.body if isinstance(call.body, dict) else {}
        if body.get("agentid") != self.agent_id["wecom"]:
            return 200, {"errcode": 40056, "errmsg": "invalid agentid"}, None
        users = [u for u in str(body.get("touser", "")).split("|") if u]
        if not users or len(users) > 1000:
            return 200, {"errcode": 40032, "errmsg": "invalid userid list size"}, None
        problem = _wecom_problem(body)
        if problem:
            return 200, {"errcode": problem[0], "errmsg": problem[1]}, None
        invalid = [u for u in users if u not in p.directory]
        p.sent.append(body)
        answer = {"errcode": 81013 if len(invalid) == len(users) else 0, "errmsg": "ok",
                  "invaliduser": "|".join(invalid), "invalidparty": "", "invalidtag": "",
                  "unlicenseduser": "", "msgid": f"msg-{next(self._serial)}"}
        return 200, answer, None

    def _wecom_user(self, call: Call):
        p = self.p["wecom"]
        refused = self._wecom_auth(call)
        if refused:
            return 200, refused, None
        user = p.codes.pop(call.query.get("code", ""), None)
        if user is None:
            return 200, {"errcode": 40029, "errmsg": "invalid code"}, None
        return 200, {"errcode": 0, "errmsg": "ok", "userid": user, "user_ticket": "t"}, None

    # -- DingTalk

    def _dd_token(self, call: Call):
        p = self.p["dingtalk"]
        if call.query.get("appkey") != p.app_id or p.refuse_secret or \
                call.query.get("appsecret") != p.secret:
            return 200, {"errcode": 40089, "errmsg": "不合法的appKey或appSecret"}, None
        return 200, self._token_answer(p), None

    def _dd_call(self, call: Call) -> dict | None:
        state = self._token_state(self.p["dingtalk"], call.query.get("access_token"))
        if state == "expired":
            return {"errcode": 42001, "errmsg": "access_token超时"}
        if state == "invalid":
            return {"errcode": 88, "sub_code": "40014", "sub_msg": "不合法的access_token",
                    "errmsg": "ding talk error[subcode=40014,submsg=不合法的access_token]"}
        body = call.body if isinstance(call.body, dict) else {}
        if "agent_id" in body and body["agent_id"] != self.agent_id["dingtalk"]:
            return {"errcode": 40056, "errmsg": "不合法的agentid"}
        return None

    def _dd_send(self, call: Call):
        p = self.p["dingtalk"]
        refused = self._dd_call(call)
        if refused:
            return 200, refused, None
        if self._over_limit(p):
            return 200, {"errcode": 90018, "errmsg": "当前企业所有应用调用该接口的并发量超过上限"}, None
        body = call.body if isinstance(call.body, dict) else {}
        users = [u for u in str(body.get("userid_list", "")).split(",") if u]
        if body.get("agent_id") is None or not users or len(users) > 100:
            return 200, {"errcode": 40035, "errmsg": "不合法的参数"}, None
        msg = body.get("msg") or {}
        card = msg.get("action_card") or {}
        if msg.get("msgtype") != "action_card" or not all(
                isinstance(card.get(k), str) and card[k] for k in
                ("title", "markdown", "single_title", "single_url")):
            return 200, {"errcode": 40035, "errmsg": "不合法的参数：msg"}, None
        if len(card["markdown"].encode()) > 2000:
            return 200, {"errcode": 40035, "errmsg": "消息内容过长"}, None
        task = next(self._serial)
        self.tasks[task] = {"users": users, "progress_calls": 0}
        p.sent.append(body)
        return 200, {"errcode": 0, "errmsg": "ok", "task_id": task, "request_id": "r"}, None

    def _dd_task(self, call: Call) -> tuple[dict | None, dict | None]:
        refused = self._dd_call(call)
        if refused:
            return refused, None
        task = self.tasks.get((call.body or {}).get("task_id"))
        if task is None:
            return {"errcode": 40035, "errmsg": "不合法的参数：task_id"}, None
        return None, task

    def _dd_progress(self, call: Call):
        refused, task = self._dd_task(call)
        if refused or task is None:
            return 200, refused, None
        task["progress_calls"] += 1
        done = task["progress_calls"] > 1          # "not finished" the first time
        return 200, {"errcode": 0, "errmsg": "ok", "progress": {
            "progress_in_percent": 100 if done else 40, "status": 2 if done else 1}}, None

    def _dd_result(self, call: Call):
        refused, task = self._dd_task(call)
        if refused or task is None:
            return 200, refused, None
        directory = self.p["dingtalk"].directory
        valid = [u for u in task["users"] if u in directory]
        return 200, {"errcode": 0, "errmsg": "ok", "send_result": {
            "invalid_user_id_list": [u for u in task["users"] if u not in directory],
            "forbidden_user_id_list": [], "failed_user_id_list": [],
            "read_user_id_list": valid[:1], "unread_user_id_list": valid[1:],
            "invalid_dept_id_list": [], "forbidden_list": []}}, None

    def _dd_user_token(self, call: Call):
        p = self.p["dingtalk"]
        body = call.body if isinstance(call.body, dict) else {}
        if body.get("clientId") != p.app_id or body.get("clientSecret") != p.secret:
            return 400, {"code": "invalidClientId", "message": "clientId或clientSecret错误"}, None
        user = p.codes.pop(str(body.get("code")), None)
        if body.get("grantType") != "authorization_code" or user is None:
            return 400, {"code": "invalidAuthCode", "message": "不合法的临时授权码"}, None
        token = f"user-token-{next(self._serial)}"
        self.user_tokens[token] = user
        return 200, {"accessToken": token, "refreshToken": "r", "expireIn": 7200}, None

    def _dd_me(self, call: Call):
        user = self.user_tokens.get(call.headers.get("x-acs-dingtalk-access-token", ""))
        if user is None:
            return 401, {"code": "InvalidAuthentication", "message": "不合法的access_token"}, None
        return 200, {"nick": "张三", "unionId": f"union-{user}", "openId": "o"}, None

    def _dd_by_union(self, call: Call):
        refused = self._dd_call(call)
        if refused:
            return 200, refused, None
        union = str((call.body or {}).get("unionid", ""))
        user = union.removeprefix("union-")
        if not union.startswith("union-") or user not in self.p["dingtalk"].directory:
            return 200, {"errcode": 60121, "errmsg": "找不到该用户"}, None
        return 200, {"errcode": 0, "errmsg": "ok",
                     "result": {"contact_type": 0, "userid": user}}, None

    # -- Feishu

    def _fs_token(self, kind: str):
        def answer(call: Call):
            p = self.p["feishu"]
            body = call.body if isinstance(call.body, dict) else {}
            if body.get("app_id") != p.app_id:
                return 400, {"code": 10003, "msg": "invalid param"}, None
            if p.refuse_secret or body.get("app_secret") != p.secret:
                return 400, {"code": 10014, "msg": "app secret invalid"}, None
            if kind == "tenant":
                return 200, {"code": 0, "msg": "ok", "expire": self.expires_in,
                             "tenant_access_token": self._new_token(p)}, None
            if not self.app_token:
                self.app_token = f"a-{next(self._serial)}"
            return 200, {"code": 0, "msg": "ok", "expire": self.expires_in,
                         "app_access_token": self.app_token,
                         "tenant_access_token": self._new_token(p)}, None
        return answer

    def _fs_bearer(self, call: Call, current: str) -> tuple[int, dict] | None:
        p = self.p["feishu"]
        auth = call.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        if not token:
            return 400, {"code": 99991661, "msg": "Missing access token for authorization"}
        if token == p.expired:
            p.expired = ""
            return 400, {"code": 99991663, "msg": "Invalid access token for authorization"}
        if token != current:
            return 400, {"code": 99991663 if current == p.token else 99991664,
                         "msg": "Invalid access token for authorization"}
        return None

    def _fs_send(self, call: Call):
        p = self.p["feishu"]
        refused = self._fs_bearer(call, p.token)
        if refused:
            return refused[0], refused[1], None
        if self._over_limit(p):
            return 429, {"code": 99991400, "msg": "request trigger frequency limit"}, \
                {"x-ogw-ratelimit-reset": "7"}
        body = call.body if isinstance(call.body, dict) else {}
        ids = body.get("open_ids")
        card = body.get("card")
        if not isinstance(ids, list) or not ids or len(ids) > 200 or \
                body.get("msg_type") != "interactive" or not isinstance(card, dict) or \
                not card.get("elements"):
            return 400, {"code": 10003, "msg": "Invalid parameter"}, None
        if len(json.dumps(card, ensure_ascii=False).encode()) > 30 * 1024:
            return 400, {"code": 10003, "msg": "card too large"}, None
        p.sent.append(body)
        return 200, {"code": 0, "msg": "success", "data": {
            "message_id": f"bm-{next(self._serial)}", "invalid_department_ids": [],
            "invalid_open_ids": [u for u in ids if u not in p.directory],
            "invalid_user_ids": [], "invalid_union_ids": []}}, None

    def _fs_login(self, call: Call):
        p = self.p["feishu"]
        refused = self._fs_bearer(call, self.app_token)
        if refused:
            return refused[0], refused[1], None
        body = call.body if isinstance(call.body, dict) else {}
        user = p.codes.pop(str(body.get("code")), None)
        if body.get("grant_type") != "authorization_code" or user is None:
            # Not checked against the documentation: the code Feishu gives a used code.
            return 400, {"code": 20003, "msg": "invalid code"}, None
        return 200, {"code": 0, "msg": "success", "data": {
            "open_id": user, "access_token": "u-1", "expires_in": 7200}}, None


def _platform_of(path: str) -> str:
    if path.startswith(("/cgi-bin/", "/connect/")):
        return "wecom"
    if path.startswith("/open-apis/"):
        return "feishu"
    return "dingtalk"


def _wecom_problem(body: dict) -> tuple[int, str] | None:
    msgtype = body.get("msgtype")
    if msgtype == "textcard":
        card = body.get("textcard") or {}
        if not all(isinstance(card.get(k), str) and card[k] for k in ("title", "description",
                                                                      "url")):
            return 40058, "missing textcard title/description/url"
        if len(card["title"].encode()) > 128 or len(card["description"].encode()) > 512 \
                or len(card.get("btntxt", "")) > 4:
            return 45002, "content size out of limit"
        return None
    if msgtype == "news":
        articles = (body.get("news") or {}).get("articles")
        if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
            return 40058, "invalid articles"
        for a in articles:
            if len(str(a.get("title", "")).encode()) > 128 or \
                    len(str(a.get("description", "")).encode()) > 512:
                return 45002, "content size out of limit"
        return None
    return 40008, "invalid message type"
