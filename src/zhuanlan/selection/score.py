"""A candidate's relevance to its column: BM25F over title and body, with its reasons.

Score
-----
For the column's positive terms (:func:`zhuanlan.selection.expr.positive_terms`; a
term written twice counts once), with ``tf_t`` / ``tf_b`` the occurrences in title and
body found by the keyword rule of :mod:`zhuanlan.selection.rules`::

    tf~   = W_TITLE · tf_t / (1 − B_TITLE + B_TITLE · len_t / avg_t)
          + W_BODY  · tf_b / (1 − B_BODY  + B_BODY  · len_b / avg_b)
    score = Σ idf(term) · tf~ · (K1 + 1) / (K1 + tf~)
    idf   = ln(1 + (N − df + 0.5) / (df + 0.5))

the BM25F of Robertson & Zaragoza ("The Probabilistic Relevance Framework", 2009) with
Lucene's always-positive idf. Lengths are counted in jieba words.

Constants and why
-----------------
* ``K1 = 1.2`` (the usual 1.2–2.0): saturation — the fifth 二十大 in a text adds little,
  which keeps keyword-stuffed notices and adverts from topping the queue. On the decision
  log of ``tests/fixtures/selection`` K1 0.8 / 1.2 / 2.0 give keyword AUC 0.634 / 0.624 /
  0.610: within noise; the textbook value kept.
* ``B_BODY = 0.75`` (the usual value): long articles are not favoured for being long.
* ``B_TITLE = 0.5``: titles vary less in length; less normalisation.
* ``W_TITLE = 3``: a term in the title weighs as three in the body, as the keyword
  score of :mod:`zhuanlan.selection.rules` always did (``TITLE_WEIGHT``). On the log,
  1–4 give keyword AUC 0.632–0.622 (its tangential items put 迎接二十大 in their titles
  as often as study pieces put their theme): the log cannot tell, 3 kept for continuity.
* Without corpus statistics (a new installation) every term gets ``idf = 1`` and the
  average lengths are ``DEFAULT_AVG_TITLE`` / ``DEFAULT_AVG_BODY`` words, about those of
  the Chinese news articles in our extraction corpus (titles ~12 words, bodies ~600).

Document frequencies come from :class:`CorpusStats`, which the store keeps up to date as
articles arrive (``add_text``) and go (``remove_text``), and saves with ``to_dict``.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zhuanlan.selection.expr import ANY, TITLE, Term
from zhuanlan.selection.rules import Prepared, find_spans, keyword_form, prepare
from zhuanlan.text.normalize import clean_text, to_simplified
from zhuanlan.text.tokenize import tokenize, tokenize_for_search, tokenize_spans

__all__ = ["CorpusStats", "Hit", "Relevance", "relevance", "highlight", "K1", "B_BODY",
           "B_TITLE", "W_TITLE", "W_BODY"]

K1 = 1.2
B_BODY = 0.75
B_TITLE = 0.5
W_TITLE = 3.0
W_BODY = 1.0
DEFAULT_AVG_TITLE = 12.0
DEFAULT_AVG_BODY = 600.0
# Below this many documents the statistics say more about chance than about the field.
MIN_DOCS_FOR_IDF = 20


class CorpusStats:
    """Document frequencies and average field lengths of the articles seen so far.

    Incremental: ``add``/``add_text`` when an article is stored, ``remove``/``remove_text``
    when it is deleted. Serialisable with ``to_dict`` / ``from_dict`` (plain JSON types).
    Words are counted folded (lower-case), once per document.
    """

    def __init__(self) -> None:
        self.n_docs = 0
        self.body_words = 0
        self.title_words = 0
        self._df: Counter[str] = Counter()

    # -- maintenance --------------------------------------------------------------------

    def add(self, tokens: Iterable[str], title_tokens: Iterable[str] = ()) -> None:
        """Count one document given its body words (and title words)."""
        body, title = list(tokens), list(title_tokens)
        self._count(set(body) | set(title), len(body), len(title), +1)

    def remove(self, tokens: Iterable[str], title_tokens: Iterable[str] = ()) -> None:
        """Uncount a document counted with the same words by :meth:`add`."""
        body, title = list(tokens), list(title_tokens)
        self._count(set(body) | set(title), len(body), len(title), -1)

    def add_text(self, title: str, text: str) -> None:
        """Count an article from its clean title and text: lengths in precise words,
        frequencies over search words (中国式现代化 also counts for 现代化)."""
        self._count(*doc_terms(title, text), +1)

    def remove_text(self, title: str, text: str) -> None:
        self._count(*doc_terms(title, text), -1)

    def _count(self, words: set[str], body_len: int, title_len: int, sign: int) -> None:
        self.n_docs = max(0, self.n_docs + sign)
        self.body_words = max(0, self.body_words + sign * body_len)
        self.title_words = max(0, self.title_words + sign * title_len)
        for word in words:
            word = word.lower()
            n = self._df[word] + sign
            if n > 0:
                self._df[word] = n
            else:
                self._df.pop(word, None)

    # -- reading ------------------------------------------------------------------------

    def df(self, term: str) -> int:
        """Documents holding ``term``. A term that is several words (党的 二十大 …) and
        was not counted whole gets the smallest frequency of its words (an upper bound)."""
        term = term.lower()
        if term in self._df:
            return self._df[term]
        parts = [w.lower() for w in tokenize(term)]
        if len(parts) > 1:
            return min(self._df.get(p, 0) for p in parts)
        return 0

    def idf(self, term: str) -> float:
        if self.n_docs < MIN_DOCS_FOR_IDF:
            return 1.0
        df = self.df(term)
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    @property
    def avg_len(self) -> float:
        """Average body length in words (the default before any document)."""
        return self.body_words / self.n_docs if self.n_docs else DEFAULT_AVG_BODY

    @property
    def avg_title_len(self) -> float:
        return self.title_words / self.n_docs if self.n_docs else DEFAULT_AVG_TITLE

    def to_dict(self) -> dict:
        return {"version": 1, "n_docs": self.n_docs, "body_words": self.body_words,
                "title_words": self.title_words, "df": dict(self._df)}

    @classmethod
    def from_dict(cls, data: dict) -> CorpusStats:
        stats = cls()
        stats.n_docs = int(data.get("n_docs", 0))
        stats.body_words = int(data.get("body_words", 0))
        stats.title_words = int(data.get("title_words", 0))
        stats._df = Counter({str(k): int(v) for k, v in data.get("df", {}).items()})
        return stats

    def __len__(self) -> int:
        return len(self._df)


def doc_terms(title: str, text: str) -> tuple[set[str], int, int]:
    """An article's distinct search words, its body length and title length in words."""
    title, text = clean_text(title or "").text, clean_text(text or "").text
    words = set(tokenize_for_search(title)) | set(tokenize_for_search(text))
    return words, len(tokenize(text)), len(tokenize(title))


@dataclass(frozen=True)
class Hit:
    """One term found in a candidate: what the review page shows and highlights.
    Spans are (start, end) offsets over the clean title / text (an Article's ``title``
    and ``text`` are clean already)."""

    term: str
    title_count: int
    body_count: int
    weight: float                      # this term's share of the score
    title_spans: tuple[tuple[int, int], ...] = ()
    body_spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Relevance:
    score: float
    hits: tuple[Hit, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(h.term for h in self.hits)

    def reason(self) -> str:
        """命中：二十大（标题 1，正文 3）；中国式现代化（正文 2）"""
        if not self.hits:
            return "未命中任何词"
        parts = []
        for h in self.hits:
            where = [f"标题 {h.title_count}"] if h.title_count else []
            where += [f"正文 {h.body_count}"] if h.body_count else []
            parts.append(f"{h.term}（{'，'.join(where)}）")
        return "命中：" + "；".join(parts)


def _as_terms(terms: Iterable[Term | str]) -> list[Term]:
    out: list[Term] = []
    seen: set[tuple[str, str]] = set()
    for t in terms:
        if isinstance(t, str):
            t = Term(text=t, form=keyword_form(t), field=ANY, start=0)
        key = (t.form, t.field)
        if t.form and key not in seen:
            seen.add(key)
            out.append(t)
    return out


def relevance(terms: Iterable[Term | str], title: str, text: str,
              stats: CorpusStats | None = None) -> Relevance:
    """BM25F of ``terms`` (parsed terms or plain keywords) in an article (module doc).

    Title-only terms (``title:``) count in the title only. Never raises.
    """
    stats = stats or CorpusStats()
    pt, pb = prepare(title or ""), prepare(text or "")
    norm_t = 1 - B_TITLE + B_TITLE * len(pt.words) / max(stats.avg_title_len, 1.0)
    norm_b = 1 - B_BODY + B_BODY * len(pb.words) / max(stats.avg_len, 1.0)
    hits: list[Hit] = []
    total = 0.0
    for term in _as_terms(terms):
        t_spans = find_spans(term.form, pt)
        b_spans = find_spans(term.form, pb) if term.field != TITLE else []
        if not t_spans and not b_spans:
            continue
        tf = W_TITLE * len(t_spans) / norm_t + W_BODY * len(b_spans) / norm_b
        weight = stats.idf(term.form) * tf * (K1 + 1) / (K1 + tf)
        total += weight
        hits.append(Hit(term.text, len(t_spans), len(b_spans), round(weight, 4),
                        tuple(t_spans), tuple(b_spans)))
    return Relevance(score=round(total, 4), hits=tuple(hits))


def highlight(text: str, terms: Sequence[Term | str]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans of the terms' occurrences over ``text``
    as given — to wrap in ``<mark>`` on the review page. For a clean text (an Article's
    ``text``) these are the spans matching saw; for a text whose cleaning would change
    its length, terms are sought in a character-by-character normalised copy so that the
    offsets stay those of the original. Never raises."""
    if not text:
        return []
    clean = clean_text(text).text
    p = prepare(text) if len(clean) == len(text) else _prepare_aligned(text)
    spans = sorted(s for t in _as_terms(terms) for s in find_spans(t.form, p))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _char_form(ch: str) -> str:
    for form in (to_simplified(unicodedata.normalize("NFKC", ch)).lower(),
                 unicodedata.normalize("NFKC", ch).lower(), ch.lower()):
        if len(form) == 1:
            return form
    return ch


def _prepare_aligned(text: str) -> Prepared:
    folded = "".join(_char_form(ch) for ch in text)
    spans = tokenize_spans(folded)
    return Prepared(
        folded=folded,
        starts=tuple(s for _, s, _ in spans), ends=tuple(e for _, _, e in spans),
        start_set=frozenset(s for _, s, _ in spans), end_set=frozenset(e for _, _, e in spans),
        words=tuple(w for w, _, _ in spans))
