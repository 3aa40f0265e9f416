"""Politeness per host: at most N requests in flight, and a pause between two starts.

Keyed by ``host:port`` (default port filled in), not by host alone. A site's capacity
is per server, and two ports on one name are in practice usually two servers (a CDN on
443, an origin or API on 8080); keying by port also lets tests run two independent
"hosts" as two local servers on 127.0.0.1. ``http://x`` and ``https://x`` are different
keys (80, 443), which at worst doubles the rate for a site reached both ways; the host
name is lower-cased and a trailing dot dropped so spellings of one name share a key.
A host name and its IP literal are different keys (we key before resolution).

The pause is between *starts* (``per_host_delay`` seconds), so with concurrency 2 and a
delay of 1 s a host sees at most one new request per second and two at once. A
robots.txt ``Crawl-delay`` raises the pause for its host (capped).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url: httpx.URL) -> str:
    """``host:port`` of a URL, the unit politeness is counted in."""
    host = url.host.rstrip(".").lower()
    port = url.port or _DEFAULT_PORTS.get(url.scheme, 0)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _Host:
    __slots__ = ("slots", "delay", "next_start")

    def __init__(self, concurrency: int, delay: float) -> None:
        self.slots = asyncio.Semaphore(concurrency)
        self.delay = delay
        self.next_start = 0.0


class HostGate:
    """Per-host concurrency and spacing of request starts, for one event loop.

    ``place(key)`` holds one of the host's ``concurrency`` places for the duration of a
    request; ``turn(key)`` waits until the host may see the next start. robots.txt
    fetches take a turn but no place: a page fetch holding a place may wait for them.
    """

    def __init__(self, concurrency: int = 2, delay: float = 1.0) -> None:
        if concurrency < 1 or delay < 0:
            raise ValueError("per-host concurrency must be >= 1 and the delay >= 0")
        self.concurrency = concurrency
        self.delay = delay
        self._hosts: dict[str, _Host] = {}

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(self.concurrency, self.delay)
        return host

    def set_delay(self, key: str, seconds: float) -> None:
        """Use at least ``seconds`` between starts on ``key`` (never below the default)."""
        self._host(key).delay = max(self.delay, seconds)

    async def turn(self, key: str) -> None:
        """Wait until ``key`` may see a new request start, and book that start."""
        host = self._host(key)
        loop = asyncio.get_running_loop()
        now = loop.time()
        # Booked synchronously (no await between reading and writing next_start), so
        # concurrent waiters get successive turns in the order they arrived.
        start = max(now, host.next_start)
        host.next_start = start + host.delay
        if start > now:
            await asyncio.sleep(start - now)

    @contextlib.asynccontextmanager
    async def place(self, key: str) -> AsyncIterator[None]:
        """One of ``key``'s places, held while the block runs. Take the turn inside it
        (``turn``) once every other wait is over, so that the spacing is between the
        real starts."""
        async with self._host(key).slots:
            yield
