"""Local imitations of the group-robot platforms and a webhook receiver, on 127.0.0.1.

One :class:`BotServers` runs a real HTTP server (``LocalHTTPServer``) answering as:

* WeCom    ``/cgi-bin/webhook/send?key=KEY``
* DingTalk ``/robot/send?access_token=TOKEN[&timestamp=…&sign=…]``
* Feishu   ``/open-apis/bot/v2/hook/TOKEN`` (signature in the JSON body)
* webhook  ``/hooks/zhuanlan`` (X-Zhuanlan-* headers, HMAC of the raw body)

Each checks what the real platform documents — method, path and query, content type,
JSON shape and the required fields of the message type, the size limit, the signature
recomputed with the known secret and a one-hour timestamp window — and answers with the
platform's errcode/code when something is wrong. Accepted messages are appended to
``received[kind]`` (parsed JSON); for the webhook ``webhook_requests`` keeps headers
and raw bodies. ``fail_next(kind, preset)`` makes the next request(s) get a documented
error answer instead (rate limit, bad sign, invalid token …)::

    with BotServers() as bots:
        robot = WeComRobot(bots.wecom_url, client=httpx.Client(trust_env=False))
        bots.fail_next("wecom", "rate")
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.httpserver import LocalHTTPServer, respond

WECOM_MARKDOWN_MAX = 4096
WECOM_NEWS_MAX = 8
DINGTALK_TEXT_MAX = 20_000
FEISHU_BODY_MAX = 20 * 1024
SIGN_WINDOW_S = 3600

# Canned answers: (HTTP status, JSON body, headers).
PRESETS: dict[str, dict[str, tuple[int, Any, dict[str, str]]]] = {
    "wecom": {
        "rate": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}, {}),
        "invalid": (200, {"errcode": 93000, "errmsg": "invalid webhook url"}, {}),
        "type": (200, {"errcode": 40008, "errmsg": "invalid message type"}, {}),
        "busy": (200, {"errcode": -1, "errmsg": "system busy"}, {}),
        "http502": (502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}),
    },
    "dingtalk": {
        "rate": (200, {"errcode": 130101,
                       "errmsg": "send too fast, exceed 20 times per minute"}, {}),
        "sign": (200, {"errcode": 310000, "errmsg": "sign not match"}, {}),
        "keyword": (200, {"errcode": 310000, "errmsg": "keywords not in content"}, {}),
        "token": (200, {"errcode": 300001, "errmsg": "token is not exist"}, {}),
    },
    "feishu": {
        "rate": (200, {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_"
                                             "runtime]appID[0]", "data": {}}, {}),
        "too_many": (200, {"code": 9499, "msg": "too many request", "data": {}}, {}),
        "bad_request": (200, {"code": 9499, "msg": "Bad Request", "data": {}}, {}),
        "sign": (200, {"code": 19021, "msg": "sign match fail or timestamp is not within "
                                            "one hour from current time", "data": {}}, {}),
        "keyword": (200, {"code": 19024, "msg": "Key Words Not Found", "data": {}}, {}),
        "param": (200, {"code": 19001, "msg": "param invalid: incoming webhook access "
                                             "token invalid", "data": {}}, {}),
        "http429": (429, {"code": 99991400, "msg": "request trigger frequency limit"},
                    {"x-ogw-ratelimit-limit": "100", "x-ogw-ratelimit-reset": "7"}),
    },
    "webhook": {
        "unavailable": (503, b"busy", {"Retry-After": "120", "Content-Type": "text/plain"}),
        "too_many": (429, b"slow down", {"Retry-After": "30", "Content-Type": "text/plain"}),
        "not_found": (404, b"no such hook", {"Content-Type": "text/plain"}),
        "moved": (302, b"", {"Location": "https://elsewhere.example/hook"}),
        "timeout": (408, b"", {}),
    },
}


def dingtalk_expected_sign(secret: str, timestamp: str) -> str:
    """DingTalk's documented algorithm (before URL-encoding)."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_expected_sign(secret: str, timestamp: str) -> str:
    """Feishu's documented algorithm: key = "timestamp\\nsecret", empty message."""
    mac = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


@dataclass(frozen=True)
class WebhookRequest:
    headers: dict[str, str]
    body: bytes


class BotServers:
    def __init__(self, *, wecom_key: str = "wecom-key-1", dingtalk_token: str = "ddtoken1",
                 dingtalk_secret: str | None = "SECdingtalk-secret",
                 dingtalk_keywords: tuple[str, ...] = (),
                 feishu_token: str = "feishu-hook-1", feishu_secret: str | None = "fs-secret",
                 webhook_secret: str = "webhook-secret-0123456789",
                 clock: Callable[[], float] = time.time) -> None:
        self.wecom_key = wecom_key
        self.dingtalk_token = dingtalk_token
        self.dingtalk_secret = dingtalk_secret
        self.dingtalk_keywords = dingtalk_keywords
        self.feishu_token = feishu_token
        self.feishu_secret = feishu_secret
        self.webhook_secret = webhook_secret
        self.clock = clock
        self.server = LocalHTTPServer()
        self.received: dict[str, list[dict]] = {k: [] for k in PRESETS}
        self.rejected: list[tuple[str, Any]] = []         # (kind, errcode/status)
        self.webhook_requests: list[WebhookRequest] = []
        self.webhook_seen: set[str] = set()
        self._failures: dict[str, list[tuple[int, Any, dict[str, str]]]] = {k: [] for k in PRESETS}
        self._lock = threading.Lock()

    # -- lifecycle

    def __enter__(self) -> BotServers:
        self.server.start()
        self.server.route_fn("/cgi-bin/webhook/send", self._wecom)
        self.server.route_fn("/robot/send", self._dingtalk)
        self.server.route_fn(f"/open-apis/bot/v2/hook/{self.feishu_token}", self._feishu)
        self.server.route_fn("/hooks/zhuanlan", self._webhook)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def wecom_url(self) -> str:
        return self.server.url(f"/cgi-bin/webhook/send?key={self.wecom_key}")

    @property
    def dingtalk_url(self) -> str:
        return self.server.url(f"/robot/send?access_token={self.dingtalk_token}")

    @property
    def feishu_url(self) -> str:
        return self.server.url(f"/open-apis/bot/v2/hook/{self.feishu_token}")

    @property
    def webhook_url(self) -> str:
        return self.server.url("/hooks/zhuanlan")

    def fail_next(self, kind: str, preset: str, times: int = 1) -> None:
        with self._lock:
            self._failures[kind].extend([PRESETS[kind][preset]] * times)

    # -- plumbing

    def _canned(self, kind: str) -> tuple[int, Any, dict[str, str]] | None:
        with self._lock:
            return self._failures[kind].pop(0) if self._failures[kind] else None

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: Any,
              headers: dict[str, str] | None = None) -> None:
        headers = dict(headers or {})
        if not isinstance(body, bytes):
            body = json.dumps(body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        respond(handler, status, body, headers)

    @staticmethod
    def _read(handler: BaseHTTPRequestHandler) -> bytes:
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    def _json(self, handler: BaseHTTPRequestHandler, raw: bytes) -> dict | None:
        ctype = handler.headers.get("Content-Type", "")
        if handler.command != "POST" or not ctype.lower().startswith("application/json"):
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _answer(self, handler: BaseHTTPRequestHandler, kind: str, status: int, body: Any,
                headers: dict[str, str] | None = None) -> None:
        if isinstance(body, dict):
            code = body.get("errcode", body.get("code"))
            if code not in (0, None):
                self.rejected.append((kind, code))
        self._send(handler, status, body, headers)

    # -- WeCom

    def _wecom(self, handler: BaseHTTPRequestHandler) -> None:
        raw = self._read(handler)
        query = parse_qs(urlsplit(handler.path).query)
        if query.get("key") != [self.wecom_key]:
            return self._answer(handler, "wecom", 200,
                                {"errcode": 93000, "errmsg": "invalid webhook url"})
        canned = self._canned("wecom")
        if canned:
            return self._answer(handler, "wecom", *canned)
        data = self._json(handler, raw)
        problem = "invalid json" if data is None else _wecom_problem(data)
        if problem:
            code = 40008 if problem == "invalid message type" else 40058
            return self._answer(handler, "wecom", 200, {"errcode": code, "errmsg": problem})
        self.received["wecom"].append(data)
        self._answer(handler, "wecom", 200, {"errcode": 0, "errmsg": "ok"})

    # -- DingTalk

    def _dingtalk(self, handler: BaseHTTPRequestHandler) -> None:
        raw = self._read(handler)
        query = parse_qs(urlsplit(handler.path).query)
        if query.get("access_token") != [self.dingtalk_token]:
            return self._answer(handler, "dingtalk", 200,
                                {"errcode": 300001, "errmsg": "token is not exist"})
        if self.dingtalk_secret:
            ts = (query.get("timestamp") or [""])[0]
            sign = (query.get("sign") or [""])[0]          # parse_qs undoes the urlencode
            fresh = ts.isdigit() and abs(self.clock() * 1000 - int(ts)) <= SIGN_WINDOW_S * 1000
            if not fresh or not hmac.compare_digest(
                    sign, dingtalk_expected_sign(self.dingtalk_secret, ts)):
                return self._answer(handler, "dingtalk", 200,
                                    {"errcode": 310000, "errmsg": "sign not match"})
        canned = self._canned("dingtalk")
        if canned:
            return self._answer(handler, "dingtalk", *canned)
        data = self._json(handler, raw)
        problem = "invalid json" if data is None else _dingtalk_problem(data)
        if problem:
            return self._answer(handler, "dingtalk", 200, {"errcode": 40035, "errmsg": problem})
        if self.dingtalk_keywords and not any(k in raw.decode() for k in self.dingtalk_keywords):
            return self._answer(handler, "dingtalk", 200,
                                {"errcode": 310000, "errmsg": "keywords not in content"})
        self.received["dingtalk"].append(data)
        self._answer(handler, "dingtalk", 200, {"errcode": 0, "errmsg": "ok"})

    # -- Feishu

    def _feishu(self, handler: BaseHTTPRequestHandler) -> None:
        raw = self._read(handler)
        if len(raw) > FEISHU_BODY_MAX:
            return self._answer(handler, "feishu", 200,
                                {"code": 9499, "msg": "Bad Request", "data": {}})
        data = self._json(handler, raw)
        if data is None:
            return self._answer(handler, "feishu", 400,
                                {"code": 9499, "msg": "Bad Request", "data": {}})
        if self.feishu_secret:
            ts = data.get("timestamp")
            sign = data.get("sign")
            fresh = isinstance(ts, str) and ts.isdigit() and \
                abs(self.clock() - int(ts)) <= SIGN_WINDOW_S
            if not fresh or not isinstance(sign, str) or not hmac.compare_digest(
                    sign, feishu_expected_sign(self.feishu_secret, ts)):
                return self._answer(handler, "feishu", 200, PRESETS["feishu"]["sign"][1])
        canned = self._canned("feishu")
        if canned:
            return self._answer(handler, "feishu", *canned)
        problem = _feishu_problem(data)
        if problem:
            return self._answer(handler, "feishu", 200,
                                {"code": 19001, "msg": f"param invalid: {problem}", "data": {}})
        self.received["feishu"].append(data)
        self._answer(handler, "feishu", 200,
                     {"code": 0, "msg": "success", "data": {}, "StatusCode": 0})

    # -- generic webhook

    def _webhook(self, handler: BaseHTTPRequestHandler) -> None:
        raw = self._read(handler)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        canned = self._canned("webhook")
        if canned:
            status, body, hdrs = canned
            return self._send(handler, status, body, hdrs)
        expected = "sha256=" + hmac.new(self.webhook_secret.encode(), raw,
                                        hashlib.sha256).hexdigest()
        signature = headers.get("x-zhuanlan-signature", "")
        ts = headers.get("x-zhuanlan-timestamp", "")
        if not hmac.compare_digest(signature, expected):
            return self._send(handler, 401, b"bad signature", {"Content-Type": "text/plain"})
        if not ts.isdigit() or abs(self.clock() - int(ts)) > 300:
            return self._send(handler, 401, b"stale timestamp", {"Content-Type": "text/plain"})
        if headers.get("x-zhuanlan-event") != "issue.published" or \
                not headers.get("x-zhuanlan-delivery"):
            return self._send(handler, 400, b"missing headers", {"Content-Type": "text/plain"})
        data = self._json(handler, raw)
        if data is None or not isinstance(data.get("items"), list):
            return self._send(handler, 400, b"bad json", {"Content-Type": "text/plain"})
        self.webhook_requests.append(WebhookRequest(headers, raw))
        delivery = headers["x-zhuanlan-delivery"]
        if delivery not in self.webhook_seen:          # idempotent receiver
            self.webhook_seen.add(delivery)
            self.received["webhook"].append(data)
        self._send(handler, 204, b"")


def _nonempty(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _wecom_problem(data: dict) -> str | None:
    msgtype = data.get("msgtype")
    if msgtype == "markdown":
        content = (data.get("markdown") or {}).get("content")
        if not _nonempty(content):
            return "empty content"
        if len(content.encode("utf-8")) > WECOM_MARKDOWN_MAX:
            return "markdown.content exceed max length 4096"
        return None
    if msgtype == "news":
        articles = (data.get("news") or {}).get("articles")
        if not isinstance(articles, list) or not 1 <= len(articles) <= WECOM_NEWS_MAX:
            return "invalid articles size"
        for a in articles:
            if not _nonempty(a.get("title")) or not _nonempty(a.get("url")):
                return "missing title or url"
            if len(a["title"].encode()) > 128 or len(a.get("description", "").encode()) > 512:
                return "article too long"
        return None
    return "invalid message type"


def _dingtalk_problem(data: dict) -> str | None:
    msgtype = data.get("msgtype")
    if msgtype == "markdown":
        md = data.get("markdown") or {}
        if not _nonempty(md.get("title")) or not _nonempty(md.get("text")):
            return "markdown title/text missing"
        text = md["text"]
    elif msgtype == "actionCard":
        card = data.get("actionCard") or {}
        for name in ("title", "text", "singleTitle", "singleURL"):
            if not _nonempty(card.get(name)):
                return f"actionCard.{name} missing"
        text = card["text"]
    else:
        return "invalid msgtype"
    if len(text.encode()) > DINGTALK_TEXT_MAX:
        return "message too long"
    return None


def _feishu_problem(data: dict) -> str | None:
    msg_type = data.get("msg_type")
    if msg_type == "interactive":
        card = data.get("card")
        if not isinstance(card, dict) or not isinstance(card.get("elements"), list) \
                or not card["elements"]:
            return "card.elements"
        return None
    if msg_type == "post":
        post = ((data.get("content") or {}).get("post") or {}).get("zh_cn") or {}
        content = post.get("content")
        if not _nonempty(post.get("title")) or not isinstance(content, list) or \
                not all(isinstance(p, list) for p in content):
            return "content.post.zh_cn"
        for para in content:
            for el in para:
                if el.get("tag") not in {"text", "a", "at", "img"}:
                    return "post tag"
                if el.get("tag") == "a" and not _nonempty(el.get("href")):
                    return "a.href"
        return None
    return "msg_type"
