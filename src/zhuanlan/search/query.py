"""Full-text search over the articles, with Chinese segmentation: what is indexed and the
query language (pure; the SQL is ``store.search``).

What is indexed
---------------
Per article, from its clean title and text (already Simplified and half-width; the
query goes through the same :func:`zhuanlan.text.normalize.clean_text`):

* ``title`` and ``body``: the precise-mode words (rjieba plus ``terms.txt``) in order,
  space-joined. Phrases are matched on these streams, so a phrase is found where the
  text is cut into the same words (word boundaries are respected: 学习 is not found in
  同学习惯 as a phrase).
* ``parts``: a bag (each entry once per article) of what a longer word contains: every
  dictionary word inside a precise word of three or more characters (rjieba's full
  mode: 习近平新时代中国特色社会主义思想 gives 社会主义, 中国特色社会主义, 思想 …) and
  every single Han character of the article. So a 2-character word (学习), a dictionary
  word inside a long term (社会主义), and a single character (党) are all findable, while
  positions of the word streams stay exact for phrases.

Search-engine mode (``cut_for_search``) was not enough: it only adds 2- and 3-character
parts, so 社会主义 inside 习近平新时代中国特色社会主义思想 was never found.

Storage
-------
* SQLite: the FTS5 table ``article_fts(title, body, parts)``, rowid = article id,
  tokenizer ``unicode61`` (the words are separated by spaces already; it also folds
  Latin case). Ranked by ``bm25()`` with the title weighted 3, the body 1, the parts 0.3.
* PostgreSQL: ``article_search(article_id PK → articles ON DELETE CASCADE, tsv)`` with a
  GIN index; ``tsv`` is ``to_tsvector('simple', …)`` of the three streams weighted A, B
  and C. Ranked by ``ts_rank_cd``.

Both are made by migration 0009 (which also backfills); they are not in ``schema.py``
(``include_object`` keeps autogenerate from proposing to drop them).

Query language
--------------
User input is never passed through as FTS5 or tsquery syntax: every word is quoted.

* Whitespace separates terms; all terms must match (AND).
* An unquoted term is cut into precise words, and each word must match (anywhere:
  title, body or parts). 全面从严治党 and 学习 are single words.
* ``"…"`` (also “…”, 「…」, 『…』): a phrase, its words in order on word boundaries,
  in the title or the body.
* Traditional characters and full-width letters/digits are normalised like the texts.
* At most :data:`MAX_QUERY_CHARS` characters and :data:`MAX_TERMS` words; an empty
  query or one without any word is refused with :class:`SearchQueryError`.

Visibility: anonymous readers find only articles published in some issue; staff
(``staff=True``) find every article. A column filter means "published in an issue of
that column".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from zhuanlan.errors import ZhuanlanError
from zhuanlan.text.normalize import clean_text
from zhuanlan.text.tokenize import terms as load_terms
from zhuanlan.text.tokenize import tokenize

MAX_QUERY_CHARS = 100
MAX_TERMS = 16
# Texts longer than this are indexed up to here (PostgreSQL caps a tsvector at 1 MB
# and positions at 16383; no real article comes near).
MAX_INDEXED_CHARS = 100_000

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_QUOTES = {'"': '"', "“": "”", "＂": "＂", "「": "」", "『": "』"}
_CLOSERS = {"”", "」", "』"}


class SearchQueryError(ZhuanlanError):
    """The query cannot be searched (empty, too long, no word in it); the message is
    for the reader (zh-CN)."""


# -- segmentation ----------------------------------------------------------------------

def _words(text: str) -> list[str]:
    return tokenize(text[:MAX_INDEXED_CHARS]) if text else []


def _parts(words: Iterable[str], text: str) -> list[str]:
    import rjieba

    load_terms()
    out: dict[str, None] = {}
    for w in words:
        if len(w) >= 3 and _HAN.search(w):
            for part in rjieba.cut_all(w):
                if len(part) >= 2 and part != w and any(ch.isalnum() for ch in part):
                    out.setdefault(part, None)
    for ch in _HAN.findall(text[:MAX_INDEXED_CHARS]):
        out.setdefault(ch, None)
    return list(out)


def segment(title: str, text: str) -> tuple[str, str, str]:
    """The three indexed streams (title words, body words, parts) of an article,
    each space-joined. ``title`` and ``text`` are cleaned again (a no-op for an
    Article's clean fields)."""
    title = clean_text(title or "").text
    text = clean_text(text or "").text
    tw, bw = _words(title), _words(text)
    parts = _parts([*tw, *bw], title + "\n" + text)
    return " ".join(tw), " ".join(bw), " ".join(parts)


# -- query parsing ---------------------------------------------------------------------

@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: ``words`` each must match; ``phrases`` (tuples of words of two or
    more) each must match in order. ``highlight`` is what the snippets mark."""

    text: str
    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    highlight: tuple[str, ...]


def _split_quoted(q: str) -> list[tuple[str, bool]]:
    """(chunk, quoted) pieces of ``q``; an unclosed quote runs to the end; a stray
    closing quote separates like a space."""
    out: list[tuple[str, bool]] = []
    buf: list[str] = []
    i = 0
    while i < len(q):
        ch = q[i]
        if ch in _QUOTES:
            j = q.find(_QUOTES[ch], i + 1)
            if j < 0 and _QUOTES[ch] != ch:
                j = q.find(ch, i + 1)       # “…“ typed with one kind of quote
            if buf:
                out.append(("".join(buf), False))
                buf = []
            end = len(q) if j < 0 else j
            out.append((q[i + 1:end], True))
            i = end + 1
            continue
        buf.append(" " if ch in _CLOSERS else ch)
        i += 1
    if buf:
        out.append(("".join(buf), False))
    return out


def parse_query(query: str | None) -> SearchQuery:
    """Parse the reader's input (module doc). Raises SearchQueryError with a zh-CN
    message for an empty, too long or wordless query."""
    raw = (query or "").strip()
    if not raw:
        raise SearchQueryError("请输入要搜索的词。")
    if len(raw) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"搜索词太长了：最多 {MAX_QUERY_CHARS} 个字。")
    norm = clean_text(raw).text
    words: dict[str, None] = {}
    phrases: dict[tuple[str, ...], None] = {}
    marks: dict[str, None] = {}
    for chunk, quoted in _split_quoted(norm):
        if quoted:
            ws = tokenize(chunk)
            if len(ws) == 1:
                words.setdefault(ws[0], None)
            elif ws:
                phrases.setdefault(tuple(ws), None)
            if ws:
                marks.setdefault(" ".join(chunk.split()), None)
            continue
        for piece in chunk.split():
            ws = tokenize(piece)
            for w in ws:
                words.setdefault(w, None)
                if len(w) >= 2 or len(ws) == 1:
                    marks.setdefault(w, None)
            if len(ws) > 1:
                marks.setdefault(piece, None)
    n = len(words) + sum(len(p) for p in phrases)
    if n == 0:
        raise SearchQueryError("搜索词里没有可以搜索的字词。")
    if n > MAX_TERMS:
        raise SearchQueryError(f"搜索词太多了：最多 {MAX_TERMS} 个词。")
    return SearchQuery(text=norm, words=tuple(words), phrases=tuple(phrases),
                       highlight=tuple(m for m in marks if m))


def _fts_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts5_match(q: SearchQuery) -> str:
    """The FTS5 MATCH expression of a parsed query: every token a quoted string."""
    parts = [_fts_string(w) for w in q.words]
    parts += ["{title body} : (" + " + ".join(_fts_string(w) for w in p) + ")"
              for p in q.phrases]
    return " AND ".join(parts)


def _tsq_lexeme(token: str, weights: str = "") -> str:
    quoted = "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted + (":" + weights if weights else "")


def tsquery_text(q: SearchQuery) -> str:
    """The ``to_tsquery('simple', …)`` input of a parsed query: every token quoted;
    phrases restricted to the title and body (weights A and B)."""
    parts = [_tsq_lexeme(w) for w in q.words]
    parts += ["(" + " <-> ".join(_tsq_lexeme(w, "AB") for w in p) + ")" for p in q.phrases]
    return " & ".join(parts)
