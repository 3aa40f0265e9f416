"""Prequential replay of an editor's decision log: how well the learned ordering of the
queue does against the keyword score alone. Shared by ``bench/selection.py`` and the
quality gate ``tests/quality/test_selection_gate.py``.

The log is JSON lines ``{ts, column, title, text, source, decision}`` (``decision`` is
``approve`` or ``reject``; ``ts`` ISO 8601 with offset); the columns' rules are
``{slug: {include, exclude}}``.

Replay, in time order
---------------------
* **Queues are daily batches per column**: the candidates of one column whose ``ts``
  falls on one calendar day (in the offset ``ts`` carries, Beijing time in the shipped
  log). The day's articles are added to the corpus statistics first (they were ingested
  during the day), then each is evaluated against the column's rules: its BM25F score
  is the **baseline** (keyword score alone).
* **p@10**: at the start of each day, before any of that day's decisions is learnt, the
  column's learner orders the whole queue (:meth:`Learner.order`) and the baseline
  orders it by score; precision@10 is the share of approved items among the first 10
  (queues of fewer than 10 items are skipped). Reported: the mean over the queues for
  which the learner was ``ready`` at the start of the day; the baseline figure is the
  mean over the same queues.
* **AUC**: then the editor decides the day's items in ``ts`` order; for each decision
  the learner scores the item *before* learning it (prequential), then learns it.
  ROC AUC (Mann–Whitney, ties count half) pools every decision made while the learner
  was ready; the baseline AUC is the keyword score's over the same decisions.

Before the learner is ready the queue is ordered by keyword score, so those decisions
count for neither side.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from zhuanlan.selection.column_rules import Doc, evaluate, parse_rules
from zhuanlan.selection.learn import Learner, featurize
from zhuanlan.selection.score import CorpusStats

__all__ = ["Decision", "load_log", "load_columns", "replay", "Report", "auc", "precision_at"]


@dataclass(frozen=True)
class Decision:
    ts: datetime
    column: str
    title: str
    text: str
    source: str
    approved: bool


class Model(Protocol):
    @property
    def ready(self) -> bool: ...

    def predict(self, features: dict[int, float]) -> float: ...
    def update(self, features: dict[int, float], label: bool) -> float: ...


def load_log(path: str | Path) -> list[Decision]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out.append(Decision(datetime.fromisoformat(r["ts"]), r["column"], r["title"],
                                    r["text"], r["source"], r["decision"] == "approve"))
    out.sort(key=lambda d: d.ts)   # stable: equal times keep the file's order
    return out


def load_columns(path: str | Path) -> dict[str, dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def auc(scores: list[float], labels: list[bool]) -> float:
    """ROC AUC by ranks (ties share the average rank); 0.5 without both labels."""
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return 0.5
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels) if y)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def precision_at(ranked_labels: list[bool], k: int = 10) -> float:
    return sum(ranked_labels[:k]) / k


@dataclass
class Report:
    auc: float = 0.0
    baseline_auc: float = 0.0
    p_at_10: float = 0.0
    baseline_p_at_10: float = 0.0
    decisions: int = 0
    evaluated: int = 0          # decisions scored while the learner was ready
    queues: int = 0             # queues ordered by a ready learner
    unmatched: int = 0          # log items the column's rules refuse (should be 0)
    per_column: dict[str, dict[str, float]] = field(default_factory=dict)

    def result_line(self) -> str:
        return (f"RESULT auc={self.auc:.3f} baseline_auc={self.baseline_auc:.3f} "
                f"p_at_10={self.p_at_10:.3f} baseline_p_at_10={self.baseline_p_at_10:.3f}")


def replay(log: Iterable[Decision], columns: dict[str, dict],
           make_model: Callable[[], Model] = Learner, *, blend: float = 0.0) -> Report:
    """Replay ``log`` (module doc). ``make_model`` builds each column's model (to compare
    learners); ``blend`` mixes the keyword score into the learned priority:
    ``(1 − blend)·p + blend·s/(s + 1)``."""
    rules = {slug: parse_rules(c["include"], c.get("exclude", "")) for slug, c in columns.items()}
    models: dict[str, Model] = {slug: make_model() for slug in columns}
    stats = CorpusStats()
    days: dict[tuple, list[Decision]] = defaultdict(list)
    for d in log:
        days[(d.ts.date(), d.column)].append(d)

    def prio(model: Model, feats: dict[int, float], score: float) -> float:
        p = model.predict(feats)
        return (1 - blend) * p + blend * score / (score + 1.0) if blend else p

    rep = Report()
    learned: dict[str, tuple[list[float], list[float], list[bool]]] = defaultdict(
        lambda: ([], [], []))
    p10: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    by_day: dict = defaultdict(list)
    for (day, col), items in days.items():
        by_day[day].append((col, items))
    for day in sorted(by_day):
        for _col, items in by_day[day]:
            for d in items:
                stats.add_text(d.title, d.text)
        for col, items in by_day[day]:
            model = models[col]
            queue = []
            for d in items:
                m = evaluate(rules[col], Doc(d.title, d.text, source_name=d.source), stats)
                rep.unmatched += not m.matched
                queue.append((d, featurize(d.title, d.text, d.source, m.score), m.score))
            if model.ready and len(queue) >= 10:
                ranked = sorted(queue, key=lambda q: -prio(model, q[1], q[2]))
                base = sorted(queue, key=lambda q: -q[2])
                p10[col][0].append(precision_at([q[0].approved for q in ranked]))
                p10[col][1].append(precision_at([q[0].approved for q in base]))
            for d, feats, score in queue:
                rep.decisions += 1
                if model.ready:
                    s_l, s_b, ys = learned[col]
                    s_l.append(prio(model, feats, score))
                    s_b.append(score)
                    ys.append(d.approved)
                model.update(feats, d.approved)
    all_l, all_b, all_y, q_l, q_b = [], [], [], [], []
    for col in columns:
        s_l, s_b, ys = learned[col]
        all_l += s_l
        all_b += s_b
        all_y += ys
        q_l += p10[col][0]
        q_b += p10[col][1]
        rep.per_column[col] = {
            "auc": auc(s_l, ys), "baseline_auc": auc(s_b, ys),
            "p_at_10": _mean(p10[col][0]), "baseline_p_at_10": _mean(p10[col][1]),
            "evaluated": len(ys), "queues": len(p10[col][0])}
    rep.auc, rep.baseline_auc = auc(all_l, all_y), auc(all_b, all_y)
    rep.p_at_10, rep.baseline_p_at_10 = _mean(q_l), _mean(q_b)
    rep.evaluated, rep.queues = len(all_y), len(q_l)
    return rep


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0
