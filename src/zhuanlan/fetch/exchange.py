"""One GET as a sequence of decisions, without I/O: shared by the sync and async fetchers.

``Fetcher`` (threads, httpx's sync transport) and ``AsyncFetcher`` (asyncio, the async
transport) differ only in how they send a request and read a body. Everything else —
the headers sent, which URLs and redirect targets are acceptable, loops and the redirect
limit, credentials dropped when the origin changes, conditional GET, status codes, the
size limit, charset detection and the mapping of failures to ``FetchError`` reasons —
lives in ``Exchange`` so that the two can never drift apart. Each fetcher's loop is::

    exchange = Exchange(settings, url, ...)
    while True:
        response = send(exchange.request(deadline))      # errors: exchange.network_error
        if exchange.follow(response): continue           # a redirect: next hop
        done = exchange.check_final(response)            # 304, error status, length
        if done: return done
        body = exchange.body(response)
        for raw in response.iter_raw(): body.feed(raw)   # size limit, bounded inflation
        return exchange.result(response, body.finish())
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from zhuanlan.errors import BlockedAddressError, FetchError
from zhuanlan.fetch.body import CorruptBody, LimitedBody, UnsupportedEncoding
from zhuanlan.fetch.charset import detect_encoding
from zhuanlan.fetch.guard import ALLOWED_SCHEMES
from zhuanlan.fetch.retry import parse_retry_after, with_retry_after
from zhuanlan.model import FetchResult

DEFAULT_USER_AGENT = "zhuanlan/0.1 (+https://github.com/zhuanlan)"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TEMPORARY_STATUS = frozenset({408, 425, 429})
# Headers a caller may have meant for the first host only.
_CREDENTIALS = ("authorization", "cookie", "proxy-authorization")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_TEXTUAL = ("text/", "xml", "json", "javascript", "html")
_BINARY = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
           "application/gzip", "application/x-")


def default_headers(user_agent: str) -> dict[str, str]:
    return {
        "User-Agent": user_agent,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,"
                  "application/rss+xml,application/atom+xml,*/*;q=0.8",
        "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
        # We decompress ourselves (bounded, see body.py): ask only for what we decode.
        "Accept-Encoding": "gzip, deflate",
    }


@dataclass(frozen=True)
class FetchSettings:
    """The limits both fetchers apply to one GET (see ``Fetcher`` for their meaning)."""

    timeout: float = 20.0
    connect_timeout: float = 10.0
    max_bytes: int = 10 * 2**20
    max_redirects: int = 5
    headers: Mapping[str, str] = field(default_factory=lambda: default_headers(
        DEFAULT_USER_AGENT))

    @classmethod
    def make(cls, *, timeout: float, max_bytes: int, max_redirects: int, user_agent: str,
             connect_timeout: float | None) -> FetchSettings:
        """Validated settings; raises ValueError for non-positive limits."""
        if timeout <= 0 or max_bytes <= 0 or max_redirects < 0:
            raise ValueError("timeout and max_bytes must be positive, max_redirects >= 0")
        return cls(timeout=timeout, connect_timeout=min(connect_timeout or 10.0, timeout),
                   max_bytes=max_bytes, max_redirects=max_redirects,
                   headers=default_headers(user_agent))


class Exchange:
    """The state of one GET of ``url`` across its redirect hops.

    ``current`` is the URL of the hop being sent. Raises FetchError (reason ``bad_scheme``
    or ``bad_url``) at construction for a URL that must not be fetched at all.
    ``max_bytes``/``truncate`` override the settings' limit (robots.txt is read cut at
    512 KiB rather than refused).
    """

    def __init__(self, settings: FetchSettings, url: str, *, etag: str | None = None,
                 last_modified: str | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float | None = None,
                 max_bytes: int | None = None, truncate: bool = False) -> None:
        self.settings = settings
        self.url = url
        self.etag = etag
        self.last_modified = last_modified
        self.timeout = timeout or settings.timeout
        # A caller's limit can only tighten the settings' one.
        self.max_bytes = min(max_bytes, settings.max_bytes) if max_bytes else settings.max_bytes
        self.truncate = truncate
        sent = httpx.Headers(settings.headers)
        sent.update(headers or {})   # case-insensitive: a caller's User-Agent replaces ours
        sent["Accept-Encoding"] = settings.headers["Accept-Encoding"]   # see body.py
        if etag:
            sent["If-None-Match"] = etag
        if last_modified:
            sent["If-Modified-Since"] = last_modified
        self.headers = sent
        self.current = parse_url(url, url)
        self.hops = 0
        self._seen = {str(self.current)}

    # -- sending ---------------------------------------------------------------------

    def request(self, deadline: float) -> httpx.Request:
        """The request for the current hop, its socket timeouts cut to the time left
        before ``deadline`` (a ``time.monotonic()`` value)."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise self.timeout_error()
        timeout = httpx.Timeout(left, connect=min(self.settings.connect_timeout, left))
        return httpx.Request("GET", self.current, headers=self.headers,
                             extensions={"timeout": timeout.as_dict()})

    def follow(self, response: httpx.Response) -> bool:
        """True if ``response`` redirects and ``current`` moved to its target.

        Raises FetchError for a bad target, a loop or one hop too many.
        """
        target = self._redirect_target(response)
        if target is None:
            return False
        if str(target) in self._seen:
            raise FetchError(self.url, "too_many_redirects", f"redirect loop at {target}")
        self._seen.add(str(target))
        self.hops += 1
        if self.hops > self.settings.max_redirects:
            raise FetchError(self.url, "too_many_redirects",
                             f"more than {self.settings.max_redirects} redirects")
        if origin(target) != origin(self.current):
            for name in _CREDENTIALS:
                self.headers.pop(name, None)
        self.current = target
        return True

    def _redirect_target(self, response: httpx.Response) -> httpx.URL | None:
        if response.status_code not in REDIRECTS:
            return None
        location = response.headers.get("Location", "").strip()
        if not location:
            return None   # reported as an http_status error by check_final
        # The scheme is checked on the text first: httpx cannot even join some
        # non-HTTP targets (javascript:…) and would report them as malformed.
        if _SCHEME.match(location):   # relative targets inherit ours
            check_scheme(self.url, location, hop=True)
        try:
            target = self.current.join(location)
        except httpx.InvalidURL as exc:
            raise FetchError(self.url, "bad_url",
                             f"not a valid URL (redirect to {location}): {exc}") from exc
        return parse_url(self.url, target, hop=True)

    # -- the final response ----------------------------------------------------------

    def check_final(self, response: httpx.Response) -> FetchResult | None:
        """The result of a bodiless answer (304), None when the body is to be read.

        Raises FetchError ``http_status`` (with ``retry_after`` from the header) for a
        status >= 300, ``too_large`` for an announced length over the limit.
        """
        status = response.status_code
        headers = response.headers
        if status == 304:
            return FetchResult(url=str(self.current), requested_url=self.url, status=304,
                               content=b"", content_type=headers.get("Content-Type", ""),
                               encoding=None, etag=headers.get("ETag") or self.etag,
                               last_modified=headers.get("Last-Modified")
                               or self.last_modified, not_modified=True)
        if status >= 300:
            temporary = status >= 500 or status in _TEMPORARY_STATUS
            exc = FetchError(self.url, "http_status", f"server answered HTTP {status}"
                             f"{self._where()}", temporary=temporary, status=status)
            raise with_retry_after(exc, parse_retry_after(headers.get("Retry-After")))
        declared = headers.get("Content-Length", "").strip()
        if not self.truncate and declared.isdigit() and int(declared) > self.max_bytes:
            raise self.too_large()
        return None

    def body(self, response: httpx.Response) -> BodyReader:
        try:
            inner = LimitedBody(response.headers.get("Content-Encoding"), self.max_bytes,
                                truncate=self.truncate)
        except UnsupportedEncoding as exc:
            raise self._bad_encoding(response, exc) from exc
        return BodyReader(self, response, inner)

    def result(self, response: httpx.Response, content: bytes) -> FetchResult:
        headers = response.headers
        content_type = headers.get("Content-Type", "")
        encoding = (detect_encoding(content, content_type)
                    if is_textual(content_type, content) else None)
        return FetchResult(url=str(self.current), requested_url=self.url,
                           status=response.status_code, content=content,
                           content_type=content_type, encoding=encoding,
                           etag=headers.get("ETag"),
                           last_modified=headers.get("Last-Modified"))

    # -- failures --------------------------------------------------------------------

    def _where(self) -> str:
        return "" if str(self.current) == self.url else f" (at {self.current})"

    def timeout_error(self) -> FetchError:
        return FetchError(self.url, "timeout", f"no complete answer within {self.timeout:g} s",
                          temporary=True)

    def too_large(self) -> FetchError:
        if self.max_bytes < self.settings.max_bytes:     # the caller's own, tighter limit
            return FetchError(self.url, "too_large",
                              f"body larger than {self.max_bytes} bytes")
        return FetchError(self.url, "too_large", f"body larger than "
                          f"{self.max_bytes / 2**20:.1f} MiB (fetch.max_bytes)")

    def blocked(self, exc: BlockedAddressError) -> BlockedAddressError:
        return BlockedAddressError(self.url, exc.message + self._where())

    def _bad_encoding(self, response: httpx.Response, exc: Exception) -> FetchError:
        return FetchError(self.url, "bad_encoding", f"cannot decode the body "
                          f"({response.headers.get('Content-Encoding')}): {exc}")

    def network_error(self, exc: httpx.HTTPError) -> FetchError:
        where = self._where()
        if isinstance(exc, httpx.TimeoutException):
            return self.timeout_error()
        if isinstance(exc, httpx.UnsupportedProtocol):
            return FetchError(self.url, "bad_scheme", f"unsupported URL scheme{where}")
        if isinstance(exc, httpx.InvalidURL):
            return FetchError(self.url, "bad_url", f"not a valid URL{where}: {exc}")
        if isinstance(exc, httpx.ConnectError) and _is_tls(exc):
            return FetchError(self.url, "tls", f"TLS failed{where}: {exc}")
        if isinstance(exc, httpx.RemoteProtocolError):
            return FetchError(self.url, "protocol", f"server broke HTTP{where}: {exc}",
                              temporary=True)
        verb = "cannot connect" if isinstance(exc, httpx.ConnectError) else "connection failed"
        return FetchError(self.url, "connect", f"{verb}{where}: {exc or type(exc).__name__}",
                          temporary=True)


class BodyReader:
    """``LimitedBody`` with its failures reported as the exchange's FetchErrors."""

    def __init__(self, exchange: Exchange, response: httpx.Response,
                 inner: LimitedBody) -> None:
        self._exchange = exchange
        self._response = response
        self._inner = inner

    def feed(self, raw: bytes) -> bool:
        """Add a raw chunk; True when reading can stop (truncated at the limit)."""
        try:
            return self._inner.feed(raw)
        except OverflowError:
            raise self._exchange.too_large() from None
        except CorruptBody as exc:
            raise self._exchange._bad_encoding(self._response, exc) from exc

    def finish(self) -> bytes:
        try:
            return self._inner.finish()
        except OverflowError:
            raise self._exchange.too_large() from None
        except CorruptBody as exc:
            raise self._exchange._bad_encoding(self._response, exc) from exc


# -- URLs ------------------------------------------------------------------------------

def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def check_scheme(url: str, text: str, *, hop: bool = False) -> None:
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else ""
    if scheme not in ALLOWED_SCHEMES:
        where = f" (redirect to {text})" if hop else ""
        raise FetchError(url, "bad_scheme",
                         f"only http and https URLs are fetched, not {scheme or '?'}:{where}")


def parse_url(url: str, value: str | httpx.URL, *, hop: bool = False) -> httpx.URL:
    """``value`` as an httpx.URL fit to fetch; FetchError ``bad_scheme``/``bad_url``
    (naming ``url``, the URL asked for) otherwise."""
    where = f" (redirect to {value})" if hop else ""
    if isinstance(value, str):
        check_scheme(url, value.strip(), hop=hop)
    try:
        parsed = value if isinstance(value, httpx.URL) else httpx.URL(value.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError(url, "bad_url", f"not a valid URL{where}: {exc}") from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise FetchError(url, "bad_scheme",
                         f"only http and https URLs are fetched, not {parsed.scheme}:{where}")
    if not parsed.host:
        raise FetchError(url, "bad_url", f"URL has no host{where}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise FetchError(url, "bad_url", f"port out of range{where}")
    return parsed


def is_textual(content_type: str, content: bytes) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    if not kind or any(mark in kind for mark in _TEXTUAL):
        return True
    if kind.startswith(_BINARY):
        return False
    # Misconfigured servers send pages and feeds as application/octet-stream & co.
    return content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _is_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
