"""Politeness per host:port, measured at real servers on 127.0.0.1.

Two servers on two ports of 127.0.0.1 are two hosts: politeness is keyed by host:port
(see zhuanlan.fetch.politeness for why).
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fetch.aio import run
from tests.support.httpserver import LocalHTTPServer
from zhuanlan.fetch.politeness import host_key

pytestmark = pytest.mark.usefixtures("local_network_only")

SLACK = 0.03   # timer and scheduling jitter between our clock and the server's


@pytest.mark.parametrize("url, key", [
    ("http://News.Example./a", "news.example:80"),
    ("https://news.example/a", "news.example:443"),
    ("http://news.example:8080/", "news.example:8080"),
    ("http://[::1]:9/", "[::1]:9"),
])
def test_host_key(url, key):
    assert host_key(httpx.URL(url)) == key


@pytest.mark.parametrize("concurrency", [1, 2])
def test_per_host_concurrency_is_never_exceeded(http_server, concurrency):
    http_server.route_slow("/p", "ok", 0.15)
    urls = [http_server.url(f"/p?n={i}") for i in range(5)]
    outcomes = run(http_server, lambda f: f.get_many(urls), per_host_concurrency=concurrency)
    assert [o.content for o in outcomes] == [b"ok"] * 5
    assert http_server.max_in_flight == concurrency   # reached, never exceeded


def test_per_host_delay_between_starts(http_server):
    http_server.route("/p", "ok")
    urls = [http_server.url(f"/p?n={i}") for i in range(4)]
    run(http_server, lambda f: f.get_many(urls), per_host_concurrency=4, per_host_delay=0.2)
    starts = sorted(r.at for r in http_server.requests)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(gap >= 0.2 - SLACK for gap in gaps), gaps


def test_two_hosts_are_limited_separately(http_server):
    with LocalHTTPServer() as other:
        for server in (http_server, other):
            server.route_slow("/p", "ok", 1.0)
        urls = [http_server.url("/p"), other.url("/p")]
        started = time.monotonic()
        outcomes = run(http_server, lambda f: f.get_many(urls), per_host_concurrency=1,
                       per_host_delay=5.0, allow_private=["127.0.0.1"])
        elapsed = time.monotonic() - started
        assert [o.content for o in outcomes] == [b"ok", b"ok"]
        # Neither host's pause nor its single place held the other one back.
        assert abs(http_server.requests[0].at - other.requests[0].at) < 1.0
        assert elapsed < 5   # one after the other: at least 5 s pause + 1 s


def test_same_host_twice_waits_for_the_place_and_the_pause(http_server):
    http_server.route_slow("/p", "ok", 0.35)
    urls = [http_server.url("/p?1"), http_server.url("/p?2")]
    run(http_server, lambda f: f.get_many(urls), per_host_concurrency=1, per_host_delay=0.2)
    first, second = sorted(r.at for r in http_server.requests)
    assert second - first >= 0.35 - SLACK   # the place is held longer than the pause
    assert http_server.max_in_flight == 1


def test_overall_concurrency(http_server):
    with LocalHTTPServer() as other:
        for server in (http_server, other):
            server.route_slow("/p", "ok", 0.25)
        urls = [http_server.url("/p"), other.url("/p")]
        run(http_server, lambda f: f.get_many(urls), max_concurrency=1,
            allow_private=["127.0.0.1"])
        starts = sorted([http_server.requests[0].at, other.requests[0].at])
        assert starts[1] - starts[0] >= 0.25 - SLACK


def test_a_retry_waits_its_turn_too(http_server):
    http_server.route_sequence("/p", [(503, "", None), (200, "ok", None)])
    run(http_server, lambda f: f.get(http_server.url("/p")), per_host_delay=0.3)
    first, second = http_server.requests
    assert second.at - first.at >= 0.3 - SLACK
