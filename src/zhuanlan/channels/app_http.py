"""The plumbing the three app channels (``wecom_app``, ``dingtalk_app``, ``feishu_app``)
share: the error and the outcome of a send, the access-token cache, the digest of an issue
their cards show, :class:`AppBase` (token, one retry after a rejected token, rate limiter
keyed by app, errors without secrets) and the checks of their settings. The public face
of all this is :mod:`zhuanlan.channels.apps`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from zhuanlan.channels.chat_http import (
    DEFAULT_TIMEOUT,
    ChannelError,
    EndpointRateLimiter,
    HttpChannel,
    check_keys,
    check_url,
    json_answer,
    shared_limiter,
)
from zhuanlan.channels.chat_text import (
    DEFAULT_TZ,
    issue_head,
    md_text,
    safe_url,
    truncate_bytes,
    utf8_len,
)
from zhuanlan.errors import ConfigError, DeliveryError
from zhuanlan.model import IssueView

Scope = Literal["retry", "app"]


# ----------------------------------------------------------------------------- errors

class AppError(ChannelError):
    """A send, a token or a login of an app channel failed as a whole.

    ``scope`` is ``"retry"`` (try the batch later, after ``retry_after`` seconds when
    known) or ``"app"`` (the app is misconfigured — wrong corpid/secret/agentid, no
    permission, an address refused — and every send fails until an admin fixes it:
    ``permanent``). A failure of one person is not an error: see BatchResult.failed.
    """

    def __init__(self, message: str, *, scope: Scope, resource: str | None = None,
                 platform: str = "", code: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, resource=resource, permanent=scope == "app",
                         platform=platform, code=code, retry_after=retry_after)
        self.scope = scope


class LoginCodeError(DeliveryError):
    """The login code given to ``identify`` is wrong, expired or already used: the
    person should open the page again (permanent for that code)."""

    def __init__(self, message: str, *, resource: str | None = None) -> None:
        super().__init__(message, resource=resource, permanent=True)


@dataclass
class BatchResult:
    """What the platform said of one send to several people."""

    accepted: list[str] = field(default_factory=list)      # platform user ids
    failed: dict[str, str] = field(default_factory=dict)   # user id → Chinese reason
    message_id: str | None = None                         # msgid / task_id / message_id
    pending: bool = False     # DingTalk: per-person outcome known after results(task_id)


# ------------------------------------------------------------------------------ tokens

@dataclass
class _Token:
    value: str
    expires: float      # clock() seconds


class TokenCache:
    """Access tokens by key (kind, app, token type), each with its expiry.

    ``get`` returns the cached token while more than ``margin`` seconds are left (or half
    its life, for a short-lived one), else calls ``fetch`` — once per key even when many
    threads ask at the same moment, so 40 sending threads do not fetch 40 tokens (the
    token endpoints are rate limited too, and WeCom/Feishu hand out a new token that
    replaces the old one). ``drop`` forgets a token the platform called invalid, unless
    another thread already replaced it.
    """

    def __init__(self, *, margin: float = 300.0) -> None:
        self.margin = margin
        self._tokens: dict[tuple[str, ...], _Token] = {}
        self._locks: dict[tuple[str, ...], threading.Lock] = {}
        self._lock = threading.Lock()

    def _key_lock(self, key: tuple[str, ...]) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    def _fresh(self, key: tuple[str, ...], now: float) -> str | None:
        token = self._tokens.get(key)
        return token.value if token is not None and now < token.expires else None

    def get(self, key: tuple[str, ...], fetch: Callable[[], tuple[str, float]],
            clock: Callable[[], float]) -> str:
        """The token of ``key``; ``fetch()`` returns (token, lifetime in seconds)."""
        value = self._fresh(key, clock())
        if value is not None:
            return value
        with self._key_lock(key):
            value = self._fresh(key, clock())      # another thread may have fetched it
            if value is not None:
                return value
            value, lifetime = fetch()
            keep = max(0.0, lifetime - min(self.margin, lifetime / 2))
            self._tokens[key] = _Token(value, clock() + keep)
            return value

    def drop(self, key: tuple[str, ...], value: str | None = None) -> None:
        with self._key_lock(key):
            token = self._tokens.get(key)
            if token is not None and (value is None or token.value == value):
                del self._tokens[key]


TOKENS = TokenCache()
"""The process-wide cache every app channel uses unless given its own."""


# ----------------------------------------------------------------------------- digest

@dataclass(frozen=True)
class Digest:
    """What the three cards show of an issue: a title, a line of date and editor's note,
    and the first items' titles, numbered."""

    title: str
    note: str
    lines: tuple[str, ...]
    more: int          # items not listed


def digest(issue: IssueView, *, items: int = 5, tz: str = DEFAULT_TZ) -> Digest:
    head = issue_head(issue, tz=tz, note_max=120)
    title = f"{head.subject}：{head.title}" if head.title else head.subject
    note = "　".join(p for p in (head.date, head.note.replace("\n", " ")) if p)
    lines = tuple(f"{n}. {md_text(item.title) or '（无标题）'}"
                  for n, item in enumerate(issue.items[:items], 1))
    return Digest(title, note, lines, max(0, len(issue.items) - items))


def button_url(url: str) -> str:
    clean = safe_url(url)
    if clean is None:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return clean


# ------------------------------------------------------------------------ base class

@dataclass(frozen=True)
class ErrorTable:
    """A platform's error codes by what to do: ``token`` drop the token and call once
    more; ``rate`` retry the batch after ``rate_wait`` seconds (or what the answer said);
    ``app`` stop: the app's settings or permissions are wrong. Any other code retries."""

    token: frozenset[int]
    rate: frozenset[int]
    app: frozenset[int]
    rate_wait: float = 60.0


_NO_CODES = ErrorTable(frozenset(), frozenset(), frozenset())


class AppBase(HttpChannel):
    """The plumbing of the three app channels: the API base, the token through the
    cache, one call repeated once after the platform rejected the token, the local rate
    limiter keyed by app, and errors without secrets.

    A platform module sets ``kind``, ``batch_size``, ``id_field``, ``platform_name``,
    ``codes`` and implements ``fetch_token``, ``code_of`` and the methods of AppChannel.
    """

    batch_size = 0
    id_field = ""
    platform_name = ""
    codes = _NO_CODES
    max_wait = 30.0

    def __init__(self, api_base: str, app_id: str, secrets: tuple[str, ...], *,
                 client: httpx.Client | None = None, timeout: float = DEFAULT_TIMEOUT,
                 limiter: EndpointRateLimiter | None = None, name: str | None = None,
                 clock: Callable[[], float] = time.time,
                 tokens: TokenCache | None = None) -> None:
        super().__init__(api_base.rstrip("/"), client=client, timeout=timeout,
                         limiter=limiter if limiter is not None else shared_limiter(self.kind),
                         name=name, clock=clock)
        self.app_id = app_id
        self._secrets = tuple(s for s in secrets if s)
        self.tokens = tokens if tokens is not None else TOKENS

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} app={self.app_id} {self.endpoint}>"

    @property
    def limit_key(self) -> str:
        return f"{self.url}#{self.app_id}"

    def token_key(self, kind: str = "app") -> tuple[str, ...]:
        return (self.kind, self.url, self.app_id, kind)

    def scrub(self, text: str) -> str:
        """``text`` with every secret of this app hidden (a platform may echo a request)."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def error(self, message: str, *, permanent: bool, code: int | None = None,
              retry_after: float | None = None, scope: Scope | None = None) -> AppError:
        return AppError(self.scrub(message), scope=scope or ("app" if permanent else "retry"),
                        resource=self.endpoint, platform=self.kind, code=code,
                        retry_after=retry_after)

    # -- calls

    def token(self, kind: str = "app") -> str:
        return self.tokens.get(self.token_key(kind), lambda: self.fetch_token(kind), self.clock)

    def fetch_token(self, kind: str) -> tuple[str, float]:
        raise NotImplementedError

    def code_of(self, answer: dict | None, response: httpx.Response) -> int | None:
        raise NotImplementedError

    def call(self, method: str, path: str, *, body: bytes | None = None,
             authorize: Callable[[str], tuple[dict[str, str], dict[str, str]]],
             token_kind: str = "app", params: Mapping[str, str] | None = None,
             ) -> tuple[dict | None, httpx.Response]:
        """``method path`` with the app's token; ``authorize(token)`` gives the extra
        (query params, headers). When the platform calls the token invalid or expired,
        drop it, fetch a new one and call once more."""
        for attempt in range(2):
            token = self.token(token_kind)
            query, headers = authorize(token)
            response = self.request(method, self.url + path, body, headers,
                                    {**(params or {}), **query})
            answer = json_answer(response)
            if self.code_of(answer, response) in self.codes.token and attempt == 0:
                self.tokens.drop(self.token_key(token_kind), token)
                continue
            return answer, response
        raise AssertionError("unreachable")

    def refuse(self, what: str, code: int | None, detail: str, *, status: int = 200,
               retry_after: float | None = None, token_call: bool = False) -> AppError:
        """The AppError for a refusal of ``what`` (发送消息, 获取凭证 …): rate limits
        retry after a wait (and pause the local limiter as long), the app's own errors
        stop the app, anything else — a busy platform, a 5xx, an unknown code — retries.
        A token endpoint refusing with a code is the credentials' fault unless it is a
        rate limit or the platform being busy."""
        name = self.platform_name
        tail = f"（code={code} {detail}）" if code is not None else f"（HTTP {status} {detail}）"
        if code in self.codes.rate or status == 429:
            wait = retry_after if retry_after is not None else self.codes.rate_wait
            self.penalize(wait)
            return self.error(f"{name}{what}过于频繁，{wait:.0f} 秒后再试{tail}",
                              permanent=False, code=code, retry_after=wait)
        busy = code is None or code < 0 or status >= 500
        if code in self.codes.app or (token_call and not busy):
            return self.error(f"{name}应用的设置或权限有误（企业编号、密钥、应用编号或接口权限），"
                              f"{what}失败，请管理员检查应用设置{tail}", permanent=True, code=code)
        return self.error(f"{name}暂时无法{what}，稍后重试{tail}", permanent=False, code=code,
                          retry_after=retry_after)

    def check(self) -> None:
        """Fetch a new token now (``zhuanlan channel test``): AppError when refused."""
        self.tokens.drop(self.token_key())
        self.token()



def check_batch(user_ids: list[str], limit: int, separator: str | None = None) -> None:
    """ValueError before any traffic: the caller splits batches by ``batch_size``."""
    if not user_ids:
        raise ValueError("no recipients")
    if len(user_ids) > limit:
        raise ValueError(f"{len(user_ids)} recipients, at most {limit} per call")
    if len(set(user_ids)) != len(user_ids):
        raise ValueError("duplicate recipients")
    bad = [u for u in user_ids if not isinstance(u, str) or not u.strip()
           or (separator is not None and separator in u)]
    if bad:
        raise ValueError(f"invalid user id: {bad[0]!r}")


# ------------------------------------------------------------------------------ config

def check_text(cfg: Mapping[str, Any], name: str, where: str, label: str) -> str:
    value = cfg.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}.{name}", f"缺少{label}（{name}）")
    value = value.strip()
    if any(c.isspace() or c in "&?#/" for c in value):
        raise ConfigError(f"{where}.{name}", f"{label}（{name}）含有不允许的字符")
    return value


def check_agent(cfg: Mapping[str, Any], name: str, where: str, hint: str) -> int:
    """The app's number on the platform (agentid / agent_id): a positive integer."""
    value = cfg.get(name)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{where}.{name}", f"{hint}（{name}）必须是正整数")
    return value


def check_base(cfg: Mapping[str, Any], name: str, default: str, where: str) -> str:
    """An API base: https, or http to a loopback host (the tests' imitation)."""
    return check_url(cfg.get(name, default), f"{where}.{name}").rstrip("/")


def check_app_keys(cfg: Mapping[str, Any], allowed: set[str], where: str) -> None:
    if "url" in cfg:
        raise ConfigError(f"{where}.url", "应用渠道不使用 url，请填写 api_base 等设置项")
    check_keys(cfg, allowed, where)


def pack_lines(head: list[str], lines: tuple[str, ...] | list[str], more: int, limit: int, *,
               sep: str = "\n", wrap: Callable[[str], str] = lambda s: s) -> str:
    """``head`` then as many of ``lines`` as fit, each through ``wrap`` (markup), joined
    by ``sep``, within ``limit`` UTF-8 bytes, and "等 N 篇" for the items left out.
    Whole lines only, so markup is never cut; only the first line, when it cannot fit
    at all, is shortened."""
    parts = [wrap(truncate_bytes(h, limit // 3)) for h in head if h]
    total = len(lines) + more
    shown = 0
    for line in lines:
        rest = total - shown - 1
        tail = [wrap(f"……等 {rest} 篇")] if rest else []
        if utf8_len(sep.join([*parts, wrap(line), *tail])) > limit:
            room = limit - utf8_len(sep.join([*parts, wrap(""), *tail]))
            if shown or room < 16:
                break
            line = truncate_bytes(line, room)
        parts.append(wrap(line))
        shown += 1
    if total - shown:
        parts.append(wrap(f"……等 {total - shown} 篇"))
    return sep.join(parts)
