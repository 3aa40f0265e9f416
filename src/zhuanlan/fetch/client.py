"""The fetcher: one GET with a total deadline, manual redirects and a size limit.

Everything the project downloads goes through ``Fetcher.get`` or its polite, retrying
siblings ``AsyncFetcher.get`` / ``PoliteFetcher.get`` (async_client.py, polite.py); the
decisions of a GET are shared by all of them (exchange.py). Each returns a
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
``robots``                no / yes   refused by robots.txt (AsyncFetcher only); yes,
                                     with ``retry_after``, while robots.txt is
                                     unreachable (5xx, timeout)
========================  =========  ===================================================

Why the sync Fetcher stays a native sync client rather than a wrapper of AsyncFetcher:
it has no event loop to own or share, so it works from any thread or process pool
without a loop thread behind it; what would drift between two implementations (URL and
redirect checks, limits, status and error mapping, charset) is in ``Exchange``, and the
I/O loop left here is twenty lines.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from zhuanlan.errors import BlockedAddressError, ConfigError
from zhuanlan.fetch.exchange import DEFAULT_USER_AGENT, Exchange, FetchSettings
from zhuanlan.fetch.guard import AddressPolicy
from zhuanlan.fetch.transport import GuardedTransport, request_deadline
from zhuanlan.model import FetchResult

__all__ = ["DEFAULT_USER_AGENT", "Fetcher"]


class Fetcher:
    """Fetches URLs for the project, one attempt per ``get``, from any thread.

    One Fetcher may be shared by threads: httpcore's pool is thread-safe and each
    ``get`` keeps its deadline in a context variable of its own thread.

    ``timeout`` is the total for one ``get`` including redirects and the body;
    ``connect_timeout`` (default: the smaller of 10 s and ``timeout``) bounds each
    connection attempt within it. ``allow_private``: see ``AddressPolicy``.

    This is the plain, single-attempt fetcher. ``AsyncFetcher`` adds politeness per
    host, retries and robots.txt on top of the same decisions (``exchange.py``).
    """

    def __init__(self, *, timeout: float = 20.0, max_bytes: int = 10 * 2**20,
                 max_redirects: int = 5, user_agent: str = DEFAULT_USER_AGENT,
                 allow_private: Iterable[str] = (), connect_timeout: float | None = None,
                 verify: ssl.SSLContext | bool = True) -> None:
        self.settings = FetchSettings.make(
            timeout=timeout, max_bytes=max_bytes, max_redirects=max_redirects,
            user_agent=user_agent, connect_timeout=connect_timeout)
        self.timeout = self.settings.timeout
        self.connect_timeout = self.settings.connect_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.policy = AddressPolicy(allow_private)
        # The transport is driven directly rather than through httpx.Client: the
        # client's redirect bookkeeping runs even with follow_redirects=False and raises
        # on a malformed Location before we could judge it, and we need none of its
        # cookies, auth or proxies. Redirects are followed by hand in get().
        self._transport = GuardedTransport(self.policy, verify=verify)

    @classmethod
    def from_config(cls, cfg: Any) -> Fetcher:
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

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            headers: Mapping[str, str] | None = None) -> FetchResult:
        """GET ``url``. With ``etag``/``last_modified`` (from an earlier result) the
        request is conditional and an unchanged resource gives ``not_modified=True``.
        ``headers`` add to or replace ours (``Referer``, ``User-Agent``).

        Raises FetchError (see the table of reasons above), BlockedAddressError.
        """
        exchange = Exchange(self.settings, url, etag=etag, last_modified=last_modified,
                            headers=headers)
        deadline = time.monotonic() + self.timeout
        with request_deadline(deadline):
            while True:
                response = self._send(exchange, deadline)
                try:
                    if exchange.follow(response):
                        continue
                    done = exchange.check_final(response)
                    if done is not None:
                        return done
                    body = exchange.body(response)
                    try:
                        for raw in response.iter_raw():
                            # A second check beside the stream's own clamped timeouts.
                            if time.monotonic() > deadline:
                                raise exchange.timeout_error()
                            if body.feed(raw):
                                break
                        content = body.finish()
                    except httpx.HTTPError as exc:
                        raise exchange.network_error(exc) from exc
                    return exchange.result(response, content)
                finally:
                    response.close()

    def _send(self, exchange: Exchange, deadline: float) -> httpx.Response:
        # Per-operation timeouts are cut to what is left; the transport's streams cut
        # them again before every read, so a dribbling server cannot outlast the deadline.
        request = exchange.request(deadline)
        try:
            return self._transport.handle_request(request)
        except BlockedAddressError as exc:
            raise exchange.blocked(exc) from exc
        except httpx.HTTPError as exc:
            raise exchange.network_error(exc) from exc
