"""What the jobs and the facade's parts work with, handed to them instead of the facade:
the settings, the store, the clock, this worker's name, and the process's shared
services (the polite fetcher, the extraction pool, the near-duplicate index, the
buffer of study records, the link signer), each made on first use.

One ``Context`` per process (``Zhuanlan`` makes it); tests make one with a fake clock or
hand in a fetcher of their own.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from zhuanlan.config import Config
from zhuanlan.store import Database

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from zhuanlan.fetch.polite import PoliteFetcher
    from zhuanlan.jobs.story_index import StoryIndex
    from zhuanlan.links import LinkSigner
    from zhuanlan.study.records import RecordBuffer

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Context:
    def __init__(self, cfg: Config, *, db: Database | None = None, clock: Clock = utcnow,
                 worker_id: str | None = None, fetcher: Any = None) -> None:
        self.cfg = cfg
        self.db = db or Database(cfg.database_url)
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._fetcher = fetcher
        self._pool: Executor | None = None
        self._pool_made = False
        self._story_index: StoryIndex | None = None
        self._records: RecordBuffer | None = None
        self._links: LinkSigner | None = None

    @property
    def tz(self) -> str:
        return self.cfg["timezone"]

    @property
    def fetcher(self) -> PoliteFetcher:
        if self._fetcher is None:
            # One polite fetcher per process: per-host limits, retries and robots.txt
            # are shared by every thread that fetches.
            from zhuanlan.fetch.polite import PoliteFetcher
            self._fetcher = PoliteFetcher.from_config(self.cfg)
        return self._fetcher

    @property
    def extract_pool(self) -> Executor | None:
        """The process pool that extracts pages (None: extract in this process)."""
        if not self._pool_made:
            from zhuanlan.jobs.extraction import make_pool
            self._pool = make_pool(self.cfg["worker.processes"])
            self._pool_made = True
        return self._pool

    @property
    def story_index(self) -> StoryIndex:
        """The process's near-duplicate index, built from the store on first use."""
        if self._story_index is None:
            from zhuanlan.jobs.story_index import StoryIndex
            self._story_index = StoryIndex(self.cfg["dedup.window_days"])
        return self._story_index

    @property
    def records(self) -> RecordBuffer:
        """The process's buffer of study records (opens and reading heartbeats)."""
        if self._records is None:
            from zhuanlan.study.records import RecordBuffer
            self._records = RecordBuffer(self.db, self.clock,
                                         journal_dir=self.cfg.data_dir / "journal")
        return self._records

    @property
    def links(self) -> LinkSigner:
        """Signer of personal reader links and unsubscribe links."""
        if self._links is None:
            from zhuanlan.links import LinkSigner
            self._links = LinkSigner(self.cfg.secret_key)
        return self._links

    def close(self) -> None:
        """Flush the study records, close the fetcher, stop the pool, release the store."""
        if self._records is not None:
            self._records.stop()
        if self._fetcher is not None:
            self._fetcher.close()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        self.db.dispose()
