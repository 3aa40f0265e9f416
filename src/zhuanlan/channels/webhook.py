"""Generic webhook: the issue as one JSON document POSTed to a URL of the organization's
choosing (an intranet portal, a workflow tool), signed with a shared secret.

Request::

    POST <url>
    Content-Type: application/json; charset=utf-8
    X-Zhuanlan-Event: issue.published
    X-Zhuanlan-Delivery: <idempotency key: the same for every retry of one delivery>
    X-Zhuanlan-Timestamp: <unix seconds when this attempt was sent>
    X-Zhuanlan-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>

    {"event": "issue.published", "column": "学习二十大", "column_slug": "xuexi",
     "number": 3, "title": "…", "editor_note": "…", "url": "https://…/c/xuexi/3",
     "published_at": "2026-11-20T09:00:00+08:00",
     "items": [{"title", "url" (the reader link), "original_url", "outlet",
                "published_at" (ISO 8601 or null), "summary"}],
     "reflections": [{"name", "department", "body"}]}      (学习心得选登; often [])

The receiver recomputes the HMAC over the raw bytes it received (before any JSON
parsing) and compares in constant time (:func:`verify_signature`); it should drop a
delivery key it has already processed, since a timeout after the receiver's answer makes
us send again.

Answers: any 2xx is success; 408, 429 and 5xx are temporary (``Retry-After`` in
seconds or as an HTTP date is honoured); a redirect is not followed and, like any other
4xx, is permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from zhuanlan.backoff import parse_retry_after
from zhuanlan.channels.chat_http import (
    DEFAULT_TIMEOUT,
    EndpointRateLimiter,
    HttpChannel,
    check_keys,
    check_timeout,
    check_url,
)
from zhuanlan.channels.chat_text import DEFAULT_TZ, LinkFn, safe_url
from zhuanlan.errors import ConfigError
from zhuanlan.model import IssueView

__all__ = ["Webhook", "issue_document", "sign_body", "verify_signature", "EVENT",
           "MIN_SECRET_LENGTH"]

EVENT = "issue.published"
MIN_SECRET_LENGTH = 16


def sign_body(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the X-Zhuanlan-Signature value for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` (constant-time comparison)."""
    if not header:
        return False
    return hmac.compare_digest(sign_body(secret, body).encode("ascii"),
                               header.strip().encode("ascii", "replace"))


def _iso(dt: Any) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("issue dates must be timezone-aware")
    return dt.isoformat()


def issue_document(issue: IssueView, links: LinkFn | None = None) -> dict:
    """The JSON document of an issue (see the module docstring)."""
    items = []
    for item in issue.items:
        link = (links(item) if links is not None else None) or item.web_url
        items.append({
            "title": item.title,
            "url": safe_url(link) or item.web_url,
            "original_url": item.original_url,
            "outlet": item.source_name,
            "published_at": _iso(item.published),
            "summary": item.summary,
        })
    return {
        "event": EVENT,
        "column": issue.column_name,
        "column_slug": issue.column_slug,
        "number": issue.number,
        "title": issue.title,
        "editor_note": issue.editor_note,
        "url": issue.web_url,
        "published_at": _iso(issue.published_at),
        "items": items,
        # 学习心得选登: the authors agreed to their name (or the column's rule shows names).
        "reflections": [{"name": r.name, "department": r.department, "body": r.body}
                        for r in issue.reflections],
    }


class Webhook(HttpChannel):
    """``Webhook(url, *, secret, client=None, timeout=10, limiter=None, clock=time.time)``."""

    kind = "webhook"

    def __init__(self, url: str, *, secret: str, client: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT, limiter: EndpointRateLimiter | None = None,
                 name: str | None = None, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        super().__init__(url, client=client, timeout=timeout, limiter=limiter, name=name,
                         clock=clock)
        self.secret = secret

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], *, client: httpx.Client | None = None,
                    limiter: EndpointRateLimiter | None = None, where: str = "channel",
                    clock: Callable[[], float] = time.time) -> Webhook:
        check_keys(cfg, {"secret"}, where)
        # Plain http is allowed (an intranet receiver): the body is signed, not secret.
        url = check_url(cfg.get("url"), f"{where}.url", https_only=False)
        secret = cfg.get("secret")
        if not isinstance(secret, str) or len(secret.strip()) < MIN_SECRET_LENGTH:
            raise ConfigError(f"{where}.secret", f"Webhook 需要签名密钥（secret），至少 "
                              f"{MIN_SECRET_LENGTH} 个字符，接收方用它验证 X-Zhuanlan-Signature")
        return cls(url, secret=secret.strip(), client=client,
                   timeout=check_timeout(cfg, where), limiter=limiter,
                   name=cfg.get("name"), clock=clock)

    @property
    def endpoint(self) -> str:
        return self.url.split("?", 1)[0]

    def messages(self, issue: IssueView, links: LinkFn | None = None, *,
                 tz: str = DEFAULT_TZ) -> list[dict]:
        return [issue_document(issue, links)]

    def send(self, payload: dict, *, delivery_id: str | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if delivery_id is None:
            delivery_id = f"issue:{payload.get('column_slug')}:{payload.get('number')}"
        self.wait_turn()
        headers = {
            "X-Zhuanlan-Event": str(payload.get("event") or EVENT),
            "X-Zhuanlan-Delivery": delivery_id,
            "X-Zhuanlan-Timestamp": str(int(self.clock())),
            "X-Zhuanlan-Signature": sign_body(self.secret, body),
        }
        response = self.post(self.url, body, headers)
        status = response.status_code
        if 200 <= status < 300:
            return
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self.clock())
        temporary = status in (408, 429) or status >= 500
        if temporary and retry_after:
            self.penalize(retry_after)
        reason = response.reason_phrase or ""
        what = "重定向（不跟随，请改用最终地址）" if 300 <= status < 400 else "拒绝"
        raise self.error(f"Webhook 接收方{what}：HTTP {status} {reason}".strip(),
                         permanent=not temporary, code=status,
                         retry_after=retry_after if temporary else None)
