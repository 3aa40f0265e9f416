"""The "application" (自建应用) channels of WeCom, DingTalk and Feishu: one message of an
issue sent by the organisation's own app to named people, each in a private chat, and the
app's web login that tells who opened a page inside the app.

One platform a module (``wecom_app``, ``dingtalk_app``, ``feishu_app``); here the parts
they share: the error (:class:`AppError`, whose ``scope`` says what to retry), the
outcome of one send (:class:`BatchResult`), the protocol the outbox and the web login
rely on (:class:`AppChannel`), the access-token cache (:class:`TokenCache`), the digest
of an issue the three cards show, and :func:`app_from_config`.

Pure stage: IssueView in, HTTP out through an ``httpx.Client`` the caller may inject (the
SSRF-guarded transport, a test server's). Nothing here touches the store or the web app.

Official SDKs or plain httpx: plain httpx. ``lark-oapi`` and ``alibabacloud-dingtalk``
are both installable from PyPI, but each brings its own HTTP stack (requests; Tea/
darabonba) and a tree of generated models for hundreds of endpoints, where we call three
per platform. Neither lets us pass an ``httpx.Client``, so neither would go through the
SSRF guard or talk to the local imitation the tests use, and both hide the error codes we
must classify (retry the batch, or stop the app) behind their own exceptions. WeCom has no
official Python SDK at all. Three small modules over the documented JSON cost less than
the SDKs save.

Tokens: one access token per app in the process (:data:`TOKENS`), kept until a few
minutes before the expiry the platform gave, dropped at once when the platform says it is
invalid or expired, and the failed call repeated once with a fresh one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx

from zhuanlan.channels.app_http import (
    TOKENS,
    AppError,
    BatchResult,
    Digest,
    LoginCodeError,
    TokenCache,
    digest,
)
from zhuanlan.channels.chat_http import EndpointRateLimiter, check_timeout
from zhuanlan.errors import ConfigError
from zhuanlan.model import IssueView

__all__ = [
    "APP_KINDS", "TOKENS", "AppChannel", "AppError", "BatchResult", "Digest", "LoginCodeError",
    "TokenCache", "app_from_config", "digest",
]

APP_KINDS = ("wecom_app", "dingtalk_app", "feishu_app")


class AppChannel(Protocol):
    kind: str            # wecom_app | dingtalk_app | feishu_app
    batch_size: int      # most recipients per send_batch call
    id_field: str        # the person attribute holding the id (wecom_userid …)

    @property
    def endpoint(self) -> str: ...   # API base, for messages and logs; no secret in it

    def send_batch(self, user_ids: list[str], issue: IssueView, url: str) -> BatchResult: ...

    def check(self) -> None: ...

    def authorize_url(self, redirect_uri: str, state: str) -> str: ...

    def identify(self, code: str) -> str: ...

    def close(self) -> None: ...



def app_from_config(cfg: Mapping[str, Any], *, client: httpx.Client | None = None,
                    clock: Callable[[], float] = time.time, where: str = "channel",
                    limiter: EndpointRateLimiter | None = None,
                    tokens: TokenCache | None = None) -> AppChannel:
    """An app channel from its config dict, validated (ConfigError names the key)::

        {"kind": "wecom_app", "corpid": "ww…", "corpsecret": "…", "agentid": 1000002}
        {"kind": "dingtalk_app", "appkey": "ding…", "appsecret": "…", "agent_id": 123,
                                 "corpid": "ding…"}
        {"kind": "feishu_app", "app_id": "cli_…", "app_secret": "…"}

    Optional everywhere: ``name``, ``timeout`` (seconds), ``api_base`` (https; http only to
    a loopback host) and ``oauth_base`` (the platform's login page host); wecom_app also
    ``msgtype`` (textcard | news); dingtalk_app also ``new_api_base`` (api.dingtalk.com).
    ``limiter`` defaults to the process-wide one of the kind, ``tokens`` to :data:`TOKENS`.
    """
    if not isinstance(cfg, Mapping):
        raise ConfigError(where, "推送渠道的设置必须是一个字典")
    kind = cfg.get("kind")
    if kind == "wecom_app":
        from zhuanlan.channels.wecom_app import WeComApp as cls
    elif kind == "dingtalk_app":
        from zhuanlan.channels.dingtalk_app import DingTalkApp as cls  # type: ignore[assignment]
    elif kind == "feishu_app":
        from zhuanlan.channels.feishu_app import FeishuApp as cls  # type: ignore[assignment]
    else:
        raise ConfigError(f"{where}.kind",
                          f"未知的应用渠道类型“{kind}”（可用：{'、'.join(APP_KINDS)}）")
    return cls.from_config(cfg, client=client, clock=clock, where=where, limiter=limiter,
                           tokens=tokens, timeout=check_timeout(cfg, where))
