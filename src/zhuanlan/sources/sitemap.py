"""News sitemaps (``<urlset>`` with ``news:news``) and sitemap indexes.

XML safety without a new dependency: a document that declares a DOCTYPE is refused
before parsing (that is where billion laughs and external entities live, and no sitemap
needs one), and lxml runs with entity resolution, DTD loading and the network off.
"""

from __future__ import annotations

import re
import zlib
from zoneinfo import ZoneInfo

from lxml import etree

from zhuanlan.errors import SourceError
from zhuanlan.extract.dates import parse_date
from zhuanlan.model import Feed, FeedEntry
from zhuanlan.sources.entries import EntryCollector
from zhuanlan.sources.feed import plain_text, safe_link
from zhuanlan.sources.spec import SourceSpec

__all__ = ["parse_sitemap", "sitemap_children", "is_sitemap_index"]

_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_BYTES = 50 * 1024 * 1024        # the sitemap protocol's own limit, uncompressed


def _gunzip(content: bytes, url: str) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(content, _MAX_BYTES + 1)
    except zlib.error as exc:
        raise SourceError(f"broken gzip: {exc}", resource=url) from exc
    if len(out) > _MAX_BYTES or d.unconsumed_tail:
        raise SourceError("sitemap larger than 50 MB uncompressed", resource=url)
    return out


def _root(content: bytes, url: str) -> etree._Element:
    if not content or not content.strip():
        raise SourceError("empty document, not a sitemap", resource=url)
    if content[:2] == b"\x1f\x8b":
        content = _gunzip(content, url)
    if len(content) > _MAX_BYTES:
        raise SourceError("sitemap larger than 50 MB", resource=url)
    if _DOCTYPE.search(content):
        raise SourceError("document declares a DOCTYPE or entities (refused: entity "
                          "expansion and external entities are attack vectors)", resource=url)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, recover=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"not XML: {exc}", resource=url) from exc
    if root is None or etree.QName(root).localname not in ("urlset", "sitemapindex"):
        raise SourceError("not a sitemap (no <urlset> or <sitemapindex>)", resource=url)
    return root


def _child_text(el: etree._Element, *path: str) -> str:
    cur = [el]
    for name in path:
        cur = [c for p in cur for c in p if isinstance(c.tag, str)
               and etree.QName(c).localname == name]
    return "".join(cur[0].itertext()).strip() if cur else ""


def is_sitemap_index(content: bytes, url: str) -> bool:
    """Whether the document is a ``<sitemapindex>``. Raises SourceError like parse_sitemap."""
    return etree.QName(_root(content, url)).localname == "sitemapindex"


def sitemap_children(content: bytes, url: str) -> tuple[str, ...]:
    """The child sitemap URLs a ``<sitemapindex>`` names (http(s) only, in order, newest
    ``lastmod`` first when given); ``()`` for a ``<urlset>``. Raises SourceError."""
    root = _root(content, url)
    if etree.QName(root).localname != "sitemapindex":
        return ()
    found: list[tuple] = []
    for i, sm in enumerate(c for c in root if isinstance(c.tag, str)
                           and etree.QName(c).localname == "sitemap"):
        link = safe_link(_child_text(sm, "loc"), url)
        if link and link not in {f[2] for f in found}:
            when = parse_date(_child_text(sm, "lastmod"), "UTC")
            found.append((-(when.timestamp()) if when else 0.0, i, link))
    return tuple(link for _, _, link in sorted(found))


def parse_sitemap(content: bytes, url: str, spec: SourceSpec, *,
                  default_tz: ZoneInfo | str = "Asia/Shanghai") -> Feed:
    """The articles of a (news) sitemap: ``loc``, ``news:title``, ``news:publication_date``
    (``lastmod`` when absent). ``spec.link_pattern`` filters the links. A
    ``<sitemapindex>`` gives no entries: its children come from :func:`sitemap_children`.
    Raises :class:`SourceError` for a document that is not a sitemap, declares a DOCTYPE
    or entities, or is too large.
    """
    root = _root(content, url)
    if etree.QName(root).localname == "sitemapindex":
        return Feed(title="", link=url, entries=())
    out = EntryCollector(default_tz, link_pattern=spec.link_pattern,
                         exclude_title=spec.exclude_title)
    for u in (c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == "url"):
        link = safe_link(_child_text(u, "loc"), url)
        if link is None:
            continue
        title = plain_text(_child_text(u, "news", "title"), single_line=True)
        raw_date = _child_text(u, "news", "publication_date") or _child_text(u, "lastmod")
        keywords = _child_text(u, "news", "keywords")
        out.add(FeedEntry(url=link, title=title, summary=plain_text(keywords),
                          published=parse_date(raw_date, default_tz) if raw_date else None))
    return Feed(title="", link=url, entries=out.entries(require_title=False))
