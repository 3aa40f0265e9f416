"""Cross-validation of the extractor's settings, and the per-page views of the benchmark
(``bench/extraction.py``). Pure: the caller runs the extractor and reads the corpus.

Why: the extractor's rules and thresholds were chosen looking at the corpus, so its
whole-corpus F1 is partly fitted to those pages (issue 17: a 0.046 lead there, 0.006 on
unseen pages of the same sources). Here a setting is scored only on pages it was not
chosen on:

1. the human-labelled pages are split into ``k`` folds by a seeded shuffle within each
   corpus source, dealt round-robin (every fold gets its share of each source);
2. every candidate setting (:func:`zhuanlan.extract.params.candidate_params`) is run once
   over all pages, giving one score per (setting, page);
3. for each fold, the tuner picks the setting with the best F1 on the other folds (the
   defaults win ties) and that setting's scores on the held-out fold are the fold's figure.

Running every setting once and picking per fold from the cached scores is the same as
re-running the tuner per fold (extraction of a page does not depend on other pages), and
k times cheaper.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, fields

from zhuanlan.extract.evaluation import CorpusPage, PageScore, summarize
from zhuanlan.extract.params import DEFAULT_PARAMS, ExtractParams, candidate_params

__all__ = ["folds", "cross_validate", "date_by_source", "catastrophic", "page_f1"]

CATASTROPHE = 0.8


def source_of(page_id: str) -> str:
    return page_id.split(":", 1)[0]


def folds(pages: list[CorpusPage], k: int, seed: int) -> list[list[str]]:
    """Page ids in ``k`` folds, stratified by source, fixed by ``seed``."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for page in pages:
        by_source[source_of(page.id)].append(page.id)
    rng = random.Random(seed)
    out: list[list[str]] = [[] for _ in range(k)]
    dealt = 0
    for source in sorted(by_source):
        ids = sorted(by_source[source])
        rng.shuffle(ids)
        for page_id in ids:
            out[dealt % k].append(page_id)
            dealt += 1
    return out


@dataclass
class Fold:
    index: int
    pages: int
    f1: float
    date_acc: float | None
    date_pages: int
    train_f1: float
    chosen_label: str


@dataclass
class CrossValidation:
    folds: list[Fold]
    mean_f1: float
    worst_f1: float
    date_acc: float        # pooled over the held-out pages with a date
    date_pages: int
    default_f1: float      # the production defaults on all pages (not held out)
    settings: int


def label(params: ExtractParams) -> str:
    """The knobs where ``params`` differs from the defaults ("defaults" when none)."""
    diff = [f"{f.name}={getattr(params, f.name)}" for f in fields(params)
            if getattr(params, f.name) != getattr(DEFAULT_PARAMS, f.name)]
    return ", ".join(diff) or "defaults"


def cross_validate(pages: list[CorpusPage], run: Callable[[ExtractParams], list[PageScore]],
                   *, k: int = 5, seed: int = 17,
                   candidates: list[ExtractParams] | None = None) -> CrossValidation:
    """``run(params)`` scores every page of ``pages`` (in order) with ``params``."""
    candidates = candidates or candidate_params()
    table = [{s.page_id: s for s in run(params)} for params in candidates]
    result: list[Fold] = []
    held_dates: list[bool] = []
    for index, test_ids in enumerate(folds(pages, k, seed)):
        test = set(test_ids)
        train_ids = [p.id for p in pages if p.id not in test]
        best_i, best_f1 = 0, -1.0
        for i, scores in enumerate(table):
            f1 = summarize([scores[pid] for pid in train_ids]).f1
            if f1 > best_f1:        # strict: the defaults (first) win ties
                best_i, best_f1 = i, f1
        held = [table[best_i][pid] for pid in test_ids]
        summary = summarize(held)
        held_dates.extend(s.date_ok for s in held if s.date_ok is not None)
        result.append(Fold(index + 1, len(test_ids), summary.f1, summary.date_acc,
                           summary.date_pages, best_f1, label(candidates[best_i])))
    f1s = [f.f1 for f in result]
    default_f1 = summarize(list(table[0].values())).f1
    return CrossValidation(result, sum(f1s) / len(f1s), min(f1s),
                           sum(held_dates) / len(held_dates) if held_dates else 0.0,
                           len(held_dates), default_f1, len(candidates))


def date_by_source(pages: list[CorpusPage], scores: list[PageScore]) -> dict[str, tuple[int, int]]:
    """(right, pages with a date) per corpus source."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for score in scores:
        if score.date_ok is not None:
            cell = out[source_of(score.page_id)]
            cell[0] += int(score.date_ok)
            cell[1] += 1
    return {src: (ok, n) for src, (ok, n) in out.items()}


def page_f1(score: PageScore) -> float:
    p = score.tp / (score.tp + score.fp) if score.tp + score.fp else 0.0
    r = score.tp / (score.tp + score.fn) if score.tp + score.fn else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def catastrophic(ours: list[PageScore], baselines: dict[str, list[PageScore]]
                 ) -> list[tuple[str, float, dict[str, float]]]:
    """Pages with ground truth where a baseline reaches body F1 ≥ 0.8 and we do not."""
    by_name = {name: {s.page_id: s for s in scores} for name, scores in baselines.items()}
    out = []
    for score in ours:
        if not score.has_truth:
            continue
        theirs = {name: page_f1(table[score.page_id]) for name, table in by_name.items()}
        mine = page_f1(score)
        if mine < CATASTROPHE and max(theirs.values(), default=0.0) >= CATASTROPHE:
            out.append((score.page_id, mine, theirs))
    return out
