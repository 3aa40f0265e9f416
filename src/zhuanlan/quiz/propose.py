"""答题 proposals from an issue's articles: deterministic, local, no model.

Each article is cut into sentences; a sentence is a candidate when it holds something
worth asking about — a term of the column's vocabulary (its rules' terms and the field's
``terms.txt``), a word rare in the corpus (``word_df``), a place, or a figure such as
"170多个". The best sentences become questions of three kinds:

- ``blank``: the sentence with the term or figure blanked ("已与___多个国家和地区…");
- ``choice``: the same with four options, the three distractors of the same kind drawn
  from the other articles (figures with figures, places with places, terms with terms);
- ``judge``: the sentence itself (正确) or its altered twin, a figure or term swapped
  (错误).

Every proposal cites its sentence and its answer occurs in it (for ``judge`` the true
statement is the sentence). The editor reviews every one before a reader sees it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import rjieba

from zhuanlan.text.tokenize import terms as field_terms

__all__ = ["BLANK", "KINDS", "JUDGE_CHOICES", "Proposal", "QuizSource", "propose",
           "sentences", "vocabulary"]

BLANK = "____"
KINDS = ("blank", "choice", "judge")
JUDGE_TRUE, JUDGE_FALSE = "正确", "错误"
JUDGE_CHOICES = (JUDGE_TRUE, JUDGE_FALSE)

# Sentence lengths (characters) a reader answers on a phone: shorter ones rarely carry a
# fact, longer ones are paragraphs without a full stop. Chosen on the sample articles.
MIN_SENTENCE, MAX_SENTENCE = 14, 100
PER_ARTICLE = 2
PER_ISSUE = 8

_STOPS = ("。", "！", "？", "；", "!", "?", ";", "”", "’", "」", "』", "）", ")")
_SENTENCE = re.compile(r"[^。！？；!?;\n]+(?:[。！？；!?;]+[”’」』）)]*)?")
# A figure: digits (with a decimal or thousands separator) followed by what it counts.
# The blank is the digits only ("170多个" → "___多个"), so the unit still tells the kind.
# 年, 月, 日 are not units here: a date is rarely the point a sentence makes.
_UNITS = "多余万亿%％个家项名人次条座所位倍件台套公千百元吨米平"
_FIGURE = re.compile(r"(?<![\d.A-Za-z])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
                     f"(?=[{_UNITS}])")
# The same in Chinese numerals ("四十余名", "二十余次"); one numeral alone (三个, 一起) is
# too common a word to ask about.
_NUMERALS = "零〇一二两三四五六七八九十百千万亿"
_CN_FIGURE = re.compile(f"(?<![{_NUMERALS}])([{_NUMERALS}]{{2,}})"
                        "(?=[多余个家项名人次条座所位倍件台套分])")
# A place worth asking about names its level (省, 市 …); rjieba tags many other words ns.
_PLACE = re.compile(r"[\u4e00-\u9fff]{1,8}(?:省|市|县|区|州|镇|乡|村|自治区)")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
# Words never worth a blank however rare the corpus says they are.
_STOP = frozenset("我们 他们 你们 这个 那个 一个 一些 以及 并且 但是 因为 所以 如果 通过 进行 "
                  "开展 推进 加强 坚持 工作 方面 问题 同志 记者 表示 指出 强调 认为 要求 今年 "
                  "目前 同时 其中 此外 已经 正在 不断 更加 进一步 有关 相关 重要 各级 全面 "
                  "深入 扎实 一批 一起 大家 自己 我国 我们的 本报".split())
_SKIP_LINE = re.compile(r"责任编辑|来源[:：]|编辑[:：]|记者|原标题|图片|扫码|点击|版权")


@dataclass(frozen=True)
class QuizSource:
    """One article of the issue, as the proposer sees it."""

    article_id: int
    title: str
    text: str


@dataclass(frozen=True)
class Proposal:
    article_id: int
    kind: str                 # blank, choice, judge
    prompt: str
    choices: tuple[str, ...]  # choice: four options; judge: 正确/错误; blank: ()
    answer: str
    sentence: str             # the article's sentence the question is made from
    target: str = ""          # what is asked about (the blanked or swapped words)


@dataclass(frozen=True)
class _Target:
    text: str
    start: int
    kind: str        # figure, numeral, place, term
    weight: float
    unit: str = ""   # a figure's unit (多, 个, %, 公 …): distractors share it


@dataclass
class _Candidate:
    source: QuizSource
    sentence: str
    index: int
    targets: list[_Target] = field(default_factory=list)
    score: float = 0.0


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` in order: cut after 。！？； (and a closing quote that
    follows) and at line breaks; stripped, empty ones dropped."""
    return [m.group().strip() for m in _SENTENCE.finditer(text or "") if m.group().strip()]


def vocabulary(*rule_texts: str) -> tuple[str, ...]:
    """The column's terms from its rule texts (include, title terms) and the field's
    terms, longest first, so that 党的二十大 wins over 二十大."""
    words = set(field_terms())
    for text in rule_texts:
        words.update(_CJK_WORD.findall(text or ""))
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


def _stable(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def _targets(sentence: str, title: str, vocab: Sequence[str], idf: Mapping[str, float]
             ) -> list[_Target]:
    found: list[_Target] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    figures = [(m, "figure") for m in _FIGURE.finditer(sentence)]
    figures += [(m, "numeral") for m in _CN_FIGURE.finditer(sentence)]
    for m, kind in figures:
        digits = m.group(1)
        # A lone digit is a guess anyone gets; a figure written twice gives itself away.
        if len(digits.replace(",", "").replace(".", "")) < 2 or sentence.count(digits) > 1:
            continue
        found.append(_Target(digits, m.start(), kind, 3.0, sentence[m.end():m.end() + 1]))
        taken.append((m.start(), m.end()))
    for term in vocab:
        at = sentence.find(term)
        if (at >= 0 and term not in title and free(at, at + len(term))
                and sentence.count(term) == 1):
            found.append(_Target(term, at, "term", 2.5 + 0.2 * len(term)))
            taken.append((at, at + len(term)))
    pos = 0
    for word, tag in rjieba.tag(sentence):
        start, pos = pos, pos + len(word)
        if (sentence[start:pos] != word or len(word) < 2 or word in _STOP or word in title
                or not free(start, pos)
                or not _CJK_WORD.fullmatch(word) or sentence.count(word) > 1):
            continue
        if tag == "ns" and _PLACE.fullmatch(word) and len(word) >= 3:
            found.append(_Target(word, start, "place", 2.0))
            taken.append((start, pos))
        elif tag in ("n", "nz", "nt", "vn", "l", "i") and idf.get(word, 0.0) >= 2.5 \
                and len(word) >= 3:
            found.append(_Target(word, start, "term", 0.4 * idf[word]))
            taken.append((start, pos))
    return sorted(found, key=lambda t: (-t.weight, t.start))


def _candidates(src: QuizSource, vocab: Sequence[str], idf: Mapping[str, float]
                ) -> list[_Candidate]:
    out = []
    for i, sentence in enumerate(sentences(src.text)):
        if not MIN_SENTENCE <= len(sentence) <= MAX_SENTENCE or _SKIP_LINE.search(sentence):
            continue
        # A line without a full stop is a heading or a caption, not a statement.
        if not sentence.endswith(_STOPS) or (
                sentence.count("“") != sentence.count("”")
                or sentence.count("「") != sentence.count("」")):
            continue
        targets = _targets(sentence, src.title, vocab, idf)
        if not targets:
            continue
        # Facts first, and earlier sentences (the lead says what matters) slightly before;
        # a list of figures (distances, prices) is data, not a point to remember.
        figures = sum(t.kind in ("figure", "numeral") for t in targets)
        score = sum(t.weight for t in targets[:2]) - 0.02 * i - 2.0 * max(0, figures - 2)
        out.append(_Candidate(src, sentence, i, targets, score))
    return sorted(out, key=lambda c: (-c.score, c.index))


def _pool(candidates: Sequence[_Candidate]) -> dict[tuple[int, str], list[str]]:
    """Targets by (article id, kind), in first-seen order: the distractors' source."""
    pool: dict[tuple[int, str], list[str]] = {}
    for c in candidates:
        for t in c.targets:
            key = f"{t.kind}:{t.unit}" if t.unit else t.kind
            words = pool.setdefault((c.source.article_id, key), [])
            if t.text not in words:
                words.append(t.text)
    return pool


def _figure_twins(value: str) -> list[str]:
    """Plausible wrong figures for ``value`` (same number of decimals), for when the
    other articles have too few of the same unit."""
    plain = value.replace(",", "")
    if "." in plain:
        places = len(plain.split(".")[1])
        x = float(plain)
        return [f"{v:.{places}f}" for v in (x * 2, x * 1.5, x / 2, x * 3) if v > 0]
    n = int(plain)
    return [str(v) for v in (n * 2, n + max(1, n // 2), max(1, n // 2), n + 10, n * 3)
            if v != n and v > 0]


def _distractors(target: _Target, article_id: int, sentence: str,
                 pool: Mapping[tuple[int, str], list[str]], vocab: Sequence[str],
                 want: int) -> list[str]:
    key = f"{target.kind}:{target.unit}" if target.unit else target.kind
    others = [w for (aid, kind), words in sorted(pool.items())
              if kind == key and aid != article_id for w in words]
    same = pool.get((article_id, key), [])
    fallback: list[str] = []
    if target.kind == "figure":
        fallback = _figure_twins(target.text)
    elif target.kind == "term":
        fallback = [w for w in vocab if 2 <= len(w) <= 8]
    out: list[str] = []
    for w in (*others, *same, *fallback):
        if target.kind == "figure" and ("." in w) != ("." in target.text):
            continue
        if (w != target.text and w not in out and w not in sentence
                and target.text not in w and w not in target.text):
            out.append(w)
    # Deterministic but not always the first ones seen: rank by a hash of the sentence.
    first = sorted(out[:12], key=lambda w: _stable(sentence, w))
    return first[:want]


def _make(kind: str, c: _Candidate, target: _Target, pool, vocab) -> Proposal | None:
    s, aid = c.sentence, c.source.article_id
    before, after = s[:target.start], s[target.start + len(target.text):]
    if kind == "blank":
        return Proposal(aid, "blank", before + BLANK + after, (), target.text, s, target.text)
    wrong = _distractors(target, aid, s, pool, vocab, 3 if kind == "choice" else 1)
    if kind == "choice":
        if len(wrong) < 3:
            return None
        options = sorted([target.text, *wrong], key=lambda w: _stable(s, "order", w))
        return Proposal(aid, "choice", before + "（　）" + after, tuple(options),
                        target.text, s, target.text)
    # judge: the sentence as it is, or its twin with one figure or term swapped.
    if _stable(s, "judge") % 2 == 0 or not wrong:
        return Proposal(aid, "judge", s, JUDGE_CHOICES, JUDGE_TRUE, s, target.text)
    return Proposal(aid, "judge", before + wrong[0] + after, JUDGE_CHOICES, JUDGE_FALSE, s,
                    target.text)


def propose(articles: Sequence[QuizSource], *, vocab: Sequence[str] = (),
            word_df: Mapping[str, int] | None = None, n_docs: int = 0,
            per_article: int = PER_ARTICLE, limit: int = PER_ISSUE) -> list[Proposal]:
    """Questions for an issue of ``articles`` (in the issue's order), at most
    ``per_article`` from one article and ``limit`` in all, the kinds taken in turn.

    ``vocab``: the column's terms (``vocabulary()``); ``word_df`` / ``n_docs``: the corpus
    statistics, so that a rare word counts as a term. Same input, same output. Never
    raises; an article without a sentence worth asking about adds nothing.
    """
    vocab = tuple(vocab) or vocabulary()
    idf = {w: math.log((n_docs + 1) / (df + 0.5)) for w, df in (word_df or {}).items()
           if n_docs and df > 0}
    per_source = [_candidates(a, vocab, idf) for a in articles]
    pool = _pool([c for cands in per_source for c in cands])
    chosen: list[Proposal] = []
    used_answers: set[str] = set()
    used_sentences: set[str] = set()
    taken = [0] * len(articles)
    cursor = [0] * len(articles)
    turn = 0
    progress = True
    while len(chosen) < limit and progress:
        progress = False
        # Round robin over the articles, so that every article gets its question before
        # any gets a second one.
        for ai, cands in enumerate(per_source):
            if len(chosen) >= limit or taken[ai] >= per_article:
                continue
            while cursor[ai] < len(cands):
                c = cands[cursor[ai]]
                cursor[ai] += 1
                if c.sentence in used_sentences:
                    continue
                made = _first_fit(c, turn, pool, vocab, used_answers)
                if made is None:
                    continue
                chosen.append(made)
                used_answers.add(made.target)
                used_sentences.add(c.sentence)
                taken[ai] += 1
                turn += 1
                progress = True
                break
    return chosen


def _first_fit(c: _Candidate, turn: int, pool, vocab, used: set[str]) -> Proposal | None:
    # Kinds in turn (blank, choice, judge, blank …); when the turn's kind cannot be made
    # from this sentence (no three distractors), the next kind is tried.
    for k in range(len(KINDS)):
        kind = KINDS[(turn + k) % len(KINDS)]
        for target in c.targets[:2]:
            if target.text in used:
                continue
            made = _make(kind, c, target, pool, vocab)
            if made is not None:
                return made
    return None
