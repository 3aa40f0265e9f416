"""SSRF guard: address rules (no traffic) and the check at connect time (127.0.0.1 only)."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess

import httpcore
import pytest

from tests.support.httpserver import LocalHTTPServer
from zhuanlan.errors import BlockedAddressError, FetchError
from zhuanlan.fetch import AddressPolicy, Fetcher
from zhuanlan.fetch.guard import blocked_reason

pytestmark = pytest.mark.usefixtures("local_network_only")


@pytest.mark.parametrize("ip", [
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "127.8.9.10", "0.0.0.0",
    "169.254.169.254", "100.64.0.1", "224.0.0.1", "255.255.255.255", "240.0.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "2002:7f00:1::", "64:ff9b::a00:1",
])
def test_non_public_addresses_are_blocked(ip):
    with pytest.raises(BlockedAddressError) as info:
        AddressPolicy([]).check("example.com", 80, ip)
    assert info.value.reason == "blocked_address"
    assert not info.value.temporary
    assert "fetch.allow_private" in str(info.value)


@pytest.mark.parametrize("ip", ["8.8.8.8", "202.108.22.5", "2400:3200::1",
                                "::ffff:8.8.8.8"])
def test_public_addresses_pass(ip):
    AddressPolicy([]).check("example.com", 443, ip)
    assert blocked_reason(ipaddress.ip_address(ip)) is None


def test_message_names_the_host_but_never_the_internal_address(caplog):
    with caplog.at_level("WARNING", logger="zhuanlan.fetch.guard"), \
            pytest.raises(BlockedAddressError) as info:
        AddressPolicy().check("intranet.example", 80, "10.1.2.3")
    assert "intranet.example 指向内部地址" in info.value.message
    assert "10.1.2.3" not in str(info.value)          # would map the intranet for a prober
    assert any(getattr(r, "address", "") == "10.1.2.3" for r in caplog.records)  # the log


@pytest.mark.parametrize("entry, host, port, ip, allowed", [
    ("127.0.0.1", "127.0.0.1", 8080, "127.0.0.1", True),
    ("127.0.0.1", "localhost", 9, "127.0.0.1", True),   # address entries: the resolved IP
    ("127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1", True),
    ("127.0.0.1:8080", "127.0.0.1", 8081, "127.0.0.1", False),
    ("10.0.0.0/8", "a.example", 80, "10.200.0.1", True),
    ("10.0.0.0/8", "a.example", 80, "192.168.0.1", False),
    ("intranet.example", "Intranet.Example.", 80, "10.0.0.5", True),
    ("intranet.example", "other.example", 80, "10.0.0.5", False),
    ("intranet.example:8443", "intranet.example", 8443, "10.0.0.5", True),
    ("intranet.example:8443", "intranet.example", 443, "10.0.0.5", False),
    ("[::1]:8765", "::1", 8765, "::1", True),
    ("::1", "::1", 1, "::1", True),
    ("127.0.0.1", "x", 80, "::ffff:127.0.0.1", True),
    ("fd00::/8", "x", 80, "fd00::5", True),
])
def test_allow_list(entry, host, port, ip, allowed):
    policy = AddressPolicy([entry])
    assert policy.is_allowed(host, port, ipaddress.ip_address(ip)) is allowed
    if allowed:
        policy.check(host, port, ip)
    else:
        with pytest.raises(BlockedAddressError):
            policy.check(host, port, ip)


@pytest.mark.parametrize("entry", ["host:port", "a.example:0", "[::1", "a b", "10.0.0.0/33"])
def test_bad_allow_entries(entry):
    with pytest.raises(ValueError):
        AddressPolicy([entry])


# -- at connect time, against a real server on 127.0.0.1 -------------------------------

def test_loopback_without_allow_list_is_blocked(http_server):
    http_server.route("/", "secret")
    with Fetcher() as fetcher, pytest.raises(BlockedAddressError) as info:
        fetcher.get(http_server.url("/"))
    assert info.value.url == http_server.url("/")
    assert http_server.requests == []   # refused before connecting


def test_localhost_resolves_to_loopback_and_is_blocked(http_server):
    http_server.route("/", "secret")
    with Fetcher() as fetcher, pytest.raises(BlockedAddressError) as info:
        fetcher.get(f"http://localhost:{http_server.port}/")
    assert "localhost 指向内部地址" in info.value.message
    assert http_server.requests == []


def test_ipv6_loopback_literal_is_blocked():
    with Fetcher() as fetcher, pytest.raises(BlockedAddressError):
        fetcher.get("http://[::1]:9/")


def test_private_literal_is_blocked_before_any_packet():
    with Fetcher() as fetcher:
        for url in ("http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
                    "http://[::ffff:127.0.0.1]:9/", "http://0.0.0.0:9/",
                    # old numeric forms of 127.0.0.1, judged after resolution
                    "http://2130706433:9/", "http://0x7f.1:9/", "http://127.1:9/"):
            with pytest.raises(BlockedAddressError):
                fetcher.get(url)


def test_allowed_host_port_is_fetched(http_server):
    http_server.route("/ok", "好", headers={"Content-Type": "text/plain; charset=utf-8"})
    with Fetcher(allow_private=[f"127.0.0.1:{http_server.port}"]) as fetcher:
        assert fetcher.get(http_server.url("/ok")).text == "好"


def test_redirect_to_another_loopback_port_is_blocked(http_server):
    with LocalHTTPServer() as other:
        other.route("/internal", "secret")
        http_server.redirect("/go", other.url("/internal"))
        with Fetcher(allow_private=[f"127.0.0.1:{http_server.port}"]) as fetcher:
            with pytest.raises(BlockedAddressError) as info:
                fetcher.get(http_server.url("/go"))
        assert info.value.url == http_server.url("/go")
        assert other.url("/internal") in info.value.message
        assert other.requests == []
        assert [r.path for r in http_server.requests] == ["/go"]


def test_check_is_on_the_resolved_address_and_keeps_the_host_name(http_server, monkeypatch):
    """A public-looking name resolving to loopback is refused; once allowed, the
    connection goes to the checked IP while Host still names the site."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "news.example":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    http_server.route("/a", "ok")
    url = f"http://news.example:{http_server.port}/a"
    with Fetcher() as fetcher, pytest.raises(BlockedAddressError):
        fetcher.get(url)
    with Fetcher(allow_private=[f"127.0.0.1:{http_server.port}"]) as fetcher:
        assert fetcher.get(url).content == b"ok"
    assert http_server.requests[-1].headers["Host"] == f"news.example:{http_server.port}"


def test_name_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    # Every address is checked before the first connection attempt, so the public one
    # listed first is never tried (the patched connect would fail the test if it were).
    def fake(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    def no_connect(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", no_connect)
    with Fetcher() as fetcher, pytest.raises(BlockedAddressError) as info:
        fetcher.get("http://rebind.example/")
    assert "rebind.example 指向内部地址" in info.value.message
    assert "127.0.0.1" not in info.value.message


def test_unresolvable_name_is_a_temporary_connect_error(monkeypatch):
    def fake(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with Fetcher() as fetcher, pytest.raises(FetchError) as info:
        fetcher.get("http://no-such-host.example/")
    assert (info.value.reason, info.value.temporary) == ("connect", True)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed certificate for news.example, made with the openssl CLI."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=news.example", "-addext", "subjectAltName=DNS:news.example",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_tls_verifies_the_host_name_while_connecting_to_the_checked_ip(tls_files, monkeypatch):
    cert, key = tls_files
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in ("news.example", "other.example"):
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with LocalHTTPServer(ssl_context=server_ctx) as server:
        server.route("/s", "secure")
        allow = [f"127.0.0.1:{server.port}"]
        with Fetcher(allow_private=allow, verify=client_ctx) as fetcher:
            result = fetcher.get(f"https://news.example:{server.port}/s")
            assert result.content == b"secure"
            # Same address, a name the certificate does not cover: refused by TLS.
            with pytest.raises(FetchError) as info:
                fetcher.get(f"https://other.example:{server.port}/s")
        assert info.value.reason == "tls" and not info.value.temporary
        assert [r.path for r in server.requests] == ["/s"]
