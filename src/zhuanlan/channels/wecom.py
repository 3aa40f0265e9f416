"""WeCom (企业微信) group robot (群机器人).

What this relies on, from WeCom's "群机器人配置说明"
(https://developer.work.weixin.qq.com/document/path/91770, also at
work.weixin.qq.com/api/doc/90000/90136/91770):

* POST JSON (UTF-8) to ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY``;
  the key in the URL is the robot's only credential (no signing).
* ``{"msgtype": "markdown", "markdown": {"content": …}}``: content at most 4096 bytes,
  UTF-8; the markdown subset has headings, bold, ``[text](url)``, ``>`` quotes and
  ``<font color="info|comment|warning">``.
* ``{"msgtype": "news", "news": {"articles": [{title, description, url, picurl}]}}``:
  1 to 8 articles; title at most 128 bytes, description at most 512 bytes.
* The answer is ``{"errcode": 0, "errmsg": "ok"}``; a robot may send at most 20
  messages per minute. Error codes seen from the endpoint: 45009 "api freq out of
  limit" (rate limit: temporary), 93000 "invalid webhook url" (a deleted robot or a
  wrong key: permanent), 40008 invalid message type, 40058 invalid parameter,
  -1 system busy (temporary).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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
    json_answer,
    query_param,
)
from zhuanlan.channels.chat_text import (
    DEFAULT_TZ,
    Entry,
    IssueHead,
    LinkFn,
    entries_of,
    issue_head,
    page_label,
    paginate,
    render_pages,
    truncate_bytes,
    utf8_len,
)
from zhuanlan.errors import ConfigError
from zhuanlan.model import IssueView

__all__ = ["WeComRobot", "WeComMarkdown", "MARKDOWN_MAX_BYTES", "OFFICIAL_URL"]

OFFICIAL_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
MARKDOWN_MAX_BYTES = 4096
NEWS_MAX_ARTICLES = 8
NEWS_TITLE_MAX_BYTES = 128
NEWS_DESCRIPTION_MAX_BYTES = 512

TEMPORARY_CODES = {-1, 45009, 45033}      # system busy, freq out of limit, max concurrency
RATE_CODES = {45009}


class WeComMarkdown:
    """An issue page in WeCom's markdown."""

    def page(self, head: IssueHead, entries: Sequence[Entry], index: int, total: int,
             last: bool) -> str:
        lines = [f"## {page_label(head, index, total)}"]
        if head.title:
            lines.append(f"**{head.title}**")
        if head.note:
            note = head.note.split("\n")
            lines.append(f"> 编者按：{note[0]}")
            lines.extend(f"> {p}" for p in note[1:])
        for e in entries:
            title = f"[{e.title()}]({e.link})" if e.link else e.title()
            lines.append("")
            lines.append(f"**{e.number}.** {title}")
            if e.meta():
                lines.append(f'<font color="comment">{e.meta()}</font>')
            if e.summary():
                lines.append(e.summary())
        if last and head.featured:
            lines.append("")
            lines.append(f"> {head.featured}")
        if last and head.web_url:
            lines.append("")
            lines.append(f"[在网页上阅读本期]({head.web_url})")
        return "\n".join(lines)


class WeComRobot(HttpChannel):
    """``WeComRobot(url, *, msgtype="markdown", client=None, timeout=10, limiter=None)``.

    :meth:`messages` renders an issue into payloads, :meth:`send` posts one of them and
    raises ChannelError (``permanent`` per the table above, ``code`` = errcode).
    """

    kind = "wecom"

    def __init__(self, url: str, *, msgtype: str = "markdown",
                 client: httpx.Client | None = None, timeout: float = DEFAULT_TIMEOUT,
                 limiter: EndpointRateLimiter | None = None, name: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if msgtype not in {"markdown", "news"}:
            raise ValueError(f"msgtype must be markdown or news, got {msgtype!r}")
        super().__init__(url, client=client, timeout=timeout, limiter=limiter, name=name,
                         clock=clock)
        self.msgtype = msgtype

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], *, client: httpx.Client | None = None,
                    limiter: EndpointRateLimiter | None = None, where: str = "channel",
                    clock: Callable[[], float] = time.time) -> WeComRobot:
        check_keys(cfg, {"key", "msgtype"}, where)
        if cfg.get("url") is None and cfg.get("key"):
            key = str(cfg["key"]).strip()
            if not key or any(c in key for c in "&?#/ "):
                raise ConfigError(f"{where}.key", "机器人 key 无效")
            url = f"{OFFICIAL_URL}?key={key}"
        else:
            url = check_url(cfg.get("url"), f"{where}.url")
        if not query_param(url, "key"):
            raise ConfigError(f"{where}.url", "企业微信机器人地址缺少 key 参数"
                              "（形如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…）")
        if not url.split("?", 1)[0].endswith("/cgi-bin/webhook/send"):
            raise ConfigError(f"{where}.url", "企业微信机器人地址的路径应为 /cgi-bin/webhook/send")
        return cls(url, msgtype=check_choice(cfg, "msgtype", ("markdown", "news"), where),
                   client=client, timeout=check_timeout(cfg, where), limiter=limiter,
                   name=cfg.get("name"), clock=clock)

    # -- rendering

    def messages(self, issue: IssueView, links: LinkFn | None = None, *,
                 tz: str = DEFAULT_TZ) -> list[dict]:
        if self.msgtype == "news":
            return self._news(issue, links, tz)
        texts = render_pages(issue, links, WeComMarkdown(),
                             lambda text: utf8_len(text) <= MARKDOWN_MAX_BYTES, tz=tz)
        return [{"msgtype": "markdown", "markdown": {"content": t}} for t in texts]

    def _news(self, issue: IssueView, links: LinkFn | None, tz: str) -> list[dict]:
        head = issue_head(issue, tz=tz)
        entries = entries_of(issue, links, tz=tz, summary_max=150)

        def article(title: str, description: str, url: str | None) -> dict:
            a = {"title": truncate_bytes(title, NEWS_TITLE_MAX_BYTES),
                 "description": truncate_bytes(description, NEWS_DESCRIPTION_MAX_BYTES),
                 "url": url or head.web_url or ""}
            return a

        def build(chunk: Sequence[Entry], index: int, total: int, last: bool) -> dict:
            arts = []
            if index == 1:
                arts.append(article(page_label(head, index, total),
                                    head.note or head.title or head.date, head.web_url))
            arts.extend(article(f"{e.number}. {e.title()}",
                                "　".join(p for p in (e.meta(), e.summary()) if p), e.link)
                        for e in chunk)
            return {"msgtype": "news", "news": {"articles": arts}}

        return paginate(entries, build,
                        lambda p: 1 <= len(p["news"]["articles"]) <= NEWS_MAX_ARTICLES,
                        lambda e: None)

    # -- sending

    def send(self, payload: dict, *, delivery_id: str | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.wait_turn()
        response = self.post(self.url, body)
        answer = json_answer(response)
        if answer is None or "errcode" not in answer:
            status = response.status_code
            raise self.error(f"企业微信返回了无法识别的应答（HTTP {status}）",
                             permanent=400 <= status < 500 and status not in (408, 429),
                             code=None,
                             retry_after=parse_retry_after(response.headers.get("Retry-After")))
        code = answer.get("errcode")
        if code == 0:
            return
        message = f"企业微信拒绝了消息：errcode={code} errmsg={answer.get('errmsg', '')}"
        retry_after = 60.0 if code in RATE_CODES else None
        self.penalize(retry_after)
        raise self.error(message, permanent=code not in TEMPORARY_CODES,
                         code=code if isinstance(code, int) else None, retry_after=retry_after)
