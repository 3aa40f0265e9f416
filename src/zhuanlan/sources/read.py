"""One entry point for every kind of list, and the paging loop around it.

:func:`read_list` is pure: one fetched document in, one :class:`Feed` out.
:func:`read_pages` adds the loop a poll needs (an html list's next pages, a sitemap
index's children) with the fetching injected, so the job that polls a source supplies
its fetcher and the loop itself stays testable without a network.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from zhuanlan.errors import SourceError
from zhuanlan.model import Feed
from zhuanlan.sources.entries import EntryCollector, decode_document
from zhuanlan.sources.feed import parse_feed
from zhuanlan.sources.html_list import next_page_url, parse_html_list
from zhuanlan.sources.json_list import parse_json_list
from zhuanlan.sources.sitemap import parse_sitemap, sitemap_children
from zhuanlan.sources.spec import SourceSpec

__all__ = ["read_list", "read_pages", "Fetch"]

# fetch(url) -> (content bytes, decoded text or "", final URL after redirects)
Fetch = Callable[[str], tuple[bytes, str, str]]


def _text(spec: SourceSpec, content: bytes, text: str) -> str:
    # Bytes first: a fetcher that trusts a missing charset header reads a GBK page as
    # ISO-8859-1 (FACTS.md); the page's own <meta charset> is the better witness.
    if content:
        return decode_document(content, spec.encoding)
    return text


def read_list(spec: SourceSpec, content: bytes, text: str, url: str, *,
              default_tz: ZoneInfo | str = "Asia/Shanghai") -> Feed:
    """The entries of one fetched list document, read as ``spec.kind`` says.

    ``content`` is the body as fetched, ``text`` the fetcher's decoding of it (used
    only when ``content`` is empty), ``url`` the final URL (links resolve against it).
    Raises :class:`SourceError` (resource ``url``) when the document is not what the
    kind expects.
    """
    if spec.kind == "feed":
        return parse_feed(content or text.encode("utf-8"), url, default_tz=default_tz)
    if spec.kind == "html":
        return parse_html_list(_text(spec, content, text), url, spec, default_tz=default_tz)
    if spec.kind == "json":
        return parse_json_list(_text(spec, content, text), url, spec, default_tz=default_tz)
    if spec.kind == "sitemap":
        return parse_sitemap(content or text.encode("utf-8"), url, spec, default_tz=default_tz)
    raise SourceError(f"unknown source kind {spec.kind!r}", resource=url)


def read_pages(spec: SourceSpec, fetch: Fetch, *,
               default_tz: ZoneInfo | str = "Asia/Shanghai") -> Feed:
    """Read ``spec.url`` and, up to ``spec.max_pages`` documents in all, the pages it
    leads to: an html list's ``next_page`` links, a sitemap index's children. Stops at
    the limit, when there is no next page, or when a page was already read (a loop).

    Entries are merged and deduplicated across pages. ``fetch`` may raise
    :class:`zhuanlan.errors.FetchError`; a failure on the first page propagates, a
    failure on a later page ends the loop with what was read (logged by the caller via
    the returned count). Raises :class:`SourceError` when the first page is unreadable.
    """
    content, text, final = fetch(spec.url)
    first = read_list(spec, content, text, final, default_tz=default_tz)
    seen = {spec.url, final}
    collector = EntryCollector(default_tz, exclude_title=spec.exclude_title)
    for e in first.entries:
        collector.add(e)
    pages = 1
    if spec.kind == "sitemap":
        queue = list(sitemap_children(content or text.encode("utf-8"), final))
        for child in queue:
            if pages >= spec.max_pages:
                break
            if child in seen:
                continue
            seen.add(child)
            try:
                c, t, f = fetch(child)
                page = read_list(spec, c, t, f, default_tz=default_tz)
            except Exception:  # noqa: BLE001 — a later page's failure keeps what was read
                break
            pages += 1
            seen.add(f)
            for e in page.entries:
                collector.add(e)
    elif spec.kind == "html" and spec.next_page:
        page_text = _text(spec, content, text)
        page_url = final
        while pages < spec.max_pages:
            nxt = next_page_url(page_text, page_url, spec, seen)
            if nxt is None:
                break
            seen.add(nxt)
            try:
                c, t, f = fetch(nxt)
                page_text = _text(spec, c, t)
                page = parse_html_list(page_text, f, spec, default_tz=default_tz)
            except Exception:  # noqa: BLE001
                break
            pages += 1
            seen.add(f)
            page_url = f
            for e in page.entries:
                collector.add(e)
    return Feed(title=first.title, link=first.link,
                entries=collector.entries(require_title=spec.kind != "sitemap"))
