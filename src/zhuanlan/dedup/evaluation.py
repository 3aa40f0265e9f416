"""Scoring a clustering against ground-truth stories (bench/dedup.py and the quality gate).

Pairwise: every pair of documents put in one cluster is a predicted pair; every pair of
one true story is a true pair. Precision and recall are over those pairs. Purity: the
share of documents in the majority true story of their cluster.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from zhuanlan.dedup.index import LSHIndex
from zhuanlan.dedup.minhash import signatures
from zhuanlan.dedup.stories import DocRef, cluster

__all__ = ["Scores", "score_clusters", "load_jsonl_docs", "run_eval"]


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    purity: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    docs: int
    clusters: int
    stories: int
    # variant -> (found with its story's original, total)
    by_variant: Mapping[str, tuple[int, int]]
    false_pairs: tuple[tuple[Hashable, Hashable], ...]
    missed: tuple[Hashable, ...]


def _pairs(groups: Iterable[Sequence[Hashable]]) -> set[tuple[Hashable, Hashable]]:
    out = set()
    for g in groups:
        ids = sorted(g, key=str)
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                out.add((ids[i], ids[j]))
    return out


def score_clusters(clusters: Sequence[Sequence[Hashable]], truth: Mapping[Hashable, Hashable],
                   variants: Mapping[Hashable, str] | None = None) -> Scores:
    """Scores of ``clusters`` (lists of ids) against ``truth`` (id -> story)."""
    stories: dict[Hashable, list[Hashable]] = defaultdict(list)
    for doc, story in truth.items():
        stories[story].append(doc)
    true_pairs = _pairs(stories.values())
    pred_pairs = _pairs(clusters)
    correct = true_pairs & pred_pairs
    majority = sum(Counter(truth[d] for d in c).most_common(1)[0][1] for c in clusters if c)
    n = sum(len(c) for c in clusters)
    cluster_of = {d: i for i, c in enumerate(clusters) for d in c}
    by_variant: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missed = []
    if variants:
        originals = {truth[d]: d for d, v in variants.items() if v == "original"}
        for d, v in variants.items():
            orig = originals.get(truth[d])
            if v == "original" or orig is None:
                continue
            ok = cluster_of.get(d) == cluster_of.get(orig)
            by_variant[v][0] += ok
            by_variant[v][1] += 1
            if not ok:
                missed.append(d)
    return Scores(
        precision=len(correct) / len(pred_pairs) if pred_pairs else 1.0,
        recall=len(correct) / len(true_pairs) if true_pairs else 1.0,
        purity=majority / n if n else 1.0,
        true_pairs=len(true_pairs), predicted_pairs=len(pred_pairs),
        correct_pairs=len(correct), docs=n, clusters=len(clusters), stories=len(stories),
        by_variant={k: (v[0], v[1]) for k, v in sorted(by_variant.items())},
        false_pairs=tuple(sorted(pred_pairs - true_pairs, key=str)),
        missed=tuple(missed))


def load_jsonl_docs(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_eval(rows: Sequence[Mapping], anchors: bool = True) -> Scores:
    """Sign, cluster and score rows of the evaluation set ({id, text, source, story,
    variant?}); ``anchors=False`` without the containment candidates."""
    sigs = signatures(r["text"] for r in rows)
    docs = [DocRef(id=r["id"], signature=s, source=r.get("source", ""), length=len(r["text"]))
            for r, s in zip(rows, sigs)]
    clusters = cluster(docs, LSHIndex(anchors=anchors))
    truth = {r["id"]: r["story"] for r in rows}
    variants = {r["id"]: r.get("variant", "") for r in rows}
    return score_clusters(clusters, truth, variants)
