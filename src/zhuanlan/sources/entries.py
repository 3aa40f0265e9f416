"""What every list kind shares: decoding a document, a date read from a URL, and one
list's entries collected without duplicates."""

from __future__ import annotations

import codecs
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from zhuanlan.extract.dates import parse_date
from zhuanlan.model import FeedEntry

__all__ = ["decode_document", "url_date", "EntryCollector"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.-]+)""")
_GB_LABELS = {"gb2312", "gbk", "gb18030", "x-gbk", "gb_2312", "gb_2312-80", "euc-cn", "cp936",
              "csgb2312", "chinese", "windows-936"}

# Dates the outlets put in article URLs, most specific first:
#   /n1/2024/0506/c1001-…  (人民网)      /20240506/<id>/c.html   (新华网)
#   /2024-05/06/content_…  (gov.cn)      /2024/05/06/ARTI….shtml (央视网)
#   /layout/202405/06/     (e-paper)
_URL_DATES = (
    re.compile(r"/(20\d{2})/(\d{2})(\d{2})/"),
    re.compile(r"/(20\d{2})-(\d{2})/(\d{2})/"),
    re.compile(r"/(20\d{2})/(\d{2})/(\d{2})/"),
    re.compile(r"/(20\d{2})(\d{2})/(\d{2})/"),
    re.compile(r"[/_](20\d{2})(\d{2})(\d{2})(?=[/_.])"),
)


def decode_document(content: bytes, forced: str = "") -> str:
    """``content`` as text: ``forced`` encoding, else a BOM, the declared charset
    (``<meta charset>`` or the XML declaration), else UTF-8 when valid, else GB18030.

    Every GB2312/GBK label is read as GB18030, its superset: a strict gb2312 decode
    fails on 镕, 喆, 堃 (FACTS.md). Never raises; undecodable bytes become U+FFFD.
    """
    label = forced.lower()
    if not label:
        for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
            if content.startswith(bom):
                return content.decode(name, errors="replace")
        head = content[:4096]
        m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
        if m:
            label = m.group(1).decode("ascii", "replace").lower()
    if label in _GB_LABELS:
        label = "gb18030"
    if label:
        try:
            return content.decode(label, errors="replace")
        except LookupError:
            pass
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("gb18030", errors="replace")


def url_date(url: str, default_tz: ZoneInfo | str = "Asia/Shanghai") -> datetime | None:
    """The day an article URL is dated (midnight in ``default_tz``), or None."""
    for pattern in _URL_DATES:
        m = pattern.search(url)
        if m:
            found = parse_date(f"{m.group(1)}-{m.group(2)}-{m.group(3)}", default_tz)
            if found is not None:
                return found
    return None


class EntryCollector:
    """One list's entries in first-seen order, one per link (fragment ignored).

    A link seen twice (a headline image and its text link) keeps its first place and
    takes whatever title, date or summary the first sighting lacked.
    """

    def __init__(self, default_tz: ZoneInfo | str, *, link_pattern: str = "",
                 exclude_title: str = "") -> None:
        self.default_tz = default_tz
        self._link = re.compile(link_pattern) if link_pattern else None
        self._exclude = re.compile(exclude_title) if exclude_title else None
        self._entries: dict[str, FeedEntry] = {}

    def add(self, entry: FeedEntry) -> None:
        """Keep ``entry`` unless its URL fails ``link_pattern``; merge a repeated link."""
        if self._link is not None and not self._link.search(entry.url):
            return
        key = entry.url.split("#", 1)[0]
        if entry.published is None:
            entry = FeedEntry(url=entry.url, title=entry.title, summary=entry.summary,
                              published=url_date(entry.url, self.default_tz),
                              author=entry.author, guid=entry.guid)
        old = self._entries.get(key)
        if old is None:
            self._entries[key] = entry
            return
        self._entries[key] = FeedEntry(
            url=old.url, title=old.title or entry.title, summary=old.summary or entry.summary,
            published=old.published or entry.published, author=old.author or entry.author,
            guid=old.guid or entry.guid)

    def entries(self, *, require_title: bool = True) -> tuple[FeedEntry, ...]:
        """The entries; by default only those with a title (on a page, a link without
        any text is not an item)."""
        return tuple(e for e in self._entries.values()
                     if (e.title or not require_title)
                     and not (self._exclude is not None and e.title and self._exclude.search(e.title)))

    def __len__(self) -> int:
        return len(self._entries)
