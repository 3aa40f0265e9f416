"""The httpx transport of the fetcher: SSRF check at connect time and a total deadline.

httpx resolves and connects inside httpcore's network backend, so that is where the
guard sits: ``GuardedBackend.connect_tcp`` resolves the host itself, checks *every*
address with the AddressPolicy and connects to a checked IP literal. Every hop of a
redirect chain opens its connection through here, so redirects to private addresses and
DNS rebinding (a name that resolves to a public address for a pre-check and to a private
one for the connect) are both caught. TLS is unaffected: httpcore passes the URL's host
name separately to ``start_tls`` for SNI and certificate checks.

httpx timeouts apply per socket operation, so a server dribbling one byte per second
never trips them. The fetcher sets a deadline (``request_deadline``) and the streams made
here shorten every connect/read/write timeout to the time left, raising httpcore's own
timeout exceptions, which httpx maps to ``httpx.TimeoutException`` as usual.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import ssl
import threading
import time
import typing

import anyio
import anyio.to_thread
import httpcore
import httpx

from zhuanlan.fetch.guard import AddressPolicy, parse_ip

# A context variable, not an attribute of the backend or stream: pooled connections are
# shared by successive requests, each with its own deadline.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "zhuanlan_fetch_deadline", default=None)


@contextlib.contextmanager
def request_deadline(at: float) -> typing.Iterator[None]:
    """Within the block, no socket operation of the fetcher lasts past ``at``
    (a ``time.monotonic()`` value)."""
    token = _deadline.set(at)
    try:
        yield
    finally:
        _deadline.reset(token)


def _clamp(timeout: float | None, exc: type[Exception]) -> float | None:
    at = _deadline.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise exc("total time allowed for the request is over")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """Delegates to httpcore's stream with every timeout cut to the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname,
                                      _clamp(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


def _resolve(host: str, port: int, timeout: float | None) -> list[tuple[int, str]]:
    """(family, ip) pairs for ``host``, in the resolver's preferred order.

    getaddrinfo has no timeout of its own and a broken resolver can block for tens of
    seconds, so it runs in a daemon thread we stop waiting for at the timeout.
    """
    box: dict[str, typing.Any] = {}

    def work() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            box["error"] = exc

    thread = threading.Thread(target=work, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise httpcore.ConnectTimeout(f"resolving {host} took too long")
    if "error" in box:
        raise httpcore.ConnectError(f"cannot resolve {host}: {box['error']}")
    seen: list[tuple[int, str]] = []
    for family, _type, _proto, _canon, sockaddr in box["infos"]:
        pair = (family, str(sockaddr[0]))
        if pair not in seen:
            seen.append(pair)
    return seen


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's SyncBackend, connecting only to addresses the policy accepts.

    Wraps (rather than re-implements) ``httpcore.SyncBackend`` and hands it an IP
    literal, so socket options, TCP_NODELAY and TLS stay httpcore's own code.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None,
                    ) -> httpcore.NetworkStream:
        addresses = _resolve(host, port, _clamp(timeout, httpcore.ConnectTimeout))
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        # Check all before connecting to any: a name that mixes public and private
        # addresses is refused outright instead of depending on which answers first.
        for _family, ip in addresses:
            self.policy.check(host, port, parse_ip(ip))
        options = list(socket_options or ())
        last: Exception | None = None
        for _family, ip in addresses:
            try:
                stream = self._inner.connect_tcp(
                    ip, port, _clamp(timeout, httpcore.ConnectTimeout),
                    local_address=local_address, socket_options=options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc  # try the next address, as socket.create_connection would
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None,
                            ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _ssl_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    # Made once per transport and given to both the parent and our pool: loading the
    # CA bundle costs ~25 ms.
    if isinstance(verify, ssl.SSLContext):
        return verify
    return httpx.create_ssl_context(verify=verify, trust_env=True)


def _pool_options(context: ssl.SSLContext, limits: httpx.Limits) -> dict:
    """What httpx would give its own pool, so the swapped pool behaves the same."""
    return {"ssl_context": context, "max_connections": limits.max_connections,
            "max_keepalive_connections": limits.max_keepalive_connections,
            "keepalive_expiry": limits.keepalive_expiry}


class GuardedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connection pool uses ``GuardedBackend``.

    Why a subclass that swaps ``_pool`` rather than a BaseTransport of our own: the
    parent's ``handle_request`` converts httpcore requests, responses and exceptions to
    httpx ones with private helpers we would otherwise have to copy and keep in step.
    Replacing the pool touches a single private attribute; if a future httpx renames it,
    the check below fails at construction instead of leaving the guard silently unused.
    No proxy is ever configured: a proxy would connect on our behalf, unchecked.
    """

    def __init__(self, policy: AddressPolicy, *, verify: ssl.SSLContext | bool = True,
                 limits: httpx.Limits = httpx.Limits(max_connections=20,
                                                     max_keepalive_connections=10,
                                                     keepalive_expiry=30.0)) -> None:
        # trust_env here only lets SSL_CERT_FILE/SSL_CERT_DIR name extra CAs (company
        # roots); proxies are never read from the environment by a transport.
        context = _ssl_context(verify)
        super().__init__(verify=context, trust_env=True, limits=limits)
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("httpx.HTTPTransport internals changed: cannot install "
                               "the SSRF guard (zhuanlan.fetch.transport)")
        self._pool = httpcore.ConnectionPool(network_backend=GuardedBackend(policy),
                                             **_pool_options(context, limits))


# -- asyncio ---------------------------------------------------------------------------
#
# The async path makes the same check in an ``httpcore.AsyncNetworkBackend``. Its total
# deadline is ``asyncio.timeout`` around the whole request (see async_client.py), which
# cancels a dribbling read outright, so no stream wrapper is needed here.

async def _resolve_async(host: str, port: int, timeout: float | None) -> list[tuple[int, str]]:
    """``_resolve`` for the event loop: getaddrinfo in a worker thread that we stop
    waiting for at the timeout or on cancellation (the thread is abandoned, as above)."""
    def work() -> list[typing.Any]:
        # socket.getaddrinfo looked up at call time: tests patch it.
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)

    try:
        with anyio.fail_after(timeout):
            infos = await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"resolving {host} took too long") from None
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    seen: list[tuple[int, str]] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        pair = (family, str(sockaddr[0]))
        if pair not in seen:
            seen.append(pair)
    return seen


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    """``GuardedBackend`` for asyncio: wraps ``httpcore.AnyIOBackend``, resolves the host
    itself, checks every address with the policy, connects to a checked IP literal."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[typing.Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve_async(host, port, timeout)
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        for _family, ip in addresses:   # all before any, as in GuardedBackend
            self.policy.check(host, port, parse_ip(ip))
        last: Exception | None = None
        for _family, ip in addresses:
            try:
                return await self._inner.connect_tcp(
                    ip, port, timeout, local_address=local_address,
                    socket_options=list(socket_options or ()))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[typing.Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class AsyncGuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose pool uses ``AsyncGuardedBackend`` (the same
    one-private-attribute swap as ``GuardedTransport``, checked the same way)."""

    def __init__(self, policy: AddressPolicy, *, verify: ssl.SSLContext | bool = True,
                 limits: httpx.Limits = httpx.Limits(max_connections=20,
                                                     max_keepalive_connections=10,
                                                     keepalive_expiry=30.0)) -> None:
        context = _ssl_context(verify)
        super().__init__(verify=context, trust_env=True, limits=limits)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx.AsyncHTTPTransport internals changed: cannot install "
                               "the SSRF guard (zhuanlan.fetch.transport)")
        self._pool = httpcore.AsyncConnectionPool(network_backend=AsyncGuardedBackend(policy),
                                                  **_pool_options(context, limits))
