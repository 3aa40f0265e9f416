"""The canonical form of an article URL, so that one page is one row.

The same article reaches us as ``HTTP://WWW.News.cn:80/a.htm#p2``, with ``utm_*`` from a
newsletter, or with the parameters WeChat's in-app browser adds on every share
(``from=singlemessage&isappinstalled=0``, ``scene``, ``clicktime``, ``enterid`` …).
Paths are kept as they are (only ``//`` collapsed): ``index.html`` and a trailing slash
can be different pages on Chinese portals — except on the outlets of ``HOST_ALIASES``,
whose mobile, WAP and bare hosts serve the same article under the same path as the
``www.`` host (``m.people.com.cn/n1/…`` is ``www.people.com.cn/n1/…``) and whose
``…/index.html`` is the directory page ``…/``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

__all__ = ["canonical_url", "TRACKING_PARAMS", "HOST_ALIASES"]

# Query parameters that never select content. Lowercased names.
TRACKING_PARAMS = frozenset({
    "spm", "from", "share_token", "isappinstalled", "wxshare_count", "scene", "clicktime",
    "enterid", "sharer_sharetime", "sharer_shareid", "sharer_shareinfo",
    "sharer_shareinfo_first", "share_source", "share_medium", "share_from", "sharefrom",
    "subscene", "ascene", "fbclid", "gclid", "yclid", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
    "tt_from", "tt_medium", "utm_source", "utm_medium", "utm_campaign", "utm_term",
    "utm_content",
    # Share parameters of Bilibili, Weibo and Sina pages.
    "spm_id_from", "vd_source", "wfr", "s_trans", "s_channel",
})

# Hosts of one outlet that serve the same article at the same path: alias -> canonical.
# Only hosts whose paths are known to map one to one belong here: the mobile hosts of
# people.com.cn and news.cn (issue 4), and bare domains, which redirect to www. A mobile
# site with its own paths (3g.163.com) does not.
HOST_ALIASES: dict[str, str] = {
    "people.com.cn": "www.people.com.cn",
    "m.people.com.cn": "www.people.com.cn",
    "wap.people.com.cn": "www.people.com.cn",
    "news.cn": "www.news.cn",
    "m.news.cn": "www.news.cn",
    "xinhuanet.com": "www.xinhuanet.com",
    "gov.cn": "www.gov.cn",
    "qstheory.cn": "www.qstheory.cn",
}
# On those outlets a directory's index page is the directory.
_INDEX_HOSTS = frozenset(HOST_ALIASES.values())
_INDEX_PAGE = re.compile(r"/(?:index|default)\.s?html?$", re.IGNORECASE)
_TRACKING_PREFIXES = ("utm_",)

# mp.weixin.qq.com articles are identified by these four; everything else in their
# query (chksm, key, uin, pass_ticket, version, devicetype …) is per reader or per share.
_WECHAT_HOST = "mp.weixin.qq.com"
_WECHAT_KEEP = ("__biz", "mid", "idx", "sn")

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are in a path; everything else (Chinese, spaces) is
# percent-encoded, so the raw and the encoded spelling of a URL agree.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/%:@!$'()*,;-._~"


def _host(hostname: str) -> str:
    host = hostname.rstrip(".").lower()
    if host.isascii():
        return host
    try:
        import idna  # UTS 46 (what browsers do); present as a dependency of httpx

        return idna.encode(host, uts46=True).decode("ascii")
    except (ImportError, UnicodeError, ValueError):   # idna.IDNAError is a UnicodeError
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return host


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normalise_escape(m: re.Match[str]) -> str:
    # RFC 3986 6.2.2: %7e is "~", and %e8 is %E8.
    char = chr(int(m.group(1), 16))
    return char if char in _UNRESERVED else "%" + m.group(1).upper()


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The canonical form of an http(s) URL.

    Lowercased scheme and host (IDN hosts in punycode; an outlet's mobile or bare host
    as its ``www.`` host, ``HOST_ALIASES``), no default port, no fragment,
    no tracking parameters, remaining parameters sorted, ``//`` in the path collapsed,
    empty path as ``/`` (and ``…/index.html`` as ``…/`` on the outlets of
    ``HOST_ALIASES``). Anything that is not an absolute http(s) URL is returned
    stripped but otherwise unchanged. Never raises.
    """
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # bad port or IPv6 literal
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url

    host = _host(parts.hostname)
    host = HOST_ALIASES.get(host, host)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    if parts.username is not None:
        auth = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{auth}@{netloc}"

    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    if host in _INDEX_HOSTS:
        path = _INDEX_PAGE.sub("/", path)
    path = _PERCENT.sub(_normalise_escape, quote(path, safe=_PATH_SAFE))

    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if host == _WECHAT_HOST:
        pairs = [(k, v) for k, v in pairs if k in _WECHAT_KEEP]
    else:
        pairs = [(k, v) for k, v in pairs if not _is_tracking(k)]
    query = urlencode(sorted(pairs), quote_via=quote, safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))
