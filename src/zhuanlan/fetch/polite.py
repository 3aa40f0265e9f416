"""``PoliteFetcher``: the AsyncFetcher for synchronous code (the worker's threads).

The worker is synchronous (threads, a store driven by SQLAlchemy). Running
``asyncio.run`` per batch would lose between batches what politeness depends on — the
time of the last start per host, the connections kept alive, the robots.txt fetches in
flight — and several worker threads would each keep limits of their own, together
exceeding them. Here one AsyncFetcher lives on one event loop in a daemon thread for
the life of the process; any thread calls ``get``/``get_many`` and blocks until the
answer, so all of them share one set of per-host limits.

``get`` has the signature of ``Fetcher.get``: swapping one for the other is enough.
A ``get`` may now last up to ``(retries + 1) * timeout`` (retries and their pauses) plus
the time queued behind other requests to the same host; claims on work rows should
last longer than that (``worker.lease_seconds``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, TypeVar

from zhuanlan.errors import FetchError
from zhuanlan.fetch.async_client import AsyncFetcher, FetchRequest, config_options
from zhuanlan.model import FetchResult

T = TypeVar("T")


class PoliteFetcher:
    """A thread-safe, blocking front of one ``AsyncFetcher`` (same options).

    Raises ValueError for impossible options (``from_config``: ConfigError).
    """

    def __init__(self, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="zhuanlan-fetch", daemon=True)
        self._thread.start()
        self._closed = False
        try:
            # Made on its loop: its semaphores and connections belong there.
            self.fetcher: AsyncFetcher = self._call(self._make(options))
        except BaseException:
            self._stop_loop()
            raise

    @staticmethod
    async def _make(options: dict[str, Any]) -> AsyncFetcher:
        return AsyncFetcher(**options)

    @classmethod
    def from_config(cls, cfg: Any, **overrides: Any) -> PoliteFetcher:
        """From the ``fetch.*`` settings (``async_client.config_options``)."""
        return cls(**config_options(cfg, **overrides))

    def _open(self) -> None:
        if self._closed:
            raise RuntimeError("PoliteFetcher is closed")

    def _call(self, coro: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()  # type: ignore[arg-type]

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            headers: Mapping[str, str] | None = None) -> FetchResult:
        """``AsyncFetcher.get`` from any thread; raises what it raises
        (RuntimeError once closed)."""
        self._open()
        return self._call(self.fetcher.get(url, etag=etag, last_modified=last_modified,
                                           headers=headers))

    def get_many(self, requests: Sequence[FetchRequest | str],
                 ) -> list[FetchResult | FetchError]:
        """``AsyncFetcher.get_many`` from any thread."""
        self._open()
        return self._call(self.fetcher.get_many(requests))

    def close(self) -> None:
        """Close the connections and stop the loop's thread. Idempotent."""
        if self._closed:
            return
        try:
            self._call(self.fetcher.aclose())
        finally:
            self._closed = True
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> PoliteFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
