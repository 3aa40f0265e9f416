"""Stories: which articles are copies of one another, and which copy represents them.

Pure: takes :class:`DocRef` values (an id, a signature and what the representative
choice needs) and returns ids; the worker and the store decide when to call it.

Verification of an LSH candidate pair uses the MinHash estimates only (no texts):

- ``contained`` / ``contains``: the shorter document's shingle set is at least
  ``CONTAINMENT_MIN`` inside the longer one's, estimated from the Jaccard estimate and the
  two set sizes, C = J(|A|+|B|)/((1+J)|A|), and the shorter is at most ``FRAGMENT_RATIO``
  of the longer (an excerpt, or a short piece carried inside a longer one);
- ``same``: otherwise, Jaccard at least ``JACCARD_SAME``.

Why estimates and not an exact shingle-set check on the candidates: the store keeps the
520-byte signature, not shingle sets, and fetching both texts per candidate would put the
database in the hot path. On the evaluation set the estimate makes no error: reposts
measure J ≥ 0.548 and excerpts C ≥ 0.938 (exact values), while same-topic articles
measure J ≤ 0.184 and C ≤ 0.336 (the synthetic same-topic pieces, which keep the first
sentence and a paragraph of the article they imitate). With 128 permutations the
standard error of J is ≤ 0.044, far inside those margins.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np

from zhuanlan.dedup.index import LSHIndex
from zhuanlan.dedup.minhash import Signature, containment, jaccard

__all__ = ["DocRef", "Relation", "match_story", "verify", "relation", "verified_candidates",
           "verify_scored", "cluster", "choose_representative", "source_rank",
           "DEFAULT_SOURCE_RANK", "JACCARD_SAME", "CONTAINMENT_MIN", "FRAGMENT_RATIO"]

Relation = Literal["same", "contained", "contains"]

# Calibrated on bench/data/dedup/eval.jsonl (bench/dedup.py --calibrate prints the
# distributions): reposts J ≥ 0.548, negatives J ≤ 0.184 — 0.35 sits in the middle with
# four standard errors of the estimate (SE ≤ 0.044) on both sides.
JACCARD_SAME = 0.35
# Excerpts measure C ≥ 0.938 (the edits added to an excerpt — dateline, editor line —
# are stripped before shingling); negatives reach C 0.336.
CONTAINMENT_MIN = 0.70
# Below this size ratio the shorter one is a fragment of the longer one. A copy with a
# paragraph cut keeps ≥ 0.75 of the text and is "same".
FRAGMENT_RATIO = 0.70

# Source authority: lower is better. Presets may pass their own table.
DEFAULT_SOURCE_RANK: dict[str, int] = {
    "新华社": 0, "人民日报": 0,
    "新华网": 1, "人民网": 1, "求是": 1, "求是网": 1, "中国政府网": 1,
    "央视网": 2, "央视新闻": 2, "中央广播电视总台": 2, "光明日报": 2, "经济日报": 2,
    "光明网": 3, "中国新闻网": 3, "中新社": 3, "中国日报": 3, "学习强国": 3,
    "澎湃新闻": 5,
}
UNKNOWN_RANK = 9


@dataclass(frozen=True)
class DocRef:
    """What the story stage needs of an article."""

    id: Hashable
    signature: Signature
    story: Hashable | None = None       # the story it already belongs to (None: itself)
    source: str = ""                    # outlet name (新华社, 人民网 …)
    rank: int | None = None             # authority; None: from the source name
    length: int = 0                     # characters of the cleaned text (completeness)
    published: datetime | None = None
    author: str | None = None
    url: str = ""

    @property
    def size(self) -> int:
        return self.signature.size


def verify(a: Signature, b: Signature) -> tuple[Relation | None, float]:
    """How ``a`` (the new one) relates to ``b``: ``same``, ``contained`` (a is inside b),
    ``contains`` (b is inside a) or None, with the score (Jaccard for same, the
    estimated containment for the others)."""
    if a.empty or b.empty:
        return None, 0.0
    return relation(jaccard(a, b), a.size, b.size)


def relation(j: float, size_a: int, size_b: int) -> tuple[Relation | None, float]:
    """:func:`verify` from the Jaccard estimate ``j`` and the two set sizes."""
    if j == 0.0:
        return None, 0.0
    small, large = sorted((size_a, size_b))
    if small <= FRAGMENT_RATIO * large:
        c = containment(j, small, large)
        if c >= CONTAINMENT_MIN:
            return ("contained" if size_a <= size_b else "contains"), c
        return None, j
    if j >= JACCARD_SAME:
        return "same", j
    return None, j


def verified_candidates(index: LSHIndex, signature: Signature
                        ) -> list[tuple[Hashable, Relation, float]]:
    """The index's candidates for ``signature`` that verify, as (id, relation, score),
    in the index's order. The same decisions as :func:`verify` on each candidate, but
    the estimates are computed for all candidates at once and only the few that can
    pass are judged one by one: at a million articles a query has hundreds of
    candidates, nearly all of them chance band collisions."""
    if signature.empty:
        return []
    return verify_scored(signature.size, *index.query_scored(signature))


def verify_scored(size: int, ids: Sequence[Hashable], j: np.ndarray, sizes: np.ndarray
                  ) -> list[tuple[Hashable, Relation, float]]:
    """:func:`verified_candidates` from the output of ``LSHIndex.query_scored`` (for a
    signature of set size ``size``)."""
    if not len(ids):
        return []
    small = np.minimum(sizes, size)
    large = np.maximum(sizes, size)
    fragment = small <= FRAGMENT_RATIO * large
    with np.errstate(divide="ignore", invalid="ignore"):
        c = j * (small + large) / ((1.0 + j) * small)
    # A hair looser than the thresholds, so that float rounding never drops a pair
    # that relation() would keep; relation() decides.
    eps = 1e-9
    maybe = (j > 0) & np.where(fragment, c >= CONTAINMENT_MIN - eps, j >= JACCARD_SAME - eps)
    out = []
    for k in np.flatnonzero(maybe).tolist():
        rel, score = relation(float(j[k]), size, int(sizes[k]))
        if rel is not None:
            out.append((ids[k], rel, score))
    return out


def match_story(new_doc: DocRef, candidates: Iterable[DocRef]
                ) -> tuple[Hashable | None, Relation | None, float]:
    """The story ``new_doc`` belongs to among ``candidates`` (the LSH candidates, each
    with its ``story``; a candidate without one is its own story).

    Returns ``(story id, relation, score)`` of the best verified candidate — a ``same``
    match before containment, then the higher score — or ``(None, None, 0.0)`` when
    none verifies (a new story). Never raises."""
    best: tuple[int, float, Hashable, Relation] | None = None
    for cand in candidates:
        if cand.id == new_doc.id:
            continue
        rel, score = verify(new_doc.signature, cand.signature)
        if rel is None:
            continue
        key = (1 if rel == "same" else 0, score)
        if best is None or key > best[:2]:
            best = (key[0], score, cand.story if cand.story is not None else cand.id, rel)
    if best is None:
        return None, None, 0.0
    return best[2], best[3], best[1]


def cluster(docs: Sequence[DocRef], index: LSHIndex | None = None) -> list[list[Hashable]]:
    """Stories of ``docs``: union-find over verified LSH pairs. Each id is in exactly one
    list; lists and their ids are in input order (a repeated id counts once).
    ``index`` may be given for other band parameters; it is filled with ``docs``, and
    entries it already held are ignored."""
    index = index if index is not None else LSHIndex()
    parent: dict[Hashable, Hashable] = {}

    def find(x: Hashable) -> Hashable:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    by_id: dict[Hashable, DocRef] = {}
    for d in docs:
        if d.id in by_id:
            continue
        by_id[d.id] = d
        parent[d.id] = d.id
        for cid, _rel, _score in verified_candidates(index, d.signature):
            if cid not in by_id or find(cid) == find(d.id):
                continue   # an entry of the given index that is not among ``docs``
            parent[find(d.id)] = find(cid)
        index.add(d.id, d.signature)
    groups: dict[Hashable, list[Hashable]] = {}
    for key in by_id:
        groups.setdefault(find(key), []).append(key)
    return list(groups.values())


def source_rank(doc: DocRef, ranks: Mapping[str, int] | None = None) -> int:
    """The authority rank of ``doc``: its own ``rank``, else by source name (exact, then
    the longest known name the source starts with: 新华社客户端 → 新华社), else 9."""
    if doc.rank is not None:
        return doc.rank
    table = DEFAULT_SOURCE_RANK if ranks is None else ranks
    name = (doc.source or "").strip()
    if name in table:
        return table[name]
    prefixes = [k for k in table if k and name.startswith(k)]
    return table[max(prefixes, key=len)] if prefixes else UNKNOWN_RANK


def choose_representative(members: Sequence[DocRef],
                          ranks: Mapping[str, int] | None = None) -> Hashable:
    """The id of the copy a column shows for a story, by, in order:

    1. complete before fragment: a copy whose shingle set is at most ``FRAGMENT_RATIO``
       of the largest member's is an excerpt and never represents the story, whatever its
       source (readers must get the whole article);
    2. source authority (:func:`source_rank`; 新华社 / 人民日报 originals first);
    3. completeness: the larger text (shingles, then characters), then having a
       publication date, then an author;
    4. the earliest published, then the smallest id (deterministic).

    Raises ValueError for no members."""
    if not members:
        raise ValueError("a story has at least one member")
    largest = max(m.size for m in members)

    def key(m: DocRef):
        fragment = largest > 0 and m.size <= FRAGMENT_RATIO * largest
        return (fragment, source_rank(m, ranks), -m.size, -m.length,
                m.published is None, not m.author,
                m.published.timestamp() if m.published else 0.0, str(m.id))

    return min(members, key=key).id
