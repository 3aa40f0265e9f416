"""A column's keyword rules: which articles it proposes, with a score and a reason.

An editor writes keywords as they would in a spreadsheet cell — ``二十大，中国式现代化、
新质生产力`` — include terms (at least one must occur) and exclude terms (none may).

How a keyword is found in a text
--------------------------------
Title and text are segmented with :func:`zhuanlan.text.tokenize.tokenize_spans` (which
knows the field's terms) and an occurrence of the keyword in the text counts when

1. it starts and ends on word boundaries — it is one word or a run of whole words
   (学习 in 学习|贯彻, 二十大 in 二十大|报告); or
2. it lies inside one longer word and is Chinese of two or more characters, and the
   word is a field term (二十大 in 党的二十大, 学习 in 党纪学习教育, 现代化 in
   中国式现代化), or the word is four characters or longer, or the keyword itself is
   three characters or longer.

Everything else is refused, in particular an occurrence that straddles a word boundary
(大会 in 二十大|会议), a one-character keyword inside a word (党 in 党员), a Latin keyword
inside a word (AI in said), and a two-character keyword inside an ordinary
three-character word (人民 in 人民币). Comparison is case-insensitive, on the clean
(simplified, half-width) forms of keyword and text.

Score: the sum over matched include terms of 3 × occurrences in the title plus
occurrences in the text. Deliberately simple and explainable; BM25 comes later.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from zhuanlan.errors import RuleError
from zhuanlan.model import ColumnRules, Match
from zhuanlan.text.normalize import clean_text
from zhuanlan.text.tokenize import terms, tokenize_spans

__all__ = ["parse_keywords", "validate_rules", "match_keywords", "MAX_KEYWORD_CHARS", "MAX_KEYWORDS",
           "TITLE_WEIGHT"]

MAX_KEYWORD_CHARS = 50
MAX_KEYWORDS = 200
TITLE_WEIGHT = 3

# Commas (ASCII, full-width, small, half-width ideographic), the enumeration comma 、,
# semicolons and line breaks all separate keywords.
_SEPARATORS = re.compile(r"[,，、﹐､;；\n\r]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def _fold(text: str) -> str:
    """Lowercase without changing the length, so offsets stay valid."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def parse_keywords(text: str) -> tuple[str, ...]:
    """Keywords from an editor's input, in order, stripped, without repeats.

    Two spellings that differ only in case or full-width forms count as repeats (the
    first one is kept). Never raises; empty input gives ``()``.
    """
    seen: set[str] = set()
    out: list[str] = []
    for part in _SEPARATORS.split(text or ""):
        keyword = " ".join(part.split())
        key = unicodedata.normalize("NFKC", keyword).casefold()
        if keyword and key not in seen:
            seen.add(key)
            out.append(keyword)
    return tuple(out)


def _check(keywords: tuple[str, ...], which: str) -> None:
    if len(keywords) > MAX_KEYWORDS:
        raise RuleError(f"{len(keywords)} {which} keywords; at most {MAX_KEYWORDS} are allowed",
                        resource=which)
    for keyword in keywords:
        if len(keyword) > MAX_KEYWORD_CHARS:
            raise RuleError(f"{which} keyword longer than {MAX_KEYWORD_CHARS} characters: "
                            f"{keyword[:20]}…", resource=which)
        if not any(ch.isalnum() for ch in keyword):
            raise RuleError(f"{which} keyword has no letter or digit: {keyword!r}",
                            resource=which)


def validate_rules(include_text: str, exclude_text: str | None = "") -> ColumnRules:
    """The column rules an editor wrote, checked.

    Raises :class:`zhuanlan.errors.RuleError` (``resource`` is ``include`` or
    ``exclude``) when there is no include keyword, a keyword is longer than
    ``MAX_KEYWORD_CHARS`` or has no letter or digit, a list has more than
    ``MAX_KEYWORDS`` keywords, or a keyword is both included and excluded.
    """
    include = parse_keywords(include_text)
    exclude = parse_keywords(exclude_text or "")
    if not include:
        raise RuleError("at least one include keyword is required", resource="include")
    _check(include, "include")
    _check(exclude, "exclude")
    both = {_keyword_form(k) for k in include} & {_keyword_form(k) for k in exclude}
    if both:
        raise RuleError(f"keyword both included and excluded: {'、'.join(sorted(both))}",
                        resource="exclude")
    return ColumnRules(include=include, exclude=exclude)


@lru_cache(maxsize=4096)
def _keyword_form(keyword: str) -> str:
    return _fold(" ".join(clean_text(keyword).text.split()))


@dataclass(frozen=True)
class _Prepared:
    folded: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    start_set: frozenset[int]
    end_set: frozenset[int]
    words: tuple[str, ...]


@lru_cache(maxsize=64)
def _prepare(text: str) -> _Prepared:
    # Cached: one article is matched against every column's rules in turn.
    clean = clean_text(text).text
    spans = tokenize_spans(clean)
    return _Prepared(
        folded=_fold(clean),
        starts=tuple(s for _, s, _ in spans),
        ends=tuple(e for _, _, e in spans),
        start_set=frozenset(s for _, s, _ in spans),
        end_set=frozenset(e for _, _, e in spans),
        words=tuple(w for w, _, _ in spans),
    )


def _inside_word_ok(keyword: str, p: _Prepared, start: int, end: int) -> bool:
    if len(keyword) < 2 or not (_CJK.match(keyword[0]) and _CJK.match(keyword[-1])):
        return False
    i = bisect_right(p.starts, start) - 1
    if i < 0 or end > p.ends[i]:
        return False  # not inside one word: it straddles a boundary
    word = p.words[i]
    return len(keyword) >= 3 or len(word) >= 4 or word in _terms()


@lru_cache(maxsize=1)
def _terms() -> frozenset[str]:
    return frozenset(terms())


def find_spans(keyword: str, p: _Prepared) -> list[tuple[int, int]]:
    """(start, end) of the occurrences of the folded ``keyword`` (:func:`keyword_form`) in
    a prepared text that respect word boundaries (module doc). Offsets are over the clean
    form of the text, which is the text itself when it was already clean."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while keyword:
        start = p.folded.find(keyword, pos)
        if start < 0:
            break
        end = start + len(keyword)
        if (start in p.start_set and end in p.end_set) or _inside_word_ok(keyword, p, start, end):
            spans.append((start, end))
            pos = end
        else:
            pos = start + 1
    return spans


def _count(keyword: str, p: _Prepared) -> int:
    """Occurrences of the (folded) keyword that respect word boundaries (module doc)."""
    return len(find_spans(keyword, p))


# The matching primitives, shared with the rule language (expr.py) and the score.
Prepared = _Prepared
prepare = _prepare
keyword_form = _keyword_form


def match_keywords(rules: ColumnRules, title: str, text: str) -> Match:
    """Whether an article fits keyword lists, with score, matched terms and reason.

    ``reason`` is ``excluded: <term>`` when an exclude keyword occurs (in title or text),
    ``no include term`` when none of the include keywords does, else a summary of
    where each include term was found. Never raises.
    """
    in_title, in_text = _prepare(title or ""), _prepare(text or "")
    for keyword in rules.exclude:
        form = _keyword_form(keyword)
        if form and (_count(form, in_title) or _count(form, in_text)):
            return Match(matched=False, reason=f"excluded: {keyword}")
    score = 0
    found: list[str] = []
    notes: list[str] = []
    for keyword in rules.include:
        form = _keyword_form(keyword)
        if not form:
            continue
        t, b = _count(form, in_title), _count(form, in_text)
        if t or b:
            score += TITLE_WEIGHT * t + b
            found.append(keyword)
            notes.append(f"{keyword} (title {t}, text {b})")
    if not found:
        return Match(matched=False, reason="no include term")
    return Match(matched=True, score=float(score), terms=tuple(found),
                 reason="include: " + "; ".join(notes))
