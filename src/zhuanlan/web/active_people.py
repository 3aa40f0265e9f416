"""Whether a person named by a signed reader cookie may still be known by it, answered
from memory.

Measured at the 9:00 burst (bench/reader.py, 50,000 people): a per-person cache missed on
nearly every first page of a reader, and each miss went to the store from a thread —
the article page took 0.8 ms there against 0.38 ms with 5,000 people. So every web
process keeps the set of all active ids, reloaded every half minute in the background;
an id not in it (added since) is asked of the store once and kept for a minute. Either
way a person who is deactivated is refused within a minute, in every process."""

from __future__ import annotations

import time
from collections.abc import Callable

from zhuanlan.every import Every

TTL = 60.0            # how long an answer may be believed
RELOAD = 30.0         # how often the whole set is read
_ONE_BY_ONE_MAX = 100_000


class ActivePeople:
    """The set of active ids (reloaded by ``start``'s thread) and the answers for the
    others, each believed for ``TTL`` seconds."""

    def __init__(self, load_all: Callable[[], frozenset[int]],
                 load_one: Callable[[int], bool]):
        self._load_all = load_all
        self._load_one = load_one
        self._all: tuple[float, frozenset[int]] | None = None
        self._one: dict[int, tuple[float, bool]] = {}
        self._every = Every("active-people", self.reload, lambda: RELOAD,
                            "active people: the set could not be read")

    def known(self, subscriber_id: int) -> bool | None:
        """True or False when memory can tell, None when the store must be asked."""
        now = time.monotonic()
        whole = self._all
        if whole is not None and now - whole[0] <= TTL and subscriber_id in whole[1]:
            return True
        hit = self._one.get(subscriber_id)
        if hit is not None and now - hit[0] <= TTL:
            return hit[1]
        return None

    def check(self, subscriber_id: int) -> bool:
        """The answer, from memory or else from the store (blocking: not on the loop)."""
        answer = self.known(subscriber_id)
        if answer is None:
            if len(self._one) > _ONE_BY_ONE_MAX:
                self._one.clear()
            answer = self._load_one(subscriber_id)
            self._one[subscriber_id] = (time.monotonic(), answer)
        return answer

    def reload(self) -> None:
        started = time.monotonic()
        ids = self._load_all()
        # The time it was asked, not answered: a change made meanwhile is not missed.
        self._all = (started, ids)

    def start(self) -> None:
        """Read the set now and then every ``RELOAD`` seconds, until ``stop``."""
        self._every.start()

    def stop(self) -> None:
        self._every.stop()
        self._all = None
