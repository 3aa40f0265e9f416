"""DingTalk (钉钉) custom robot (自定义机器人).

What this relies on, from DingTalk's custom-robot documentation
(https://open.dingtalk.com/document/orgapp/custom-robot-access and
https://open.dingtalk.com/document/orgapp/custom-bot-send-message-type; the signing text
and sample code are quoted unchanged by many copies, e.g.
https://apifox.com/apidoc/docs-site/467052/doc-3550006):

* POST JSON, UTF-8, to ``https://oapi.dingtalk.com/robot/send?access_token=TOKEN``.
* 加签 (signing, optional per robot): ``string_to_sign = f"{timestamp}\\n{secret}"``
  with ``timestamp`` the current time in **milliseconds** (within one hour of the
  server's); HMAC-SHA256 keyed with the secret (the ``SEC…`` string of the robot's
  security settings) over string_to_sign, Base64, then URL-encoded; sent as
  ``&timestamp=…&sign=…`` in the query string.
* ``{"msgtype": "markdown", "markdown": {"title", "text"}}`` (title shows in the
  notification, text is the markdown) and ``{"msgtype": "actionCard", "actionCard":
  {"title", "text", "singleTitle", "singleURL", "btnOrientation"}}``.
* Answer ``{"errcode": 0, "errmsg": "ok"}``. At most 20 messages per minute per robot;
  beyond that the robot is throttled for 10 minutes (errcode 130101 "send too fast,
  exceed 20 times per minute": temporary). 310000 (sign not match / keywords not in
  content / ip not in whitelist) and 300001 (invalid token), 400101/400102 (robot
  missing or stopped) are permanent: repeating the same request cannot pass.

The documentation found gives no byte limit for the markdown text; messages are kept
within MARKDOWN_MAX_BYTES (18 000 bytes, below the ~20 000 bytes commonly reported).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

import httpx

from zhuanlan.backoff import parse_retry_after
from zhuanlan.channels.chat_http import (
    DEFAULT_TIMEOUT,
    EndpointRateLimiter,
    HttpChannel,
    check_choice,
    check_keys,
    check_timeout,
    check_url,
    hmac_sha256_b64,
    json_answer,
    query_param,
)
from zhuanlan.channels.chat_text import (
    DEFAULT_TZ,
    Entry,
    IssueHead,
    LinkFn,
    issue_head,
    page_label,
    render_pages,
    utf8_len,
)
from zhuanlan.errors import ConfigError
from zhuanlan.model import IssueView

__all__ = ["DingTalkRobot", "DingTalkMarkdown", "dingtalk_sign", "OFFICIAL_URL",
           "MARKDOWN_MAX_BYTES"]

OFFICIAL_URL = "https://oapi.dingtalk.com/robot/send"
MARKDOWN_MAX_BYTES = 18_000
THROTTLE_SECONDS = 600.0           # "超过20条，会限流10分钟"

TEMPORARY_CODES = {-1, 130101, 410100, 90018, 90030}
RATE_CODES = {130101: THROTTLE_SECONDS, 410100: THROTTLE_SECONDS, 90018: 60.0,
              90030: 3600.0}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value (already URL-encoded) for ``timestamp_ms``."""
    return quote_plus(hmac_sha256_b64(secret, f"{timestamp_ms}\n{secret}"))


class DingTalkMarkdown:
    """An issue page in DingTalk's markdown (a paragraph per line: DingTalk joins
    single newlines)."""

    def page(self, head: IssueHead, entries: Sequence[Entry], index: int, total: int,
             last: bool) -> str:
        parts = [f"#### {page_label(head, index, total)}"]
        if head.title:
            parts.append(f"**{head.title}**")
        if head.note:
            note = head.note.split("\n")
            parts.append("> 编者按：" + "\n>\n> ".join(note))
        for e in entries:
            title = f"[{e.title()}]({e.link})" if e.link else e.title()
            block = f"**{e.number}.** {title}"
            extra = [p for p in (e.meta(), e.summary()) if p]
            if extra:
                block += "  \n" + "  \n".join(extra)
            parts.append(block)
        if last and head.featured:
            parts.append(f"> {head.featured}")
        if last and head.web_url:
            parts.append(f"[在网页上阅读本期]({head.web_url})")
        return "\n\n".join(parts)


class DingTalkRobot(HttpChannel):
    """``DingTalkRobot(url, *, secret=None, msgtype="markdown", client=None, timeout=10,
    limiter=None, clock=time.time)``; ``clock`` (seconds) gives the signing timestamp."""

    kind = "dingtalk"

    def __init__(self, url: str, *, secret: str | None = None, msgtype: str = "markdown",
                 client: httpx.Client | None = None, timeout: float = DEFAULT_TIMEOUT,
                 limiter: EndpointRateLimiter | None = None, name: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if msgtype not in {"markdown", "actionCard"}:
            raise ValueError(f"msgtype must be markdown or actionCard, got {msgtype!r}")
        super().__init__(url, client=client, timeout=timeout, limiter=limiter, name=name,
                         clock=clock)
        self.secret = secret or None
        self.msgtype = msgtype

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], *, client: httpx.Client | None = None,
                    limiter: EndpointRateLimiter | None = None, where: str = "channel",
                    clock: Callable[[], float] = time.time) -> DingTalkRobot:
        check_keys(cfg, {"access_token", "secret", "msgtype"}, where)
        if cfg.get("url") is None and cfg.get("access_token"):
            token = str(cfg["access_token"]).strip()
            if not token.isalnum():
                raise ConfigError(f"{where}.access_token", "access_token 无效")
            url = f"{OFFICIAL_URL}?access_token={token}"
        else:
            url = check_url(cfg.get("url"), f"{where}.url")
        if not query_param(url, "access_token"):
            raise ConfigError(f"{where}.url", "钉钉机器人地址缺少 access_token 参数"
                              "（形如 https://oapi.dingtalk.com/robot/send?access_token=…）")
        if query_param(url, "sign") or query_param(url, "timestamp"):
            raise ConfigError(f"{where}.url", "地址中不要带 timestamp/sign：请把“加签”密钥填在 secret 中，"
                              "每次发送时会重新签名")
        secret = cfg.get("secret")
        if secret is not None:
            if not isinstance(secret, str) or not secret.strip():
                raise ConfigError(f"{where}.secret", "加签密钥（secret）不能为空")
            secret = secret.strip()
            if not secret.startswith("SEC"):
                raise ConfigError(f"{where}.secret",
                                  "钉钉的加签密钥以 SEC 开头（机器人安全设置 → 加签）")
        return cls(url, secret=secret,
                   msgtype=check_choice(cfg, "msgtype", ("markdown", "actionCard"), where),
                   client=client, timeout=check_timeout(cfg, where), limiter=limiter,
                   name=cfg.get("name"), clock=clock)

    # -- rendering

    def messages(self, issue: IssueView, links: LinkFn | None = None, *,
                 tz: str = DEFAULT_TZ) -> list[dict]:
        head = issue_head(issue, tz=tz)
        texts = render_pages(issue, links, DingTalkMarkdown(),
                             lambda text: utf8_len(text) <= MARKDOWN_MAX_BYTES, tz=tz)
        total = len(texts)
        out = []
        for index, text in enumerate(texts, 1):
            title = page_label(head, index, total)
            if self.msgtype == "actionCard" and head.web_url:
                out.append({"msgtype": "actionCard", "actionCard": {
                    "title": title, "text": text, "singleTitle": "阅读本期",
                    "singleURL": head.web_url, "btnOrientation": "0"}})
            else:
                out.append({"msgtype": "markdown", "markdown": {"title": title, "text": text}})
        return out

    # -- sending

    def signed_url(self) -> str:
        if not self.secret:
            return self.url
        ts = int(self.clock() * 1000)
        return f"{self.url}&timestamp={ts}&sign={dingtalk_sign(self.secret, ts)}"

    def send(self, payload: dict, *, delivery_id: str | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.wait_turn()
        response = self.post(self.signed_url(), body)   # signed after the wait: fresh
        answer = json_answer(response)
        if answer is None or "errcode" not in answer:
            status = response.status_code
            raise self.error(f"钉钉返回了无法识别的应答（HTTP {status}）",
                             permanent=400 <= status < 500 and status not in (408, 429),
                             retry_after=parse_retry_after(response.headers.get("Retry-After")))
        code = answer.get("errcode")
        if code == 0:
            return
        message = f"钉钉拒绝了消息：errcode={code} errmsg={answer.get('errmsg', '')}"
        retry_after = RATE_CODES.get(code) if isinstance(code, int) else None
        self.penalize(retry_after)
        raise self.error(message, permanent=code not in TEMPORARY_CODES,
                         code=code if isinstance(code, int) else None, retry_after=retry_after)
