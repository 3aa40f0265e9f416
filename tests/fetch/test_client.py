"""Fetcher against a real HTTP server on 127.0.0.1: deadlines, limits, redirects, errors."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib

import pytest

from tests.support.httpserver import LocalHTTPServer, respond
from zhuanlan.config import load_config
from zhuanlan.errors import ConfigError, FetchError
from zhuanlan.fetch import Fetcher

pytestmark = pytest.mark.usefixtures("local_network_only")


def _bomb(size: int) -> bytes:
    # Compressed piecewise so that building it does not itself hold `size` bytes.
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(size >> 20)) + packer.flush()


BOMB = _bomb(200 * 2**20)   # 200 MiB of zeros, about 200 KB gzipped
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def fetcher_for(http_server):
    made = []

    def make(**kwargs):
        kwargs.setdefault("allow_private", [f"127.0.0.1:{http_server.port}"])
        fetcher = Fetcher(**kwargs)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


def test_plain_get_fills_the_result(http_server, fetcher_for):
    http_server.route("/a", "<p>学习</p>", headers={
        **HTML, "ETag": '"v1"', "Last-Modified": "Wed, 01 May 2024 08:00:00 GMT"})
    result = fetcher_for().get(http_server.url("/a"))
    assert result.status == 200
    assert result.url == result.requested_url == http_server.url("/a")
    assert result.content == "<p>学习</p>".encode()
    assert result.text == "<p>学习</p>"
    assert (result.content_type, result.encoding) == (HTML["Content-Type"], "utf-8")
    assert (result.etag, result.last_modified) == ('"v1"', "Wed, 01 May 2024 08:00:00 GMT")
    assert not result.not_modified
    sent = http_server.requests[0].headers
    assert sent["User-Agent"].startswith("zhuanlan/")
    assert sent["Accept-Language"].startswith("zh-CN")
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert "If-None-Match" not in sent


def test_binary_content_has_no_encoding(http_server, fetcher_for):
    http_server.route("/img", b"\x89PNG\r\n\x1a\n\x00", headers={"Content-Type": "image/png"})
    assert fetcher_for().get(http_server.url("/img")).encoding is None


def test_conditional_get_returns_not_modified(http_server, fetcher_for):
    def etagged(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            respond(handler, 304, headers={"ETag": '"v1"'})
        else:
            respond(handler, 200, b"<p>body</p>", {**HTML, "ETag": '"v1"'})

    http_server.route_fn("/feed", etagged)
    fetcher = fetcher_for()
    first = fetcher.get(http_server.url("/feed"))
    again = fetcher.get(http_server.url("/feed"), etag=first.etag,
                        last_modified="Wed, 01 May 2024 08:00:00 GMT")
    assert (first.status, first.not_modified) == (200, False)
    assert (again.status, again.not_modified, again.content) == (304, True, b"")
    assert again.etag == '"v1"'
    assert again.last_modified == "Wed, 01 May 2024 08:00:00 GMT"
    sent = http_server.requests[1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Wed, 01 May 2024 08:00:00 GMT"


def _dribble(handler, *, headers_first: bool):
    # One byte a second: every read is quick, only a total deadline stops it.
    handler.close_connection = True
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 60\r\n\r\n"
    body = b"x" * 60
    if headers_first:
        handler.wfile.write(head)
        handler.wfile.flush()
        data = body
    else:
        data = head + body
    for i in range(len(data)):
        handler.wfile.write(data[i:i + 1])
        handler.wfile.flush()
        time.sleep(1.0)


@pytest.mark.parametrize("headers_first", [True, False], ids=["slow-body", "slow-headers"])
def test_dribbling_server_hits_the_total_deadline(http_server, fetcher_for, headers_first):
    http_server.route_fn("/slow", lambda h: _dribble(h, headers_first=headers_first))
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetcher_for(timeout=1.5).get(http_server.url("/slow"))
    elapsed = time.monotonic() - started
    assert info.value.reason == "timeout" and info.value.temporary
    assert 1.4 <= elapsed < 20   # the server would dribble for minutes


def test_gzip_bomb_is_refused_with_bounded_memory(http_server, fetcher_for):
    http_server.route("/bomb", BOMB, headers={**HTML, "Content-Encoding": "gzip"})
    fetcher = fetcher_for()   # default max_bytes: 10 MiB
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as info:
            fetcher.get(http_server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.reason == "too_large" and not info.value.temporary
    assert peak < 32 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_compressed_bodies_are_decoded(http_server, fetcher_for):
    body = ("<p>" + "新华网" * 20000 + "</p>").encode()
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    http_server.route("/gz", gzip.compress(body), headers={**HTML, "Content-Encoding": "gzip"})
    http_server.route("/zlib", zlib.compress(body), headers={**HTML, "Content-Encoding": "deflate"})
    http_server.route("/raw", raw_deflate.compress(body) + raw_deflate.flush(),
                      headers={**HTML, "Content-Encoding": "deflate"})
    fetcher = fetcher_for()
    for path in ("/gz", "/zlib", "/raw"):
        assert fetcher.get(http_server.url(path)).content == body, path


def test_corrupt_or_unknown_encoding(http_server, fetcher_for):
    http_server.route("/bad", b"\x1f\x8b\x08\x00garbagegarbage",
                      headers={"Content-Encoding": "gzip"})
    http_server.route("/br", b"\x0b\x02\x80", headers={"Content-Encoding": "br"})
    fetcher = fetcher_for()
    for path in ("/bad", "/br"):
        with pytest.raises(FetchError) as info:
            fetcher.get(http_server.url(path))
        assert info.value.reason == "bad_encoding"


def test_plain_body_over_the_limit(http_server, fetcher_for):
    http_server.route("/big", b"x" * 5000, headers=HTML)
    with pytest.raises(FetchError) as info:
        fetcher_for(max_bytes=4096).get(http_server.url("/big"))
    assert info.value.reason == "too_large"
    assert fetcher_for(max_bytes=5000).get(http_server.url("/big")).content == b"x" * 5000


def test_announced_length_over_the_limit_is_refused_before_reading(http_server, fetcher_for):
    def liar(handler):
        handler.close_connection = True
        handler.send_response(200)
        handler.send_header("Content-Length", str(50 * 2**20))
        handler.end_headers()
        handler.wfile.write(b"x" * 10)   # never sends the rest

    http_server.route_fn("/huge", liar)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetcher_for(max_bytes=2**20, timeout=60).get(http_server.url("/huge"))
    assert info.value.reason == "too_large"
    assert time.monotonic() - started < 30   # refused from the header, not at the timeout


def test_redirects_are_followed_and_reported(http_server, fetcher_for):
    http_server.redirect("/old", "/mid", status=301)
    http_server.redirect("/mid", http_server.url("/new?x=1"), status=307)
    http_server.route("/new", "done", headers=HTML)
    result = fetcher_for().get(http_server.url("/old"), headers={"Authorization": "t"})
    assert result.url == http_server.url("/new?x=1")
    assert result.requested_url == http_server.url("/old")
    assert result.content == b"done"
    assert [r.path for r in http_server.requests] == ["/old", "/mid", "/new?x=1"]
    assert http_server.requests[-1].headers.get("Authorization") == "t"   # same host


def test_redirect_loop(http_server, fetcher_for):
    http_server.redirect("/a", "/b")
    http_server.redirect("/b", "/a")
    with pytest.raises(FetchError) as info:
        fetcher_for().get(http_server.url("/a"))
    assert info.value.reason == "too_many_redirects"
    assert len(http_server.requests) == 2


def test_too_many_redirects(http_server, fetcher_for):
    for i in range(10):
        http_server.redirect(f"/r{i}", f"/r{i + 1}")
    http_server.route("/r10", "end")
    with pytest.raises(FetchError) as info:
        fetcher_for(max_redirects=3).get(http_server.url("/r0"))
    assert info.value.reason == "too_many_redirects"
    assert len(http_server.requests) == 4
    assert fetcher_for(max_redirects=10).get(http_server.url("/r0")).content == b"end"


def test_redirect_to_another_scheme_is_refused(http_server, fetcher_for):
    http_server.redirect("/js", "javascript:alert(1)")
    http_server.redirect("/file", "file:///etc/passwd")
    fetcher = fetcher_for()
    for path in ("/js", "/file"):
        with pytest.raises(FetchError) as info:
            fetcher.get(http_server.url(path))
        assert info.value.reason == "bad_scheme"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd",
                                 "ftp://example.com/x", "data:text/html,hi", "gopher://x/"])
def test_bad_scheme(url):
    with Fetcher() as fetcher, pytest.raises(FetchError) as info:
        fetcher.get(url)
    assert info.value.reason == "bad_scheme" and not info.value.temporary
    assert info.value.url == url


@pytest.mark.parametrize("url", ["http:///nohost", "http://example.com:99999/", "http://[::1/", ""])
def test_bad_url(url):
    # Every case fails before any name is resolved: no traffic leaves the machine.
    with Fetcher() as fetcher, pytest.raises(FetchError) as info:
        fetcher.get(url)
    assert info.value.reason in {"bad_url", "bad_scheme"}


@pytest.mark.parametrize("status, temporary", [(503, True), (500, True), (429, True),
                                               (404, False), (403, False), (410, False)])
def test_http_status_errors(http_server, fetcher_for, status, temporary):
    http_server.route("/x", "error page", status=status, headers=HTML)
    with pytest.raises(FetchError) as info:
        fetcher_for().get(http_server.url("/x"))
    assert info.value.reason == "http_status"
    assert (info.value.status, info.value.temporary) == (status, temporary)
    assert str(status) in str(info.value)


def test_refused_connection_is_temporary(http_server):
    port = http_server.port
    http_server.stop()   # nothing listens on the port any more
    with Fetcher(allow_private=[f"127.0.0.1:{port}"]) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.get(f"http://127.0.0.1:{port}/")
    assert (info.value.reason, info.value.temporary) == ("connect", True)


def test_connection_is_reused_and_deadline_is_per_request(http_server, fetcher_for):
    http_server.route("/a", "a", headers=HTML)
    fetcher = fetcher_for(timeout=1.0)
    for _ in range(3):
        assert fetcher.get(http_server.url("/a")).content == b"a"
    assert len({r.client_port for r in http_server.requests}) == 1   # kept alive
    time.sleep(1.1)   # longer than the timeout: an idle pooled connection must still work
    assert fetcher.get(http_server.url("/a")).content == b"a"


def test_threads_share_a_fetcher_with_deadlines_of_their_own(http_server, fetcher_for):
    http_server.route_fn("/slow", lambda h: _dribble(h, headers_first=True))
    http_server.route("/quick", "q", headers=HTML)
    fetcher = fetcher_for(timeout=1.5)
    outcome = {}

    def slow():
        try:
            fetcher.get(http_server.url("/slow"))
        except FetchError as exc:
            outcome["slow"] = exc.reason

    thread = threading.Thread(target=slow)
    thread.start()
    quick = [fetcher.get(http_server.url("/quick")).content for _ in range(5)]
    thread.join(5)
    assert quick == [b"q"] * 5 and outcome == {"slow": "timeout"}


def test_credentials_are_not_sent_to_another_origin(http_server, fetcher_for):
    with LocalHTTPServer() as other:
        other.route("/there", "ok")
        http_server.redirect("/go", other.url("/there"))
        fetcher = fetcher_for(allow_private=["127.0.0.1"])
        result = fetcher.get(http_server.url("/go"),
                             headers={"Authorization": "Bearer t", "Cookie": "a=1", "X-Keep": "1"})
        assert result.content == b"ok"
        sent = other.requests[0].headers
        assert "Authorization" not in sent and "Cookie" not in sent and sent["X-Keep"] == "1"
        assert http_server.requests[0].headers["Authorization"] == "Bearer t"


def test_caller_headers_replace_defaults(http_server, fetcher_for):
    seen = {}

    def record(handler):
        seen["ua"] = handler.headers.get_all("User-Agent")
        respond(handler, 200, b"h")

    http_server.route_fn("/h", record)
    fetcher_for().get(http_server.url("/h"), headers={"user-agent": "mine/1",
                                                      "Accept-Encoding": "br"})
    assert seen["ua"] == ["mine/1"]
    assert http_server.requests[0].headers["Accept-Encoding"] == "gzip, deflate"


def test_octet_stream_page_still_gets_an_encoding(http_server, fetcher_for):
    http_server.route("/o", '<html><meta charset="gbk">镕</html>'.encode("gb18030"),
                      headers={"Content-Type": "application/octet-stream"})
    result = fetcher_for().get(http_server.url("/o"))
    assert result.encoding == "gb18030" and "镕" in result.text


def test_from_config(tmp_path):
    cfg = load_config(path=None, environ={}, **{
        "fetch.timeout": 7.0, "fetch.max_bytes": 1234, "fetch.max_redirects": 2,
        "fetch.user_agent": "ua/1", "fetch.allow_private": ["10.0.0.0/8"]})
    with Fetcher.from_config(cfg) as fetcher:
        assert (fetcher.timeout, fetcher.max_bytes, fetcher.max_redirects) == (7.0, 1234, 2)
        assert fetcher.policy.entries == ("10.0.0.0/8",)
    bad = load_config(path=None, environ={}, **{"fetch.allow_private": ["a b"]})
    with pytest.raises(ConfigError):
        Fetcher.from_config(bad)
