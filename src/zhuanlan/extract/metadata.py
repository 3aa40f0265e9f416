"""What a Chinese news page says about its article, besides the body.

Portals put the facts in two places: ``<meta>`` tags (gov.cn's ``firstpublishedtime``
and ``ContentSource``, Open Graph) and an info line under the headline
(``2024年05月06日08:15 | 来源：人民网－人民日报``, ``【责任编辑：赵敏】``). This module reads
both from a parsed lxml tree; :mod:`zhuanlan.extract.article` decides which wins.
Nothing here raises: a fact that cannot be read is None.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree

__all__ = ["meta_tags", "page_lines", "labelled_value", "strip_site_suffix",
           "looks_like_site", "headline", "canonical_link"]

# Elements whose text never belongs to what a reader sees.
_SKIP = {"script", "style", "noscript", "template", "head", "title", "select", "option",
         "textarea", "svg", "iframe"}
# Elements that start a new line when a browser renders them.
_BLOCK = {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
          "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
          "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
          "table", "td", "th", "tr", "ul", "body", "html", "center"}


def meta_tags(tree: etree._Element) -> dict[str, str]:
    """``<meta>`` contents by lowercased name / property / itemprop (first one wins)."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = meta.get("name") or meta.get("property") or meta.get("itemprop")
        content = meta.get("content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), content.strip())
    return found


def page_lines(tree: etree._Element) -> list[str]:
    """The visible text of the page, one line per rendered block, spaces collapsed.

    Inline elements stay on their line, so ``来源：<a>新华社</a>`` reads as one line.
    Walks the tree without recursion: portal pages can nest deeply.
    """
    parts: list[str] = []
    # (element, closing): an explicit stack, since lxml's iterwalk skips comments and
    # with them the text that follows a comment.
    stack: list[tuple[etree._Element, bool]] = [(tree, False)]
    while stack:
        el, closing = stack.pop()
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if closing:
            if tag in _BLOCK:
                parts.append("\n")
            if el.tail and el is not tree:
                parts.append(el.tail)
            continue
        if not tag or tag in _SKIP:  # comment, processing instruction, script …
            if el.tail and el is not tree:
                parts.append(el.tail)
            continue
        if tag in _BLOCK:
            parts.append("\n")
        if el.text:
            parts.append(el.text)
        stack.append((el, True))
        stack.extend((child, False) for child in reversed(el))
    lines = []
    for line in "".join(parts).split("\n"):
        # A run of spaces (often ideographic ones) separates fields in an info line
        # ("作者：陈志坚　　来源：…"): keep it as a double space so values can end there.
        line = _SPACE_RUN.sub(lambda m: "  " if len(m.group()) > 1 else " ", line).strip()
        if line:
            lines.append(line)
    return lines


_SPACE_RUN = re.compile(r"\s+")


# A value in an info line runs until the next label, a bar, a bracket or a wide gap.
_NEXT_LABEL = (r"(?:来源|來源|作者|发布|發佈|发表|發表|时间|時間|日期|责任编辑|責任編輯|责编|責編|"
               r"编辑|編輯|字号|字號|字体|字體|浏览|瀏覽|点击|點擊|阅读|閱讀|打印|分享|"
               r"\d{4}\s*[-/.年])")
_VALUE_END = re.compile(r"\s{2,}|[|｜/【】\[\]()（）<>《》]|\s*" + _NEXT_LABEL)
_WORD_END = re.compile(r"\s|[|｜/【】\[\]()（）<>《》]|" + _NEXT_LABEL)


def labelled_value(lines: list[str], labels: tuple[str, ...], *, max_len: int = 30,
                   one_word: bool = False) -> str | None:
    """The value after the first ``label：`` among ``lines`` (``来源：新华社`` → 新华社).

    ``one_word`` ends the value at the first space (a source is one name; an author
    line may list several). Returns None when no line has one of the labels followed
    by a plausible value.
    """
    # A one-character label ("文：") must start a word: "正文：" is not a byline.
    alternatives = [("(?<!\\w)" if len(label) == 1 else "") + re.escape(label) for label in labels]
    pattern = re.compile(r"(?:" + "|".join(alternatives) + r")\s*[:：]\s*")
    value_end = _WORD_END if one_word else _VALUE_END
    for line in lines:
        for m in pattern.finditer(line):
            rest = line[m.end():]
            end = value_end.search(rest)
            value = (rest[:end.start()] if end else rest).strip(" ,，;；。:：、-—")
            if value and len(value) <= max_len and re.search(r"\w", value):
                return value
    return None


# Site names and channels after a title: "标题--理论-人民网", "标题_滚动新闻_中国政府网".
_SEPARATED = re.compile(r"^(?P<head>.+?)\s*(?P<sep>--|-|_|\||｜|——|—|–)\s*"
                        r"(?P<tail>[^-_|｜—–]{1,24})$")
_SITE_LIKE = re.compile(r"(?:网|網|报|報|社|台|频道|頻道|政府|官网|官網|客户端|客戶端|门户|門戶|"
                        r"在线|在線|新闻|新聞|中心|宣传部|宣傳部|学习强国|學習強國|"
                        r"\.(?:com|cn|net|org|gov)(?:\.cn)?)$", re.IGNORECASE)
_ASCII_SEPARATORS = {"-", "--", "_", "|", "｜"}


def looks_like_site(name: str) -> bool:
    """Whether a name is a site's or an office's rather than a person's (人民网, 宣传部)."""
    return bool(_SITE_LIKE.search(name.strip()))


def strip_site_suffix(title: str) -> str:
    """``title`` without trailing site and channel names.

    A trailing segment is removed when it looks like a site (ends in 网, 报, 社, 政府 …);
    once a site was removed, short channel names before it go too ("理论", "滚动新闻"),
    but only after ASCII separators: "——" in a Chinese title usually opens a subtitle.
    """
    title = " ".join(title.split())
    removed_site = False
    while True:
        m = _SEPARATED.match(title)
        if not m or len(m.group("head")) < 4:
            return title
        tail = m.group("tail").strip()
        if _SITE_LIKE.search(tail):
            removed_site = True
        elif not (removed_site and len(tail) <= 8 and m.group("sep") in _ASCII_SEPARATORS):
            return title
        title = m.group("head").strip()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def headline(tree: etree._Element, meta: dict[str, str]) -> str | None:
    """The article's headline: an ``<h1>`` that the page's own title confirms, else
    og:title / ArticleTitle, else ``<title>`` without its site suffix."""
    page_title = ""
    title_el = tree.find(".//title")
    if title_el is not None:
        page_title = " ".join(title_el.text_content().split())
    references = [meta.get(k, "") for k in ("og:title", "articletitle", "twitter:title")]
    references.append(page_title)
    refs = [_squash(r) for r in references if r]
    # Portals wrap their logo or channel name in an <h1> too; only an <h1> that the
    # title or og:title contains is the headline.
    for h1 in tree.iter("h1"):
        text = " ".join(h1.text_content().split())
        if 4 <= len(text) <= 200 and any(_squash(text) in ref for ref in refs):
            return text
    for key in ("og:title", "articletitle", "twitter:title"):
        if meta.get(key):
            return strip_site_suffix(meta[key])
    if page_title:
        return strip_site_suffix(page_title)
    return None


def canonical_link(tree: etree._Element, url: str) -> str | None:
    """The page's ``<link rel="canonical">`` resolved against ``url``, http(s) only."""
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            try:
                resolved = urljoin(url, href)
            except ValueError:
                return None
            if urlsplit(resolved).scheme in ("http", "https"):
                return resolved
            return None
    return None
