"""Renderers of an issue (期): the pushed e-mail (HTML and plain text) and the Atom feed.

Pure: IssueView in, strings out. Every value from an article passes through Jinja2
autoescaping (HTML) or ElementTree (XML); nothing is concatenated into markup unescaped.

Per-recipient cost: building a 25 KiB HTML mail costs ~3 ms, sending it ~4 ms (see
FACTS.md), so an issue is rendered ONCE (:func:`prepare_email`) into a
:class:`PreparedEmail` that holds a slot for what differs per recipient (today the
unsubscribe link; later a personal reading link). :meth:`PreparedEmail.for_recipient`
fills the slot with a tiny template and a string substitution, which is cheap.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from zhuanlan.model import IssueView

__all__ = ["RenderedEmail", "PreparedEmail", "prepare_email", "render_email", "render_atom",
           "subject_of"]

DEFAULT_TZ = "Asia/Shanghai"

_env = Environment(
    loader=PackageLoader("zhuanlan.publish", "templates"),
    # Only the .html templates are HTML; the text part must not be entity-escaped.
    autoescape=lambda name: bool(name) and (name or "").endswith(".html"),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

# Where the recipient's own parts go. The HTML slot is a comment, which escaped
# article text can never produce (it cannot contain "<"). The text part is not
# escaped, so its slot is found with rpartition: ours is the last one in the text.
_SLOT_HTML = "<!--zl:recipient-->"
_SLOT_TEXT = "\u2063zl:recipient\u2063"

_ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 forbids; one of them in a title would make the whole feed unreadable.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class PreparedEmail:
    """An issue's e-mail rendered once, with one slot for each recipient's own parts."""

    subject: str
    html: str
    text: str

    def for_recipient(self, unsubscribe_url: str | None = None) -> RenderedEmail:
        """The mail for one recipient. A non-http(s) unsubscribe URL is left out."""
        url = http_url(unsubscribe_url)
        html_part = _env.get_template("email_recipient.html").render(unsubscribe_url=url)
        text_part = _env.get_template("email_recipient.txt").render(unsubscribe_url=url)
        head, _, tail = self.html.rpartition(_SLOT_HTML)
        html = head + html_part + tail
        head, _, tail = self.text.rpartition(_SLOT_TEXT)
        text = head + text_part + tail
        return RenderedEmail(subject=self.subject, html=html, text=text.rstrip("\n") + "\n")


def subject_of(issue: IssueView) -> str:
    """``学习二十大 · 第3期``. Whitespace runs (newlines!) become one space: a header
    must stay on one line."""
    return _WS.sub(" ", f"{issue.column_name} · 第{issue.number}期").strip()


def http_url(url: str | None) -> str | None:
    """The URL if it is absolute http(s), else None: a mail client or a chat app follows
    whatever a link says, and javascript:/data: links from a careless feed must not reach
    it. Every channel checks its links with this."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return url


def _aware(dt: datetime, what: str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return dt


def _date(dt: datetime | None, zone: ZoneInfo) -> str:
    if dt is None:
        return ""
    local = _aware(dt, "date").astimezone(zone)
    return f"{local.year}年{local.month}月{local.day}日"


def _paragraphs(note: str) -> list[str]:
    return [p.strip() for p in (note or "").replace("\r\n", "\n").split("\n") if p.strip()]


def _context(issue: IssueView, tz: str) -> dict[str, Any]:
    zone = ZoneInfo(tz)
    subject = subject_of(issue)
    default_title = f"第{issue.number}期"
    title = (issue.title or "").strip()
    note = _paragraphs(issue.editor_note)
    items: list[dict[str, Any]] = []
    for item in issue.items:
        source = (item.source_name or "").strip()
        date = _date(item.published, zone)
        items.append({
            "title": item.title.strip() or "（无标题）",
            "url": http_url(item.web_url),
            "original_url": http_url(item.original_url),
            "source_name": source,
            "date": date,
            # "来源：新华社　2026年11月20日" — one line shared by all three renderings
            "meta": "　".join(p for p in (f"来源：{source}" if source else "", date) if p),
            "summary": " ".join(_paragraphs(item.summary)),
        })
    first: str = note[0] if note else (items[0]["title"] if items else "")
    return {
        "subject": subject,
        "column_name": issue.column_name,
        "number": issue.number,
        # A title that only repeats "第N期" or the column name adds nothing to the body.
        "title": "" if title in {"", default_title, issue.column_name, subject} else title,
        "issue_date": _date(issue.published_at, zone),
        "note_paragraphs": note,
        "items": items,
        # 学习心得选登: the author's line and the text's paragraphs.
        "reflections": [{"by": r.name + (f"（{r.department}）" if r.department else ""),
                         "paragraphs": _paragraphs(r.body)} for r in issue.reflections],
        "web_url": http_url(issue.web_url),
        "preheader": first[:80],
    }


def prepare_email(issue: IssueView, *, tz: str = DEFAULT_TZ) -> PreparedEmail:
    """Render an issue's e-mail once, with the recipient slot left open.

    Dates are shown in ``tz``. Raises ValueError for a naive datetime in the issue,
    ZoneInfoNotFoundError for an unknown ``tz``.
    """
    ctx = _context(issue, tz)
    html = _env.get_template("email.html").render(ctx, recipient_slot=Markup(_SLOT_HTML))
    text = _env.get_template("email.txt").render(ctx, recipient_slot=_SLOT_TEXT)
    return PreparedEmail(subject=ctx["subject"], html=html, text=text)


def render_email(issue: IssueView, *, unsubscribe_url: str | None = None,
                 tz: str = DEFAULT_TZ) -> RenderedEmail:
    """The issue's e-mail for one recipient: subject, HTML part, plain-text part.

    For many recipients call :func:`prepare_email` once and
    :meth:`PreparedEmail.for_recipient` per recipient. Raises as :func:`prepare_email`.
    """
    return prepare_email(issue, tz=tz).for_recipient(unsubscribe_url)


# ---------------------------------------------------------------- Atom

def _xml_text(value: str) -> str:
    return _XML_BAD.sub("", value or "")


def _rfc3339(dt: datetime) -> str:
    return _aware(dt, "Atom date").astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    # A tag: URI's authority is a DNS name (RFC 4151): lower case, no port.
    return re.sub(r"[^a-z0-9.-]", "", host.lower()) or "localhost"


def _entry_id(host: str, slug: str, issue: IssueView) -> str:
    """tag:HOST,YYYY-MM-DD:zhuanlan/SLUG/N — fixed for an issue once published
    (published_at does not change), so a feed reader never shows an issue twice."""
    day = issue.published_at.astimezone(UTC).strftime("%Y-%m-%d")
    return f"tag:{host},{day}:zhuanlan/{slug}/{issue.number}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _xml_text(text)
    return el


def render_atom(*, column_name: str, column_slug: str, feed_url: str, site_url: str,
                issues: list[IssueView], updated: datetime, tz: str = DEFAULT_TZ) -> str:
    """An Atom 1.0 feed (RFC 4287) of a column: one entry per issue, newest first, the
    item list as ``<content type="html">``.

    Raises ValueError for a naive ``updated`` or issue date.
    """
    host = _host(site_url)
    # The feed's id is a UUID derived from the deployment's host and the column, so it
    # survives a change of the feed's path.
    feed_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"zhuanlan:{host}:{column_slug}")
    feed = ET.Element("feed", {"xmlns": _ATOM_NS,
                               "{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    _sub(feed, "id", f"urn:uuid:{feed_uuid}")
    _sub(feed, "title", column_name)
    _sub(feed, "updated", _rfc3339(updated))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    if http_url(site_url):
        _sub(feed, "link", rel="alternate", type="text/html", href=site_url)
    author = _sub(feed, "author")
    _sub(author, "name", column_name)
    _sub(feed, "generator", "zhuanlan")
    entry_tpl = _env.get_template("atom_entry.html")
    for issue in sorted(issues, key=lambda i: i.published_at, reverse=True):
        ctx = _context(issue, tz)
        entry = _sub(feed, "entry")
        _sub(entry, "id", _entry_id(host, column_slug, issue))
        heading = ctx["subject"] + (f" · {ctx['title']}" if ctx["title"] else "")
        _sub(entry, "title", heading)
        _sub(entry, "published", _rfc3339(issue.published_at))
        _sub(entry, "updated", _rfc3339(issue.published_at))
        if ctx["web_url"]:
            _sub(entry, "link", rel="alternate", type="text/html", href=ctx["web_url"])
        if ctx["note_paragraphs"]:
            _sub(entry, "summary", " ".join(ctx["note_paragraphs"]))
        _sub(entry, "content", entry_tpl.render(ctx), type="html")
    body = ET.tostring(feed, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"
