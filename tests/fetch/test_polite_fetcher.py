"""PoliteFetcher: the AsyncFetcher from synchronous threads, limits shared by all."""

from __future__ import annotations

import threading

import pytest

from tests.fetch.aio import options
from zhuanlan.config import load_config
from zhuanlan.errors import BlockedAddressError, ConfigError, FetchError
from zhuanlan.fetch import FetchRequest, PoliteFetcher

pytestmark = pytest.mark.usefixtures("local_network_only")


def test_get_has_the_signature_of_fetcher_get(http_server):
    http_server.route("/a", "<p>新闻</p>", headers={"Content-Type": "text/html; charset=utf-8",
                                                  "ETag": '"1"'})
    with PoliteFetcher(**options(http_server)) as fetcher:
        result = fetcher.get(http_server.url("/a"), etag='"0"',
                             headers={"Referer": "https://www.news.cn/"})
        assert result.text == "<p>新闻</p>" and result.etag == '"1"'
        outcomes = fetcher.get_many([FetchRequest(http_server.url("/a")),
                                     http_server.url("/missing")])
        assert outcomes[0].status == 200 and outcomes[1].status == 404
        with pytest.raises(BlockedAddressError):   # raised in the calling thread
            fetcher.get("http://10.0.0.1/")
    assert http_server.requests[0].headers["Referer"] == "https://www.news.cn/"
    fetcher.close()   # idempotent
    with pytest.raises(RuntimeError):
        fetcher.get(http_server.url("/a"))


def test_threads_share_one_set_of_per_host_limits(http_server):
    http_server.route_slow("/p", "ok", 0.15)
    errors: list[BaseException] = []
    with PoliteFetcher(**options(http_server, per_host_concurrency=1)) as fetcher:
        def work(n: int) -> None:
            try:
                assert fetcher.get(http_server.url(f"/p?{n}")).content == b"ok"
            except BaseException as exc:   # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert errors == []
    assert http_server.max_in_flight == 1 and len(http_server.requests) == 4


def test_from_config_and_bad_options():
    cfg = load_config(path=None, environ={}, **{"fetch.timeout": 3.0})
    with PoliteFetcher.from_config(cfg, retries=0) as fetcher:
        assert fetcher.fetcher.timeout == 3.0 and fetcher.fetcher.retries == 0
    with pytest.raises(ConfigError):
        PoliteFetcher.from_config(cfg, per_host_concurrency=0)
    with pytest.raises(ValueError):
        PoliteFetcher(per_host_delay=-1)
    assert not any(t.name == "zhuanlan-fetch" and t.is_alive()
                   for t in threading.enumerate())


def test_a_fetch_error_keeps_its_reason(http_server):
    http_server.route("/p", "x", status=403)
    with PoliteFetcher(**options(http_server)) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.get(http_server.url("/p"))
    assert (info.value.reason, info.value.status) == ("http_status", 403)
