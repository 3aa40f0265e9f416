"""Shared parts of the group-robot channels (WeCom, DingTalk, Feishu) and the generic
webhook: rendering an issue as chat markdown, splitting it into messages that each fit
the platform's size limit, a per-endpoint rate limiter, the channel config, and
:func:`send_issue`.

Pure stage: IssueView in, JSON payloads out, HTTP through an ``httpx.Client`` the caller
may inject (an SSRF-guarded transport, or a test server's). Nothing here touches the
database or the web app.

Splitting rules (:func:`paginate`): items keep the issue's order and are numbered across
messages ("1." … "60."); an item is never cut between two messages; each message is
measured *as sent* (the platform's own measure: WeCom counts the markdown content's UTF-8
bytes, Feishu the whole request body) with the page numbers and the closing link
reserved, so the final rendering can only be shorter. An item that does not fit a
message on its own is shortened (summary dropped, then title cut), never dropped.

Rate limits (documented, per robot): WeCom 20 messages/minute; DingTalk 20/minute
(exceeding it throttles the robot for 10 minutes); Feishu 100/minute and 5/second. The
:class:`RateLimiter` keeps every endpoint inside them in this process.
"""

from __future__ import annotations

import base64
import collections
import email.utils
import hashlib
import hmac
import ipaddress
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Protocol, Sequence, TypeVar
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import httpx

from zhuanlan.errors import BlockedAddressError, ConfigError, DeliveryError
from zhuanlan.model import IssueItemView, IssueView
from zhuanlan.publish.render import http_url

__all__ = [
    "Channel", "HttpChannel", "ChannelError", "RateLimiter", "RateLimitExceeded", "LinkFn", "Dialect", "Entry",
    "render_pages", "paginate", "utf8_len", "truncate_bytes", "hmac_sha256_b64",
    "channel_from_config", "send_issue", "SendReport", "KINDS", "shared_limiter",
]

DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_TIMEOUT = 10.0

LinkFn = Callable[[IssueItemView], str]
"""Where an item's title links to: by default ``item.web_url`` (the web reader); the
caller may give personal signed reader links instead."""


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


class RateLimiter:
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
}
_shared: dict[str, RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(kind: str) -> RateLimiter:
    """The process-wide limiter of a channel kind (keys are the endpoints)."""
    with _shared_lock:
        if kind not in _shared:
            _shared[kind] = RateLimiter(LIMITS[kind], margin=1.0)
        return _shared[kind]


# --------------------------------------------------------------------------- rendering

def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def truncate_bytes(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (ellipsis included), on a
    character boundary."""
    if utf8_len(text) <= limit:
        return text
    room = limit - utf8_len(ellipsis)
    if room <= 0:
        return ellipsis.encode("utf-8")[:max(limit, 0)].decode("utf-8", "ignore")
    cut = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    return cut + ellipsis


def _chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:max(limit - 1, 0)].rstrip() + "…"


_WS = re.compile(r"\s+")
# Characters with a meaning in the robots' markdown dialects (links, emphasis, HTML-like
# tags such as <font> and <at>): turned into their full-width forms, which read the same
# in Chinese text and can neither break a link nor @ anyone.
_MD_SWAP = str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞", "*": "＊",
                          "`": "'", "|": "｜", "_": "＿", "~": "～", "#": "＃"})


def md_text(text: str | None) -> str:
    """One line of plain text safe inside the robots' markdown."""
    return _WS.sub(" ", (text or "")).strip().translate(_MD_SWAP)


def safe_url(url: str | None) -> str | None:
    """An absolute http(s) URL made safe inside ``[text](url)``, or None."""
    url = http_url(url)
    if url is None:
        return None
    # Keep reserved characters (the signed token's "." "-" "_" "=" "&"); quote what
    # would end the markdown link or the line.
    return quote(url, safe=":/?#@!$&'*+,;=%-._~[]")


def _date(dt: datetime | None, zone: ZoneInfo) -> str:
    if dt is None:
        return ""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("issue dates must be timezone-aware")
    local = dt.astimezone(zone)
    return f"{local.year}年{local.month}月{local.day}日"


@dataclass(frozen=True)
class Entry:
    """One item of an issue as placed in a message: its number in the issue (1-based),
    the item, where its title links to, and how much of its text may be shown."""

    number: int
    item: IssueItemView
    link: str | None
    date: str
    title_max: int = 200          # characters
    summary_max: int = 80         # characters; 0 = no summary

    def title(self) -> str:
        return _chars(md_text(self.item.title) or "（无标题）", self.title_max)

    def summary(self) -> str:
        return _chars(md_text(self.item.summary), self.summary_max) if self.summary_max else ""

    def meta(self) -> str:
        source = md_text(self.item.source_name)
        return "　".join(p for p in (f"来源：{source}" if source else "", self.date) if p)

    def shrunk(self) -> "Entry | None":
        """A shorter rendering of the same item, or None when it cannot shrink more."""
        if self.summary_max:
            return Entry(self.number, self.item, self.link, self.date, self.title_max, 0)
        if self.title_max > 16:
            return Entry(self.number, self.item, self.link, self.date,
                         max(16, self.title_max // 2), 0)
        return None


@dataclass(frozen=True)
class IssueHead:
    """What every message of an issue shows above its items."""

    subject: str              # 学习二十大 · 第3期
    title: str                # the issue's own title, "" when it only repeats the subject
    note: str                 # 编者按, one paragraph per line, already safe
    date: str
    web_url: str | None


def issue_head(issue: IssueView, *, tz: str = DEFAULT_TZ, note_max: int = 400,
               issue_url: str | None = None) -> IssueHead:
    zone = ZoneInfo(tz)
    subject = f"{md_text(issue.column_name)} · 第{issue.number}期"
    title = md_text(issue.title)
    if title in {"", f"第{issue.number}期", md_text(issue.column_name), subject}:
        title = ""
    paragraphs = [md_text(p) for p in (issue.editor_note or "").splitlines() if p.strip()]
    note = _chars("\n".join(paragraphs), note_max) if note_max else ""
    return IssueHead(subject=subject, title=title, note=note,
                     date=_date(issue.published_at, zone),
                     web_url=safe_url(issue_url or issue.web_url))


class Dialect(Protocol):
    """How one platform writes an issue page in its markdown."""

    def page(self, head: IssueHead, entries: Sequence[Entry], index: int, total: int,
             last: bool) -> Any: ...


def page_label(head: IssueHead, index: int, total: int) -> str:
    return head.subject if total <= 1 else f"{head.subject}（{index}/{total}）"


T = TypeVar("T")
P = TypeVar("P")


def paginate(entries: Sequence[T], build: Callable[[Sequence[T], int, int, bool], P],
             fits: Callable[[P], bool], shrink: Callable[[T], T | None]) -> list[P]:
    """Split ``entries`` into as few pages as greedy packing gives, in order, none cut.

    ``build(entries, index, total, last)`` makes a page (1-based ``index``); ``fits``
    says whether a page is within the limit. Pages are packed against a page built with
    the widest page numbers and ``last=True`` (the closing link included), so the real
    rendering is never longer. An entry too big for a page of its own is replaced by
    ``shrink(entry)`` until it fits; DeliveryError (permanent) when it cannot.
    """
    wide = int("9" * len(str(len(entries) + 1)))
    pages: list[list[T]] = []
    current: list[T] = []
    for entry in entries:
        if current and fits(build([*current, entry], len(pages) + 1, wide, True)):
            current.append(entry)
            continue
        if current:
            pages.append(current)
            current = []
        while not fits(build([entry], len(pages) + 1, wide, True)):
            smaller = shrink(entry)
            if smaller is None:
                raise DeliveryError("有一条内容即使缩短后也超出了单条消息的长度上限",
                                    permanent=True)
            entry = smaller
        current = [entry]
    if current or not pages:
        pages.append(current)
    total = len(pages)
    out = [build(page, i, total, i == total) for i, page in enumerate(pages, 1)]
    for payload in out:
        if not fits(payload):        # cannot happen (see above); never send one that fails
            raise DeliveryError("消息分段后仍超出长度上限", permanent=True)
    return out


def entries_of(issue: IssueView, links: LinkFn | None, *, tz: str = DEFAULT_TZ,
               summary_max: int = 80, title_max: int = 200) -> list[Entry]:
    zone = ZoneInfo(tz)
    out = []
    for n, item in enumerate(issue.items, 1):
        raw = links(item) if links is not None else item.web_url
        link = safe_url(raw) or safe_url(item.web_url) or safe_url(item.original_url)
        out.append(Entry(n, item, link, _date(item.published, zone), title_max, summary_max))
    return out


def render_pages(issue: IssueView, links: LinkFn | None, dialect: Dialect,
                 fits: Callable[[Any], bool], *, tz: str = DEFAULT_TZ,
                 summary_max: int = 80, note_max: int = 400,
                 issue_url: str | None = None,
                 wrap: Callable[[Any, IssueHead, int, int], Any] | None = None) -> list[Any]:
    """The issue as pages (markdown texts, or ``wrap(page, head, index, total)`` — the
    payload as sent — when given), each accepted by ``fits``, split by :func:`paginate`.

    The editor's note is shortened (down to nothing) when the first message could not
    hold it with even one item.
    """
    entries = entries_of(issue, links, tz=tz, summary_max=summary_max)
    finish = wrap or (lambda page, head, index, total: page)
    while True:
        head = issue_head(issue, tz=tz, note_max=note_max, issue_url=issue_url)
        minimal = [_smallest(e) for e in entries[:1]]
        if fits(finish(dialect.page(head, minimal, 1, 99, True), head, 1, 99)) or note_max == 0:
            break
        note_max = note_max // 2 if note_max > 20 else 0

    def build(chunk: Sequence[Entry], index: int, total: int, last: bool) -> Any:
        # Only the first message carries the note and the issue's title.
        h = head if index == 1 else IssueHead(head.subject, "", "", head.date, head.web_url)
        return finish(dialect.page(h, chunk, index, total, last), h, index, total)

    return paginate(entries, build, fits, Entry.shrunk)


def _smallest(entry: Entry) -> Entry:
    while (smaller := entry.shrunk()) is not None:
        entry = smaller
    return entry


# ----------------------------------------------------------------------------- signing

def hmac_sha256_b64(key: str, message: str) -> str:
    digest = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


# ------------------------------------------------------------------------------ config

KINDS = ("wecom", "dingtalk", "feishu", "webhook")
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


def channel_from_config(cfg: Mapping[str, Any], *, client: httpx.Client | None = None,
                        limiter: RateLimiter | None = None, where: str = "channel",
                        clock: Callable[[], float] = time.time) -> "Channel":
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
    endpoint: str     # the URL with its secret masked, for messages and logs

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


class HttpChannel:
    """Common HTTP plumbing of the four channels: a JSON POST through an injectable
    ``httpx.Client``, the rate limiter, and transport errors turned into ChannelError."""

    kind = ""
    max_wait = 60.0           # longest the limiter may block a send before giving up

    def __init__(self, url: str, *, client: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT, limiter: RateLimiter | None = None,
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

    def __enter__(self) -> "HttpChannel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def error(self, message: str, *, permanent: bool, code: int | None = None,
              retry_after: float | None = None) -> ChannelError:
        return ChannelError(message, resource=self.endpoint, permanent=permanent,
                            platform=self.kind, code=code, retry_after=retry_after)

    def wait_turn(self) -> float:
        try:
            return self.limiter.acquire(self.url, max_wait=self.max_wait)
        except RateLimitExceeded as exc:
            raise self.error(f"发送过于频繁，本地限速：{exc.retry_after:.0f} 秒后再试",
                             permanent=False, retry_after=exc.retry_after) from None

    def post(self, url: str, body: bytes, headers: Mapping[str, str] | None = None
             ) -> httpx.Response:
        """POST ``body`` (JSON, UTF-8). Raises ChannelError for transport failures:
        temporary, except a refused address (SSRF guard) or a malformed URL."""
        all_headers = {"Content-Type": "application/json; charset=utf-8",
                       "User-Agent": "zhuanlan"}
        all_headers.update(headers or {})
        try:
            return self.client.post(url, content=body, headers=all_headers,
                                    timeout=self.timeout)
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
            self.limiter.pause(self.url, seconds)


def json_answer(response: httpx.Response) -> dict | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def retry_after_header(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date, RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


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
