"""Rendering an issue as chat markdown for the group robots: entries, the issue's head,
and splitting into messages that each fit the platform's size limit.

Splitting rules (:func:`paginate`): items keep the issue's order and are numbered across
messages ("1." … "60."); an item is never cut between two messages; each message is
measured *as sent* (the platform's own measure: WeCom counts the markdown content's UTF-8
bytes, Feishu the whole request body) with the page numbers and the closing link
reserved, so the final rendering can only be shorter. An item that does not fit a
message on its own is shortened (summary dropped, then title cut), never dropped.

Pure: IssueView in, text and dicts out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from zhuanlan.errors import DeliveryError
from zhuanlan.model import IssueItemView, IssueView
from zhuanlan.publish.render import http_url

DEFAULT_TZ = "Asia/Shanghai"

LinkFn = Callable[[IssueItemView], str]
"""Where an item's title links to: by default ``item.web_url`` (the web reader); the
caller may give personal signed reader links instead."""


# --------------------------------------------------------------------------- rendering

def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def truncate_bytes(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (ellipsis included), on a
    character boundary."""
    if utf8_len(text) <= limit:
        return text
    room = limit - utf8_len(ellipsis)
    if room <= 0:
        return ellipsis.encode("utf-8")[:max(limit, 0)].decode("utf-8", "ignore")
    cut = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    return cut + ellipsis


def _chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:max(limit - 1, 0)].rstrip() + "…"


_WS = re.compile(r"\s+")
# Characters with a meaning in the robots' markdown dialects (links, emphasis, HTML-like
# tags such as <font> and <at>): turned into their full-width forms, which read the same
# in Chinese text and can neither break a link nor @ anyone.
_MD_SWAP = str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞", "*": "＊",
                          "`": "'", "|": "｜", "_": "＿", "~": "～", "#": "＃"})


def md_text(text: str | None) -> str:
    """One line of plain text safe inside the robots' markdown."""
    return _WS.sub(" ", (text or "")).strip().translate(_MD_SWAP)


def safe_url(url: str | None) -> str | None:
    """An absolute http(s) URL made safe inside ``[text](url)``, or None."""
    url = http_url(url)
    if url is None:
        return None
    # Keep reserved characters (the signed token's "." "-" "_" "=" "&"); quote what
    # would end the markdown link or the line.
    return quote(url, safe=":/?#@!$&'*+,;=%-._~[]")


def _date(dt: datetime | None, zone: ZoneInfo) -> str:
    if dt is None:
        return ""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("issue dates must be timezone-aware")
    local = dt.astimezone(zone)
    return f"{local.year}年{local.month}月{local.day}日"


@dataclass(frozen=True)
class Entry:
    """One item of an issue as placed in a message: its number in the issue (1-based),
    the item, where its title links to, and how much of its text may be shown."""

    number: int
    item: IssueItemView
    link: str | None
    date: str
    title_max: int = 200          # characters
    summary_max: int = 80         # characters; 0 = no summary

    def title(self) -> str:
        return _chars(md_text(self.item.title) or "（无标题）", self.title_max)

    def summary(self) -> str:
        return _chars(md_text(self.item.summary), self.summary_max) if self.summary_max else ""

    def meta(self) -> str:
        source = md_text(self.item.source_name)
        return "　".join(p for p in (f"来源：{source}" if source else "", self.date) if p)

    def shrunk(self) -> Entry | None:
        """A shorter rendering of the same item, or None when it cannot shrink more."""
        if self.summary_max:
            return Entry(self.number, self.item, self.link, self.date, self.title_max, 0)
        if self.title_max > 16:
            return Entry(self.number, self.item, self.link, self.date,
                         max(16, self.title_max // 2), 0)
        return None


@dataclass(frozen=True)
class IssueHead:
    """What every message of an issue shows above its items."""

    subject: str              # 学习二十大 · 第3期
    title: str                # the issue's own title, "" when it only repeats the subject
    note: str                 # 编者按, one paragraph per line, already safe
    date: str
    web_url: str | None
    # 学习心得选登: one line naming the authors (the texts are on the web issue), shown in
    # the last message above the link; "" when the issue carries none.
    featured: str = ""


FEATURED_MAX = 160


def featured_line(issue: IssueView) -> str:
    """"学习心得选登：张三（宣传部）、李四 — 共 2 篇，全文见网页" — safe markdown text."""
    if not issue.reflections:
        return ""
    names = "、".join(md_text(r.name + (f"（{r.department}）" if r.department else ""))
                     for r in issue.reflections)
    tail = f" — 共 {len(issue.reflections)} 篇，全文见网页"
    return _chars(f"学习心得选登：{names}", FEATURED_MAX - len(tail)) + tail


def issue_head(issue: IssueView, *, tz: str = DEFAULT_TZ, note_max: int = 400,
               issue_url: str | None = None) -> IssueHead:
    zone = ZoneInfo(tz)
    subject = f"{md_text(issue.column_name)} · 第{issue.number}期"
    title = md_text(issue.title)
    if title in {"", f"第{issue.number}期", md_text(issue.column_name), subject}:
        title = ""
    paragraphs = [md_text(p) for p in (issue.editor_note or "").splitlines() if p.strip()]
    note = _chars("\n".join(paragraphs), note_max) if note_max else ""
    return IssueHead(subject=subject, title=title, note=note,
                     date=_date(issue.published_at, zone),
                     web_url=safe_url(issue_url or issue.web_url),
                     featured=featured_line(issue))


class Dialect(Protocol):
    """How one platform writes an issue page in its markdown."""

    def page(self, head: IssueHead, entries: Sequence[Entry], index: int, total: int,
             last: bool) -> Any: ...


def page_label(head: IssueHead, index: int, total: int) -> str:
    return head.subject if total <= 1 else f"{head.subject}（{index}/{total}）"


T = TypeVar("T")
P = TypeVar("P")


def paginate(entries: Sequence[T], build: Callable[[Sequence[T], int, int, bool], P],
             fits: Callable[[P], bool], shrink: Callable[[T], T | None]) -> list[P]:
    """Split ``entries`` into as few pages as greedy packing gives, in order, none cut.

    ``build(entries, index, total, last)`` makes a page (1-based ``index``); ``fits``
    says whether a page is within the limit. Pages are packed against a page built with
    the widest page numbers and ``last=True`` (the closing link included), so the real
    rendering is never longer. An entry too big for a page of its own is replaced by
    ``shrink(entry)`` until it fits; DeliveryError (permanent) when it cannot.
    """
    wide = int("9" * len(str(len(entries) + 1)))
    pages: list[list[T]] = []
    current: list[T] = []
    for entry in entries:
        if current and fits(build([*current, entry], len(pages) + 1, wide, True)):
            current.append(entry)
            continue
        if current:
            pages.append(current)
            current = []
        while not fits(build([entry], len(pages) + 1, wide, True)):
            smaller = shrink(entry)
            if smaller is None:
                raise DeliveryError("有一条内容即使缩短后也超出了单条消息的长度上限",
                                    permanent=True)
            entry = smaller
        current = [entry]
    if current or not pages:
        pages.append(current)
    total = len(pages)
    out = [build(page, i, total, i == total) for i, page in enumerate(pages, 1)]
    for payload in out:
        if not fits(payload):        # cannot happen (see above); never send one that fails
            raise DeliveryError("消息分段后仍超出长度上限", permanent=True)
    return out


def entries_of(issue: IssueView, links: LinkFn | None, *, tz: str = DEFAULT_TZ,
               summary_max: int = 80, title_max: int = 200) -> list[Entry]:
    zone = ZoneInfo(tz)
    out = []
    for n, item in enumerate(issue.items, 1):
        raw = links(item) if links is not None else item.web_url
        link = safe_url(raw) or safe_url(item.web_url) or safe_url(item.original_url)
        out.append(Entry(n, item, link, _date(item.published, zone), title_max, summary_max))
    return out


def render_pages(issue: IssueView, links: LinkFn | None, dialect: Dialect,
                 fits: Callable[[Any], bool], *, tz: str = DEFAULT_TZ,
                 summary_max: int = 80, note_max: int = 400,
                 issue_url: str | None = None,
                 wrap: Callable[[Any, IssueHead, int, int], Any] | None = None) -> list[Any]:
    """The issue as pages (markdown texts, or ``wrap(page, head, index, total)`` — the
    payload as sent — when given), each accepted by ``fits``, split by :func:`paginate`.

    The editor's note is shortened (down to nothing) when the first message could not
    hold it with even one item.
    """
    entries = entries_of(issue, links, tz=tz, summary_max=summary_max)
    finish = wrap or (lambda page, head, index, total: page)
    while True:
        head = issue_head(issue, tz=tz, note_max=note_max, issue_url=issue_url)
        minimal = [_smallest(e) for e in entries[:1]]
        if fits(finish(dialect.page(head, minimal, 1, 99, True), head, 1, 99)) or note_max == 0:
            break
        note_max = note_max // 2 if note_max > 20 else 0

    def build(chunk: Sequence[Entry], index: int, total: int, last: bool) -> Any:
        # Only the first message carries the note and the issue's title.
        h = head if index == 1 else IssueHead(head.subject, "", "", head.date, head.web_url,
                                              head.featured)
        return finish(dialect.page(h, chunk, index, total, last), h, index, total)

    return paginate(entries, build, fits, Entry.shrunk)


def _smallest(entry: Entry) -> Entry:
    while (smaller := entry.shrunk()) is not None:
        entry = smaller
    return entry


