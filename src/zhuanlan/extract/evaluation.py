"""Scoring extraction against ground truth: body P/R/F1, title and date accuracy.

Shared by ``bench/extraction.py`` and the quality gate (``tests/quality``) so both
measure the same thing. Pure functions, no I/O except :func:`load_corpus`.

Body scoring reproduces the scrapinghub article-extraction-benchmark as the corpus README
describes it: per page, true positives / false positives / false negatives over a bag of
characters (Chinese: every ``\\w`` character after NFKC) or of ``\\w+`` tokens (other
languages), normalised so that tp + fp + fn = 1 (long pages weigh no more than short ones);
precision averaged over pages with output, recall over pages with ground truth, F1 the
harmonic mean of the two averages. Chinese text is converted to Simplified (OpenCC t2s)
on both sides first.

Title accuracy: exact match after normalisation (:func:`normalize_title`: NFKC,
Simplified, whitespace and punctuation removed, lower-cased). Date accuracy: the same
calendar day in Asia/Shanghai.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

__all__ = ["PageScore", "Summary", "CorpusPage", "body_counts", "normalize_title",
           "title_match", "date_match", "summarize", "load_corpus", "score_page"]

_WORD = re.compile(r"\w", re.UNICODE)
_TOKEN = re.compile(r"\w+", re.UNICODE)
_CHINA = ZoneInfo("Asia/Shanghai")


@lru_cache(maxsize=1)
def _t2s():
    import opencc
    return opencc.OpenCC("t2s")


def _simplified(text: str) -> str:
    return _t2s().convert(text)


def _bag(text: str, lang: str | None) -> Counter:
    text = unicodedata.normalize("NFKC", text or "")
    if (lang or "").startswith("zh"):
        return Counter(_WORD.findall(_simplified(text)))
    return Counter(t.lower() for t in _TOKEN.findall(text))


def body_counts(predicted: str | None, truth: str | None,
                lang: str | None) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page; (0, 0, 0) when both sides are empty."""
    pred, true = _bag(predicted or "", lang), _bag(truth or "", lang)
    tp = sum((pred & true).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    if not total:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


_TITLE_DROP = re.compile(r"[\W_]+", re.UNICODE)


def normalize_title(title: str | None) -> str:
    """NFKC, Simplified, lower-case, without whitespace and punctuation."""
    text = unicodedata.normalize("NFKC", title or "")
    return _TITLE_DROP.sub("", _simplified(text)).lower()


def title_match(predicted: str | None, truth: str | None) -> bool:
    return bool(truth) and normalize_title(predicted) == normalize_title(truth)


def date_match(predicted: datetime | str | None, truth: str | date | None) -> bool:
    """Whether ``predicted`` falls on the day ``truth`` (``YYYY-MM-DD``) in Beijing time."""
    if not predicted or not truth:
        return False
    if isinstance(predicted, str):
        try:
            predicted = datetime.fromisoformat(predicted)
        except ValueError:
            return False
    if predicted.tzinfo is not None:
        predicted = predicted.astimezone(_CHINA)
    want = truth if isinstance(truth, date) else date.fromisoformat(str(truth)[:10])
    return predicted.date() == want


@dataclass
class PageScore:
    """One extractor's result on one page."""

    page_id: str
    has_output: bool
    has_truth: bool
    tp: float = 0.0
    fp: float = 0.0
    fn: float = 0.0
    title_ok: bool | None = None     # None: the page has no headline ground truth
    date_ok: bool | None = None      # None: the page has no ground-truth date


@dataclass
class Summary:
    pages: int
    precision: float
    recall: float
    f1: float
    title_acc: float | None
    title_pages: int
    date_acc: float | None
    date_pages: int
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CorpusPage:
    id: str
    path: Path
    url: str
    lang: str | None
    body: str | None
    title: str | None
    title_kind: str | None
    date: str | None
    human: bool
    content_type: str | None = None


def score_page(page: CorpusPage, *, text: str | None, title: str | None,
               published: datetime | str | None) -> PageScore:
    has_output = bool(text and text.strip())
    score = PageScore(page.id, has_output, bool(page.body))
    if page.body:
        score.tp, score.fp, score.fn = body_counts(text, page.body, page.lang)
    if page.title and page.title_kind == "headline":
        score.title_ok = title_match(title, page.title)
    if page.date:
        score.date_ok = date_match(published, page.date)
    return score


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def summarize(scores: list[PageScore]) -> Summary:
    """Precision over pages with output and ground truth, recall over pages with
    ground truth (a page with no output counts as recall 0), F1 their harmonic mean."""
    precisions = [s.tp / (s.tp + s.fp) if s.tp + s.fp else 0.0
                  for s in scores if s.has_output and s.has_truth]
    recalls = [s.tp / (s.tp + s.fn) if s.tp + s.fn else 0.0 for s in scores if s.has_truth]
    p, r = _mean(precisions), _mean(recalls)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    titles = [s.title_ok for s in scores if s.title_ok is not None]
    dates = [s.date_ok for s in scores if s.date_ok is not None]
    return Summary(
        pages=len(scores), precision=p, recall=r, f1=f1,
        title_acc=_mean([float(t) for t in titles]) if titles else None,
        title_pages=len(titles),
        date_acc=_mean([float(d) for d in dates]) if dates else None,
        date_pages=len(dates),
        failures=[s.page_id for s in scores if s.has_truth and not s.has_output])


def load_corpus(root: Path, *, lang: str = "zh") -> list[CorpusPage]:
    """The pages of the extraction corpus (``index.jsonl``) in ``lang`` that have some
    ground truth. Raises FileNotFoundError when the corpus is missing."""
    index = Path(root) / "index.jsonl"
    pages = []
    with index.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if not (row.get("lang") or "").startswith(lang):
                continue
            if not (row.get("body") or row.get("title") or row.get("date")):
                continue
            origin = row.get("gt_origin") or ""
            pages.append(CorpusPage(
                id=row["id"], path=Path(root) / row["html_path"],
                # Pages without an original URL get a neutral one: nothing in it may help.
                url=row.get("url") or f"http://corpus.invalid/{row['id'].replace(':', '/')}",
                lang=row.get("lang"), body=row.get("body"), title=row.get("title"),
                title_kind=row.get("title_kind"), date=row.get("date"),
                human=origin.startswith("human")))
    return pages


def read_page(page: CorpusPage) -> bytes:
    data = page.path.read_bytes()
    if page.path.suffix == ".gz":
        import gzip
        data = gzip.decompress(data)
    return data
