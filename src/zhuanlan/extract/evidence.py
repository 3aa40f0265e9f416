"""Evidence about a body candidate, for the choices the scorer alone gets wrong.

Two questions, answered from the page's structure rather than from a fixed order of
extractors:

- :func:`widen`: is the scorer's box only a part of the article? An article split into
  sections of one class (a poem, its translation, notes, appreciation), or running text
  continued by a table, loses its other parts to the penalty on repeated classes or to
  the sibling rule. An ancestor a level or two up that holds clearly more text, almost
  none of it in links and not named for a sidebar, is the article.
- :func:`is_main_block`: is a short body the page's main content? A brief of two or
  three sentences is an article when the headline stands right above it and no block of
  the page holds more running text: it is kept (flagged ``short``), not rejected.
"""

from __future__ import annotations

import re
from collections import Counter

from lxml import etree

from zhuanlan.extract.density import headline_element, link_density, node_lines, text_len
from zhuanlan.extract.params import ExtractParams

__all__ = ["widen", "is_main_block"]

_NOT_ARTICLE = re.compile(r"comment|sidebar|\bside\b|\bright\b|related|recommend|footer|"
                          r"\bnav|menu|list", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# Blocks whose own text may compete with the body: a longer one elsewhere means the short
# body is not obviously the page's content. Link-heavy blocks (menus, lists) never compete.
_BLOCKS = ("p", "div", "td", "section", "article", "li", "pre", "blockquote")
_COMPETING_MAX_LINKS = 0.3
# A licence or copyright notice under a short post is the frame, not a rival text.
_FRAME_TEXT = re.compile(r"版权|版權|copyright|©|免责声明|免責聲明", re.IGNORECASE)


def _chars(elements: list[etree._Element]) -> int:
    return len(_SPACE.sub("", "".join(node_lines(elements))))


def widen(elements: list[etree._Element], params: ExtractParams,
          base: int) -> etree._Element | None:
    """The ancestor of ``elements`` (whose text has ``base`` characters) that is the
    whole article, or None to keep them."""
    if not elements or params.widen_levels <= 0 or not base:
        return None
    found = None
    anc = elements[0]
    for _ in range(params.widen_levels):
        anc = anc.getparent()
        if anc is None or anc.tag in ("body", "html"):
            break
        attrs = f"{anc.get('class') or ''} {anc.get('id') or ''}"
        if _NOT_ARTICLE.search(attrs) or link_density(anc) > params.widen_max_links:
            break
        # The raw text bounds the rendered one: most ancestors are ruled out without
        # rendering them.
        if text_len(anc) >= params.widen_gain * base and _chars([anc]) >= params.widen_gain * base:
            found = anc
    return found


def _own_len(el: etree._Element) -> int:
    parts = [el.text or ""] + [child.tail or "" for child in el]
    return len(_SPACE.sub("", "".join(parts)))


_TITLE_HOLDERS = ("div", "p", "td", "span", "strong", "b", "font", "h4", "h5", "h6")


def _headline_holder(root: etree._Element, title: str) -> etree._Element | None:
    """The headline's element: an ``h1``–``h3`` (as the scorer finds it), else the first
    element whose whole text is the headline (portals write ``<div class="title">``)."""
    head = headline_element(root, title)
    if head is not None:
        return head
    want = _SPACE.sub("", title or "")
    if len(want) < 4:
        return None
    for el in root.iter(*_TITLE_HOLDERS):
        if _own_len(el) and _SPACE.sub("", el.text_content()) == want:
            return el
    return None


def is_main_block(root: etree._Element, elements: list[etree._Element], title: str,
                  params: ExtractParams) -> bool:
    """Whether the body ``elements`` are clearly the page's main content: the headline
    stands above them (sharing an ancestor a few levels up) and no other block of that
    region holds more text of its own outside links."""
    if not elements:
        return False
    head = _headline_holder(root, title)
    if head is None:
        return False
    first = elements[0]
    near = list(head.iterancestors())[:params.near_headline_levels]
    first_ancestors = set(first.iterancestors())
    region = next((anc for anc in near if anc in first_ancestors), None)
    if region is None:
        return False
    order = {el: i for i, el in enumerate(region.iter())}
    if order.get(head, 0) > order.get(first, 0):
        return False
    inside: set = set()
    for el in elements:
        inside.update(el.iter())
        inside.update(el.iterancestors())
    size = sum(text_len(el) for el in elements)
    # Only what shares the headline's region competes: a sidebar or a pay dialog
    # elsewhere on the page does not make the text under the headline less the article,
    # nor does a list of teasers (a class repeated like the scorer's list items).
    classes = Counter((el.tag, el.get("class")) for el in region.iter(*_BLOCKS)
                      if el.get("class"))
    for el in region.iter(*_BLOCKS):
        if el in inside or _own_len(el) <= size:
            continue
        if el.get("class") and classes[(el.tag, el.get("class"))] >= params.repeated:
            continue
        if _FRAME_TEXT.search(el.text_content()[:200]):
            continue
        if link_density(el) < _COMPETING_MAX_LINKS:
            return False
    return True
