"""robots.txt: what a site lets us fetch, per RFC 9309, cached per origin.

The file is fetched by the fetcher itself (same SSRF guard, deadline and limits; the
body cut at 512 KiB, RFC 9309 asks for at least 500 KiB to be parsed) and read with
``urllib.robotparser`` as user agent ``zhuanlan``. What its fetch gives:

=============================================  =================================  ======
outcome                                        rules                              kept
=============================================  =================================  ======
2xx                                            the file's                         24 h
4xx other than 429 ("unavailable")             allow all                          24 h
5xx, 429, timeout, connection failure          disallow all (RFC 9309 §2.3.1.4)   1 h
("unreachable")
anything else (bad redirect, SSRF refusal of   allow all (as unavailable)         24 h
the robots.txt hop, TLS, bad encoding)
=============================================  =================================  ======

An unreachable robots.txt blocks the whole site for ``error_ttl`` only, then it is
fetched again: a site down for a day is not crawled blindly, nor given up on.

``RobotsCache`` holds plain data behind a lock, so one cache can outlive an
``AsyncFetcher`` and serve several event loops or threads (keep one per process).
Bounded: past ``max_entries`` the least recently used origin is forgotten.
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from zhuanlan.errors import FetchError
from zhuanlan.model import FetchResult

ROBOTS_AGENT = "zhuanlan"            # the product token we match robots.txt groups with
ROBOTS_MAX_BYTES = 512 * 1024
DEFAULT_TTL = 24 * 3600.0
DEFAULT_ERROR_TTL = 3600.0


@dataclass(frozen=True)
class RobotsRules:
    """The rules of one origin: ``kind`` is ``parsed``, ``allow_all`` or ``disallow_all``;
    ``why`` says where they come from (shown in the refusal's message)."""

    kind: str
    expires: float                    # clock value after which to fetch again
    why: str = ""
    parser: urllib.robotparser.RobotFileParser | None = None
    # Why robots.txt could not be read when the site itself is out of reach (connect,
    # timeout, tls …): reported as unreachable, not as a site that forbids us.
    cause: str = ""

    def allows(self, url: str, agent: str = ROBOTS_AGENT) -> bool:
        if self.kind == "allow_all":
            return True
        if self.kind == "disallow_all" or self.parser is None:
            return False
        return self.parser.can_fetch(agent, url)

    def crawl_delay(self, agent: str = ROBOTS_AGENT) -> float | None:
        if self.parser is None:
            return None
        value = self.parser.crawl_delay(agent)
        return float(value) if value is not None else None


def parse_robots(text: str) -> urllib.robotparser.RobotFileParser:
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(text.splitlines())   # also marks it as read (can_fetch needs that)
    return parser


def rules_from(outcome: FetchResult | FetchError, now: float, *, ttl: float = DEFAULT_TTL,
               error_ttl: float = DEFAULT_ERROR_TTL) -> RobotsRules:
    """The rules an origin's robots.txt fetch gives (see the module's table)."""
    if isinstance(outcome, FetchResult):
        # RFC 9309: the file is UTF-8; a byte order mark is allowed.
        text = outcome.content.decode("utf-8", errors="replace").lstrip("\ufeff")
        return RobotsRules("parsed", now + ttl, "robots.txt", parse_robots(text))
    status = outcome.status
    if outcome.reason == "http_status" and status is not None and 400 <= status < 500 \
            and status != 429:
        return RobotsRules("allow_all", now + ttl, f"robots.txt HTTP {status}")
    if outcome.temporary:
        return RobotsRules("disallow_all", now + error_ttl,
                           f"robots.txt unreachable ({outcome.reason}: {outcome.message})",
                           cause="" if outcome.reason == "http_status" else outcome.reason)
    return RobotsRules("allow_all", now + ttl, f"robots.txt unavailable ({outcome.reason})")


class RobotsCache:
    """Rules per origin (``scheme://host:port``), expiring, bounded, thread-safe."""

    def __init__(self, *, ttl: float = DEFAULT_TTL, error_ttl: float = DEFAULT_ERROR_TTL,
                 max_entries: int = 2048, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.error_ttl = error_ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, RobotsRules] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, origin: str) -> RobotsRules | None:
        """Rules still valid for ``origin``, or None when they must be fetched."""
        with self._lock:
            rules = self._entries.get(origin)
            if rules is None:
                return None
            if rules.expires <= self.clock():
                del self._entries[origin]
                return None
            self._entries.move_to_end(origin)
            return rules

    def put(self, origin: str, outcome: FetchResult | FetchError) -> RobotsRules:
        """Store the rules ``outcome`` gives and return them."""
        rules = rules_from(outcome, self.clock(), ttl=self.ttl, error_ttl=self.error_ttl)
        with self._lock:
            self._entries[origin] = rules
            self._entries.move_to_end(origin)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return rules

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
