"""Feishu (飞书) custom bot (自定义机器人).

What this relies on, from Feishu's "自定义机器人使用指南"
(https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot, mirrored at
https://open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN) and its rate-limit
page (https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control):

* POST JSON to ``https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN``.
* 签名校验 (optional per bot): ``string_to_sign = f"{timestamp}\\n{secret}"`` with
  ``timestamp`` in **seconds** (within one hour); HMAC-SHA256 with string_to_sign as the
  *key* over an empty message, then Base64. Sent in the JSON body as ``"timestamp"``
  (a string) and ``"sign"`` — not in the URL as DingTalk does.
* ``{"msg_type": "interactive", "card": {…}}`` (message card; ``lark_md`` text takes
  ``**bold**`` and ``[text](url)``) or ``{"msg_type": "post", "content": {"post":
  {"zh_cn": {"title", "content": [[{"tag": "text"|"a", …}], …]}}}}``.
* Limits: 100 requests/minute and 5/second per bot; the request body must not exceed
  20 KB (bodies are kept within BODY_MAX_BYTES = 20 000 bytes, the signature included).
* Answer ``{"code": 0, "msg": "success"}``; 19021 sign match fail or timestamp out of
  the hour, 19022 IP not allowed, 19024 key words not found, 19001 param invalid:
  permanent; 11232 frequency limited and 99991400 "request trigger frequency limit"
  (HTTP 429, wait ``x-ogw-ratelimit-reset`` seconds): temporary. 9499 is used both for
  "Bad Request" (a malformed or too large body: permanent) and "too many request"
  (temporary), so its ``msg`` decides.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

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
)
from zhuanlan.channels.chat_text import (
    DEFAULT_TZ,
    Entry,
    IssueHead,
    LinkFn,
    page_label,
    render_pages,
)
from zhuanlan.errors import ConfigError
from zhuanlan.model import IssueView

__all__ = ["FeishuBot", "FeishuMarkdown", "FeishuPost", "feishu_sign", "BODY_MAX_BYTES",
           "OFFICIAL_URL"]

OFFICIAL_URL = "https://open.feishu.cn/open-apis/bot/v2/hook/"
BODY_MAX_BYTES = 20_000
HOOK_PATH = "/open-apis/bot/v2/hook/"

TEMPORARY_CODES = {11232, 99991400}
PERMANENT_CODES = {19001, 19002, 19021, 19022, 19024}


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """The ``sign`` body field for ``timestamp_s``: HMAC-SHA256 keyed with
    ``f"{timestamp}\\n{secret}"`` over an empty message, Base64."""
    return hmac_sha256_b64(f"{timestamp_s}\n{secret}", "")


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class FeishuMarkdown:
    """An issue page as ``lark_md`` text (the card's header carries the page label)."""

    def page(self, head: IssueHead, entries: Sequence[Entry], index: int, total: int,
             last: bool) -> str:
        lines: list[str] = []
        if head.title:
            lines.append(f"**{head.title}**")
        if head.note:
            lines.append("编者按：" + head.note)
        for e in entries:
            title = f"[{e.title()}]({e.link})" if e.link else e.title()
            if lines:
                lines.append("")
            lines.append(f"**{e.number}.** {title}")
            lines.extend(p for p in (e.meta(), e.summary()) if p)
        if last and head.featured:
            lines.append("")
            lines.append(head.featured)
        if last and head.web_url:
            lines.append("")
            lines.append(f"[在网页上阅读本期]({head.web_url})")
        return "\n".join(lines)


class FeishuPost:
    """An issue page as the paragraphs of a ``post`` (rich text) message."""

    def page(self, head: IssueHead, entries: Sequence[Entry], index: int, total: int,
             last: bool) -> list[list[dict]]:
        paras: list[list[dict]] = []
        if head.title:
            paras.append([{"tag": "text", "text": head.title}])
        if head.note:
            paras.append([{"tag": "text", "text": "编者按：" + head.note}])
        for e in entries:
            line: list[dict] = [{"tag": "text", "text": f"{e.number}. "}]
            line.append({"tag": "a", "text": e.title(), "href": e.link} if e.link
                        else {"tag": "text", "text": e.title()})
            paras.append(line)
            extra = "　".join(p for p in (e.meta(), e.summary()) if p)
            if extra:
                paras.append([{"tag": "text", "text": extra}])
        if last and head.featured:
            paras.append([{"tag": "text", "text": head.featured}])
        if last and head.web_url:
            paras.append([{"tag": "a", "text": "在网页上阅读本期", "href": head.web_url}])
        return paras


class FeishuBot(HttpChannel):
    """``FeishuBot(url, *, secret=None, msg_type="interactive", client=None, timeout=10,
    limiter=None, clock=time.time)``; ``clock`` (seconds) gives the signing timestamp."""

    kind = "feishu"

    def __init__(self, url: str, *, secret: str | None = None,
                 msg_type: str = "interactive", client: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT, limiter: EndpointRateLimiter | None = None,
                 name: str | None = None, clock: Callable[[], float] = time.time,
                 body_max_bytes: int = BODY_MAX_BYTES) -> None:
        if msg_type not in {"interactive", "post"}:
            raise ValueError(f"msg_type must be interactive or post, got {msg_type!r}")
        super().__init__(url, client=client, timeout=timeout, limiter=limiter, name=name,
                         clock=clock)
        self.secret = secret or None
        self.msg_type = msg_type
        self.body_max_bytes = body_max_bytes

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], *, client: httpx.Client | None = None,
                    limiter: EndpointRateLimiter | None = None, where: str = "channel",
                    clock: Callable[[], float] = time.time) -> FeishuBot:
        check_keys(cfg, {"token", "secret", "msg_type"}, where)
        if cfg.get("url") is None and cfg.get("token"):
            token = str(cfg["token"]).strip()
            if not token or any(c in token for c in "/?#& "):
                raise ConfigError(f"{where}.token", "机器人 token 无效")
            url = OFFICIAL_URL + token
        else:
            url = check_url(cfg.get("url"), f"{where}.url")
        path = urlsplit(url).path
        if HOOK_PATH not in path or not path.rsplit(HOOK_PATH, 1)[1].strip("/"):
            raise ConfigError(f"{where}.url", "飞书机器人地址应形如 "
                              "https://open.feishu.cn/open-apis/bot/v2/hook/…")
        secret = cfg.get("secret")
        if secret is not None and (not isinstance(secret, str) or not secret.strip()):
            raise ConfigError(f"{where}.secret", "签名校验密钥（secret）不能为空")
        return cls(url, secret=secret.strip() if secret else None,
                   msg_type=check_choice(cfg, "msg_type", ("interactive", "post"), where),
                   client=client, timeout=check_timeout(cfg, where), limiter=limiter,
                   name=cfg.get("name"), clock=clock)

    # -- rendering

    def messages(self, issue: IssueView, links: LinkFn | None = None, *,
                 tz: str = DEFAULT_TZ) -> list[dict]:
        if self.msg_type == "post":
            dialect: Any = FeishuPost()

            def wrap(page: Any, head: IssueHead, index: int, total: int) -> dict:
                return {"msg_type": "post", "content": {"post": {"zh_cn": {
                    "title": page_label(head, index, total), "content": page}}}}
        else:
            dialect = FeishuMarkdown()

            def wrap(page: Any, head: IssueHead, index: int, total: int) -> dict:
                return {"msg_type": "interactive", "card": {
                    "config": {"wide_screen_mode": True},
                    "header": {"title": {"tag": "plain_text",
                                         "content": page_label(head, index, total)},
                               "template": "red"},
                    "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": page}}]}}

        return render_pages(issue, links, dialect, self.fits, tz=tz, wrap=wrap)

    def fits(self, payload: dict) -> bool:
        """Whether the body as sent (signature fields included) is within the limit."""
        probe = dict(payload)
        if self.secret:
            probe = {"timestamp": "0" * 10, "sign": "=" * 44, **probe}
        return len(encode(probe)) <= self.body_max_bytes

    # -- sending

    def signed(self, payload: dict) -> dict:
        if not self.secret:
            return payload
        ts = int(self.clock())
        return {"timestamp": str(ts), "sign": feishu_sign(self.secret, ts), **payload}

    def send(self, payload: dict, *, delivery_id: str | None = None) -> None:
        self.wait_turn()
        body = encode(self.signed(payload))        # signed after the wait: fresh
        response = self.post(self.url, body)
        answer = json_answer(response)
        status = response.status_code
        reset = parse_retry_after(response.headers.get("x-ogw-ratelimit-reset")
                                   or response.headers.get("Retry-After"))
        code = answer.get("code", answer.get("StatusCode")) if answer else None
        if code is None:
            raise self.error(f"飞书返回了无法识别的应答（HTTP {status}）",
                             permanent=400 <= status < 500 and status not in (408, 429),
                             retry_after=reset)
        if code == 0:
            return
        msg = str(answer.get("msg", answer.get("StatusMessage", "")) if answer else "")
        lowered = msg.lower()
        too_many = code == 9499 and any(w in lowered for w in ("too many", "frequency", "limit"))
        rate_limited = code in TEMPORARY_CODES or status == 429 or too_many
        if rate_limited:
            permanent = False
        elif code == 9499 or code in PERMANENT_CODES:
            permanent = True              # "Bad Request" (malformed, too large), sign, keyword …
        else:
            permanent = status < 500      # an unknown code: only a server error may pass later
        retry_after = None
        if rate_limited:
            retry_after = reset if reset is not None else 60.0
            self.penalize(retry_after)
        raise self.error(f"飞书拒绝了消息：code={code} msg={msg}", permanent=permanent,
                         code=code if isinstance(code, int) else None, retry_after=retry_after)
