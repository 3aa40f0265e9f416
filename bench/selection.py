"""Selection benchmark: the learned queue order against the keyword score alone.

    .venv/bin/python bench/selection.py [--log PATH] [--columns PATH] [--compare]
                                        [--lr X] [--l2 X] [--blend X]

Replays a decision log (default: the shipped, generated one in
``tests/fixtures/selection/decisions.jsonl``, see ``make_log.py`` there) in time order
with :func:`zhuanlan.selection.evaluation.replay`. Precisely:

* **Queues** are daily batches per column: the candidates of a column whose ``ts``
  falls on the same calendar day (Beijing time in the shipped log). The day's articles
  join the corpus statistics, then each gets its BM25F keyword score from the column's
  rules (``columns.json``) — the **baseline**.
* **p@10**: at the start of a day, before learning any of its decisions, the learner
  orders the day's queue; precision@10 = approved among the first 10 / 10. Averaged
  over the queues (≥ 10 items) met while the learner was ``ready``; the baseline orders
  the same queues by keyword score.
* **AUC**: each decision is scored by the learner *before* it learns it (prequential),
  pooled over every decision made while the learner was ready; the baseline AUC is the
  keyword score's on the same decisions. Ties count half.

``--compare`` also replays with multinomial naive Bayes and passive-aggressive (PA-I)
learners over the same features, to justify the choice of logistic regression.
Ends with exactly one line ``RESULT auc=… baseline_auc=… p_at_10=… baseline_p_at_10=…``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from zhuanlan.selection.evaluation import load_columns, load_log, replay  # noqa: E402
from zhuanlan.selection.learn import Learner  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "selection"


class NaiveBayes:
    """Multinomial NB over the same hashed features (values as fractional counts)."""

    def __init__(self, alpha: float = 0.1) -> None:
        self.alpha = alpha
        self.counts = ({}, {})
        self.totals = [0.0, 0.0]
        self.docs = [0, 0]

    @property
    def ready(self) -> bool:
        return sum(self.docs) >= 20 and min(self.docs) >= 3

    def predict(self, features) -> float:
        vocab = 1 << 18
        logp = []
        for c in (0, 1):
            lp = math.log((self.docs[c] + 1) / (sum(self.docs) + 2))
            denom = self.totals[c] + self.alpha * vocab
            for i, v in features.items():
                if v > 0:
                    lp += v * math.log((self.counts[c].get(i, 0.0) + self.alpha) / denom)
            logp.append(lp)
        z = max(-35.0, min(35.0, logp[1] - logp[0]))
        return 1 / (1 + math.exp(-z))

    def update(self, features, label) -> float:
        p = self.predict(features)
        c = 1 if label else 0
        self.docs[c] += 1
        for i, v in features.items():
            if v > 0:
                self.counts[c][i] = self.counts[c].get(i, 0.0) + v
                self.totals[c] += v
        return p


class PassiveAggressive:
    """PA-I (Crammer et al. 2006), C = 0.5; the margin squashed for a ranking score."""

    def __init__(self, c: float = 0.5) -> None:
        self.c = c
        self.w: dict[int, float] = {}
        self.b = 0.0
        self.n = [0, 0]

    @property
    def ready(self) -> bool:
        return sum(self.n) >= 20 and min(self.n) >= 3

    def margin(self, features) -> float:
        return self.b + sum(self.w.get(i, 0.0) * v for i, v in features.items())

    def predict(self, features) -> float:
        return 1 / (1 + math.exp(-max(-35.0, min(35.0, self.margin(features)))))

    def update(self, features, label) -> float:
        p = self.predict(features)
        y = 1.0 if label else -1.0
        loss = max(0.0, 1 - y * self.margin(features))
        norm = sum(v * v for v in features.values()) + 1.0
        tau = min(self.c, loss / norm)
        for i, v in features.items():
            self.w[i] = self.w.get(i, 0.0) + tau * y * v
        self.b += tau * y
        self.n[label and 1 or 0] += 1
        return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log", default=str(FIXTURES / "decisions.jsonl"))
    ap.add_argument("--columns", default=str(FIXTURES / "columns.json"))
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--l2", type=float, default=None)
    ap.add_argument("--blend", type=float, default=0.0)
    args = ap.parse_args()
    log, columns = load_log(args.log), load_columns(args.columns)
    kw = {k: v for k, v in (("learning_rate", args.lr), ("l2", args.l2)) if v is not None}
    approved = sum(d.approved for d in log)
    print(f"log: {len(log)} decisions, {approved} approved, {len(columns)} columns")

    if args.compare:
        for name, make in (("naive Bayes", NaiveBayes), ("passive-aggressive", PassiveAggressive)):
            t0 = time.perf_counter()
            rep = replay(log, columns, make)
            print(f"{name:>20}: auc={rep.auc:.3f} p@10={rep.p_at_10:.3f} "
                  f"({time.perf_counter() - t0:.1f} s)")

    t0 = time.perf_counter()
    rep = replay(log, columns, lambda: Learner(**kw), blend=args.blend)
    elapsed = time.perf_counter() - t0
    if args.compare:
        print(f"{'logistic/AdaGrad':>20}: auc={rep.auc:.3f} p@10={rep.p_at_10:.3f} "
              f"({elapsed:.1f} s)")
    for col, r in rep.per_column.items():
        print(f"{col:>10}: auc={r['auc']:.3f} (keyword {r['baseline_auc']:.3f})  "
              f"p@10={r['p_at_10']:.3f} (keyword {r['baseline_p_at_10']:.3f})  "
              f"decisions scored={r['evaluated']} queues={r['queues']}")
    print(f"evaluated {rep.evaluated} of {rep.decisions} decisions, {rep.queues} queues; "
          f"{rep.unmatched} log items refused by the rules; replay {elapsed:.1f} s")
    print(rep.result_line())


if __name__ == "__main__":
    main()
