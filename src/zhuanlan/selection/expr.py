"""The rule language of a column: include / exclude expressions over title and body.

Grammar (precedence from loosest to tightest: OR < AND < NOT)::

    expr    := and_expr ( OR and_expr )*
    and_expr:= unary ( [AND] unary )*          juxtaposition is AND
    unary   := NOT unary | title: unary | atom
    atom    := ( expr ) | "phrase" | term

Spellings
---------
========  ===================================================================
OR        ``OR``, ``或``, ``|`` ``｜``, and — for the keyword lists columns were
          written with — the separators ``,`` ``，`` ``、`` ``;`` ``；`` and a line
          break (``二十大，中国式现代化`` is 二十大 OR 中国式现代化).
AND       ``AND``, ``且``, ``&`` ``＆``, or nothing: ``学习 二十大`` is 学习 AND 二十大,
          as in every search box. (A keyword list cell ``两个 确立`` therefore now
          means both words anywhere, no longer the literal string with its space.)
NOT       ``NOT``, ``非``, ``!`` ``！``, and ``-`` ``－`` at the start of a term
          (``二十大 -体育``; inside a word, as in ``COVID-19``, a hyphen is a hyphen).
( )       also full-width ``（ ）``.
phrase    ``"…"``, ``“…”`` or ``「…」``: may hold spaces and operator characters;
          spaces between two Chinese characters are dropped (Chinese has none).
title:    ``title:`` (or ``标题:`` / ``标题：``) before a term, phrase or parenthesis:
          the terms under it count only in the title.
========  ===================================================================

The word operators are operators only as whole tokens between spaces or brackets:
``AND``/``OR``/``NOT`` upper-case only (``and`` is an English term), and 且/或/非 only
standing alone, so 非公有制经济 and 或者 stay terms.

A term matches like a keyword of :mod:`zhuanlan.selection.rules` (whole words or runs
of whole words of the jieba-segmented, Simplified, case-folded text, plus that module's
substring rule for field terms and long words).

Errors
------
:func:`parse` raises :class:`~zhuanlan.errors.RuleError` whose ``position`` attribute is
the 0-based offset of the error in the expression and whose message counts characters
from 1 (``第 12 个字符处缺少右括号``), the way an editor counts. An expression that
would hold for an article containing none of its terms (``-体育`` alone) is refused:
a column would propose every article.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from zhuanlan.errors import RuleError
from zhuanlan.selection.rules import MAX_KEYWORD_CHARS, MAX_KEYWORDS, keyword_form

__all__ = ["Term", "Not", "And", "Or", "Expr", "parse", "positive_terms", "all_terms",
           "holds", "rule_error"]

TITLE = "title"
ANY = "any"


@dataclass(frozen=True)
class Term:
    text: str          # as written (without quotes)
    form: str          # clean, case-folded form that is searched for
    field: str         # ANY or TITLE
    start: int         # offset in the expression
    phrase: bool = False


@dataclass(frozen=True)
class Not:
    item: Expr


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


Expr = Term | Not | And | Or


MAX_NESTING = 32


def rule_error(message: str, position: int, resource: str | None) -> RuleError:
    """A RuleError carrying the 0-based ``position`` of the fault in the expression."""
    exc = RuleError(message, resource=resource)
    exc.position = position  # type: ignore[attr-defined]
    return exc


# --- lexer ---------------------------------------------------------------------------

_QUOTES = {'"': '"', "“": "”", "「": "」", "＂": "＂"}
_SEPARATORS = set(",，、﹐､;；\n\r")
_SPECIAL = set("()（）&＆|｜!！") | set(_QUOTES) | set("”」") | _SEPARATORS
_WORD_OPS = {"AND": "AND", "且": "AND", "OR": "OR", "或": "OR", "NOT": "NOT", "非": "NOT"}
_FIELD = re.compile(r"(?i)(title|标题)[:：]")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])\s+(?=[\u3400-\u9fff\uf900-\ufaff])")


@dataclass(frozen=True)
class _Tok:
    kind: str     # TERM PHRASE LP RP AND OR NOT FIELD SEP END
    value: str
    pos: int


def _lex(s: str, resource: str | None) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch in _SEPARATORS:
            toks.append(_Tok("SEP", ch, i))
            i += 1
        elif ch.isspace():
            i += 1
        elif ch in "(（":
            toks.append(_Tok("LP", ch, i))
            i += 1
        elif ch in ")）":
            toks.append(_Tok("RP", ch, i))
            i += 1
        elif ch in "&＆":
            toks.append(_Tok("AND", ch, i))
            i += 1
        elif ch in "|｜":
            toks.append(_Tok("OR", ch, i))
            i += 1
        elif ch in "!！-－":
            # A hyphen reaches here only at the start of a token: inside a word the
            # word loop below takes it (COVID-19).
            toks.append(_Tok("NOT", ch, i))
            i += 1
        elif ch in _QUOTES:
            close = s.find(_QUOTES[ch], i + 1)
            if close < 0:
                raise rule_error(f"第 {i + 1} 个字符处的引号没有配对的右引号", i, resource)
            toks.append(_Tok("PHRASE", s[i + 1:close], i))
            i = close + 1
        elif ch in "”」":
            raise rule_error(f"第 {i + 1} 个字符处的右引号没有配对的左引号", i, resource)
        else:
            j = i
            while j < n and not s[j].isspace() and s[j] not in _SPECIAL:
                j += 1
            word = s[i:j]
            field = _FIELD.match(word)
            if field:
                # What follows the colon is lexed afresh (title:-体育, title:(…)).
                toks.append(_Tok("FIELD", TITLE, i))
                i += field.end()
                continue
            toks.append(_Tok(_WORD_OPS[word], word, i) if word in _WORD_OPS
                        else _Tok("TERM", word, i))
            i = j
    # Keyword lists: empty items (``二十大,,学习``, a trailing comma) are ignored.
    out: list[_Tok] = []
    for tok in toks:
        if tok.kind == "SEP":
            if out and out[-1].kind not in ("SEP", "OR", "LP"):
                out.append(tok)
        else:
            out.append(tok)
    while out and out[-1].kind == "SEP":
        out.pop()
    out.append(_Tok("END", "", n))
    return out


# --- parser --------------------------------------------------------------------------

_ATOM_START = ("TERM", "PHRASE", "LP", "NOT", "FIELD")
_NAMES = {"SEP": "分隔符", "RP": "右括号"}


class _Parser:
    def __init__(self, toks: list[_Tok], resource: str | None) -> None:
        self.toks, self.i, self.resource, self.depth = toks, 0, resource, 0
        self.terms = 0
        self.nesting = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, message: str, pos: int) -> RuleError:
        return rule_error(f"第 {pos + 1} 个字符处{message}", pos, self.resource)

    def expr(self, field: str) -> Expr:
        items = [self.and_expr(field)]
        while self.peek().kind in ("OR", "SEP"):
            self.take()
            items.append(self.and_expr(field))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self, field: str) -> Expr:
        items = [self.unary(field)]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
            elif kind not in _ATOM_START:
                break
            items.append(self.unary(field))
        return items[0] if len(items) == 1 else And(tuple(items))

    def nest(self, tok: _Tok) -> None:
        # Parentheses and NOT nest; a person writes a few levels, an attacker thousands
        # (which would exhaust Python's recursion, here and where rules are evaluated).
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"嵌套超过 {MAX_NESTING} 层（括号或 NOT 太多）", tok.pos)

    def unary(self, field: str) -> Expr:
        tok = self.peek()
        if tok.kind == "NOT":
            self.take()
            self.nest(tok)
            inner = Not(self.unary(field))
            self.nesting -= 1
            return inner
        if tok.kind == "FIELD":
            self.take()
            return self.unary(TITLE)
        return self.atom(field)

    def atom(self, field: str) -> Expr:
        tok = self.take()
        if tok.kind == "LP":
            self.depth += 1
            self.nest(tok)
            inner = self.expr(field)
            close = self.peek()
            if close.kind != "RP":
                raise self.error(f"缺少右括号（第 {tok.pos + 1} 个字符处的左括号没有闭合）",
                                 close.pos)
            self.take()
            self.depth -= 1
            self.nesting -= 1
            return inner
        if tok.kind in ("TERM", "PHRASE"):
            return self.term(tok, field)
        if tok.kind == "END":
            raise self.error("缺少检索词", tok.pos)
        if tok.kind == "RP" and self.depth == 0:
            raise self.error("多了一个右括号", tok.pos)
        raise self.error(f"的{_NAMES.get(tok.kind, f'“{tok.value}”')}前面缺少检索词", tok.pos)

    def term(self, tok: _Tok, field: str) -> Term:
        text = tok.value
        if tok.kind == "PHRASE":
            text = _CJK_GAP.sub("", " ".join(text.split()))
            if not text:
                raise self.error("的引号里是空的", tok.pos)
        form = keyword_form(text)
        if not any(ch.isalnum() for ch in form):
            raise self.error(f"的“{text[:20]}”不含文字或数字", tok.pos)
        if len(text) > MAX_KEYWORD_CHARS:
            raise self.error(f"的检索词超过 {MAX_KEYWORD_CHARS} 个字符", tok.pos)
        self.terms += 1
        if self.terms > MAX_KEYWORDS:
            raise self.error(f"超出了检索词上限（{MAX_KEYWORDS} 个）", tok.pos)
        return Term(text=text, form=form, field=field, start=tok.pos,
                    phrase=tok.kind == "PHRASE")


def parse(text: str, *, resource: str | None = None, field: str = ANY) -> Expr | None:
    """The expression an editor wrote, or None when it is empty (only spaces/commas).
    ``field=TITLE`` makes every term a title term (a column's "terms in the title").

    Raises :class:`~zhuanlan.errors.RuleError` with ``position`` (0-based offset) on
    a syntax error, an empty phrase, a term without letters or digits, a term longer
    than ``MAX_KEYWORD_CHARS``, more than ``MAX_KEYWORDS`` terms, or an expression that
    holds when none of its terms occurs.
    """
    toks = _lex(text or "", resource)
    if toks[0].kind == "END":
        return None
    parser = _Parser(toks, resource)
    tree = parser.expr(field)
    rest = parser.peek()
    if rest.kind == "RP":
        raise parser.error("多了一个右括号", rest.pos)
    if rest.kind != "END":  # pragma: no cover - every other token continues an AND
        raise parser.error("无法识别", rest.pos)
    if holds(tree, lambda term: False):
        raise rule_error("条件在文章不含任何检索词时也成立；请至少写一个必须出现的词",
                         0, resource)
    return tree


def holds(node: Expr, present: Callable[[Term], bool]) -> bool:
    """Whether the expression holds, given which terms are present."""
    if isinstance(node, Term):
        return present(node)
    if isinstance(node, Not):
        return not holds(node.item, present)
    if isinstance(node, And):
        return all(holds(item, present) for item in node.items)
    return any(holds(item, present) for item in node.items)


def all_terms(node: Expr | None) -> list[Term]:
    """Every term of the expression, in the order written."""
    out: list[Term] = []
    _walk(node, True, out, positive_only=False)
    return out


def positive_terms(node: Expr | None) -> list[Term]:
    """The terms whose presence speaks for a match (not under an odd number of NOTs),
    in the order written: the ones scored and highlighted."""
    out: list[Term] = []
    _walk(node, True, out, positive_only=True)
    return out


def _walk(node: Expr | None, positive: bool, out: list[Term], *, positive_only: bool) -> None:
    if node is None:
        return
    if isinstance(node, Term):
        if positive or not positive_only:
            out.append(node)
    elif isinstance(node, Not):
        _walk(node.item, not positive, out, positive_only=positive_only)
    else:
        for item in node.items:
            _walk(item, positive, out, positive_only=positive_only)
