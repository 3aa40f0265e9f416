"""AsyncFetcher against real servers on 127.0.0.1: the guarantees of the sync Fetcher
(deadline, limits, redirects, SSRF, charset) hold on the async path too."""

from __future__ import annotations

import asyncio
import socket
import time
import tracemalloc
import zlib

import httpcore
import pytest

from tests.fetch.aio import get, options, run
from tests.support.httpserver import LocalHTTPServer, respond
from zhuanlan.config import load_config
from zhuanlan.errors import BlockedAddressError, ConfigError, FetchError
from zhuanlan.fetch import AsyncFetcher, FetchRequest

pytestmark = pytest.mark.usefixtures("local_network_only")

HTML = {"Content-Type": "text/html; charset=utf-8"}


def _bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(size >> 20)) + packer.flush()


def test_plain_get_fills_the_result(http_server):
    http_server.route("/a", "<p>学习</p>", headers={**HTML, "ETag": '"v1"'})
    result = get(http_server, http_server.url("/a"))
    assert (result.status, result.content, result.text) == (200, "<p>学习</p>".encode(),
                                                            "<p>学习</p>")
    assert (result.encoding, result.etag, result.not_modified) == ("utf-8", '"v1"', False)
    sent = http_server.requests[0].headers
    assert sent["User-Agent"].startswith("zhuanlan/")
    assert sent["Accept-Encoding"] == "gzip, deflate"


def test_gbk_page_without_header_charset(http_server):
    page = '<html><meta charset="gb2312"><p>朱镕基、王喆与张堃</p></html>'
    http_server.route("/gbk", page.encode("gbk"), headers={"Content-Type": "text/html"})
    result = get(http_server, http_server.url("/gbk"))
    assert result.encoding == "gb18030" and "朱镕基、王喆与张堃" in result.text


def test_conditional_get(http_server):
    def etagged(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            respond(handler, 304, headers={"ETag": '"v1"'})
        else:
            respond(handler, 200, b"<p>body</p>", {**HTML, "ETag": '"v1"'})

    http_server.route_fn("/feed", etagged)
    result = get(http_server, http_server.url("/feed"))
    again = run(http_server, lambda f: f.get(http_server.url("/feed"), etag=result.etag,
                                             last_modified="Wed, 01 May 2024 08:00:00 GMT"))
    assert (again.status, again.not_modified, again.content, again.etag) == (
        304, True, b"", '"v1"')
    assert again.last_modified == "Wed, 01 May 2024 08:00:00 GMT"
    assert http_server.requests[1].headers["If-Modified-Since"] == again.last_modified


def test_referer_and_user_agent_per_request(http_server):
    http_server.route("/jsonp", "cb({})", headers={"Content-Type": "application/javascript"})
    run(http_server, lambda f: f.get(http_server.url("/jsonp"), headers={
        "Referer": "https://news.cctv.com/", "user-agent": "Mozilla/5.0 preset",
        "Accept-Encoding": "br"}))
    sent = http_server.requests[0].headers
    assert sent["Referer"] == "https://news.cctv.com/"
    assert sent["User-Agent"] == "Mozilla/5.0 preset"
    assert sent["Accept-Encoding"] == "gzip, deflate"   # only what we can bound


def test_get_many_keeps_order_and_failures_do_not_cancel_the_others(http_server):
    http_server.route("/a", "a", headers=HTML)
    http_server.route("/b", "b", headers=HTML)
    http_server.route("/gone", "x", status=410)
    urls = [http_server.url("/a"), FetchRequest(http_server.url("/gone")),
            "javascript:alert(1)", FetchRequest(http_server.url("/b"), headers={"X-T": "1"})]
    outcomes = run(http_server, lambda f: f.get_many(urls))
    assert outcomes[0].content == b"a" and outcomes[3].content == b"b"
    assert isinstance(outcomes[1], FetchError) and outcomes[1].status == 410
    assert isinstance(outcomes[2], FetchError) and outcomes[2].reason == "bad_scheme"
    assert http_server.requests_to("/b")[0].headers["X-T"] == "1"


def test_redirects_are_followed_and_credentials_stay_home(http_server):
    with LocalHTTPServer() as other:
        other.route("/there", "ok")
        http_server.redirect("/old", "/mid", status=301)
        http_server.redirect("/mid", other.url("/there"), status=307)
        result = run(http_server, lambda f: f.get(http_server.url("/old"),
                                                  headers={"Cookie": "a=1"}),
                     allow_private=["127.0.0.1"])
        assert (result.url, result.requested_url) == (other.url("/there"),
                                                      http_server.url("/old"))
        assert http_server.requests[1].headers["Cookie"] == "a=1"
        assert "Cookie" not in other.requests[0].headers


def test_redirect_loop_and_too_many_redirects(http_server):
    http_server.redirect("/a", "/b")
    http_server.redirect("/b", "/a")
    for i in range(10):
        http_server.redirect(f"/r{i}", f"/r{i + 1}")
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/a"))
    assert info.value.reason == "too_many_redirects" and not info.value.temporary
    assert len(http_server.requests) == 2   # and not retried
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/r0"), max_redirects=3)
    assert info.value.reason == "too_many_redirects"
    assert len(http_server.requests_to("/r0")) == 1 and len(http_server.requests) == 6


@pytest.mark.parametrize("location", ["javascript:alert(1)", "file:///etc/passwd"])
def test_redirect_to_another_scheme(http_server, location):
    http_server.redirect("/x", location)
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/x"))
    assert info.value.reason == "bad_scheme"


def test_bad_scheme_fails_at_once():
    with pytest.raises(FetchError) as info:
        get(None, "ftp://example.com/x")
    assert info.value.reason == "bad_scheme"


# -- limits ----------------------------------------------------------------------------

def _dribble(handler):
    handler.close_connection = True
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                        b"Content-Length: 60\r\n\r\n")
    handler.wfile.flush()
    for _ in range(60):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(1.0)


def test_one_byte_a_second_server_hits_the_deadline(http_server):
    http_server.route_fn("/slow", _dribble)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        # Every read is quicker than the timeout: only the total deadline can stop it.
        get(http_server, http_server.url("/slow"), timeout=1.5, retries=0)
    elapsed = time.monotonic() - started
    assert info.value.reason == "timeout" and info.value.temporary
    assert 1.4 <= elapsed < 20   # the server would take 60 s


def test_gzip_bomb_is_refused_with_bounded_memory(http_server):
    http_server.route("/bomb", _bomb(64 * 2**20),
                      headers={**HTML, "Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as info:
            get(http_server, http_server.url("/bomb"), max_bytes=2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.reason == "too_large" and not info.value.temporary
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert len(http_server.requests) == 1   # not retried


def test_body_and_announced_length_over_the_limit(http_server):
    http_server.route("/big", b"x" * 5000, headers=HTML)
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/big"), max_bytes=4096)
    assert info.value.reason == "too_large"
    assert get(http_server, http_server.url("/big"), max_bytes=5000).content == b"x" * 5000


def test_unknown_content_encoding(http_server):
    http_server.route("/br", b"\x0b\x02\x80", headers={"Content-Encoding": "br"})
    with pytest.raises(FetchError) as info:
        get(http_server, http_server.url("/br"))
    assert info.value.reason == "bad_encoding"


# -- SSRF on the async path ------------------------------------------------------------

@pytest.mark.parametrize("robots", [False, True])
def test_loopback_without_allow_list_is_blocked(http_server, robots):
    http_server.route("/", "secret")
    with pytest.raises(BlockedAddressError):   # and not hidden behind a robots error
        get(None, http_server.url("/"), respect_robots=robots)
    assert http_server.requests == []   # robots.txt not fetched either


def test_localhost_name_is_blocked_without_allow_list(http_server):
    http_server.route("/", "secret")
    with pytest.raises(BlockedAddressError) as info:
        get(None, f"http://localhost:{http_server.port}/")
    assert "localhost 指向内部地址" in info.value.message
    assert http_server.requests == []


def test_redirect_to_a_port_not_allowed_is_blocked(http_server):
    with LocalHTTPServer() as other:
        other.route("/internal", "secret")
        http_server.redirect("/go", other.url("/internal"))
        with pytest.raises(BlockedAddressError) as info:
            get(http_server, http_server.url("/go"))
        assert other.url("/internal") in info.value.message
        assert other.requests == []
        assert [r.path for r in http_server.requests] == ["/go"]   # not retried


@pytest.mark.parametrize("location", ["http://10.0.0.1/admin",
                                      "http://169.254.169.254/latest/meta-data/",
                                      "http://[::1]:9/", "http://2130706433:9/"])
def test_redirect_to_a_private_address_is_blocked(http_server, location):
    http_server.redirect("/go", location)
    with pytest.raises(BlockedAddressError):
        get(http_server, http_server.url("/go"))


def test_check_is_on_the_resolved_address(http_server, monkeypatch):
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "news.example":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    http_server.route("/a", "ok")
    url = f"http://news.example:{http_server.port}/a"
    with pytest.raises(BlockedAddressError):
        get(None, url)
    assert get(http_server, url).content == b"ok"
    assert http_server.requests[-1].headers["Host"] == f"news.example:{http_server.port}"


def test_one_private_address_among_public_ones_refuses_the_name(monkeypatch):
    def fake(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    async def no_connect(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", no_connect)
    with pytest.raises(BlockedAddressError) as info:
        get(None, "http://rebind.example/")
    assert "rebind.example 指向内部地址" in info.value.message
    assert "127.0.0.1" not in info.value.message


def test_unresolvable_name_is_temporary_and_retried(monkeypatch):
    calls = []

    def fake(host, port, *args, **kwargs):
        calls.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(FetchError) as info:
        get(None, "http://no-such-host.example/", retries=1)
    assert (info.value.reason, info.value.temporary) == ("connect", True)
    assert calls == ["no-such-host.example"] * 2


# -- construction ----------------------------------------------------------------------

def test_from_config_reads_fetch_settings():
    cfg = load_config(path=None, environ={}, **{
        "fetch.timeout": 7.0, "fetch.max_bytes": 1234, "fetch.max_redirects": 2,
        "fetch.user_agent": "ua/1", "fetch.allow_private": ["10.0.0.0/8"]})
    fetcher = AsyncFetcher.from_config(cfg, retries=1)
    try:
        assert (fetcher.timeout, fetcher.max_bytes, fetcher.max_redirects) == (7.0, 1234, 2)
        assert fetcher.retries == 1 and fetcher.respect_robots is True
        assert fetcher.policy.entries == ("10.0.0.0/8",)
        assert fetcher.settings.headers["User-Agent"] == "ua/1"
    finally:
        asyncio.run(fetcher.aclose())
    bad = load_config(path=None, environ={}, **{"fetch.allow_private": ["a b"]})
    with pytest.raises(ConfigError):
        AsyncFetcher.from_config(bad)


@pytest.mark.parametrize("option", [{"per_host_concurrency": 0}, {"retries": -1},
                                    {"timeout": 0}, {"per_host_delay": -1}])
def test_impossible_options(option):
    with pytest.raises(ValueError):
        AsyncFetcher(**options(None, **option))
