"""The HTTP side of the group-robot channels and the webhook: the channel error, the
per-endpoint rate limiter, signing, checking a channel's settings, and
:class:`HttpChannel`, the JSON POST every platform module builds on.

Rate limits (documented, per robot): WeCom 20 messages/minute; DingTalk 20/minute
(exceeding it throttles the robot for 10 minutes); Feishu 100/minute and 5/second. The
:class:`EndpointRateLimiter` keeps every endpoint inside them in this process.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import ipaddress
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from zhuanlan.errors import BlockedAddressError, ConfigError, DeliveryError

DEFAULT_TIMEOUT = 10.0


# ----------------------------------------------------------------------------- errors

class ChannelError(DeliveryError):
    """A DeliveryError from a chat/webhook channel, with what the platform answered.

    ``code`` is the platform's errcode/code (or the HTTP status for the generic
    webhook), ``retry_after`` how many seconds to wait before trying again when known
    (rate limits), ``sent`` how many messages of the issue had been delivered before
    this one failed (resume with ``send_issue(..., start=sent)``).
    """

    def __init__(self, message: str, *, resource: str | None = None, permanent: bool = False,
                 platform: str = "", code: int | None = None,
                 retry_after: float | None = None, sent: int = 0) -> None:
        super().__init__(message, resource=resource, permanent=permanent)
        self.platform = platform
        self.code = code
        self.retry_after = retry_after
        self.sent = sent


# ----------------------------------------------------------------------- rate limiter

class RateLimitExceeded(Exception):
    """Sending now would break a rate limit and waiting is longer than allowed."""

    def __init__(self, key: str, retry_after: float) -> None:
        super().__init__(f"{key}: rate limit, retry after {retry_after:.1f}s")
        self.key = key
        self.retry_after = retry_after


class EndpointRateLimiter:
    """At most ``n`` sends per ``window`` seconds for each of several rules, per key
    (one key per robot endpoint). Thread-safe; ``clock`` and ``sleep`` are injectable.

    A sliding-window log rather than a token bucket: a bucket holding 20 tokens and
    refilled at 20/minute lets 40 messages through in the first minute after an idle
    spell (the full bucket plus the refill), which is exactly what gets a DingTalk robot
    throttled for 10 minutes. The log of the last ``n`` send times per rule admits a
    send only when fewer than ``n`` happened in the past ``window`` seconds, which is the
    documented limit taken literally. ``margin`` seconds are added to each window to
    absorb clock differences with the platform.
    """

    def __init__(self, rules: Sequence[tuple[int, float]], *, margin: float = 0.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not rules or any(n < 1 or w <= 0 for n, w in rules):
            raise ValueError("rules must be (count >= 1, window > 0) pairs")
        self.rules = tuple((int(n), float(w) + margin) for n, w in rules)
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._log: dict[str, collections.deque[float]] = {}
        self._paused: dict[str, float] = {}

    def _wait_locked(self, key: str, now: float) -> float:
        """Seconds until ``key`` may send (0 = now). Caller holds the lock."""
        wait = max(0.0, self._paused.get(key, 0.0) - now)
        log = self._log.get(key)
        if log:
            for n, window in self.rules:
                if len(log) >= n:
                    # The n-th most recent send must have left the window.
                    wait = max(wait, log[-n] + window - now)
        return wait

    def delay(self, key: str) -> float:
        """Seconds until ``key`` may send, without taking a slot."""
        with self._lock:
            return self._wait_locked(key, self.clock())

    def try_acquire(self, key: str) -> float:
        """Take a slot and return 0.0, or return the seconds to wait (no slot taken)."""
        with self._lock:
            now = self.clock()
            wait = self._wait_locked(key, now)
            if wait > 0:
                return wait
            log = self._log.setdefault(key, collections.deque(maxlen=max(n for n, _ in self.rules)))
            log.append(now)
            return 0.0

    def acquire(self, key: str, *, max_wait: float = 60.0) -> float:
        """Take a slot, sleeping while needed; return the seconds slept. Raises
        RateLimitExceeded (no slot taken) when the wait would pass ``max_wait``."""
        slept = 0.0
        while True:
            wait = self.try_acquire(key)
            if wait <= 0:
                return slept
            if slept + wait > max_wait:
                raise RateLimitExceeded(key, wait)
            self.sleep(wait)
            slept += wait

    def pause(self, key: str, seconds: float) -> None:
        """No send for ``key`` during ``seconds`` (the platform said "too fast")."""
        with self._lock:
            until = self.clock() + max(0.0, seconds)
            self._paused[key] = max(self._paused.get(key, 0.0), until)


# The documented limits, per robot. Shared by every channel object made in this process
# so that outbox rows handled one after another still count against the same robot.
LIMITS: dict[str, tuple[tuple[int, float], ...]] = {
    "wecom": ((20, 60.0),),
    "dingtalk": ((20, 60.0),),
    "feishu": ((100, 60.0), (5, 1.0)),
    "webhook": ((60, 60.0),),
    # Per app (自建应用), whatever endpoint: see apps.py and each platform's module.
    "wecom_app": ((10_000, 60.0), (150_000, 3600.0)),
    "dingtalk_app": ((20, 1.0), (1_500, 60.0)),
    "feishu_app": ((50, 1.0), (1_000, 60.0)),
}
_shared: dict[str, EndpointRateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(kind: str) -> EndpointRateLimiter:
    """The process-wide limiter of a channel kind (keys are the endpoints)."""
    with _shared_lock:
        if kind not in _shared:
            _shared[kind] = EndpointRateLimiter(LIMITS[kind], margin=1.0)
        return _shared[kind]


# ----------------------------------------------------------------------------- signing

def hmac_sha256_b64(key: str, message: str) -> str:
    digest = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


# ------------------------------------------------------------------------------ config

_COMMON_KEYS = {"kind", "url", "name", "timeout"}


def _loopback(host: str) -> bool:
    if host in {"localhost"}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: Any, key: str, *, https_only: bool = True) -> str:
    """An absolute http(s) URL without credentials. ``https_only`` refuses plain http
    except to a loopback host (tests, a local relay): a robot URL carries its secret."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(key, "缺少地址（url）")
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port                                   # noqa: B018 - validates the port
    except ValueError as exc:
        raise ConfigError(key, f"地址“{url}”无效：{exc}") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(key, f"地址“{url}”必须是 http:// 或 https:// 开头的完整地址")
    if parts.username or parts.password:
        raise ConfigError(key, "地址中不能包含用户名或密码")
    if parts.fragment:
        raise ConfigError(key, "地址中不能包含 #片段")
    if https_only and parts.scheme != "https" and not _loopback(parts.hostname):
        raise ConfigError(key, f"地址“{url}”必须使用 https（机器人地址含密钥，不能明文发送）")
    return url


def query_param(url: str, name: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values and values[0].strip() else None


def check_keys(cfg: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(cfg) - allowed - _COMMON_KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}",
                          f"未知的设置项“{unknown[0]}”（可用：{', '.join(sorted(allowed | _COMMON_KEYS))}）")


def check_choice(cfg: Mapping[str, Any], name: str, choices: Sequence[str], where: str) -> str:
    value = cfg.get(name, choices[0])
    if value not in choices:
        raise ConfigError(f"{where}.{name}", f"“{value}”不是可用的值（可用：{'、'.join(choices)}）")
    return value


def check_timeout(cfg: Mapping[str, Any], where: str) -> float:
    value = cfg.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 120:
        raise ConfigError(f"{where}.timeout", "超时（timeout）必须是 0 到 120 之间的秒数")
    return float(value)



class HttpChannel:
    """Common HTTP plumbing of the four channels: a JSON POST through an injectable
    ``httpx.Client``, the rate limiter, and transport errors turned into ChannelError."""

    kind = ""
    max_wait = 60.0           # longest the limiter may block a send before giving up

    def __init__(self, url: str, *, client: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT, limiter: EndpointRateLimiter | None = None,
                 name: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self.url = url
        self.timeout = timeout
        self.name = name
        self.clock = clock
        self.limiter = limiter if limiter is not None else shared_limiter(self.kind)
        self._client = client
        self._own_client: httpx.Client | None = None

    # -- helpers

    @property
    def endpoint(self) -> str:
        return mask_url(self.url)

    @property
    def client(self) -> httpx.Client:
        if self._client is not None:
            return self._client
        if self._own_client is None:
            # No redirects: a robot endpoint answers itself; a redirect is a wrong URL
            # and following it would carry the message (and a secret) elsewhere.
            self._own_client = httpx.Client(timeout=self.timeout, follow_redirects=False,
                                            trust_env=False)
        return self._own_client

    def close(self) -> None:
        if self._own_client is not None:
            self._own_client.close()
            self._own_client = None

    def __enter__(self) -> HttpChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def error(self, message: str, *, permanent: bool, code: int | None = None,
              retry_after: float | None = None) -> ChannelError:
        return ChannelError(message, resource=self.endpoint, permanent=permanent,
                            platform=self.kind, code=code, retry_after=retry_after)

    @property
    def limit_key(self) -> str:
        """What the rate limiter counts against: the robot's URL; an app channel counts
        per app instead, whatever endpoint it calls."""
        return self.url

    def wait_turn(self) -> float:
        try:
            return self.limiter.acquire(self.limit_key, max_wait=self.max_wait)
        except RateLimitExceeded as exc:
            raise self.error(f"发送过于频繁，本地限速：{exc.retry_after:.0f} 秒后再试",
                             permanent=False, retry_after=exc.retry_after) from None

    def post(self, url: str, body: bytes, headers: Mapping[str, str] | None = None
             ) -> httpx.Response:
        """POST ``body`` (JSON, UTF-8). Raises ChannelError for transport failures:
        temporary, except a refused address (SSRF guard) or a malformed URL."""
        return self.request("POST", url, body, headers)

    def request(self, method: str, url: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None,
                params: Mapping[str, str] | None = None) -> httpx.Response:
        all_headers = {"User-Agent": "zhuanlan"}
        if body is not None:
            all_headers["Content-Type"] = "application/json; charset=utf-8"
        all_headers.update(headers or {})
        try:
            return self.client.request(method, url, content=body, headers=all_headers,
                                       params=params, timeout=self.timeout)
        except BlockedAddressError as exc:
            raise self.error(f"地址不允许访问：{exc.message}", permanent=True) from exc
        except httpx.TimeoutException as exc:
            # The platform may have received it: a retry can show the message twice.
            raise self.error(f"请求超时：{type(exc).__name__}", permanent=False) from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise self.error(f"地址无效：{exc}", permanent=True) from exc
        except httpx.HTTPError as exc:
            raise self.error(f"无法连接：{exc or type(exc).__name__}", permanent=False) from exc

    def penalize(self, seconds: float | None) -> None:
        if seconds:
            self.limiter.pause(self.limit_key, seconds)


def json_answer(response: httpx.Response) -> dict | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


_SECRET_PARAMS = {"key", "access_token", "token", "sign", "secret"}


def mask_url(url: str) -> str:
    """The URL with the robot's credential hidden: the query values of key /
    access_token and the last path segment of a Feishu hook. For logs and errors."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(invalid url)"
    path = parts.path
    if "/bot/v2/hook/" in path:
        head, _, token = path.rpartition("/")
        path = f"{head}/{token[:4]}…" if token else path
    query = "&".join(
        f"{k}={v[:4]}…" if k in _SECRET_PARAMS else f"{k}={v}"
        for k, _, v in (p.partition("=") for p in parts.query.split("&") if p))
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}{path}" + (f"?{query}" if query else "")

