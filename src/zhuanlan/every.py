"""A daemon thread that does one thing at once and then every so often until stopped:
a web process's background reads (``web.active_people``, ``app.page_cache``), which
keep the requests' answers in memory instead of sending a request to the store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Every:
    def __init__(self, name: str, work: Callable[[], Any], seconds: Callable[[], float],
                 failed: str) -> None:
        """``work`` now and then each ``seconds()`` (asked each time: it may change);
        an exception is logged as ``failed`` and the thread goes on."""
        self.name, self._work, self._seconds, self._failed = name, work, seconds, failed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._work()
            except Exception:
                log.warning(self._failed, exc_info=True)
            self._stop.wait(self._seconds())
