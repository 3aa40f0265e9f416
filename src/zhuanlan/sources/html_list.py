"""Lists read from an outlet's HTML channel page with the CSS selectors of a spec."""

from __future__ import annotations

from collections.abc import Collection
from zoneinfo import ZoneInfo

import lxml.html
from lxml import etree

from zhuanlan.errors import SourceError
from zhuanlan.extract.dates import find_date, parse_date
from zhuanlan.model import Feed, FeedEntry
from zhuanlan.sources.entries import EntryCollector
from zhuanlan.sources.feed import safe_link
from zhuanlan.sources.spec import SourceSpec

__all__ = ["parse_html_list", "next_page_url", "html_document"]

_MAX_CHARS = 20_000_000


def html_document(content: str, url: str) -> lxml.html.HtmlElement:
    """``content`` parsed as an HTML document. Raises SourceError when it is not one."""
    if not content or not content.strip():
        raise SourceError("empty document, not an HTML page", resource=url)
    if len(content) > _MAX_CHARS:
        raise SourceError(f"page too large ({len(content)} characters)", resource=url)
    try:
        try:
            return lxml.html.document_fromstring(content)
        except ValueError:
            # A str with an XML encoding declaration: lxml wants bytes then.
            parser = lxml.html.HTMLParser(encoding="utf-8")
            return lxml.html.document_fromstring(content.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise SourceError(f"not an HTML page: {exc}", resource=url) from exc


def _base(doc: lxml.html.HtmlElement, url: str) -> str:
    for href in doc.xpath("//base/@href")[:1]:
        resolved = safe_link(href, url)
        if resolved:
            return resolved
    return url


def _text(el: lxml.html.HtmlElement | None) -> str:
    if el is None:
        return ""
    return " ".join(el.text_content().split())


def _first(el: lxml.html.HtmlElement, selector: str) -> lxml.html.HtmlElement | None:
    if not selector:
        return None
    found = el.cssselect(selector)
    return found[0] if found else None


def _date_of(el: lxml.html.HtmlElement | None, default_tz: ZoneInfo | str):
    if el is None:
        return None
    for raw in (el.get("datetime"), el.get("title"), _text(el)):
        if raw:
            found = parse_date(raw, default_tz) or find_date(raw, default_tz)
            if found is not None:
                return found
    return None


def _anchor_title(a: lxml.html.HtmlElement) -> str:
    # A title attribute longer than the text is the full title of a shortened one
    # ("关于修改…的决定").
    text = _text(a)
    attr = " ".join((a.get("title") or "").split())
    return attr if len(attr) > len(text) else text


def parse_html_list(content: str, url: str, spec: SourceSpec, *,
                    default_tz: ZoneInfo | str = "Asia/Shanghai") -> Feed:
    """The articles an HTML channel page links to, read with ``spec``'s selectors.

    With ``spec.item`` each item container gives one entry (its first ``links`` match,
    its ``title`` and ``date`` when those selectors are set); without it, every
    ``links`` match is an entry titled by its text. Links are resolved against the page
    (and its ``<base>``), kept only when http(s) and matching ``link_pattern``, and
    deduplicated; an entry without a date takes the one in its URL. Raises SourceError
    when ``content`` is not an HTML page.
    """
    doc = html_document(content, url)
    base = _base(doc, url)
    out = EntryCollector(default_tz, link_pattern=spec.link_pattern,
                         exclude_title=spec.exclude_title)

    def consider(a: lxml.html.HtmlElement | None, title: str, published) -> None:
        if a is None:
            return
        link = safe_link(a.get("href"), base)
        if link is None:
            return
        out.add(FeedEntry(url=link, title=title or _anchor_title(a), published=published))

    if spec.item:
        for item in doc.cssselect(spec.item):
            # An item often starts with an image link to the same article: take its
            # first link with text.
            anchors = [a for a in item.cssselect(spec.links) if a.tag == "a"]
            if not anchors and item.tag == "a":
                anchors = [item]
            a = next((x for x in anchors if _anchor_title(x)), anchors[0] if anchors else None)
            title = _text(_first(item, spec.title)) if spec.title else ""
            consider(a, title, _date_of(_first(item, spec.date), default_tz) if spec.date else None)
    else:
        for a in doc.cssselect(spec.links):
            if a.tag == "a":
                consider(a, "", None)
    title_el = doc.find(".//title")
    return Feed(title=_text(title_el), link=url, entries=out.entries())


def next_page_url(content: str, url: str, spec: SourceSpec,
                  seen: Collection[str] = ()) -> str | None:
    """The next list page to read: the first ``spec.next_page`` link that is http(s),
    not ``url`` and not in ``seen``; None when there is none (or no ``next_page``).

    Taking the first *unseen* candidate lets one selector serve both a "下一页" link
    and a list of all pages (the e-paper's ``#list li a``). Raises SourceError when
    ``content`` is not an HTML page.
    """
    if not spec.next_page:
        return None
    doc = html_document(content, url)
    base = _base(doc, url)
    skip = {u.split("#", 1)[0] for u in seen} | {url.split("#", 1)[0]}
    for a in doc.cssselect(spec.next_page):
        link = safe_link(a.get("href"), base)
        if link and link.split("#", 1)[0] not in skip:
            return link
    return None
