"""The generic body finder: a readability-style scorer tuned for Chinese portal pages, and
the walk that turns the chosen container into text lines and images.

Scoring (after Readability / readability-lxml): every text block (``p``, ``td``, ``pre``,
a ``div`` with text of its own) gives its parent a score for its length and its commas
(Chinese ``，、。`` count: portal bodies are full sentences, sidebars are not), half of that
to its grandparent; class / id names that say "content" add, those that say "comment",
"share", "footer" subtract; the total is scaled by one minus the link density. The best
candidate and the siblings that score close to it are the body.

The text walk drops what readability keeps and trafilatura sometimes keeps too: link-dense
boxes (related-news lists, sidebars, tag clouds), share / print bars, copyright and ICP
lines, 上一篇 / 下一篇 navigation and 相关新闻 headings.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urljoin

from lxml import etree

from zhuanlan.extract.params import DEFAULT_PARAMS, ExtractParams
from zhuanlan.model import Image

__all__ = ["best_candidates", "node_lines", "node_images", "link_density", "headline_element",
           "text_len"]

_SKIP = {"script", "style", "noscript", "template", "head", "title", "select", "option",
         "textarea", "svg", "iframe", "form", "button", "nav", "footer", "aside", "input",
         "object", "embed", "video", "audio", "canvas", "map"}
_BLOCK = {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
          "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
          "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
          "table", "td", "th", "tr", "ul", "body", "html", "center", "tbody"}
# Boxes whose link density says "list of links", when it is above this share of their
# text. Calibrated on the corpus's Chinese pages: body paragraphs stay under 0.3 even
# with a link or two; related-news lists and sidebars are 0.8–1.0.
_LINK_BOX = 0.5
_BOXES = {"div", "ul", "ol", "dl", "table", "section", "tbody", "tr", "td", "span", "p",
          "li", "center", "font", "header"}

# Class / id words. Negative ones mark boxes never part of an article; a box is dropped
# from the text when one of these is a whole word of its class or id.
_POSITIVE = re.compile(r"article|body|content|entry|main|text|post|detail|story|zw|zhengwen|"
                       r"artical|news_?txt|con_?txt|TRS", re.IGNORECASE)
_NEGATIVE = re.compile(r"comment|footer|\bfoot|sidebar|\bside\b|share|related|relate|"
                       r"recommend|xgxw|tjyd|\bhot|rank|\bnav|menu|breadcrumb|crumb|"
                       r"copyright|banner|advert|\bads?\b|\bgg\b|toolbar|\btools?\b|print|"
                       r"bshare|jiathis|login|qrcode|ewm|pager|pagination|paging|\btags?\b|"
                       r"keyword|subscribe|weixin|wechat|rmxw|\bmore\b",
                       re.IGNORECASE)
_DROP_BOX = re.compile(r"(?:^|[\s_-])(?:comments?|footer|foot|sidebar|share|shares|related|"
                       r"relate|recommend|xgxw|tjyd|rank|nav|menu|breadcrumbs?|crumbs?|"
                       r"copyright|advert|ads?|bdsharebuttonbox|bshare|jiathis|qrcode|ewm|"
                       r"pager|pagination|paging|tags|keywords?|subscribe|login|toolbar|tools|"
                       r"print|editor|edit|zdfy|paper_num|page_num)(?:$|[\s_-])",
                       re.IGNORECASE)

# Lines that are the page's frame, not the article.
_FRAME = re.compile(
    r"版权所有|版權所有|copyright|©|\(c\)\s*\d{4}|ICP\s*[备證证]|公网安备|公網安備|"
    r"^\s*(?:上一篇|下一篇|上一页|下一页)\s*[:：]|"
    # A post's counters line ("阅读(1660) 评论(5)", "浏览次数：1286").
    r"^.{0,60}(?:阅读|浏览|点击|閱讀|瀏覽|點擊)(?:次数|數|数)?\s*[(（:：]\s*\d+\s*[)）]?.{0,40}$|"
    # Toolbar words only as a whole short line: "打印机" or "收藏家" can start a sentence.
    r"^\s*(?:[【\[]?\s*(?:返回顶部|返回首页|关闭窗口|打印本页|打印|收藏|分享到|扫一扫|"
    r"扫描二维码|上一篇|下一篇|上一页|下一页)\s*[】\]]?\s*){1,4}[:：]?\s*$|"
    r"^\s*[【\[]?\s*(?:相关新闻|相关阅读|延伸阅读|相关链接|相关文章|推荐阅读|热点推荐|猜你喜欢|"
    r"更多精彩|相關新聞|相關閱讀|延伸閱讀)\s*[】\]]?\s*[:：]?\s*$",
    re.IGNORECASE)
_COMMA = re.compile(r"[，,。、；！？]")
_SPACE = re.compile(r"\s+")


def _attrs(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def text_len(el: etree._Element) -> int:
    return len(_SPACE.sub("", el.text_content()))


def link_density(el: etree._Element) -> float:
    """Share of an element's text that sits inside links."""
    total = text_len(el)
    if not total:
        return 0.0
    linked = sum(text_len(a) for a in el.iter("a"))
    return min(1.0, linked / total)


def _class_weight(el: etree._Element) -> int:
    attrs = _attrs(el).strip()
    if not attrs:
        return 0
    # A negative word wins over a positive one: "recommend-content", "comment-body" and
    # "sidebar-article" are boxes beside the article.
    if _NEGATIVE.search(attrs):
        return -25
    if _POSITIVE.search(attrs):
        return 25
    return 0


_TAG_BASE = {"div": 5, "article": 10, "section": 3, "td": 3, "pre": 3, "blockquote": 3,
             "main": 5, "form": -3, "ol": -3, "ul": -3, "li": -3, "dl": -3, "th": -5,
             "h1": -5, "h2": -5, "h3": -5, "address": -3, "body": -10}


def _own_text(el: etree._Element) -> str:
    """The text directly in ``el`` (its text and its children's tails)."""
    parts = [el.text or ""]
    parts.extend(child.tail or "" for child in el)
    return "".join(parts)


def headline_element(root: etree._Element, title: str) -> etree._Element | None:
    want = _SPACE.sub("", title or "")
    if len(want) < 4:
        return None
    for el in root.iter("h1", "h2", "h3"):
        got = _SPACE.sub("", el.text_content())
        if got and (got == want or (want in got and len(got) <= len(want) + 10)):
            return el
    return None


def best_candidates(root: etree._Element, title: str = "",
                    params: ExtractParams = DEFAULT_PARAMS) -> list[etree._Element]:
    """The body's elements in document order (the best candidate and the siblings that
    belong with it); empty when nothing on the page looks like running text. ``title``
    (the headline) helps choose between candidates: the body is next to it. The
    weights are ``params`` (:mod:`zhuanlan.extract.params`, tuned by cross-validation)."""
    scores: dict[etree._Element, float] = {}

    def add(el: etree._Element | None, value: float) -> None:
        if el is None or not isinstance(el.tag, str):
            return
        if el not in scores:
            scores[el] = _TAG_BASE.get(el.tag, 0) + _class_weight(el)
        scores[el] += value

    for el in root.iter("p", "td", "pre", "div", "section", "font", "span"):
        if el.tag in ("div", "section", "font", "span", "td"):
            text = _own_text(el)   # only their own text: children count for themselves
        else:
            text = el.text_content()
        text = _SPACE.sub("", text)
        if len(text) < 20:
            continue
        value = 1 + len(_COMMA.findall(text)) + min(len(text) // 100, 3)
        if el.tag in ("div", "section", "td"):
            # Text of its own makes the element its own candidate too, at half weight
            # (readability turns such a box into a paragraph, which scores its parent).
            add(el, value / 2)
        parent = el.getparent()
        add(parent, value)
        if parent is not None:
            add(parent.getparent(), value / 2)
    if not scores:
        return []
    near: set = set()
    head = headline_element(root, title)
    if head is not None:
        ancestors = list(head.iterancestors())[:params.near_headline_levels]
        for anc in ancestors:
            near.update(anc.iter())

    # Boxes whose class repeats on the page are items of a feed or list (teasers of other
    # articles, comments), not the article, which is unique on its page.
    classes = Counter((el.tag, el.get("class")) for el in scores if el.get("class"))
    repeated = {key for key, n in classes.items() if n >= params.repeated}

    def final_score(el: etree._Element, score: float) -> float:
        attrs = _attrs(el).strip()
        if attrs and _DROP_BOX.search(attrs):
            return 0.0   # a box named for what it is not (recommend, comment, sidebar …)
        value = score * (1 - link_density(el))
        if el in near and value > 0:
            value *= params.near_headline_boost
        if (el.tag, el.get("class")) in repeated and value > 0:
            value *= params.repeated_penalty
        return value

    ranked = sorted(((final_score(el, score), el) for el, score in scores.items()),
                    key=lambda pair: pair[0], reverse=True)
    top_score, top = ranked[0]
    if top_score <= 0:
        return []
    final = {el: s for s, el in ranked[:50]}
    parent = top.getparent()
    if parent is None:
        return [top]
    # Siblings of the best candidate that score close to it, or plain paragraphs of
    # running text, belong to the body (articles split over several boxes).
    threshold = max(10.0, top_score * params.sibling_ratio)
    chosen = []
    for sib in parent:
        if not isinstance(sib.tag, str):
            continue
        if sib is top:
            chosen.append(sib)
            continue
        if final.get(sib, 0) >= threshold:
            chosen.append(sib)
        elif sib.tag == "p":
            text = _SPACE.sub("", sib.text_content())
            if len(text) > 80 and link_density(sib) < 0.25:
                chosen.append(sib)
            elif 0 < len(text) <= 80 and link_density(sib) == 0 and re.search(r"[。！？]$", text):
                chosen.append(sib)
    return chosen


def _dropped(el: etree._Element) -> bool:
    tag = el.tag
    if tag in _SKIP:
        return True
    if el.get("style") and re.search(r"display\s*:\s*none", el.get("style"), re.IGNORECASE):
        return True
    attrs = _attrs(el).strip()
    if attrs and _DROP_BOX.search(attrs):
        return True
    if tag in _BOXES:
        if text_len(el) and link_density(el) > _LINK_BOX:
            return True
    return False


def node_lines(elements: list[etree._Element], *, remove: set | frozenset = frozenset()) -> list[str]:
    """The text of ``elements``, one line per rendered block, without the frame (link
    boxes, share bars, copyright lines …) and without the elements in ``remove``."""
    parts: list[str] = []
    for root in elements:
        stack: list[tuple[etree._Element, bool]] = [(root, False)]
        while stack:
            el, closing = stack.pop()
            tag = el.tag.lower() if isinstance(el.tag, str) else ""
            if closing:
                if tag in _BLOCK:
                    parts.append("\n")
                if el.tail and el is not root:
                    parts.append(el.tail)
                continue
            if not tag or el in remove or (el is not root and _dropped(el)) or tag in _SKIP:
                if el.tail and el is not root:
                    parts.append(el.tail)
                continue
            if tag in _BLOCK:
                parts.append("\n")
            if el.text:
                parts.append(el.text)
            stack.append((el, True))
            stack.extend((child, False) for child in reversed(el))
        parts.append("\n")
    lines = []
    for line in "".join(parts).split("\n"):
        line = _SPACE.sub(" ", line).strip()
        if line and not _FRAME.search(line):
            lines.append(line)
    return lines


def node_images(elements: list[etree._Element], url: str, *,
                remove: set | frozenset = frozenset()) -> tuple[Image, ...]:
    """The images in the body with their captions (``figcaption``, else the ``alt`` text,
    else a short centred line right after the image, as portals write captions)."""
    images: list[Image] = []
    seen: set[str] = set()
    for root in elements:
        for img in root.iter("img"):
            if any(anc in remove for anc in img.iterancestors()):
                continue
            src = (img.get("src") or img.get("data-src") or img.get("data-original") or "").strip()
            if not src or src.startswith("data:"):
                continue
            try:
                width = int(re.sub(r"\D", "", img.get("width") or "") or 999)
                height = int(re.sub(r"\D", "", img.get("height") or "") or 999)
            except ValueError:
                width = height = 999
            if width < 60 or height < 60:   # icons, spacers, share buttons
                continue
            absolute = urljoin(url, src)
            if absolute in seen or not absolute.startswith(("http://", "https://")):
                continue
            seen.add(absolute)
            images.append(Image(src=absolute, caption=_caption(img)))
    return tuple(images)


def _caption(img: etree._Element) -> str:
    for anc in img.iterancestors():
        if anc.tag == "figure":
            cap = anc.find(".//figcaption")
            if cap is not None:
                return " ".join(cap.text_content().split())
            break
    # Portals: <p align="center"><img></p><p align="center">图为……（记者 摄）</p>
    holder = img.getparent()
    if holder is not None and holder.tag in ("p", "div", "span", "a", "center"):
        if holder.tag in ("span", "a") and holder.getparent() is not None:
            holder = holder.getparent()
        nxt = holder.getnext()
        if nxt is not None and isinstance(nxt.tag, str):
            text = " ".join(nxt.text_content().split())
            if 0 < len(text) <= 80 and nxt.find(".//img") is None:
                centred = "center" in (nxt.get("align") or "").lower() or "center" in (
                    nxt.get("style") or "").lower() or re.search(r"pic|img|caption|tu", _attrs(nxt), re.I)
                if centred:
                    return text
    return " ".join((img.get("alt") or "").split())
