"""The group-robot channels (WeCom, DingTalk, Feishu) and the generic webhook as one
kind of thing: a channel made from its stored settings (:func:`channel_from_config`) and
an issue sent through it (:func:`send_issue`). The rendering lives in ``chat_text``, the
HTTP plumbing in ``chat_http``, each platform in its own module.

Pure stage: IssueView in, JSON payloads out, HTTP through an ``httpx.Client`` the caller
may inject (an SSRF-guarded transport, or a test server's). Nothing here touches the
database or the web app.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from zhuanlan.channels.chat_http import (
    ChannelError,
    EndpointRateLimiter,
    RateLimitExceeded,
    mask_url,
    shared_limiter,
)
from zhuanlan.channels.chat_text import DEFAULT_TZ, LinkFn, utf8_len
from zhuanlan.errors import ConfigError, DeliveryError
from zhuanlan.model import IssueView

__all__ = [
    "Channel", "ChannelError", "KINDS", "RateLimitExceeded", "EndpointRateLimiter", "SendReport",
    "channel_from_config", "mask_url", "send_issue", "shared_limiter", "utf8_len",
]

KINDS = ("wecom", "dingtalk", "feishu", "webhook")


def channel_from_config(cfg: Mapping[str, Any], *, client: httpx.Client | None = None,
                        limiter: EndpointRateLimiter | None = None, where: str = "channel",
                        clock: Callable[[], float] = time.time) -> Channel:
    """A channel object from its config dict, validated (ConfigError names the key,
    e.g. ``channel.secret``)::

        {"kind": "wecom",    "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"}
        {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=…",
                             "secret": "SEC…"}                      # secret optional
        {"kind": "feishu",   "url": "https://open.feishu.cn/open-apis/bot/v2/hook/…",
                             "secret": "…"}                         # secret optional
        {"kind": "webhook",  "url": "https://intranet.example/hooks/zhuanlan",
                             "secret": "at least 16 characters"}

    Optional everywhere: ``name`` (shown in messages), ``timeout`` (seconds, default
    10); ``msgtype`` for wecom (markdown | news), dingtalk (markdown | actionCard) and
    ``msg_type`` for feishu (interactive | post). ``limiter`` defaults to the
    process-wide one of the kind (:func:`shared_limiter`); ``clock`` gives the signing
    timestamps (seconds since the epoch).
    """
    if not isinstance(cfg, Mapping):
        raise ConfigError(where, "推送渠道的设置必须是一个字典")
    kind = cfg.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}.kind",
                          f"未知的推送渠道类型“{kind}”（可用：{'、'.join(KINDS)}）")
    if kind == "wecom":
        from zhuanlan.channels.wecom import WeComRobot as cls
    elif kind == "dingtalk":
        from zhuanlan.channels.dingtalk import DingTalkRobot as cls  # type: ignore[assignment]
    elif kind == "feishu":
        from zhuanlan.channels.feishu import FeishuBot as cls  # type: ignore[assignment]
    else:
        from zhuanlan.channels.webhook import Webhook as cls  # type: ignore[assignment]
    return cls.from_config(cfg, client=client, limiter=limiter, where=where, clock=clock)


# --------------------------------------------------------------------------- sending

class Channel(Protocol):
    kind: str
    max_wait: float   # longest the rate limiter may hold one send

    @property
    def endpoint(self) -> str: ...     # the URL with its secret masked, for messages and logs

    def messages(self, issue: IssueView, links: LinkFn | None = None, *,
                 tz: str = DEFAULT_TZ) -> list[dict]: ...

    def send(self, payload: dict, *, delivery_id: str | None = None) -> None: ...


@dataclass
class SendReport:
    total: int
    sent: int
    waited: float = 0.0
    parts: list[int] = field(default_factory=list)   # indices sent by this call


def send_issue(channel: Channel, issue: IssueView, links: LinkFn | None = None, *,
               tz: str = DEFAULT_TZ, start: int = 0,
               delivery_id: str | None = None) -> SendReport:
    """Render the issue for ``channel`` and send its messages in order, from the
    ``start``-th (0-based; resume after a failure with ``start=exc.sent``).

    ``delivery_id`` is the outbox's idempotency key; the generic webhook sends it as
    ``X-Zhuanlan-Delivery`` (with ``/part`` appended when there are several messages).
    Raises ChannelError (a DeliveryError) whose ``sent`` counts the messages delivered
    so far, including those before ``start``.
    """
    payloads = channel.messages(issue, links, tz=tz)
    report = SendReport(total=len(payloads), sent=min(start, len(payloads)))
    for index in range(report.sent, len(payloads)):
        key = delivery_id
        if delivery_id is not None and len(payloads) > 1:
            key = f"{delivery_id}/{index + 1}"
        try:
            channel.send(payloads[index], delivery_id=key)
        except ChannelError as exc:
            exc.sent = index
            raise
        except DeliveryError as exc:
            raise ChannelError(exc.message, resource=exc.resource, permanent=exc.permanent,
                               platform=channel.kind, sent=index) from exc
        report.sent = index + 1
        report.parts.append(index)
    return report


