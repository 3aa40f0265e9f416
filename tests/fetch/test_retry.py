"""Retries: what is retried, backoff with full jitter, Retry-After, the overall budget."""

from __future__ import annotations

import email.utils
import random
import socket
import time

import pytest

from tests.fetch.aio import get
from zhuanlan.errors import BlockedAddressError, FetchError
from zhuanlan.fetch import retry_after_of
from zhuanlan.fetch.retry import (
    backoff_delay,
    is_retryable,
    parse_retry_after,
    retry_delay,
    with_retry_after,
)

pytestmark = pytest.mark.usefixtures("local_network_only")

HTML = {"Content-Type": "text/html; charset=utf-8"}


# -- rules, no traffic -----------------------------------------------------------------

def test_parse_retry_after():
    now = time.time()
    in_90s = email.utils.formatdate(now + 90, usegmt=True)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    assert 88 <= parse_retry_after(in_90s, now=now) <= 91
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0   # in the past
    for junk in (None, "", "soon", "-5", "1.5e9", "Fri, 99 Foo 2024"):
        assert parse_retry_after(junk) is None


def _status(status: int, retry_after: float | None = None) -> FetchError:
    exc = FetchError("http://x/", "http_status", "HTTP", status=status,
                     temporary=status >= 500 or status in (408, 425, 429))
    return with_retry_after(exc, retry_after)


@pytest.mark.parametrize("exc, retryable", [
    (_status(500), True), (_status(503), True), (_status(429), True), (_status(408), True),
    (_status(404), False), (_status(403), False), (_status(425), False), (_status(410), False),
    (FetchError("u", "timeout", "t", temporary=True), True),
    (FetchError("u", "connect", "c", temporary=True), True),
    (FetchError("u", "protocol", "p", temporary=True), True),
    (FetchError("u", "too_large", "big"), False),
    (FetchError("u", "bad_scheme", "s"), False),
    (FetchError("u", "tls", "s"), False),
    (FetchError("u", "robots", "r", temporary=True), False),
    (BlockedAddressError("u", "private"), False),
])
def test_what_is_retried(exc, retryable):
    assert is_retryable(exc) is retryable
    assert (retry_delay(exc, 0, base=1, cap=60) is not None) is retryable


def test_full_jitter_grows_exponentially_and_is_capped():
    rng = random.Random(1)
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 10.0), (100, 10.0)]:
        draws = [backoff_delay(attempt, base=1.0, cap=10.0, rng=rng) for _ in range(300)]
        assert all(0 <= d <= ceiling for d in draws)
        assert max(draws) > 0.8 * ceiling and min(draws) < 0.2 * ceiling   # full jitter


def test_retry_after_replaces_the_draw_unless_beyond_the_cap():
    assert retry_delay(_status(503, 7.0), 0, base=1, cap=60) == 7.0
    assert retry_delay(_status(429, 61.0), 0, base=1, cap=60) is None


# -- against a server ------------------------------------------------------------------

def test_503_then_200_succeeds_after_one_retry(http_server):
    http_server.route_sequence("/p", [(503, "busy", HTML), (200, "ok", HTML)])
    result = get(http_server, http_server.url("/p"))
    assert result.content == b"ok"
    assert len(http_server.requests) == 2


def test_retry_after_seconds_is_honoured(http_server):
    http_server.route_sequence("/p", [(503, "busy", {"Retry-After": "1"}), (200, "ok", HTML)])
    assert get(http_server, http_server.url("/p"), backoff_base=0.0).content == b"ok"
    first, second = http_server.requests
    assert second.at - first.at >= 1.0


def test_retry_after_beyond_the_cap_gives_up_at_once_and_says_when(http_server):
    http_server.route("/p", "slow down", status=429, headers={"Retry-After": "120"})
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/p"), backoff_cap=60.0)
    assert time.monotonic() - started < 30   # not the 120 s asked for
    assert (info.value.status, info.value.temporary) == (429, True)
    assert retry_after_of(info.value) == 120.0
    assert len(http_server.requests) == 1


def test_pause_beyond_the_overall_budget_gives_up(http_server):
    # 2 attempts of 1 s at most: a 30 s Retry-After cannot fit, so none is waited for.
    http_server.route("/p", "busy", status=503, headers={"Retry-After": "30"})
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/p"), timeout=1.0, retries=1, backoff_cap=60.0)
    assert time.monotonic() - started < 15   # not the 30 s asked for
    assert retry_after_of(info.value) == 30.0 and info.value.temporary


def test_404_is_not_retried(http_server):
    http_server.route("/p", "no", status=404)
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/p"))
    assert (info.value.status, info.value.temporary) == (404, False)
    assert len(http_server.requests) == 1


def test_429_without_retry_after_is_retried_with_backoff(http_server):
    http_server.route_sequence("/p", [(429, "", None), (429, "", None), (200, "ok", HTML)])
    assert get(http_server, http_server.url("/p")).content == b"ok"
    assert len(http_server.requests) == 3


def test_retries_run_out_on_a_persistent_5xx(http_server):
    http_server.route("/p", "down", status=502)
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/p"), retries=2)
    assert (info.value.status, info.value.temporary) == (502, True)
    assert len(http_server.requests) == 3


def test_timeouts_are_retried_then_fail_temporary(http_server):
    http_server.route_slow("/p", "late", 10.0)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/p"), timeout=0.2, retries=2)
    elapsed = time.monotonic() - started
    assert (info.value.reason, info.value.temporary) == ("timeout", True)
    assert len(http_server.requests) == 3
    assert 0.6 <= elapsed < 10   # three attempts of 0.2 s and short pauses, not 30 s


def test_refused_connection_is_retried(http_server, monkeypatch):
    port = http_server.port
    http_server.stop()   # nothing listens there any more
    real = socket.getaddrinfo
    lookups = []

    def fake(host, *args, **kwargs):
        if host == "down.example":
            lookups.append(host)   # once per attempt: the guard resolves every connect
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(FetchError) as info:
        get(None, f"http://down.example:{port}/", allow_private=[f"127.0.0.1:{port}"],
            retries=2)
    assert (info.value.reason, info.value.temporary) == ("connect", True)
    assert len(lookups) == 3


def test_blocked_address_is_not_retried(http_server, monkeypatch):
    real = socket.getaddrinfo
    lookups = []

    def fake(host, *args, **kwargs):
        if host == "intranet.example":
            lookups.append(host)
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(BlockedAddressError):
        get(None, f"http://intranet.example:{http_server.port}/p")
    assert lookups == ["intranet.example"]   # one attempt
    assert http_server.requests == []
