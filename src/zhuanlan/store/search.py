"""Full-text search over the articles, with Chinese segmentation (issue 7).

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
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Iterable

from markupsafe import Markup, escape
from sqlalchemy import Connection, and_, exists, func, literal_column, select, text
from sqlalchemy.sql import column as sql_column, table as sql_table

from zhuanlan.errors import ZhuanlanError
from zhuanlan.store.schema import articles, issue_items, issues, sources
from zhuanlan.text.normalize import clean_text, to_simplified
from zhuanlan.text.tokenize import terms as load_terms, tokenize
from zhuanlan.text.widths import to_half_width

__all__ = ["index_article", "remove_article", "reindex", "search", "parse_query",
           "segment", "day_bounds", "facets", "SearchPage", "SearchHit", "SearchQuery", "SearchQueryError",
           "include_object", "is_search_object", "search_schema_present",
           "MAX_QUERY_CHARS", "MAX_TERMS", "MAX_LIMIT"]

MAX_QUERY_CHARS = 100
MAX_TERMS = 16
MAX_LIMIT = 50
MAX_OFFSET = 1000
# Texts longer than this are indexed up to here (PostgreSQL caps a tsvector at 1 MB
# and positions at 16383; no real article comes near).
MAX_INDEXED_CHARS = 100_000
SNIPPET_CHARS = 120
SNIPPET_BEFORE = 30

FTS_TABLE = "article_fts"
PG_TABLE = "article_search"
# bm25() weights of the FTS5 columns title, body, parts.
FTS_WEIGHTS = (3.0, 1.0, 0.3)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_QUOTES = {'"': '"', "“": "”", "＂": "＂", "「": "」", "『": "』"}
_CLOSERS = {"”", "」", "』"}

_fts = sql_table(FTS_TABLE, sql_column("rowid"))
_pg = sql_table(PG_TABLE, sql_column("article_id"), sql_column("tsv"))


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


# -- schema helpers --------------------------------------------------------------------

def is_search_object(name: str | None, type_: str) -> bool:
    """Whether a reflected object is one of search's own (not declared in schema.py)."""
    if not name:
        return False
    if type_ == "table":
        return name == PG_TABLE or name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    if type_ == "index":
        return name.startswith("ix_" + PG_TABLE)
    return False


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    """Alembic ``include_object`` hook: leave the search tables (FTS5 and its shadow
    tables on SQLite, ``article_search`` on PostgreSQL) out of autogenerate."""
    return not (reflected and compare_to is None and is_search_object(name, type_))


def search_schema_present(conn: Connection) -> bool:
    if conn.dialect.name == "postgresql":
        return conn.execute(text(f"SELECT to_regclass('{PG_TABLE}')")).scalar() is not None
    return conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"),
                        {"n": FTS_TABLE}).scalar() is not None


# -- indexing --------------------------------------------------------------------------

def index_article(conn: Connection, article_id: int, title: str, text_: str) -> bool:
    """Write (or rewrite) the search row of an article, in the caller's transaction.

    Returns False, and writes nothing, when the store has no search tables yet (a
    store migrated only to a revision before 0009: the migration indexes every
    article when it runs)."""
    if not search_schema_present(conn):
        return False
    _write(conn, article_id, title, text_)
    return True


def _write(conn: Connection, article_id: int, title: str, text_: str) -> None:
    t, b, p = segment(title, text_)
    if conn.dialect.name == "postgresql":
        conn.execute(text(
            f"INSERT INTO {PG_TABLE} (article_id, tsv) VALUES (:id, "
            "setweight(to_tsvector('simple', :t), 'A') || "
            "setweight(to_tsvector('simple', :b), 'B') || "
            "setweight(to_tsvector('simple', :p), 'C')) "
            "ON CONFLICT (article_id) DO UPDATE SET tsv = excluded.tsv"),
            {"id": article_id, "t": t, "b": b, "p": p})
    else:
        conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": article_id})
        conn.execute(text(f"INSERT INTO {FTS_TABLE} (rowid, title, body, parts) "
                          "VALUES (:id, :t, :b, :p)"), {"id": article_id, "t": t, "b": b, "p": p})


def remove_article(conn: Connection, article_id: int) -> None:
    """Drop an article's search row (PostgreSQL does it by cascade on delete)."""
    if not search_schema_present(conn):
        return
    table = PG_TABLE if conn.dialect.name == "postgresql" else FTS_TABLE
    key = "article_id" if conn.dialect.name == "postgresql" else "rowid"
    conn.execute(text(f"DELETE FROM {table} WHERE {key} = :id"), {"id": article_id})


def reindex(conn: Connection, *, batch: int = 500, only_missing: bool = False,
            progress=None) -> int:  # noqa: ANN001
    """Index every article (or those without a search row), in batches of ``batch``
    by id. Returns how many were indexed. Used by migration 0009's backfill."""
    done, last = 0, 0
    while True:
        q = (select(articles.c.id, articles.c.title, articles.c.text)
             .where(articles.c.id > last).order_by(articles.c.id).limit(batch))
        if only_missing:
            q = q.where(~_indexed(articles.c.id, conn.dialect.name))
        rows = conn.execute(q).all()
        if not rows:
            return done
        for r in rows:
            _write(conn, r.id, r.title, r.text)
        done += len(rows)
        last = rows[-1].id
        if progress:
            progress(done)


def _indexed(article_id_col, dialect: str):  # noqa: ANN001, ANN202
    if dialect == "postgresql":
        return exists().where(_pg.c.article_id == article_id_col)
    return exists().where(_fts.c.rowid == article_id_col)


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


# -- search ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchHit:
    article_id: int
    title: str
    outlet: str | None
    published_at: datetime | None
    snippet_html: Markup
    title_html: Markup
    source_name: str | None = None

    def __getitem__(self, key: str):  # noqa: ANN204
        return getattr(self, key)


@dataclass(frozen=True)
class SearchPage:
    total: int
    hits: list[SearchHit]
    query: SearchQuery | None = None
    limit: int = 20
    offset: int = 0
    staff: bool = False
    terms: tuple[str, ...] = field(default=())

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, MAX_OFFSET + self.limit) // self.limit))


def _as_utc(value: datetime | date | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to search; use aware datetimes")
        return value
    return datetime.combine(value, time(), tzinfo=timezone.utc)


def day_bounds(since: date | datetime | None, until: date | datetime | None,
               tz: str) -> tuple[datetime | None, datetime | None]:
    """Dates of the reader (days in ``tz``, both inclusive) as the [since, until) times
    :func:`search` takes; datetimes pass through."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    if isinstance(since, date) and not isinstance(since, datetime):
        since = datetime.combine(since, time(), tzinfo=zone)
    if isinstance(until, date) and not isinstance(until, datetime):
        until = datetime.combine(until + timedelta(days=1), time(), tzinfo=zone)
    return since, until


def search(conn: Connection, query: str | SearchQuery, *, column_id: int | None = None,
           outlet: str | None = None, since: datetime | date | None = None,
           until: datetime | date | None = None, limit: int = 20, offset: int = 0,
           staff: bool = False) -> SearchPage:
    """Ranked articles matching ``query`` (module doc), with highlighted snippets.

    ``column_id``: published in an issue of that column; ``outlet``: the source's name
    (what the reader shows as the outlet); ``since`` (inclusive) / ``until``
    (exclusive): publish time (a date means midnight UTC). Anonymous readers
    (``staff=False``) only find articles published in some issue. ``limit`` is capped
    at :data:`MAX_LIMIT`, ``offset`` at :data:`MAX_OFFSET`. Raises SearchQueryError."""
    q = query if isinstance(query, SearchQuery) else parse_query(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    pg = conn.dialect.name == "postgresql"

    a = articles
    conds = []
    if pg:
        tsq = func.to_tsquery(literal_column("'simple'"), tsquery_text(q))
        src = _pg.join(a, a.c.id == _pg.c.article_id)
        conds.append(_pg.c.tsv.op("@@")(tsq))
        rank = func.ts_rank_cd(_pg.c.tsv, tsq, 1)
        order = [rank.desc()]
    else:
        src = _fts.join(a, a.c.id == _fts.c.rowid)
        conds.append(literal_column(FTS_TABLE).op("MATCH")(fts5_match(q)))
        rank = func.bm25(literal_column(FTS_TABLE), *FTS_WEIGHTS)
        order = [rank.asc()]
    order += [a.c.published_at.desc(), a.c.id.desc()]
    src = src.outerjoin(sources, sources.c.id == a.c.source_id)

    if not staff:
        conds.append(exists().where(issue_items.c.article_id == a.c.id))
    if column_id is not None:
        conds.append(exists().where(issue_items.c.article_id == a.c.id,
                                    issues.c.id == issue_items.c.issue_id,
                                    issues.c.column_id == column_id))
    if outlet:
        conds.append(sources.c.name == outlet)
    since, until = _as_utc(since), _as_utc(until)
    if since is not None:
        conds.append(a.c.published_at >= since)
    if until is not None:
        conds.append(a.c.published_at < until)
    where = and_(*conds)

    total = conn.execute(select(func.count()).select_from(src).where(where)).scalar() or 0
    rows = conn.execute(
        select(a.c.id, a.c.title, a.c.text, a.c.published_at, a.c.source_name,
               sources.c.name.label("outlet"))
        .select_from(src).where(where).order_by(*order).limit(limit).offset(offset)).all()
    hits = [SearchHit(article_id=r.id, title=r.title, outlet=r.outlet,
                      published_at=r.published_at, source_name=r.source_name,
                      snippet_html=snippet(r.text, q.highlight),
                      title_html=mark_all(r.title, q.highlight)) for r in rows]
    return SearchPage(total=int(total), hits=hits, query=q, limit=limit, offset=offset,
                      staff=staff, terms=q.highlight)


def facets(conn: Connection, *, staff: bool = False) -> list[str]:
    """The outlets (source names) that have searchable articles, for the filter."""
    q = (select(sources.c.name).distinct()
         .select_from(sources.join(articles, articles.c.source_id == sources.c.id)))
    if not staff:
        q = q.where(exists().where(issue_items.c.article_id == articles.c.id))
    return sorted(n for n in conn.execute(q).scalars() if n)


# -- highlighting ----------------------------------------------------------------------

def _pattern(terms: Iterable[str]) -> re.Pattern | None:
    alts = []
    for t in sorted({t for t in terms if t}, key=len, reverse=True):
        # A phrase typed with spaces matches the text with or without them.
        alts.append(r"\s*".join(re.escape(piece) for piece in t.split()))
    return re.compile("|".join(alts), re.IGNORECASE) if alts else None


def _folded(value: str) -> str:
    """``value`` in the query's form (Simplified, half-width) where that keeps every
    character in place, so that spans found in it are spans of ``value``. Article
    texts are clean already; this is for the odd one that is not."""
    folded = to_half_width(value)
    simplified = to_simplified(folded)
    return simplified if len(simplified) == len(folded) else folded


def _spans(value: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    pat = _pattern(terms)
    if pat is None or not value:
        return []
    return [m.span() for m in pat.finditer(_folded(value)) if m.end() > m.start()]


def _marked(value: str, spans: list[tuple[int, int]], start: int, end: int) -> Markup:
    out, pos = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(value[pos:s]))
        out.append(Markup("<mark>") + escape(value[s:e]) + Markup("</mark>"))
        pos = e
    out.append(escape(value[pos:end]))
    return Markup("").join(out)


def mark_all(value: str, terms: Iterable[str]) -> Markup:
    """``value`` escaped, with every occurrence of the terms in ``<mark>``."""
    value = value or ""
    return _marked(value, _spans(value, terms), 0, len(value))


def snippet(value: str, terms: Iterable[str], size: int = SNIPPET_CHARS) -> Markup:
    """About ``size`` characters of ``value`` around its first hit, escaped, hits in
    ``<mark>``, "…" where cut. Without a hit: the beginning."""
    value = " ".join((value or "").split())
    spans = _spans(value, terms)
    start = max(0, spans[0][0] - SNIPPET_BEFORE) if spans else 0
    end = min(len(value), start + size)
    if end - start < size:
        start = max(0, end - size)
    body = _marked(value, spans, start, end)
    return (Markup("…") if start > 0 else Markup("")) + body + \
        (Markup("…") if end < len(value) else Markup(""))
