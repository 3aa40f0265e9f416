"""RSS 2.0, Atom, RDF and JSON Feed documents read into :class:`zhuanlan.model.Feed`.

feedparser does the parsing (it survives the broken XML real portals serve, where the
faster parsers silently lose text: see FACTS.md). What we do not take from it:

- dates: its ``*_parsed`` values read ``CST`` as US Central and ``2024/05/01`` as
  November 1st; the raw strings go through :func:`zhuanlan.extract.dates.parse_date`;
- links: it leaves ``javascript:…`` in an entry's link; every link is resolved against
  the feed URL and kept only when it is http(s);
- markup: titles and summaries become plain text here; display HTML is made later from
  the extracted article, never from a feed's HTML.
"""

from __future__ import annotations

import html
import io
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import feedparser
import nh3

from zhuanlan.errors import SourceError
from zhuanlan.extract.dates import parse_date
from zhuanlan.model import Feed, FeedEntry

__all__ = ["parse_feed", "plain_text", "safe_link"]

# Entity declarations are how billion-laughs and external-entity (XXE) documents work.
# feedparser refuses to expand them, but then falls back to its loose parser and returns
# the unexpanded junk as if it were content; no real feed declares entities, so such a
# document is refused outright. A DOCTYPE can only sit in the prolog, hence the prefix.
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_PROLOG_BYTES = 64 * 1024

_ENCODING_DECL = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
# The WHATWG labels of GBK plus the names CMSs write; feedparser itself only widens
# the exact label "gb2312" to GB18030 and reads the others as windows-1252 on error.
_GB_LABELS = {"gb2312", "gbk", "gb18030", "x-gbk", "gb_2312", "gb_2312-80", "euc-cn", "x-euc-cn",
              "cp936", "csgb2312", "chinese", "iso-ir-58", "csiso58gb231280", "windows-936"}

_BLOCK_END = re.compile(r"(?i)<\s*(?:br\s*/?|/p|/div|/li|/h[1-6]|/tr)\s*>")
# Characters the WHATWG URL parser strips or ignores, which hide a scheme from a naive
# check: "jav\tascript:" is "javascript:" to a browser.
_URL_INVISIBLE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(i) for i in range(0x21)) + "\u00a0\u3000\u200b\ufeff"

# feedparser stores pubDate / published / dc:issued as "published" and dc:date /
# updated / modified as "updated".
_DATE_KEYS = ("published", "updated", "created")


def plain_text(markup: str | None, *, single_line: bool = False) -> str:
    """Markup (or text with entities) as plain text: tags gone, entities decoded.

    Block ends (``<br>``, ``</p>``) become line breaks unless ``single_line``. The
    contents of ``<script>`` and ``<style>`` are dropped. Never raises.
    """
    if not markup:
        return ""
    text = _BLOCK_END.sub("\n", markup)
    # nh3 with no allowed tags keeps only text (escaped); unescape to get plain text.
    text = html.unescape(nh3.clean(text, tags=set()))
    text = text.replace("\u00a0", " ")
    if single_line:
        return " ".join(text.split())
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def safe_link(link: str | None, base: str) -> str | None:
    """``link`` resolved against ``base`` when the result is an http(s) URL, else None.

    Defeats the usual disguises of ``javascript:`` (tabs and newlines inside the scheme,
    leading control characters, mixed case) by cleaning the link the way a browser does
    before looking at its scheme.
    """
    if not link:
        return None
    cleaned = _URL_INVISIBLE.sub("", link).strip(_C0_AND_SPACE)
    if not cleaned:
        return None
    try:
        resolved = urljoin(base, cleaned)
        parts = urlsplit(resolved)
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return resolved


def _entry_date(entry: Any, default_tz: ZoneInfo | str) -> datetime | None:
    for key in _DATE_KEYS:
        # dict.get, not entry.get: FeedParserDict maps missing keys onto others
        # (updated → published) with a deprecation warning.
        raw = dict.get(entry, key)
        if isinstance(raw, str) and raw.strip():
            found = parse_date(raw, default_tz)
            if found is not None:
                return found
    return None


def _entry(entry: Any, base: str, default_tz: ZoneInfo | str) -> FeedEntry | None:
    guid = entry.get("id") or None
    link = safe_link(entry.get("link"), base)
    if link is None and not entry.get("link") and guid:
        # RSS items with only <guid isPermaLink="true">: the guid is the link.
        link = safe_link(guid, base) if str(guid).lower().startswith(("http:", "https:")) else None
    if link is None:
        return None
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value", "")
    author = plain_text(entry.get("author"), single_line=True) or None
    return FeedEntry(
        url=link,
        title=plain_text(entry.get("title"), single_line=True),
        summary=plain_text(summary),
        published=_entry_date(entry, default_tz),
        author=author,
        guid=str(guid) if guid else None,
    )


def _parse(content: bytes, url: str) -> Any:
    # The content-type header keeps feedparser from flagging every document as bozo
    # for lacking one; application/xml lets the XML declaration name the encoding.
    headers = {"content-location": url, "content-type": "application/xml"}
    # A stream, never bytes: feedparser tries bytes as a file name first, so a body
    # reading "/etc/passwd" would be read from the local disk.
    return feedparser.parse(io.BytesIO(content), response_headers=headers, sanitize_html=False)


def _encoding_failed(parsed: Any) -> bool:
    exc = parsed.get("bozo_exception")
    return bool(parsed.get("bozo")) and isinstance(
        exc, (feedparser.CharacterEncodingOverride, feedparser.CharacterEncodingUnknown))


def _looks_gb(content: bytes) -> bool:
    """Declared as a GB encoding, or undeclared and valid GB18030 but not UTF-8."""
    m = re.match(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']+)""", content[:200])
    if m:
        return m.group(1).decode("ascii", "replace").strip().lower() in _GB_LABELS
    try:
        content.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    try:
        content.decode("gb18030")
        return True
    except UnicodeDecodeError:
        return False


def _as_gb18030(content: bytes) -> bytes:
    """The document re-encoded as UTF-8 after reading it as GB18030.

    A feed declared gb2312 often holds GBK-only characters (镕, 堃); GB18030 is a
    superset of both, so it reads them all.
    """
    text = content.decode("gb18030", errors="replace").encode("utf-8")
    return _ENCODING_DECL.sub(rb"\1\2utf-8\2", text, count=1)


def _json_author(obj: dict) -> str | None:
    authors = obj.get("authors")
    first = authors[0] if isinstance(authors, list) and authors else obj.get("author")
    name = first.get("name") if isinstance(first, dict) else None
    if not isinstance(name, str):
        return None
    return plain_text(name, single_line=True) or None


def _json_str(obj: dict, key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def _parse_json_feed(content: bytes, url: str, default_tz: ZoneInfo | str) -> Feed:
    """A JSON Feed (jsonfeed.org, versions 1 and 1.1)."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SourceError(f"not a feed (invalid JSON: {exc})", resource=url) from exc
    if not isinstance(data, dict) or not _json_str(data, "version").startswith(
            ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")):
        raise SourceError("not a feed (JSON without a jsonfeed.org version)", resource=url)
    items = data.get("items")
    entries = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        link = safe_link(_json_str(item, "url"), url) or safe_link(_json_str(item, "external_url"), url)
        if link is None:
            continue
        summary = (_json_str(item, "summary") or _json_str(item, "content_text")
                   or _json_str(item, "content_html"))
        raw_date = _json_str(item, "date_published") or _json_str(item, "date_modified")
        ident = item.get("id")
        entries.append(FeedEntry(
            url=link, title=plain_text(_json_str(item, "title"), single_line=True),
            summary=plain_text(summary),
            published=parse_date(raw_date, default_tz) if raw_date else None,
            author=_json_author(item) or _json_author(data),
            guid=str(ident) if isinstance(ident, (str, int)) and not isinstance(ident, bool) else None))
    return Feed(title=plain_text(_json_str(data, "title"), single_line=True),
                link=safe_link(_json_str(data, "home_page_url"), url), entries=tuple(entries))


def parse_feed(content: bytes, url: str, *, default_tz: ZoneInfo | str = "Asia/Shanghai") -> Feed:
    """Parse a feed document fetched from ``url``.

    A document starting with ``{`` is read as a JSON Feed (jsonfeed.org 1.x). Entries
    without an http(s) link are dropped; entry dates are aware (``default_tz`` when the
    feed gives no offset). Raises :class:`zhuanlan.errors.SourceError` (with
    ``resource=url``) when the document is not a feed, declares XML entities
    (billion laughs, XXE), or is empty.
    """
    if not content or not content.strip():
        raise SourceError("empty document, not a feed", resource=url)
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return _parse_json_feed(content, url, default_tz)
    if _ENTITY_DECL.search(content[:_PROLOG_BYTES]):
        raise SourceError("document declares XML entities (refused: entity expansion "
                          "and external entities are attack vectors)", resource=url)
    try:
        parsed = _parse(content, url)
        if _encoding_failed(parsed) and _looks_gb(content):
            retried = _parse(_as_gb18030(content), url)
            if retried.entries or not parsed.entries:
                parsed = retried
    except Exception as exc:  # feedparser wraps most errors, but not all of them
        raise SourceError(f"feed could not be parsed: {exc}", resource=url) from exc

    meta = parsed.get("feed", {})
    title = plain_text(meta.get("title"), single_line=True)
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")) and not title:
        cause = parsed.get("bozo_exception")
        raise SourceError(f"not a feed ({cause or 'no feed elements'})", resource=url)

    link = safe_link(meta.get("link"), url)
    entries = []
    for raw in parsed.entries:
        entry = _entry(raw, url, default_tz)
        if entry is not None:
            entries.append(entry)
    return Feed(title=title, link=link, entries=tuple(entries))
