"""robots.txt: RFC 9309 outcomes, the cache, and the fetcher obeying it (127.0.0.1)."""

from __future__ import annotations

import pytest

from tests.fetch.aio import get, run
from tests.support.clock import FakeClock
from tests.support.httpserver import LocalHTTPServer
from zhuanlan.errors import FetchError
from zhuanlan.fetch import RobotsCache, retry_after_of
from zhuanlan.fetch.robots import rules_from
from zhuanlan.model import FetchResult

pytestmark = pytest.mark.usefixtures("local_network_only")

TEXT = {"Content-Type": "text/plain"}
ROBOTS = """\
User-agent: *
Disallow: /

User-agent: zhuanlan
Disallow: /private/
Allow: /
"""


def _ok(text: str) -> FetchResult:
    return FetchResult(url="http://s/robots.txt", requested_url="http://s/robots.txt",
                       status=200, content=text.encode(), content_type="text/plain",
                       encoding="utf-8", etag=None, last_modified=None)


# -- rules, no traffic -----------------------------------------------------------------

def test_our_group_is_used_not_the_wildcard():
    rules = rules_from(_ok(ROBOTS), 0.0)
    assert rules.allows("http://s/news/1.html")
    assert not rules.allows("http://s/private/x.html")
    assert not rules.allows("http://s/news/1.html", agent="otherbot")


@pytest.mark.parametrize("outcome, kind, ttl", [
    (FetchError("u", "http_status", "404", status=404), "allow_all", 86400),
    (FetchError("u", "http_status", "403", status=403), "allow_all", 86400),
    (FetchError("u", "http_status", "500", status=500, temporary=True), "disallow_all", 3600),
    (FetchError("u", "http_status", "429", status=429, temporary=True), "disallow_all", 3600),
    (FetchError("u", "timeout", "t", temporary=True), "disallow_all", 3600),
    (FetchError("u", "connect", "c", temporary=True), "disallow_all", 3600),
    (FetchError("u", "too_many_redirects", "loop"), "allow_all", 86400),
])
def test_fetch_outcomes(outcome, kind, ttl):
    rules = rules_from(outcome, 100.0)
    assert (rules.kind, rules.expires) == (kind, 100.0 + ttl)
    assert rules.allows("http://s/a") is (kind == "allow_all")


def test_cache_expires_and_stays_bounded():
    clock = FakeClock(1000.0)
    cache = RobotsCache(ttl=50, error_ttl=10, max_entries=3, clock=clock)
    cache.put("http://a:80", _ok(ROBOTS))
    cache.put("http://b:80", FetchError("u", "timeout", "t", temporary=True))
    clock.now += 11
    assert cache.get("http://a:80") is not None
    assert cache.get("http://b:80") is None      # the error is forgotten sooner
    clock.now += 40
    assert cache.get("http://a:80") is None
    for name in "cdef":
        cache.put(f"http://{name}:80", _ok(""))
    assert len(cache) == 3 and cache.get("http://c:80") is None   # least recently used


# -- the fetcher obeying it ------------------------------------------------------------

def test_disallowed_page_is_never_requested(http_server):
    http_server.route("/robots.txt", ROBOTS, headers=TEXT)
    http_server.route("/private/a", "secret")
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/private/a"), respect_robots=True)
    assert (info.value.reason, info.value.temporary) == ("robots", False)
    assert [r.path for r in http_server.requests] == ["/robots.txt"]


def test_robots_is_fetched_once_for_many_pages_and_a_preset_user_agent(http_server):
    http_server.route("/robots.txt", ROBOTS, headers=TEXT)
    for name in "abc":
        http_server.route(f"/news/{name}", name)
    urls = [http_server.url(f"/news/{name}") for name in "abc"] + [
        http_server.url("/private/x")]

    async def scenario(fetcher):
        first = await fetcher.get_many(urls)
        again = await fetcher.get(urls[0], headers={"User-Agent": "Mozilla/5.0"})
        return first, again

    outcomes, again = run(http_server, scenario, respect_robots=True)
    assert [o.content for o in outcomes[:3]] == [b"a", b"b", b"c"]
    assert outcomes[3].reason == "robots"
    assert again.content == b"a"   # matched as zhuanlan whatever the User-Agent
    assert len(http_server.requests_to("/robots.txt")) == 1
    assert http_server.requests_to("/private/x") == []


def test_robots_404_allows_everything(http_server):
    http_server.route("/a", "a")
    assert get(http_server, http_server.url("/a"), respect_robots=True).content == b"a"
    assert [r.path for r in http_server.requests] == ["/robots.txt", "/a"]


def test_robots_500_disallows_for_now_then_is_fetched_again(http_server):
    http_server.route_sequence("/robots.txt", [(500, "oops", TEXT), (200, "", TEXT)])
    http_server.route("/a", "a")
    clock = FakeClock(1000.0)
    cache = RobotsCache(clock=clock)

    async def once(fetcher):
        try:
            return await fetcher.get(http_server.url("/a"))
        except FetchError as exc:
            return exc

    refused = run(http_server, once, respect_robots=True, robots_cache=cache)
    assert (refused.reason, refused.temporary) == ("robots", True)
    assert retry_after_of(refused) == pytest.approx(3600)
    again = run(http_server, once, respect_robots=True, robots_cache=cache)
    assert again.reason == "robots"                   # cached: not asked again
    assert len(http_server.requests_to("/robots.txt")) == 1
    clock.now += 3601
    assert run(http_server, once, respect_robots=True, robots_cache=cache).content == b"a"
    assert [r.path for r in http_server.requests] == ["/robots.txt", "/robots.txt", "/a"]


def test_robots_timeout_is_not_retried_and_disallows(http_server):
    http_server.route_slow("/robots.txt", "", 1.0)
    http_server.route("/a", "a")
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/a"), respect_robots=True, timeout=0.3)
    # The site timed out: reported as a timeout (the message names robots.txt).
    assert (info.value.reason, info.value.temporary) == ("timeout", True)
    assert "robots.txt" in info.value.message
    assert [r.path for r in http_server.requests] == ["/robots.txt"]


def test_respect_robots_off(http_server):
    http_server.route("/robots.txt", "User-agent: *\nDisallow: /\n", headers=TEXT)
    http_server.route("/a", "a")
    assert get(http_server, http_server.url("/a"), respect_robots=False).content == b"a"
    assert [r.path for r in http_server.requests] == ["/a"]


def test_redirect_into_a_disallowed_site_is_refused(http_server):
    with LocalHTTPServer() as other:
        other.route("/robots.txt", "User-agent: *\nDisallow: /\n", headers=TEXT)
        other.route("/page", "no")
        http_server.redirect("/go", other.url("/page"))
        with pytest.raises(FetchError) as info:
            get(http_server, http_server.url("/go"), respect_robots=True,
                allow_private=["127.0.0.1"])
        assert info.value.reason == "robots" and "redirect to" in info.value.message
        assert [r.path for r in other.requests] == ["/robots.txt"]


def test_oversized_robots_is_cut_not_refused(http_server):
    big = "User-agent: *\nDisallow: /private/\n" + "# filler\n" * 70000   # ~630 KB
    http_server.route("/robots.txt", big, headers=TEXT)
    http_server.route("/a", "a")
    outcomes = run(http_server, lambda f: f.get_many(
        [http_server.url("/a"), http_server.url("/private/x")]), respect_robots=True)
    assert outcomes[0].content == b"a"
    assert outcomes[1].reason == "robots"   # the rules were read, not dropped as too large


def test_crawl_delay_spaces_the_starts(http_server):
    http_server.route("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", headers=TEXT)
    http_server.route("/a", "a")
    http_server.route("/b", "b")
    urls = [http_server.url("/a"), http_server.url("/b")]
    run(http_server, lambda f: f.get_many(urls), respect_robots=True, per_host_delay=0.0)
    starts = sorted(r.at for r in http_server.requests if r.path != "/robots.txt")
    assert starts[1] - starts[0] >= 0.95


def test_a_shared_cache_serves_a_second_fetcher(http_server):
    http_server.route("/robots.txt", ROBOTS, headers=TEXT)
    http_server.route("/a", "a")
    cache = RobotsCache()
    for _ in range(2):
        get(http_server, http_server.url("/a"), respect_robots=True, robots_cache=cache)
    assert len(http_server.requests_to("/robots.txt")) == 1
    assert cache.get(f"http://127.0.0.1:{http_server.port}") is not None


def test_unreachable_site_is_reported_as_unreachable_not_as_forbidding():
    from zhuanlan.errors import FetchError
    from zhuanlan.fetch.robots import rules_from

    down = FetchError("http://x/robots.txt", "connect", "cannot connect", temporary=True)
    rules = rules_from(down, 0.0)
    assert rules.kind == "disallow_all" and rules.cause == "connect"
    failing = FetchError("http://x/robots.txt", "http_status", "HTTP 503", temporary=True,
                         status=503)
    assert rules_from(failing, 0.0).cause == ""
