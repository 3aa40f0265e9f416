"""An article's body as sanitised HTML for the reader: our cleaned text paragraphs with
the article's pictures, served from our own server, between them.

Pure: no store, no web. The HTML is built from escaped text and then passed through
nh3 with an allow-list, so nothing the outlet wrote (a hostile caption, markup in the
text) can become a tag, an attribute, a script or a URL; an ``<img>`` keeps only a
``src`` of the form ``/img/{id}`` — the reader loads nothing from outside the server.

Where a picture goes: the extractor gives the images in the body's order but not their
place among the paragraphs. A portal writes a picture's caption as the centred line
under it, which our text keeps as a paragraph: a figure whose caption is such a line
takes that paragraph's place (the caption is not shown twice). Figures without such an
anchor follow the figure before them, or precede the first anchored one; when no
figure is anchored they are spread evenly, the first after the first paragraph.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

import nh3

__all__ = ["Figure", "article_html", "sanitize", "ALLOWED_TAGS"]

ALLOWED_TAGS = frozenset({"p", "h2", "h3", "h4", "strong", "em", "figure", "img",
                          "figcaption", "blockquote", "ul", "ol", "li", "br"})
_ATTRIBUTES = {"img": {"src", "alt", "width", "height", "loading", "decoding"}}
_OWN_IMAGE = re.compile(r"/img/[0-9]+")


@dataclass(frozen=True)
class Figure:
    """A picture the reader may show: its id in our store (served at ``/img/{id}``),
    caption, and size when known (lets the page keep its place while it loads)."""

    id: int
    caption: str = ""
    width: int | None = None
    height: int | None = None


def _norm(text: str) -> str:
    return " ".join(text.split())


def _placements(paragraphs: list[str], figures: Sequence[Figure]) -> list[tuple[int, bool]]:
    """For each figure: (index of the paragraph it goes after — or replaces — , whether
    it replaces that paragraph); -1 means before the first paragraph."""
    anchors: list[int | None] = []
    start = 0
    for fig in figures:
        caption = _norm(fig.caption)
        found = None
        if caption:
            for i in range(start, len(paragraphs)):
                if _norm(paragraphs[i]) == caption:
                    found = i
                    break
        anchors.append(found)
        if found is not None:
            start = found + 1
    n, m = len(paragraphs), len(figures)
    if all(a is None for a in anchors):
        # Evenly: figure k after paragraph floor(k·n/m) (the first after the first one).
        return [(min(n - 1, (k * n) // m) if n else -1, False) for k in range(m)]
    out: list[tuple[int, bool]] = []
    first_anchor = next(a for a in anchors if a is not None)
    previous: int | None = None
    for anchor in anchors:
        if anchor is not None:
            out.append((anchor, True))
            previous = anchor
        elif previous is None:
            out.append((first_anchor - 1, False))     # just before the first anchored one
        else:
            out.append((previous, False))             # right after the figure before it
    return out


def _figure(fig: Figure) -> str:
    caption = _norm(fig.caption)
    size = "".join(f' {name}="{value}"' for name, value in (("width", fig.width),
                                                             ("height", fig.height))
                   if isinstance(value, int) and not isinstance(value, bool) and value > 0)
    img = (f'<img src="/img/{int(fig.id)}" alt="{html.escape(caption, quote=True)}"{size}'
           f' loading="lazy" decoding="async">')
    cap = f"<figcaption>{html.escape(caption, quote=False)}</figcaption>" if caption else ""
    return f"<figure>{img}{cap}</figure>"


def _own_images_only(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _OWN_IMAGE.fullmatch(value) else None
    return value


def sanitize(fragment: str) -> str:
    """``fragment`` reduced to the allow-list (tags, their attributes, our own image
    URLs only)."""
    return nh3.clean(fragment, tags=set(ALLOWED_TAGS), attributes=_ATTRIBUTES,
                     attribute_filter=_own_images_only, url_schemes=set(),
                     link_rel=None, strip_comments=True)


def article_html(text: str, figures: Sequence[Figure] = ()) -> str:
    """The body of an article as sanitised HTML: one ``<p>`` per non-empty line of the
    cleaned ``text``, the ``figures`` (fetched images, in their order) as
    ``<figure><img src="/img/{id}"><figcaption>`` among them."""
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    placements = _placements(paragraphs, figures)
    after: dict[int, list[Figure]] = {}
    replaced: set[int] = set()
    for fig, (index, replaces) in zip(figures, placements):
        if replaces:
            replaced.add(index)
            after.setdefault(index - 1, []).append(fig)   # in the paragraph's place
        else:
            after.setdefault(index, []).append(fig)
    parts = [_figure(f) for f in after.get(-1, [])]
    for i, paragraph in enumerate(paragraphs):
        if i not in replaced:
            parts.append(f"<p>{html.escape(paragraph, quote=False)}</p>")
        parts.extend(_figure(f) for f in after.get(i, []))
    return sanitize("\n".join(parts))
