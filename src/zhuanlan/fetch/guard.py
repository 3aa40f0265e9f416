"""SSRF guard: which addresses the fetcher may connect to.

Sources are URLs typed by editors and redirect targets chosen by remote servers, so a
fetch must never reach the machine itself, the office network or a cloud metadata
endpoint (169.254.169.254) unless an administrator allowed it. The decision is made on
the *resolved* address at connect time (see ``transport.py``): checking the URL's host
name beforehand would miss DNS rebinding and redirects to private addresses.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable

from zhuanlan.errors import BlockedAddressError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})

# RFC 6052 well-known NAT64 prefix: on a NAT64 network 64:ff9b::a00:1 reaches 10.0.0.1.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


log = logging.getLogger(__name__)


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is a translation form.

    ``::ffff:127.0.0.1`` is connected to as 127.0.0.1 by a dual-stack socket, so it
    must be judged as 127.0.0.1 (and ``::ffff:8.8.8.8`` as the public 8.8.8.8).
    """
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be fetched by default, or None for a public address."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        # A translation of a public address is public; of a private one, private.
        return blocked_reason(inner)
    # Order matters only for the wording of the message: the most specific first.
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved:
        return "a reserved address"
    # Catches what the flags above miss, e.g. 100.64.0.0/10 (carrier-grade NAT).
    if not ip.is_global:
        return "a non-public address"
    return None


def parse_ip(text: str) -> IPAddress:
    # Link-local IPv6 from getaddrinfo may carry a scope id ("fe80::1%eth0").
    return ipaddress.ip_address(text.split("%", 1)[0])


class AddressPolicy:
    """Refuses non-public addresses except those an administrator allowed.

    ``allow`` entries (the ``fetch.allow_private`` setting):

    * ``intranet.example`` – a host name, any port, whatever it resolves to;
    * ``intranet.example:8080`` / ``127.0.0.1:8765`` / ``[::1]:8765`` – one port only;
    * ``10.1.2.3`` / ``fd00::1`` – an address, any port;
    * ``10.0.0.0/8`` – a network, any port.

    Address entries match the *resolved* address, so ``127.0.0.1:8765`` also allows
    ``http://localhost:8765``. Host name entries match the URL's host name only.
    Raises ValueError for an entry that is none of these.
    """

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self._networks: list[IPNetwork] = []
        self._ip_ports: set[tuple[IPAddress, int]] = set()
        self._names: set[str] = set()
        self._name_ports: set[tuple[str, int]] = set()
        self.entries = tuple(allow)
        for entry in self.entries:
            self._add(entry)

    def _add(self, raw: str) -> None:
        entry = raw.strip()
        if not entry:
            return
        try:
            self._networks.append(ipaddress.ip_network(entry, strict=False))
            return
        except ValueError:
            pass
        host, port = entry, None
        if entry.startswith("["):
            host, sep, rest = entry[1:].partition("]")
            if not sep or (rest and not rest.startswith(":")):
                raise ValueError(f"not a host, host:port, address or network: {raw!r}")
            port = rest[1:] or None
        elif entry.count(":") == 1:
            host, port = entry.split(":")
        if port is not None:
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"bad port in {raw!r}")
        try:
            ip = parse_ip(host)
        except ValueError:
            ip = None
            if not host or "/" in host or " " in host:
                raise ValueError(f"not a host, host:port, address or network: {raw!r}") from None
        if ip is not None and port is None:
            self._networks.append(ipaddress.ip_network(ip))
        elif ip is not None:
            self._ip_ports.add((ip, int(port or 0)))
        elif port is None:
            self._names.add(_norm_host(host))
        else:
            self._name_ports.add((_norm_host(host), int(port)))

    def is_allowed(self, host: str, port: int, ip: IPAddress) -> bool:
        """Whether an administrator allowed this (host, port, address) explicitly."""
        name = _norm_host(host)
        if name in self._names or (name, port) in self._name_ports:
            return True
        candidates = [ip]
        inner = embedded_ipv4(ip)
        if inner is not None:
            candidates.append(inner)
        for addr in candidates:
            if (addr, port) in self._ip_ports:
                return True
            if any(addr.version == net.version and addr in net for net in self._networks):
                return True
        return False

    def check(self, host: str, port: int, ip: IPAddress | str) -> None:
        """Raise BlockedAddressError unless ``ip`` is public or allowed."""
        addr = parse_ip(ip) if isinstance(ip, str) else ip
        reason = blocked_reason(addr)
        if reason is None or self.is_allowed(host, port, addr):
            return
        where = f"{host}:{port}"
        # The message reaches the people who try a URL (the source probe, a source's
        # health): it says "an internal address", never which one a name resolves to —
        # that would map the intranet for whoever can add a source. The log says more.
        log.warning("fetch refused: internal address",
                    extra={"host": host, "port": port, "address": str(addr), "why": reason})
        if _norm_host(host) == str(addr):
            message = f"{host} 是内部地址，已拒绝（允许时请在设置 fetch.allow_private 中列出）"
        else:
            message = f"{host} 指向内部地址，已拒绝（允许时请在设置 fetch.allow_private 中列出）"
        raise BlockedAddressError(where, message)

    def __repr__(self) -> str:
        return f"AddressPolicy(allow={list(self.entries)!r})"


def _norm_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()
