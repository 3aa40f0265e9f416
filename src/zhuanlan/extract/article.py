"""One article read out of one HTML page: title, body, date, author, editor, source, images.

The body is read, in this order, from

1. the preset's :class:`~zhuanlan.model.ArticleRules` (CSS selectors), when given and
   matching;
2. a built-in container of a known outlet or CMS layout (:mod:`zhuanlan.extract.selectors`);
3. the generic path: a readability-style scorer (:mod:`zhuanlan.extract.density`), its
   box widened to the whole article when the page's structure says it holds only a part,
   and trafilatura as the fallback when the scorer finds no running text
   (:func:`_generic`). These choices are recorded in the article's flags
   (``body_widened``, ``body_trafilatura``, ``body_kept``) for later analysis; their thresholds are
   :class:`~zhuanlan.extract.params.ExtractParams`, cross-validated by
   ``bench/extraction.py``.

A body shorter than the minimum (a setting, ``extract.min_body_chars``) is rejected as
``too_short`` unless it is clearly the page's main content (the headline right above it,
nothing longer competing: :func:`~zhuanlan.extract.evidence.is_main_block`); then it is
kept and flagged ``short``, and the flag ``main_block`` lets the check after cleaning
(:func:`zhuanlan.jobs.extraction.run_task`) keep it too.

The metadata comes from what the page states in its ``<meta>`` tags and info line
(:mod:`zhuanlan.extract.metadata`, :mod:`zhuanlan.extract.published`), because
trafilatura's own title keeps site suffixes, its date is often the copyright year, and it
knows nothing of 来源 or 责任编辑.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import trafilatura
from lxml import etree

from zhuanlan.errors import ExtractError
from zhuanlan.extract.dates import find_date, parse_date
from zhuanlan.extract.density import best_candidates, node_images, node_lines
from zhuanlan.extract.evidence import is_main_block, widen
from zhuanlan.extract.metadata import (
    canonical_link,
    headline,
    labelled_value,
    looks_like_site,
    meta_tags,
    page_lines,
)
from zhuanlan.extract.params import DEFAULT_PARAMS, ExtractParams
from zhuanlan.extract.published import published
from zhuanlan.extract.selectors import BUILTIN_REMOVE, builtin_body, compile_selector, select_first
from zhuanlan.model import ArticleRules, ExtractedArticle, Image

__all__ = ["extract_article", "MIN_BODY_CHARS", "SHORT", "MAIN_BLOCK", "BODY_WIDENED",
           "BODY_TRAFILATURA", "BODY_KEPT"]

# Below this many non-space characters a "body" is a teaser, a video caption or a
# stub page, unless the page's structure says it is the article (then flagged SHORT):
# 50 is about two Chinese sentences. The default of the setting extract.min_body_chars.
MIN_BODY_CHARS = 50

SHORT = "short"               # kept although under the minimum: clearly the main content
MAIN_BLOCK = "main_block"     # a short body that is clearly the page's main content
BODY_WIDENED = "body_widened"            # the scorer's box widened to an ancestor
BODY_TRAFILATURA = "body_trafilatura"    # trafilatura's body chosen over the scorer's
BODY_KEPT = "body_kept"                  # trafilatura asked, the scorer's body had the better case

_SOURCE_META = ("contentsource", "source", "og:source", "article:source")

_AUTHOR_LABELS = ("作者", "文")
_EDITOR_LABELS = ("责任编辑", "責任編輯", "责编", "責編")
_SOURCE_LABELS = ("来源", "來源", "稿件来源", "稿源", "出处", "出處")

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


def _trafilatura(html: str, url: str) -> str:
    """trafilatura's body text; "" when it finds none. Metadata is ours (see the module
    docstring), so it is not asked for: that makes it about 40% faster."""
    options: dict[str, Any] = dict(url=url, with_metadata=False, include_comments=False,
                                   include_tables=True, include_images=False,
                                   include_links=False)
    try:
        text = trafilatura.extract(html, favor_precision=True, fast=True, **options) or ""
        if len(text.strip()) < MIN_BODY_CHARS:
            # Precision mode drops short articles of one or two paragraphs entirely;
            # a second, recall-oriented pass keeps them.
            text = trafilatura.extract(html, favor_recall=True, fast=True, **options) or text
    except Exception as exc:  # trafilatura raises assorted lxml/ValueErrors on odd pages
        raise ExtractError(url, "empty", f"extractor failed: {exc}") from exc
    return text


# Headings after which a page lists other articles or takes comments: the article has
# ended. Only obeyed in the second half of the body text (an article may quote "相关报道"),
# and only as a line of their own.
_TAIL_HEADING = re.compile(
    r"^[【\[]?\s*(?:相关报道|相关新闻|相关阅读|相关内容|相关链接|相关文章|相关专题|延伸阅读|推荐阅读|"
    r"热点推荐|猜你喜欢|更多精彩|文章评论|网友评论|发表评论|我要评论|已有\d+条评论|"
    r"相關報道|相關新聞|相關閱讀|延伸閱讀|發表評論)\s*[】\]]?\s*[:：]?\s*$")


def _cut_tail(lines: list[str]) -> list[str]:
    total = sum(len(line) for line in lines)
    seen = 0
    for i, line in enumerate(lines):
        if seen >= total / 2 and _TAIL_HEADING.match(line):
            return lines[:i]
        seen += len(line)
    return lines


def _trim_body(text: str, title: str, min_chars: int = MIN_BODY_CHARS) -> str:
    """The body without the headline repeated on top, frame lines around it, and the
    related-articles list or comment form after it. The headline stays when the rest
    would be under ``min_chars``: in a short post (a blog brief, a notice) it is the
    author's own first line, and without it only a fragment is left."""
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    lines = _cut_tail([line for line in lines if line])
    squashed_title = re.sub(r"\s+", "", title)
    kept_title = None
    while lines and (re.sub(r"\s+", "", lines[0]) == squashed_title
                     or _FRAME_LINE.match(lines[0]) or parse_date(lines[0]) is not None
                     or (len(lines[0]) <= 80 and _INFO_LINE.search(lines[0]))):
        if kept_title is None and squashed_title and re.sub(r"\s+", "", lines[0]) == squashed_title:
            kept_title = lines[0]
        lines.pop(0)
    if kept_title is not None and len(re.sub(r"\s+", "", "".join(lines))) < min_chars:
        lines.insert(0, kept_title)
    while lines and _FRAME_LINE.match(lines[-1]):
        lines.pop()
    return "\n".join(lines)


def _author(meta: dict[str, str], lines: list[str]) -> str | None:
    """作者 in the page, else the meta author unless it is the site's own name
    (``<meta name="author" content="人民网">`` is not an author). 责任编辑 is the editor,
    never the author."""
    value = labelled_value(lines, _AUTHOR_LABELS)
    if not value:
        candidate = meta.get("author", "").strip(" ;；,，")
        if candidate and not looks_like_site(candidate):
            value = candidate
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


def _lang(tree: etree._Element, meta: dict[str, str], text: str) -> str | None:
    lang = (tree.get("lang") or tree.get("xml:lang") or meta.get("language")
            or meta.get("content-language") or "").strip().lower()
    if lang:
        return lang
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    return "zh" if text and cjk / len(text) > 0.3 else None


def _rule_text(tree: etree._Element, selectors: tuple[str, ...]) -> str | None:
    """The text of the first element matched by ``selectors`` that has any (a ``<meta>``
    gives its ``content``: presets read ``meta[name=firstpublishedtime]``)."""
    for css in selectors:
        sel = compile_selector(css)
        if sel is None:
            continue
        for el in sel(tree):
            raw = el.get("content") if el.tag == "meta" else el.text_content()
            value = " ".join((raw or "").split())
            if value:
                return value
    return None


def _removed(container: etree._Element, selectors: tuple[str, ...]) -> set:
    found: set = set()
    for css in selectors:
        sel = compile_selector(css)
        if sel is not None:
            found.update(sel(container))
    return found


_SENTENCE_END = re.compile(r"[。！？!?]")
_CLAUSE = re.compile(r"[，,；;]")


def _prose(lines: list[str]) -> float:
    """How much running text ``lines`` hold: sentence ends (and, a third as much, clause
    commas) in lines of 20 characters or more. Link lists, share bars, copyright lines
    and headings hardly count."""
    score = 0.0
    for line in lines:
        if len(line) >= 20:
            score += len(_SENTENCE_END.findall(line)) + len(_CLAUSE.findall(line)) / 3
    return score


# trafilatura is asked only when the scorer's body holds next to no running text (fewer
# than params.weak_prose sentences: it took a caption, a table of facts or a fragment), and
# its body then wins if it holds more. Otherwise the scorer's box is kept even when the page
# holds more prose elsewhere: on the corpus that extra prose was teasers of other
# articles (Yahoo, 360kuai, 163) or comments far more often than a part of the article
# the scorer missed, and trafilatura kept it. Calibrated on the corpus's Chinese pages
# (bench/extraction.py, 2026-11): letting trafilatura win whenever it held 1.5× the
# scorer's prose cost about 0.01 body F1 on the human-labelled pages. And where the two
# disagree strongly (character F1 of their bodies < 0.6: 8 of the 65 pages, 2026-12) the
# scorer's box was right on 7: trafilatura's longer text there was the article plus the
# teasers and comments under it, which the scorer's headline proximity and link density
# rule out. Both outcomes of the comparison are flagged, so the choice can be checked on
# the articles a deployment actually stores.


def _generic(tree: etree._Element, html: str, url: str, title: str, params: ExtractParams
             ) -> tuple[list[str], tuple[Image, ...], list[etree._Element], set[str]]:
    """The body by the scorer (widened when its box is a part of the article), or by
    trafilatura when the scorer found no running text; with the body's elements (none
    for trafilatura's) and the flags recording the choice."""
    candidates = best_candidates(tree, title, params)
    flags: set[str] = set()
    lines = node_lines(candidates) if candidates else []
    wider = widen(candidates, params, len(re.sub(r"\s+", "", "".join(lines))))
    if wider is not None:
        candidates = [wider]
        lines = node_lines(candidates)
        flags.add(BODY_WIDENED)
    mine = _prose(lines)
    if lines and mine >= params.weak_prose:
        return lines, node_images(candidates, url), candidates, flags
    traf = [line.strip() for line in _trafilatura(html, url).split("\n") if line.strip()]
    if not lines or (traf and _prose(traf) >= mine + params.weak_prose):
        return traf, (), [], {BODY_TRAFILATURA}
    if traf:
        flags.add(BODY_KEPT)
    return lines, node_images(candidates, url), candidates, flags


def _container(tree: etree._Element, url: str,
               rules: ArticleRules | None) -> tuple[etree._Element | None, set]:
    """The body container named by the rules or a built-in selector, with the elements to
    leave out of it."""
    if rules is not None and rules.body:
        # A match with hardly any text is a template change (an empty box left behind):
        # the generic path is then better than a certain "too short".
        el = select_first(tree, rules.body, min_chars=MIN_BODY_CHARS)
        if el is not None:
            return el, _removed(el, rules.remove + BUILTIN_REMOVE)
    el = builtin_body(tree, url)
    if el is not None:
        return el, _removed(el, (rules.remove if rules else ()) + BUILTIN_REMOVE)
    return None, set()


def extract_article(html: str, url: str, *,
                    default_tz: ZoneInfo | str = "Asia/Shanghai",
                    rules: ArticleRules | None = None,
                    min_chars: int = MIN_BODY_CHARS,
                    params: ExtractParams = DEFAULT_PARAMS) -> ExtractedArticle:
    """Extract the article of one decoded HTML page fetched from ``url``.

    ``rules`` (a preset's CSS selectors) win over the generic extractor where they match;
    a selector that matches nothing falls back to it. Dates are timezone-aware
    (``default_tz`` when the page gives no offset).
    Raises :class:`zhuanlan.errors.ExtractError` with ``reason``:

    - ``not_html``: the content is not an HTML page (binary, JSON, a feed, no markup);
    - ``empty``: no article body was found (or the extractor failed on the page);
    - ``too_short``: the body has fewer than ``min_chars`` non-space characters and is not
      clearly the page's main content (such a body is kept and flagged ``short``).
    """
    tree = _parse(html, url)
    meta = meta_tags(tree)
    lines = page_lines(tree)

    title = (rules and rules.title and _rule_text(tree, rules.title)) or headline(tree, meta) or ""
    container, remove = _container(tree, url, rules)
    flags: set[str] = set()
    if container is not None:
        body_lines = node_lines([container], remove=remove)
        images = node_images([container], url, remove=remove)
        elements = [container]
    else:
        body_lines, images, elements, flags = _generic(tree, html, url, title, params)
    text = _trim_body("\n".join(body_lines), title, min_chars)
    if not text.strip():
        raise ExtractError(url, "empty", "no article body found in the page")
    body_chars = len(re.sub(r"\s+", "", text))
    # Cleaning may still shorten a body near the minimum: the evidence is recorded for
    # the check after it.
    if body_chars < 2 * min_chars and (container is not None or is_main_block(
            tree, elements, title, params)):
        flags.add(MAIN_BLOCK)
    if body_chars < min_chars:
        if MAIN_BLOCK not in flags:
            raise ExtractError(url, "too_short",
                               f"article body has {body_chars} characters, fewer than {min_chars}")
        flags.add(SHORT)

    date = None
    if rules is not None and rules.date:
        raw = _rule_text(tree, rules.date)
        date = raw and (parse_date(raw, default_tz) or find_date(raw, default_tz))
    author = _rule_text(tree, rules.author) if rules is not None and rules.author else None
    source = _rule_text(tree, rules.source) if rules is not None and rules.source else None
    if author:
        author = re.sub(r"^(?:作者|文|记者|記者)\s*[:：]\s*", "", author)[:60]
    if source:
        source = re.sub(r"^(?:来源|來源)\s*[:：]\s*", "", source)[:60]
    return ExtractedArticle(
        url=url,
        title=title,
        text=text,
        published=date or published(meta, lines, url, title, default_tz),
        author=author or _author(meta, lines),
        source_name=source or _source(meta, lines),
        canonical_url=canonical_link(tree, url),
        lang=_lang(tree, meta, text),
        editor=labelled_value(lines, _EDITOR_LABELS),
        images=images,
        flags=frozenset(flags),
    )
