"""Articles whose content comes from a JSON/JSONP API rather than an HTML page
(央视网 ``ART…`` ids, 学习强国 ``data/app/{id}.js``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import lxml.html
from lxml import etree

from zhuanlan.errors import ExtractError, SourceError
from zhuanlan.extract.dates import find_date, parse_date
from zhuanlan.model import ExtractedArticle, Image
from zhuanlan.sources.entries import url_date
from zhuanlan.sources.feed import plain_text, safe_link
from zhuanlan.sources.jsonp import load_json
from zhuanlan.sources.spec import SourceSpec, get_path

__all__ = ["parse_api_article", "article_api_url", "html_paragraphs"]

_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
           "blockquote", "figure", "figcaption", "table", "ul", "ol"}
_DROP = ("script", "style", "noscript", "iframe", "object", "embed", "video", "audio",
         "template", "form")


def article_api_url(spec: SourceSpec, article_url: str) -> str | None:
    """The API URL giving ``article_url``'s content, or None when ``spec`` has no
    ``article_api`` or the URL carries no id it knows (fetch the page then)."""
    return spec.article_api.api_url(article_url) if spec.article_api else None


def html_paragraphs(markup: str, base: str) -> tuple[str, tuple[Image, ...]]:
    """Plain text of an HTML fragment, one paragraph per line, and its images.

    Scripts, styles and embedded players are dropped; images keep http(s) sources only.
    """
    if not markup or not markup.strip():
        return "", ()
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return plain_text(markup), ()
    for el in list(root.iter(*_DROP)):
        el.drop_tree()
    images: list = []
    for img in root.iter("img"):
        src = safe_link(img.get("src") or img.get("data-src"), base)
        if src and src not in {i.src for i in images}:
            images.append(Image(src=src, caption=" ".join((img.get("alt") or "").split())))
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
            if el.tag != "br":
                el.text = "\n" + (el.text or "")
    lines = (" ".join(line.replace("\u3000", " ").split())
             for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line), tuple(images)


def _value(data, path: str) -> str:
    if not path:
        return ""
    value = get_path(data, path)
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return str(value)


def parse_api_article(content: str, url: str, spec: SourceSpec | None, *,
                      default_tz: ZoneInfo | str = "Asia/Shanghai") -> ExtractedArticle:
    """The article in an API response, read with ``spec.article_api``'s paths.

    ``url`` is the article's page URL (what the list linked to), kept as the article's
    URL; the content HTML becomes paragraph text. Raises :class:`ExtractError` with
    reason ``no_article_api`` (the spec has none), ``api_unreadable`` (not JSON/JSONP)
    or ``no_text`` (the content path gives no text).
    """
    api = spec.article_api if spec is not None else None
    if api is None:
        raise ExtractError(url, "no_article_api", "the source's spec has no article_api")
    try:
        data = load_json(content, url, jsonp=api.jsonp)
    except SourceError as exc:
        raise ExtractError(url, "api_unreadable", exc.message) from exc
    text, images = html_paragraphs(_value(data, api.content), url)
    if not text:
        raise ExtractError(url, "no_text", f"the API gives no text at {api.content!r}")
    raw_date = _value(data, api.date)
    published = (parse_date(raw_date, default_tz) or find_date(raw_date, default_tz)) \
        if raw_date else None
    if published is None:
        published = url_date(url, default_tz)
    source = plain_text(_value(data, api.source), single_line=True) or None
    author = plain_text(_value(data, api.author), single_line=True) or None
    return ExtractedArticle(
        url=url, title=plain_text(_value(data, api.title), single_line=True), text=text,
        published=published, author=author, source_name=source, canonical_url=url,
        lang="zh", images=images)
