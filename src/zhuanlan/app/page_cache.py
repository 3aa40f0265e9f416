"""Reader pages that are the same for every reader, rendered once and kept in memory.

At 9:00 tens of thousands of phones open the same few articles: rendering each page per
request (a read transaction, the template) is what limited the server. A page that does
not depend on who reads it — the article with the editor's title, 下一篇, the other
outlets, the pictures; an issue; a column; the home page — is kept here by key, and what
is personal (本期已学 x/N, 已学习, too quick) comes from ``GET /read/state``.

Invalidation works across server processes: every write that changes what such a page
shows raises the store's page generation in its own transaction
(``store.page_generation``); each process reads the generation at most once per
``check_seconds`` and drops everything it holds when it moved. A page rendered from data
read before a change is never kept after the process saw the change (``put`` takes the
generation from before the render). Memory is bounded: least recently used pages go
beyond ``max_bytes``.

A web process checks from a thread of its own (``start``) twice per ``check_seconds``,
so that a request rarely finds the check due: one that does — the article page, the
reader's ``/read/state`` — is answered from a thread instead of the event loop, and at
the 9:00 burst the hops of each second's check kept the threads busy for a tenth of a
web process's time (py-spy, bench/reader.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from zhuanlan.every import Every
from zhuanlan.store import UNAVAILABLE, Database
from zhuanlan.store import page_generation as store

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
MAX_BYTES = 64 * 1024 * 1024     # ~2,000 article pages of 30 KB


class PageCache:
    def __init__(self, db: Database, *, check_seconds: float = CHECK_SECONDS,
                 max_bytes: int = MAX_BYTES) -> None:
        self.db = db
        self.check_seconds = check_seconds
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._generation: int | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()
        self._check_lock = threading.Lock()
        self._on_change: list[Callable[[], None]] = []
        self._making: dict[Hashable, threading.Lock] = {}
        self._every = Every("page-cache", self.generation,
                            lambda: self.check_seconds / 2 or 1.0,
                            "page cache: the check failed")

    def start(self) -> None:
        """Check from a thread until ``stop`` (the web app's lifespan)."""
        self._every.start()

    def stop(self) -> None:
        self._every.stop()

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the readers' pages changed (other caches of this
        process that must follow the editor's changes)."""
        self._on_change.append(callback)

    def due(self) -> bool:
        """Whether the next ``get`` or ``generation`` asks the store."""
        return self._generation is None or (
            time.monotonic() - self._checked >= self.check_seconds)

    def generation(self) -> int | None:
        """The generation this process holds pages of, read again when due. Take it
        before reading what a page shows and give it to ``put``."""
        if time.monotonic() - self._checked >= self.check_seconds:
            # One request per process asks the store; the others use what it knew.
            if self._check_lock.acquire(blocking=False):
                try:
                    self._check()
                finally:
                    self._check_lock.release()
            elif self._generation is None:
                # The process's first check is under way: wait for it, or this render
                # would be made with no generation and kept by nobody.
                with self._check_lock:
                    pass
        return self._generation

    def _check(self) -> None:
        try:
            with self.db.read() as conn:
                now = store.current(conn)
        except UNAVAILABLE:
            # Nothing can change while the store is away: the kept pages stay good.
            log.warning("page cache: database unavailable; kept pages served")
            self._checked = time.monotonic()
            return
        self._checked = time.monotonic()
        if now != self._generation:
            with self._lock:
                self._pages.clear()
                self._bytes = 0
                self._generation = now
            for callback in self._on_change:
                callback()

    def making(self, key: Hashable) -> threading.Lock:
        """The lock to hold while rendering the page of ``key``: when an issue goes out
        (or a change drops the pages) hundreds of readers ask for the same page at once,
        and one render serves them all."""
        with self._lock:
            lock = self._making.get(key)
            if lock is None:
                if len(self._making) > 10_000:
                    self._making.clear()
                lock = self._making[key] = threading.Lock()
            return lock

    def get(self, key: Hashable) -> Any:
        """The kept page (what ``put`` was given), or None."""
        if self.generation() is None:
            return None
        with self._lock:
            hit = self._pages.get(key)
            if hit is None:
                return None
            self._pages.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, page: Any, generation: int | None,
            size: int | None = None) -> None:
        """Keep the page (its bytes, or anything of ``size`` bytes), rendered from what
        was read at ``generation``."""
        size = len(page) if size is None else size
        if size > self.max_bytes // 4:
            return
        with self._lock:
            if generation is None or generation != self._generation:
                return
            old = self._pages.pop(key, None)
            self._bytes += size - (old[1] if old is not None else 0)
            self._pages[key] = (page, size)
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._pages.popitem(last=False)
                self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._pages)
