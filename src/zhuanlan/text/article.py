"""An extracted article made clean: simplified, NFC, free of artefacts and of the
portal's frame, fingerprinted.

The clean forms are what rules, search and dedup see and what readers are shown; the
originals are kept beside them (``title_orig``, ``text_orig``) so nothing is lost when
the cleaning is wrong.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from zhuanlan.dedup import canonical_url, content_hash
from zhuanlan.model import Article, ExtractedArticle, Image
from zhuanlan.text.boilerplate import BOILERPLATE_REMOVED, strip_boilerplate
from zhuanlan.text.normalize import clean_text

__all__ = ["clean_article"]


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def _choose_url(url: str, declared: str | None) -> str:
    """The page's own canonical URL when it points to the same host, else its URL.

    A canonical link to another host is not trusted: reposting sites and hijacked
    templates point it at someone else's page (or at their own home page).
    """
    own = canonical_url(url)
    if declared:
        theirs = canonical_url(declared)
        if _host(theirs) and _host(theirs) == _host(own):
            return theirs
    return own


def _clean_short(value: str | None) -> tuple[str | None, frozenset[str]]:
    if not value:
        return None, frozenset()
    cleaned = clean_text(value)
    return (" ".join(cleaned.text.split()) or None), cleaned.flags


def clean_article(ex: ExtractedArticle) -> Article:
    """The clean :class:`Article` for an extracted one. Pure; never raises.

    Title and text are cleaned with :func:`clean_text` (flags unioned with the
    extractor's own: ``short``, ``body_widened`` …); the text then
    loses the portal's frame lines (:func:`strip_boilerplate`, flag
    ``boilerplate_removed``), and what those lines named fills what the extractor did not
    find: the editor (责任编辑), the original source (来源) and the author (作者). What
    the extractor found is kept as it is. Author, editor and source name are cleaned like
    the text, so they display in Simplified too.
    """
    title = clean_text(ex.title)
    text = clean_text(ex.text)
    body, meta = strip_boilerplate(text.text)
    flags = set(title.flags | text.flags | ex.flags)
    if body != text.text:
        flags.add(BOILERPLATE_REMOVED)
    author, author_flags = _clean_short(ex.author or meta.get("author"))
    editor, editor_flags = _clean_short(ex.editor or meta.get("editor"))
    source, source_flags = _clean_short(ex.source_name or meta.get("source_name"))
    # A title is one line, whatever line breaks the page put in its <h1>.
    clean_title = " ".join(title.text.split())
    return Article(
        url=ex.url,
        canonical_url=_choose_url(ex.url, ex.canonical_url),
        title=clean_title,
        text=body,
        title_orig=ex.title,
        text_orig=ex.text,
        content_hash=content_hash(clean_title, body),
        published=ex.published,
        author=author,
        source_name=source,
        lang=ex.lang,
        flags=frozenset(flags | author_flags | editor_flags | source_flags),
        editor=editor,
        images=tuple(Image(src=i.src, caption=_clean_short(i.caption)[0] or "")
                     for i in ex.images),
    )
