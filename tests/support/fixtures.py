"""Shared pytest fixtures. The project's conftest imports them:
``from tests.support.fixtures import http_server``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.httpserver import LocalHTTPServer


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A started LocalHTTPServer on 127.0.0.1, stopped after the test."""
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture
def local_network_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail the test if the code under test resolves a name other than localhost or
    opens a TCP connection to anything but a loopback address.

    A safety net so that a bug in the code under test cannot send traffic off the
    machine: names are refused (as unresolvable) and non-loopback connections refused
    (as unreachable), and the test fails at teardown. Tests may patch
    ``socket.getaddrinfo`` further on top of this.
    """
    import ipaddress
    import socket

    real_resolve = socket.getaddrinfo
    real_connect = socket.create_connection
    outside: list[str] = []

    def ip_of(host: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            return ipaddress.ip_address(name.split("%", 1)[0])
        except ValueError:
            return None

    def numeric(name: str) -> bool:
        # Numeric hosts, also the old forms 2130706433 and 0x7f.1 that the C library
        # accepts, are parsed locally without a query.
        if ip_of(name) is not None:
            return True
        try:
            socket.inet_aton(name)
        except OSError:
            return False
        return True

    def resolve(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not numeric(name) and name.lower().rstrip(".") != "localhost":
            outside.append(f"resolve {name}")
            raise socket.gaierror(socket.EAI_NONAME, f"test refused to resolve {name}")
        return real_resolve(host, port, *args, **kwargs)

    def connect(address, *args, **kwargs):
        ip = ip_of(address[0])
        if ip is None or not (getattr(ip, "ipv4_mapped", None) or ip).is_loopback:
            outside.append(f"connect {address}")
            raise ConnectionRefusedError(f"test refused to connect to {address}")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", connect)
    yield outside
    assert not outside, f"the test tried to reach beyond 127.0.0.1: {outside}"
