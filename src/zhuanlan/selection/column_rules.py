"""A column's complete rules, and whether a candidate article passes them.

A column's rules are an include expression and an exclude expression in the rule
language of :mod:`zhuanlan.selection.expr`, terms that must be in the title, a source
filter, a date window and a minimum length. :func:`parse_rules` checks what the editor
wrote (on save); :func:`evaluate` applies the rules to one article (at ingest) and gives
its relevance score (:mod:`zhuanlan.selection.score`) and reasons.

Checks, in order, the first failing one giving the reason:

1. source — ``sources`` empty means every source; otherwise the article's source id or
   name must be listed (names compared case- and width-insensitively);
2. date window — ``published`` no older than ``max_age_days`` before ``now``; an
   article without a date passes (the editor sees it and decides);
3. minimum length — characters of the text, whitespace not counted;
4. exclude expression — the article is refused when it holds;
5. title terms — an expression whose terms count in the title only;
6. include expression.

Reasons are Chinese, for the review page: ``命中：二十大（标题 1，正文 3）``,
``排除：体育``, ``未命中包含条件``, ``标题不含：…``, ``来源不在本栏目范围``,
``发布于 9 天前，超出 7 天``, ``正文 120 字，少于 300 字``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from zhuanlan.errors import RuleError
from zhuanlan.model import ColumnRules, Match
from zhuanlan.selection.expr import TITLE, Expr, Term, all_terms, holds, parse, positive_terms
from zhuanlan.selection.rules import find_spans, match_keywords, prepare
from zhuanlan.selection.score import CorpusStats, relevance

__all__ = ["Rules", "Doc", "parse_rules", "evaluate"]

MAX_AGE_DAYS_LIMIT = 3650


@dataclass(frozen=True)
class Rules:
    """A column's parsed rules. Keep the texts (``include_text`` …) in the store and
    parse them again when loading: parsing is fast and the texts are what the editor
    edits."""

    include: Expr
    exclude: Expr | None = None
    title: Expr | None = None
    sources: frozenset[str] = frozenset()
    max_age_days: int | None = None
    min_length: int = 0
    include_text: str = ""
    exclude_text: str = ""
    title_text: str = ""

    def terms(self) -> tuple[Term, ...]:
        """The positive terms of include and title expressions: scored and highlighted."""
        return tuple(positive_terms(self.include) + positive_terms(self.title))


@dataclass(frozen=True)
class Doc:
    """What the rules look at in a candidate article (clean title and text)."""

    title: str
    text: str
    source_id: int | str | None = None
    source_name: str | None = None
    published: datetime | None = None
    now: datetime | None = None


def _source_key(value: int | str) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()


def parse_rules(include: str, exclude: str = "", *, title_terms: str = "",
                sources: Iterable[int | str] = (), max_age_days: int | None = None,
                min_length: int = 0) -> Rules:
    """Parse and check a column's rules as an editor wrote them.

    Raises :class:`~zhuanlan.errors.RuleError` with ``resource`` the field at fault
    (``include``, ``exclude``, ``title_terms``, ``sources``, ``max_age_days``,
    ``min_length``) and, for expressions, ``position`` (0-based offset); when include is
    empty; when a term is both a positive include term and an exclude term.
    """
    inc = parse(include, resource="include")
    if inc is None:
        raise RuleError("至少需要一个包含条件", resource="include")
    exc = parse(exclude or "", resource="exclude") if (exclude or "").strip() else None
    # An exclude expression refuses an article when it holds; one that holds with no
    # term present would refuse everything, which parse() already rejects.
    ttl = (parse(title_terms or "", resource="title_terms", field=TITLE)
           if (title_terms or "").strip() else None)
    both = ({t.form for t in positive_terms(inc)} & {t.form for t in positive_terms(exc)})
    if both:
        rule_err = RuleError(f"词既在包含条件又在排除条件中：{'、'.join(sorted(both))}",
                             resource="exclude")
        first = next(t for t in all_terms(exc) if t.form in both)
        rule_err.position = first.start  # type: ignore[attr-defined]
        raise rule_err
    keys: set[str] = set()
    if isinstance(sources, (str, int)):
        sources = (sources,)    # one source given bare, not its characters
    for s in sources or ():
        if isinstance(s, bool) or not isinstance(s, (int, str)) or not _source_key(s):
            raise RuleError(f"来源应为编号或名称：{s!r}", resource="sources")
        keys.add(_source_key(s))
    if max_age_days is not None and (isinstance(max_age_days, bool) or not isinstance(max_age_days, int)
                                     or not 0 < max_age_days <= MAX_AGE_DAYS_LIMIT):
        raise RuleError(f"时间范围应为 1 到 {MAX_AGE_DAYS_LIMIT} 天", resource="max_age_days")
    if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 0:
        raise RuleError("最短字数应为不小于 0 的整数", resource="min_length")
    return Rules(include=inc, exclude=exc, title=ttl, sources=frozenset(keys),
                 max_age_days=max_age_days, min_length=min_length,
                 include_text=include, exclude_text=exclude or "", title_text=title_terms or "")


def _present(doc: Doc):
    pt, pb = prepare(doc.title or ""), prepare(doc.text or "")
    cache: dict[tuple[str, str], bool] = {}

    def present(term: Term) -> bool:
        key = (term.form, term.field)
        if key not in cache:
            cache[key] = bool(find_spans(term.form, pt)) or (
                term.field != TITLE and bool(find_spans(term.form, pb)))
        return cache[key]
    return present


def evaluate(rules: Rules, doc: Doc, stats: CorpusStats | None = None) -> Match:
    """Whether ``doc`` passes ``rules`` (module doc for the order of checks), with the
    BM25F score of the column's terms, the matched positive terms and a reason. A refused
    document has score 0. Never raises."""
    if rules.sources:
        keys = {_source_key(v) for v in (doc.source_id, doc.source_name) if v not in (None, "")}
        if not keys & rules.sources:
            return Match(matched=False, reason="来源不在本栏目范围")
    if rules.max_age_days is not None and doc.published is not None and doc.now is not None:
        age = (doc.now - doc.published).total_seconds() / 86400
        if age > rules.max_age_days:
            return Match(matched=False,
                         reason=f"发布于 {int(age)} 天前，超出 {rules.max_age_days} 天")
    if rules.min_length:
        length = sum(1 for ch in doc.text or "" if not ch.isspace())
        if length < rules.min_length:
            return Match(matched=False, reason=f"正文 {length} 字，少于 {rules.min_length} 字")
    present = _present(doc)
    if rules.exclude is not None and holds(rules.exclude, present):
        found = [t.text for t in positive_terms(rules.exclude) if present(t)]
        return Match(matched=False, reason="排除：" + "、".join(found or ["排除条件成立"]))
    if rules.title is not None and not holds(rules.title, present):
        return Match(matched=False, reason="标题不含：" + rules.title_text.strip())
    if not holds(rules.include, present):
        return Match(matched=False, reason="未命中包含条件")
    rel = relevance(rules.terms(), doc.title, doc.text, stats)
    return Match(matched=True, score=rel.score, terms=rel.terms, reason=rel.reason())


def match(rules: ColumnRules | Rules, title: str, text: str) -> Match:
    """Whether an article fits a column's rules, with score, matched terms and reason:
    keyword lists (:func:`~zhuanlan.selection.rules.match_keywords`), or parsed
    :class:`Rules` (the rule language) as ``evaluate(rules, Doc(title, text))`` — no
    source, date or corpus statistics — so callers can move to the new rules one at a
    time. Never raises."""
    if isinstance(rules, ColumnRules):
        return match_keywords(rules, title, text)
    return evaluate(rules, Doc(title or "", text or ""))
