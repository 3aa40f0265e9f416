"""The asynchronous fetcher: politeness per host, retries, robots.txt.

``AsyncFetcher.get`` keeps every guarantee of ``Fetcher.get`` — the SSRF check on the
resolved address at connect time on every hop (``AsyncGuardedBackend``), a total
deadline per attempt (``asyncio.timeout``, which also stops a server dribbling one byte
a second), bounded decompression, manual redirects with their checks, charset detection
— because both run the same ``Exchange`` (exchange.py) and differ only in I/O. On top:

* politeness per ``host:port`` (politeness.py): at most ``per_host_concurrency``
  requests in flight and ``per_host_delay`` seconds between two starts, raised by a
  robots.txt ``Crawl-delay`` (up to ``max_crawl_delay``); ``max_concurrency`` in all;
* retries of failures another attempt may cure (retry.py), with full-jitter
  exponential backoff or the server's ``Retry-After``; each attempt has the whole
  ``timeout``; all attempts and pauses together at most ``(retries + 1) * timeout``
  (time spent queueing for politeness is not counted);
* robots.txt (robots.py), checked for the URL and for every redirect hop to another
  origin; refusal is ``FetchError(reason="robots")``, not temporary, or temporary with
  ``retry_after`` while the site's robots.txt is unreachable.

One AsyncFetcher belongs to one event loop (its connections and semaphores do). Its
``RobotsCache`` may be passed in and shared across fetchers, loops and threads.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from zhuanlan.errors import BlockedAddressError, ConfigError, FetchError
from zhuanlan.fetch.exchange import DEFAULT_USER_AGENT, Exchange, FetchSettings, origin, parse_url
from zhuanlan.fetch.guard import AddressPolicy
from zhuanlan.fetch.politeness import HostGate, host_key
from zhuanlan.fetch.retry import retry_after_of, retry_delay, with_retry_after
from zhuanlan.fetch.robots import ROBOTS_AGENT, ROBOTS_MAX_BYTES, RobotsCache, RobotsRules
from zhuanlan.fetch.transport import AsyncGuardedTransport
from zhuanlan.model import FetchResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchRequest:
    """One request for ``AsyncFetcher.get_many`` (the arguments of ``get``)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    headers: Mapping[str, str] | None = None
    max_bytes: int | None = None   # below the fetcher's own limit (pictures have theirs)


def config_options(cfg: Any, **overrides: Any) -> dict[str, Any]:
    """Constructor arguments of ``AsyncFetcher`` from the ``fetch.*`` settings.

    Settings not declared (yet) in config.py keep the constructor's defaults:
    ``fetch.robots``, ``fetch.per_host_concurrency``, ``fetch.per_host_delay``,
    ``fetch.retries``, ``fetch.backoff_base``, ``fetch.backoff_cap``,
    ``fetch.max_concurrency``. ``overrides`` win. Raises ConfigError for a bad value
    (the options are checked here, so a caller fails before starting anything).
    """
    def opt(name: str, default: Any) -> Any:
        try:
            return cfg[name]
        except KeyError:
            return default

    kwargs: dict[str, Any] = {
        "timeout": cfg["fetch.timeout"], "max_bytes": cfg["fetch.max_bytes"],
        "max_redirects": cfg["fetch.max_redirects"],
        "user_agent": cfg["fetch.user_agent"],
        "allow_private": list(cfg["fetch.allow_private"]),
        "respect_robots": bool(opt("fetch.robots", True)),
        "per_host_concurrency": opt("fetch.per_host_concurrency", 2),
        "per_host_delay": opt("fetch.per_host_delay", 1.0),
        "retries": opt("fetch.retries", 3),
        "backoff_base": opt("fetch.backoff_base", 1.0),
        "backoff_cap": opt("fetch.backoff_cap", 60.0),
        "max_concurrency": opt("fetch.max_concurrency", 16),
    }
    kwargs.update(overrides)
    try:
        AddressPolicy(kwargs["allow_private"])
    except ValueError as exc:
        raise ConfigError("fetch.allow_private", str(exc)) from exc
    try:
        _check_options(**kwargs)
    except ValueError as exc:
        raise ConfigError("fetch", str(exc)) from exc
    return kwargs


def _check_options(*, timeout: float = 20.0, max_bytes: int = 1, max_redirects: int = 0,
                   per_host_concurrency: int = 2, per_host_delay: float = 1.0,
                   retries: int = 3, backoff_base: float = 1.0, backoff_cap: float = 60.0,
                   max_concurrency: int = 16, **_: Any) -> None:
    """Raise ValueError for options no AsyncFetcher can work with."""
    if timeout <= 0 or max_bytes <= 0 or max_redirects < 0:
        raise ValueError("timeout and max_bytes must be positive, max_redirects >= 0")
    if per_host_concurrency < 1 or per_host_delay < 0:
        raise ValueError("per-host concurrency must be >= 1 and the delay >= 0")
    if retries < 0 or backoff_base < 0 or backoff_cap < 0 or max_concurrency < 1:
        raise ValueError("retries, backoff_base and backoff_cap must be >= 0, "
                         "max_concurrency >= 1")


class AsyncFetcher:
    """Fetches URLs politely from an asyncio event loop.

    The options of ``Fetcher`` (``timeout`` is per attempt), plus:

    ``per_host_concurrency`` / ``per_host_delay``: requests in flight per ``host:port``
    and seconds between two starts there; ``max_concurrency``: requests in flight in
    all; ``retries``: further attempts after a retryable failure, pausing a full-jitter
    draw in ``[0, min(backoff_cap, backoff_base * 2**n))`` or the server's Retry-After
    (one beyond ``backoff_cap`` ends the fetch); ``respect_robots``: obey robots.txt
    (as user agent ``zhuanlan``); ``robots_cache``: a cache to share (else a new one);
    ``rng``: the random source of the jitter (tests).

    Raises ValueError for an impossible option (ConfigError from ``from_config``).
    """

    def __init__(self, *, timeout: float = 20.0, max_bytes: int = 10 * 2**20,
                 max_redirects: int = 5, user_agent: str = DEFAULT_USER_AGENT,
                 allow_private: Iterable[str] = (), connect_timeout: float | None = None,
                 verify: ssl.SSLContext | bool = True, per_host_concurrency: int = 2,
                 per_host_delay: float = 1.0, retries: int = 3, backoff_base: float = 1.0,
                 backoff_cap: float = 60.0, respect_robots: bool = True,
                 max_concurrency: int = 16, max_crawl_delay: float = 30.0,
                 robots_cache: RobotsCache | None = None,
                 rng: random.Random | None = None) -> None:
        _check_options(timeout=timeout, max_bytes=max_bytes, max_redirects=max_redirects,
                       per_host_concurrency=per_host_concurrency,
                       per_host_delay=per_host_delay, retries=retries,
                       backoff_base=backoff_base, backoff_cap=backoff_cap,
                       max_concurrency=max_concurrency)
        self.settings = FetchSettings.make(
            timeout=timeout, max_bytes=max_bytes, max_redirects=max_redirects,
            user_agent=user_agent, connect_timeout=connect_timeout)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.respect_robots = respect_robots
        self.max_crawl_delay = max_crawl_delay
        self.policy = AddressPolicy(allow_private)
        self.gate = HostGate(per_host_concurrency, per_host_delay)
        self.robots = robots_cache if robots_cache is not None else RobotsCache()
        self._rng = rng or random.Random()
        self._all = asyncio.Semaphore(max_concurrency)
        # Room in the pool beyond max_concurrency for robots.txt fetches, which do not
        # take a place (a page fetch holding one may need one), so that they never
        # queue for a connection inside their deadline.
        self._transport = AsyncGuardedTransport(
            self.policy, verify=verify,
            limits=httpx.Limits(max_connections=max_concurrency + 8,
                                max_keepalive_connections=max_concurrency,
                                keepalive_expiry=30.0))
        self._robots_fetches: dict[str, asyncio.Task[RobotsRules]] = {}

    @classmethod
    def from_config(cls, cfg: Any, **overrides: Any) -> AsyncFetcher:
        """An AsyncFetcher with the ``fetch.*`` settings of a ``zhuanlan.config.Config``
        (see ``config_options``); ``overrides`` (constructor arguments) win.
        Raises ConfigError for a bad value."""
        return cls(**config_options(cfg, **overrides))

    async def aclose(self) -> None:
        for task in self._robots_fetches.values():
            task.cancel()
        self._robots_fetches.clear()
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncFetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- public ----------------------------------------------------------------------

    async def get(self, url: str, *, etag: str | None = None,
                  last_modified: str | None = None,
                  headers: Mapping[str, str] | None = None,
                  max_bytes: int | None = None) -> FetchResult:
        """GET ``url`` politely, retrying what may succeed on a second try.

        ``etag``/``last_modified`` make it conditional (``not_modified=True`` when
        unchanged); ``headers`` add to or replace ours (a preset's ``Referer`` and
        ``User-Agent``; robots.txt is matched as ``zhuanlan`` whatever the User-Agent).

        Raises FetchError (reasons as for ``Fetcher.get``, plus ``robots``) or
        BlockedAddressError; a temporary error may carry ``retry_after`` seconds
        (``zhuanlan.fetch.retry.retry_after_of``).
        """
        target = parse_url(url, url)   # bad_scheme / bad_url: nothing to wait for
        key = host_key(target)
        if self.respect_robots:
            await self._require_robots(url, target)
        loop = asyncio.get_running_loop()
        budget = (self.retries + 1) * self.timeout
        spent = 0.0
        attempt = 0
        while True:
            async with self.gate.place(key), self._all:
                await self.gate.turn(key)
                started = loop.time()
                try:
                    return await self._attempt(url, etag=etag, last_modified=last_modified,
                                               headers=headers, max_bytes=max_bytes,
                                               timeout=min(self.timeout, budget - spent))
                except FetchError as exc:
                    error = exc
                finally:
                    spent += loop.time() - started
            delay = retry_delay(error, attempt, base=self.backoff_base, cap=self.backoff_cap,
                                rng=self._rng)
            if delay is None or attempt >= self.retries:
                raise error
            if spent + delay >= budget:
                # The pause would outlast the budget: say when to come back instead.
                if retry_after_of(error) is None:
                    with_retry_after(error, delay)
                raise error
            log.info("fetch retried", extra={"url": url, "reason": error.reason,
                                             "status": error.status, "attempt": attempt + 1,
                                             "delay": round(delay, 2)})
            await asyncio.sleep(delay)
            spent += delay
            attempt += 1

    async def get_many(self, requests: Sequence[FetchRequest | str],
                       ) -> list[FetchResult | FetchError]:
        """Fetch all ``requests`` concurrently within the limits; one result or error
        per request, in order. A failure never cancels the others; an unexpected
        exception (a bug) is raised once all have finished."""
        async def one(item: FetchRequest | str) -> FetchResult | FetchError:
            req = FetchRequest(item) if isinstance(item, str) else item
            try:
                return await self.get(req.url, etag=req.etag,
                                      last_modified=req.last_modified, headers=req.headers,
                                      max_bytes=req.max_bytes)
            except FetchError as exc:
                return exc

        outcomes = await asyncio.gather(*(one(r) for r in requests), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, FetchError):
                raise outcome
        return list(outcomes)   # type: ignore[arg-type]

    # -- one attempt -----------------------------------------------------------------

    async def _attempt(self, url: str, *, etag: str | None = None,
                       last_modified: str | None = None,
                       headers: Mapping[str, str] | None = None, timeout: float,
                       robots_hops: bool = True, max_bytes: int | None = None,
                       truncate: bool = False) -> FetchResult:
        exchange = Exchange(self.settings, url, etag=etag, last_modified=last_modified,
                            headers=headers, timeout=self.timeout, max_bytes=max_bytes,
                            truncate=truncate)
        deadline = time.monotonic() + timeout
        try:
            async with asyncio.timeout(timeout):
                while True:
                    response = await self._send(exchange, deadline)
                    try:
                        before = exchange.current
                        if exchange.follow(response):
                            if (robots_hops and self.respect_robots
                                    and origin(exchange.current) != origin(before)):
                                await self._require_robots(url, exchange.current)
                            continue
                        done = exchange.check_final(response)
                        if done is not None:
                            return done
                        body = exchange.body(response)
                        try:
                            async for raw in response.aiter_raw():
                                if body.feed(raw):
                                    break
                            content = body.finish()
                        except httpx.HTTPError as exc:
                            raise exchange.network_error(exc) from exc
                        return exchange.result(response, content)
                    finally:
                        await response.aclose()
        except TimeoutError as exc:
            raise exchange.timeout_error() from exc

    async def _send(self, exchange: Exchange, deadline: float) -> httpx.Response:
        request = exchange.request(deadline)
        try:
            return await self._transport.handle_async_request(request)
        except BlockedAddressError as exc:
            raise exchange.blocked(exc) from exc
        except httpx.HTTPError as exc:
            raise exchange.network_error(exc) from exc

    # -- robots.txt ------------------------------------------------------------------

    async def _require_robots(self, url: str, target: httpx.URL) -> None:
        """Raise FetchError ``robots`` unless robots.txt lets us fetch ``target``."""
        rules = await self._robots_for(target)
        if rules.allows(str(target), ROBOTS_AGENT):
            return
        hop = "" if str(target) == url else f" (redirect to {target})"
        if rules.kind == "disallow_all":
            left = max(0.0, rules.expires - self.robots.clock())
            raise with_retry_after(FetchError(
                url, rules.cause or "robots", f"{rules.why}: not fetching the site for now{hop}",
                temporary=True), left)
        raise FetchError(url, "robots", f"disallowed by {target.scheme}://{target.netloc.decode()}"
                                        f"/robots.txt for {ROBOTS_AGENT}{hop}")

    async def _robots_for(self, target: httpx.URL) -> RobotsRules:
        # Rules are per origin (RFC 9309 §2.3): scheme, host and port, default filled in.
        site = f"{target.scheme}://{host_key(target)}"
        rules = self.robots.get(site)
        if rules is not None:
            return rules
        task = self._robots_fetches.get(site)
        if task is None or task.done():
            # One fetch per origin however many pages wait for it; a task of its own,
            # shielded, so that a waiter's deadline or cancellation does not abort it
            # for the others.
            robots_url = f"{target.scheme}://{target.netloc.decode('ascii')}/robots.txt"
            task = asyncio.get_running_loop().create_task(
                self._fetch_robots(site, robots_url, host_key(target)))
            self._robots_fetches[site] = task
            task.add_done_callback(functools.partial(self._forget_robots_fetch, site))
        return await asyncio.shield(task)

    def _forget_robots_fetch(self, site: str, task: asyncio.Task[RobotsRules]) -> None:
        if self._robots_fetches.get(site) is task:
            del self._robots_fetches[site]

    async def _fetch_robots(self, site: str, robots_url: str, key: str) -> RobotsRules:
        await self.gate.turn(key)   # spaced like the pages, but without taking a place
        try:
            outcome: FetchResult | FetchError = await self._attempt(
                robots_url, timeout=self.timeout, robots_hops=False,
                max_bytes=ROBOTS_MAX_BYTES, truncate=True)
        except FetchError as exc:
            outcome = exc
        rules = self.robots.put(site, outcome)
        delay = rules.crawl_delay(ROBOTS_AGENT)
        if delay:
            self.gate.set_delay(key, min(delay, self.max_crawl_delay))
        log.info("robots.txt read", extra={"url": robots_url, "rules": rules.kind,
                                           "why": rules.why})
        return rules
