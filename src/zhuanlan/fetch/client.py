"""The fetcher: one GET with a total deadline, manual redirects and a size limit.

Everything the project downloads goes through ``Fetcher.get``. It returns a
``FetchResult`` or raises ``FetchError`` (``BlockedAddressError`` for the SSRF guard),
with a short ``reason`` code a source's status can show:

========================  =========  ===================================================
reason                    temporary  when
========================  =========  ===================================================
``bad_scheme``            no         not http(s), also for a redirect target
``bad_url``               no         a URL httpx cannot parse or without a host
``blocked_address``       no         resolves to a private/loopback/… address
``timeout``               yes        the total deadline passed (connect, headers, body)
``connect``               yes        DNS failure, refused or reset connection
``tls``                   no         certificate or handshake failure
``protocol``              yes        the server broke HTTP
``too_many_redirects``    no         more than ``max_redirects`` hops, or a loop
``http_status``           5xx, 429   a status >= 400 (or a 3xx without Location)
``too_large``             no         body over ``max_bytes`` after decompression
``bad_encoding``          no         unknown or corrupt Content-Encoding
========================  =========  ===================================================
"""

from __future__ import annotations

import re
import ssl
import time
from typing import Any, Iterable, Iterator, Mapping

import httpx

from zhuanlan.errors import BlockedAddressError, ConfigError, FetchError
from zhuanlan.fetch.body import CorruptBody, UnsupportedEncoding, decode_limited
from zhuanlan.fetch.charset import detect_encoding
from zhuanlan.fetch.guard import ALLOWED_SCHEMES, AddressPolicy
from zhuanlan.fetch.transport import GuardedTransport, request_deadline
from zhuanlan.model import FetchResult

DEFAULT_USER_AGENT = "zhuanlan/0.1 (+https://github.com/zhuanlan)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TEMPORARY_STATUS = frozenset({408, 425, 429})
# Headers a caller may have meant for the first host only.
_CREDENTIALS = ("authorization", "cookie", "proxy-authorization")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_TEXTUAL = ("text/", "xml", "json", "javascript", "html")
_BINARY = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
           "application/gzip", "application/x-")


class Fetcher:
    """Fetches URLs for the project.

    One Fetcher may be shared by threads: httpcore's pool is thread-safe and each
    ``get`` keeps its deadline in a context variable of its own thread.

    ``timeout`` is the total for one ``get`` including redirects and the body;
    ``connect_timeout`` (default: the smaller of 10 s and ``timeout``) bounds each
    connection attempt within it. ``allow_private``: see ``AddressPolicy``.
    """

    def __init__(self, *, timeout: float = 20.0, max_bytes: int = 10 * 2**20,
                 max_redirects: int = 5, user_agent: str = DEFAULT_USER_AGENT,
                 allow_private: Iterable[str] = (), connect_timeout: float | None = None,
                 verify: ssl.SSLContext | bool = True) -> None:
        if timeout <= 0 or max_bytes <= 0 or max_redirects < 0:
            raise ValueError("timeout and max_bytes must be positive, max_redirects >= 0")
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout or 10.0, timeout)
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.policy = AddressPolicy(allow_private)
        # The transport is driven directly rather than through httpx.Client: the
        # client's redirect bookkeeping runs even with follow_redirects=False and raises
        # on a malformed Location before we could judge it, and we need none of its
        # cookies, auth or proxies. Redirects are followed by hand in get().
        self._transport = GuardedTransport(self.policy, verify=verify)
        self._headers = {
            "User-Agent": user_agent,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,"
                      "application/rss+xml,application/atom+xml,*/*;q=0.8",
            "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
            # We decompress ourselves (bounded, see body.py): ask only for what we decode.
            "Accept-Encoding": "gzip, deflate",
        }

    @classmethod
    def from_config(cls, cfg: Any) -> "Fetcher":
        """A Fetcher with the ``fetch.*`` settings of a ``zhuanlan.config.Config``.

        (``zhuanlan run`` adds the bundled sample site's address to the allow-list.)
        Raises ConfigError for a malformed allow-list entry.
        """
        allow = list(cfg["fetch.allow_private"])
        try:
            return cls(timeout=cfg["fetch.timeout"], max_bytes=cfg["fetch.max_bytes"],
                       max_redirects=cfg["fetch.max_redirects"],
                       user_agent=cfg["fetch.user_agent"], allow_private=allow)
        except ValueError as exc:
            raise ConfigError("fetch.allow_private", str(exc)) from exc

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            headers: Mapping[str, str] | None = None) -> FetchResult:
        """GET ``url``. With ``etag``/``last_modified`` (from an earlier result) the
        request is conditional and an unchanged resource gives ``not_modified=True``."""
        deadline = time.monotonic() + self.timeout
        extra = httpx.Headers(self._headers)
        extra.update(headers or {})   # case-insensitive: a caller's User-Agent replaces ours
        extra["Accept-Encoding"] = self._headers["Accept-Encoding"]   # see __init__
        if etag:
            extra["If-None-Match"] = etag
        if last_modified:
            extra["If-Modified-Since"] = last_modified
        current = _parse_url(url, url)
        seen = {str(current)}
        with request_deadline(deadline):
            for _hop in range(self.max_redirects + 1):
                response = self._send(url, current, extra, deadline)
                try:
                    target = self._redirect_target(url, current, response)
                    if target is None:
                        return self._result(url, current, response, deadline, etag,
                                            last_modified)
                finally:
                    response.close()
                if str(target) in seen:
                    raise FetchError(url, "too_many_redirects",
                                     f"redirect loop at {target}")
                seen.add(str(target))
                if (target.scheme, target.host, target.port) != (
                        current.scheme, current.host, current.port):
                    for name in _CREDENTIALS:
                        extra.pop(name, None)
                current = target
        raise FetchError(url, "too_many_redirects",
                         f"more than {self.max_redirects} redirects")

    def _send(self, url: str, current: httpx.URL, extra: httpx.Headers,
              deadline: float) -> httpx.Response:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timeout(url, self.timeout)
        # Per-operation timeouts are cut to what is left; the transport's streams cut
        # them again before every read, so a dribbling server cannot outlast the deadline.
        timeout = httpx.Timeout(left, connect=min(self.connect_timeout, left))
        request = httpx.Request("GET", current, headers=extra,
                                extensions={"timeout": timeout.as_dict()})
        try:
            return self._transport.handle_request(request)
        except BlockedAddressError as exc:
            raise _blocked(url, current, exc) from exc
        except httpx.HTTPError as exc:
            raise _network_error(url, current, exc, self.timeout) from exc

    def _redirect_target(self, url: str, current: httpx.URL,
                         response: httpx.Response) -> httpx.URL | None:
        if response.status_code not in _REDIRECTS:
            return None
        location = response.headers.get("Location", "").strip()
        if not location:
            return None   # reported as an http_status error by _result
        # The scheme is checked on the text first: httpx cannot even join some
        # non-HTTP targets (javascript:…) and would report them as malformed.
        if _SCHEME.match(location):   # relative targets inherit ours
            _check_scheme(url, location, hop=True)
        try:
            target = current.join(location)
        except httpx.InvalidURL as exc:
            raise FetchError(url, "bad_url",
                             f"not a valid URL (redirect to {location}): {exc}") from exc
        return _parse_url(url, target, hop=True)

    def _result(self, url: str, current: httpx.URL, response: httpx.Response,
                deadline: float, etag: str | None, last_modified: str | None,
                ) -> FetchResult:
        status = response.status_code
        headers = response.headers
        if status == 304:
            return FetchResult(url=str(current), requested_url=url, status=304,
                               content=b"", content_type=headers.get("Content-Type", ""),
                               encoding=None, etag=headers.get("ETag") or etag,
                               last_modified=headers.get("Last-Modified") or last_modified,
                               not_modified=True)
        if status >= 300:
            temporary = status >= 500 or status in _TEMPORARY_STATUS
            raise FetchError(url, "http_status", f"server answered HTTP {status}"
                             f"{_where(url, current)}", temporary=temporary, status=status)
        declared = headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise _too_large(url, self.max_bytes)
        try:
            content = decode_limited(_until(response.iter_raw(), deadline, url, self.timeout),
                                     headers.get("Content-Encoding"), self.max_bytes)
        except OverflowError:
            raise _too_large(url, self.max_bytes) from None
        except (UnsupportedEncoding, CorruptBody) as exc:
            raise FetchError(url, "bad_encoding", f"cannot decode the body "
                             f"({headers.get('Content-Encoding')}): {exc}") from exc
        except BlockedAddressError as exc:   # pragma: no cover - body reads never connect
            raise _blocked(url, current, exc) from exc
        except httpx.HTTPError as exc:
            raise _network_error(url, current, exc, self.timeout) from exc
        content_type = headers.get("Content-Type", "")
        encoding = (detect_encoding(content, content_type)
                    if _is_textual(content_type, content) else None)
        return FetchResult(url=str(current), requested_url=url, status=status,
                           content=content, content_type=content_type, encoding=encoding,
                           etag=headers.get("ETag"),
                           last_modified=headers.get("Last-Modified"))


def _until(chunks: Iterator[bytes], deadline: float, url: str,
           timeout: float) -> Iterator[bytes]:
    """``chunks`` while the deadline holds (a second check beside the stream's own)."""
    for chunk in chunks:
        if time.monotonic() > deadline:
            raise _timeout(url, timeout)
        yield chunk


def _check_scheme(url: str, text: str, *, hop: bool = False) -> None:
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else ""
    if scheme not in ALLOWED_SCHEMES:
        where = f" (redirect to {text})" if hop else ""
        raise FetchError(url, "bad_scheme",
                         f"only http and https URLs are fetched, not {scheme or '?'}:{where}")


def _parse_url(url: str, value: str | httpx.URL, *, hop: bool = False) -> httpx.URL:
    where = f" (redirect to {value})" if hop else ""
    if isinstance(value, str):
        _check_scheme(url, value.strip(), hop=hop)
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


def _where(url: str, current: httpx.URL) -> str:
    return "" if str(current) == url else f" (at {current})"


def _is_textual(content_type: str, content: bytes) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    if not kind or any(mark in kind for mark in _TEXTUAL):
        return True
    if kind.startswith(_BINARY):
        return False
    # Misconfigured servers send pages and feeds as application/octet-stream & co.
    return content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _timeout(url: str, timeout: float) -> FetchError:
    return FetchError(url, "timeout", f"no complete answer within {timeout:g} s",
                      temporary=True)


def _too_large(url: str, max_bytes: int) -> FetchError:
    return FetchError(url, "too_large",
                      f"body larger than {max_bytes / 2**20:.1f} MiB (fetch.max_bytes)")


def _blocked(url: str, current: httpx.URL, exc: BlockedAddressError) -> BlockedAddressError:
    return BlockedAddressError(url, exc.message + _where(url, current))


def _network_error(url: str, current: httpx.URL, exc: httpx.HTTPError,
                   timeout: float) -> FetchError:
    where = _where(url, current)
    if isinstance(exc, httpx.TimeoutException):
        return _timeout(url, timeout)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return FetchError(url, "bad_scheme", f"unsupported URL scheme{where}")
    if isinstance(exc, httpx.InvalidURL):
        return FetchError(url, "bad_url", f"not a valid URL{where}: {exc}")
    if isinstance(exc, httpx.ConnectError) and _is_tls(exc):
        return FetchError(url, "tls", f"TLS failed{where}: {exc}")
    if isinstance(exc, httpx.RemoteProtocolError):
        return FetchError(url, "protocol", f"server broke HTTP{where}: {exc}", temporary=True)
    verb = "cannot connect" if isinstance(exc, httpx.ConnectError) else "connection failed"
    return FetchError(url, "connect", f"{verb}{where}: {exc or type(exc).__name__}",
                      temporary=True)


def _is_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
