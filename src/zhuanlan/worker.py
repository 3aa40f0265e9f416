"""The worker loop: claims due work from the store and runs the jobs, round after round.

Several workers — threads in ``zhuanlan run`` or processes on several machines with
``zhuanlan worker`` — share the same store; the leases on the rows keep them apart.
"""

from __future__ import annotations

import logging
import threading

from zhuanlan.core import Zhuanlan
from zhuanlan.errors import ZhuanlanError

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, zl: Zhuanlan, *, stop: threading.Event | None = None) -> None:
        self.zl = zl
        self.stop = stop or threading.Event()
        self.rounds = 0

    def run(self, *, max_rounds: int | None = None) -> None:
        """Loop until ``stop`` is set (or ``max_rounds``). A failing round is logged and
        the loop goes on: one broken source or database hiccup must not stop the rest."""
        idle = self.zl.cfg["worker.idle_seconds"]
        log.info("worker started", extra={"worker": self.zl.worker_id})
        while not self.stop.is_set():
            try:
                done = self.zl.run_once()
            except ZhuanlanError as exc:
                log.error("worker round failed", extra={"error": str(exc)})
                done = None
            except Exception:
                log.exception("worker round crashed")
                done = None
            self.rounds += 1
            if max_rounds is not None and self.rounds >= max_rounds:
                break
            if done is None or done.total == 0:
                self.stop.wait(idle)
        log.info("worker stopped", extra={"worker": self.zl.worker_id})

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="zhuanlan-worker", daemon=True)
        thread.start()
        return thread
