"""One article read out of one HTML page: title, body, date, author, original source.

trafilatura finds the body (it is the most accurate of the extractors we measured on
Chinese portal pages, see FACTS.md); the metadata comes first from what the page states
in its ``<meta>`` tags and info line (:mod:`zhuanlan.extract.metadata`), because
trafilatura's own title keeps site suffixes, its date has no time of day, and it knows
nothing of 来源 or 责任编辑.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import lxml.html
import trafilatura
from lxml import etree

from zhuanlan.errors import ExtractError
from zhuanlan.extract.dates import find_date, parse_date
from zhuanlan.extract.metadata import (canonical_link, headline, labelled_value,
                                       looks_like_site, meta_tags, page_lines, strip_site_suffix)
from zhuanlan.model import ExtractedArticle

__all__ = ["extract_article", "MIN_BODY_CHARS"]

# Below this many non-space characters a "body" is a teaser, a video caption or a
# stub page: 50 is about two Chinese sentences.
MIN_BODY_CHARS = 50

# Meta tags that carry the publication time, most trustworthy first. gov.cn writes
# firstpublishedtime ("2024-05-01-10:30:00"); 人民网 publishdate; Open Graph / schema.org
# the rest.
_DATE_META = ("firstpublishedtime", "publishdate", "pubdate", "publishtime", "publish_time",
              "article:published_time", "og:article:published_time", "datepublished",
              "dc.date.issued", "dc.date", "dcterms.created", "sailthru.date", "date")
_SOURCE_META = ("contentsource", "source", "og:source", "article:source")

_AUTHOR_LABELS = ("作者", "文")
_EDITOR_LABELS = ("责任编辑", "責任編輯", "责编", "責編")
_SOURCE_LABELS = ("来源", "來源", "稿件来源", "稿源", "出处", "出處")
_DATE_LABELS = re.compile(r"发布|發佈|发表|發表|时间|時間|日期|来源|來源")

_NOT_HTML_START = re.compile(r"^\s*(?:%PDF|\{|\[|PK\x03\x04|GIF8|\x89PNG)")
_FEED_ROOT = re.compile(r"<(?:rss|feed|rdf:RDF|urlset|sitemapindex)\b", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_TAG = re.compile(r"<[a-zA-Z!/?]")

# Lines that frame a body rather than belong to it; trafilatura sometimes keeps them.
# Labels need their colon: "（作者为某党校教授）" is part of the article, "作者：王堃" is not.
_FRAME_LINE = re.compile(
    r"^[\[【(（]?\s*(?:(?:责任编辑|責任編輯|责编|責編|编辑|編輯|审核|審核|校对|校對|监制|監製|"
    r"来源|來源|作者|字号|字號|字体|字體)\s*[:：]|纠错|糾錯|分享到|打印|关闭窗口|關閉窗口|"
    r"版权所有|版權所有)[^。！？]{0,40}$")

# The info line under a headline ("2024-05-01 10:30　来源：新华社"), when it comes first.
_INFO_LINE = re.compile(r"(?:来源|來源|发布时间|發佈時間|发布日期|發佈日期|作者|责任编辑|責任編輯)\s*[:：]")


def _not_html(url: str, why: str) -> ExtractError:
    return ExtractError(url, "not_html", f"not an HTML page: {why}")


def _parse(html: str, url: str) -> etree._Element:
    if not isinstance(html, str):
        raise _not_html(url, f"expected text, got {type(html).__name__}")
    head = html[:4096]
    if _NOT_HTML_START.match(head) or "\x00" in head:
        raise _not_html(url, "binary or JSON content")
    if not _TAG.search(head) and not _TAG.search(html[:65536]):
        raise _not_html(url, "no markup")
    if _FEED_ROOT.search(_XML_DECL.sub("", head, count=1)[:512]):
        raise _not_html(url, "a feed or sitemap document")
    try:
        # lxml refuses str input that carries an XML encoding declaration.
        return lxml.html.document_fromstring(_XML_DECL.sub("", html, count=1))
    except (etree.ParserError, ValueError) as exc:
        raise _not_html(url, str(exc)) from exc


def _body(html: str, url: str) -> tuple[str, dict]:
    """trafilatura's body text and metadata; ("", {}) when it finds no body."""
    options = dict(url=url, with_metadata=True, include_comments=False, include_tables=True,
                   include_images=False, include_links=False)
    try:
        doc = trafilatura.bare_extraction(html, favor_precision=True, **options)
        if doc is None or len((doc.text or "").strip()) < MIN_BODY_CHARS:
            # Precision mode drops short articles of one or two paragraphs entirely;
            # a second, recall-oriented pass keeps them.
            doc = trafilatura.bare_extraction(html, favor_recall=True, **options) or doc
    except Exception as exc:  # trafilatura raises assorted lxml/ValueErrors on odd pages
        raise ExtractError(url, "empty", f"extractor failed: {exc}") from exc
    if doc is None:
        return "", {}
    return (doc.text or ""), doc.as_dict()


def _trim_body(text: str, title: str) -> str:
    """The body without the headline repeated on top and frame lines around it."""
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    lines = [line for line in lines if line]
    squashed_title = re.sub(r"\s+", "", title)
    while lines and (re.sub(r"\s+", "", lines[0]) == squashed_title
                     or _FRAME_LINE.match(lines[0]) or parse_date(lines[0]) is not None
                     or (len(lines[0]) <= 80 and _INFO_LINE.search(lines[0]))):
        lines.pop(0)
    while lines and _FRAME_LINE.match(lines[-1]):
        lines.pop()
    return "\n".join(lines)


def _has_time(dt: datetime) -> bool:
    return dt.timetz().replace(tzinfo=None) != time(0, 0)


def _published(meta: dict[str, str], lines: list[str], doc: dict,
               default_tz: ZoneInfo | str) -> datetime | None:
    """Meta tags first, then trafilatura's date, then a date in the page text.

    A candidate that gives only the day is refined by a later one that gives the
    same day with a time (人民网's meta publishdate has no time; its info line has).
    """
    candidates: list[datetime] = []
    for key in _DATE_META:
        if key in meta:
            found = parse_date(meta[key], default_tz)
            if found is not None:
                candidates.append(found)
                break
    if doc.get("date"):
        found = parse_date(str(doc["date"]), default_tz)
        if found is not None:
            candidates.append(found)
    labelled = [line for line in lines if _DATE_LABELS.search(line)]
    for group in (labelled, lines):
        found = find_date("\n".join(group), default_tz)
        if found is not None:
            candidates.append(found)
            break
    if not candidates:
        return None
    best = candidates[0]
    if not _has_time(best):
        for other in candidates[1:]:
            if _has_time(other) and other.astimezone(best.tzinfo).date() == best.date():
                return other
    return best


def _author(meta: dict[str, str], lines: list[str], doc: dict) -> str | None:
    """作者 in the page, then 责任编辑, then meta author, then trafilatura's byline.

    The last two are often the site's own name (``<meta name="author" content="人民网">``),
    which is not an author.
    """
    value = labelled_value(lines, _AUTHOR_LABELS) or labelled_value(lines, _EDITOR_LABELS)
    if not value:
        # trafilatura returns the byline with its label ("作者：王堃").
        byline = re.sub(r"^(?:作者|文|记者|記者)\s*[:：]?\s*", "", str(doc.get("author") or ""))
        for candidate in (meta.get("author", ""), byline):
            candidate = candidate.strip(" ;；,，")
            if candidate and not looks_like_site(candidate):
                value = candidate
                break
    value = (value or "").strip(" ;；,，")
    return value[:60] or None


def _source(meta: dict[str, str], lines: list[str]) -> str | None:
    value = labelled_value(lines, _SOURCE_LABELS, one_word=True)
    if value:
        return value
    for key in _SOURCE_META:
        if meta.get(key):
            return meta[key][:60]
    return None


def _lang(tree: etree._Element, doc: dict, text: str) -> str | None:
    lang = (tree.get("lang") or tree.get("xml:lang") or "").strip().lower()
    if lang:
        return lang
    if doc.get("language"):
        return str(doc["language"]).lower()
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    return "zh" if text and cjk / len(text) > 0.3 else None


def extract_article(html: str, url: str, *,
                    default_tz: ZoneInfo | str = "Asia/Shanghai") -> ExtractedArticle:
    """Extract the article of one decoded HTML page fetched from ``url``.

    Dates are timezone-aware (``default_tz`` when the page gives no offset).
    Raises :class:`zhuanlan.errors.ExtractError` with ``reason``:

    - ``not_html``: the content is not an HTML page (binary, JSON, a feed, no markup);
    - ``empty``: no article body was found (or the extractor failed on the page);
    - ``too_short``: the body has fewer than ``MIN_BODY_CHARS`` non-space characters.
    """
    tree = _parse(html, url)
    meta = meta_tags(tree)
    lines = page_lines(tree)
    raw_text, doc = _body(html, url)

    title = (headline(tree, meta)
             or strip_site_suffix(str(doc.get("title") or ""))
             or "")
    text = _trim_body(raw_text, title)
    if not text.strip():
        raise ExtractError(url, "empty", "no article body found in the page")
    body_chars = len(re.sub(r"\s+", "", text))
    if body_chars < MIN_BODY_CHARS:
        raise ExtractError(url, "too_short",
                           f"article body has {body_chars} characters, fewer than {MIN_BODY_CHARS}")

    return ExtractedArticle(
        url=url,
        title=title,
        text=text,
        published=_published(meta, lines, doc, default_tz),
        author=_author(meta, lines, doc),
        source_name=_source(meta, lines),
        canonical_url=canonical_link(tree, url),
        lang=_lang(tree, doc, text),
    )
