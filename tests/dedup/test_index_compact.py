"""The compact LSH index (numpy arrays, a dict delta merged into sorted arrays, dead
slots compacted): its answers must be those of the plain definition — a candidate
shares a band with the query, or at least ``ANCHOR_MIN_SHARED`` anchors — whatever the
state of the delta, the merges and the compactions."""

import random

import numpy as np
import pytest

from zhuanlan.dedup import index as index_mod
from zhuanlan.dedup.index import ANCHOR_CAP, ANCHOR_MIN_SHARED, BANDS, ROWS, LSHIndex
from zhuanlan.dedup.minhash import Signature, signature, signatures


def _texts(n: int, seed: int = 7) -> list[str]:
    """Articles over a small vocabulary (so unrelated ones share anchors now and then),
    every fourth one a repost of an earlier one with a paragraph cut."""
    rng = random.Random(seed)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 400)]
    words = ["".join(rng.choices(chars, k=rng.choice((2, 3)))) for _ in range(300)]
    out: list[str] = []
    for i in range(n):
        if out and i % 4 == 3:
            paras = rng.choice(out).split("\n")
            if len(paras) > 2:
                del paras[rng.randrange(len(paras))]
            out.append("\n".join(paras))
            continue
        paras = ["".join(rng.choices(words, k=rng.randint(20, 40))) + "。"
                 for _ in range(rng.randint(3, 6))]
        out.append("\n".join(paras))
    return out


def _reference(docs: dict, sig: Signature, anchors: bool = True) -> list:
    """Ids (in the given order) sharing a band or enough anchors with ``sig``."""
    if sig.empty:
        return []
    w = 4 * ROWS
    bands = {sig.data[i:i + w] for i in range(0, BANDS * w, w)}
    mine = set(sig.anchor_values)
    need = min(ANCHOR_MIN_SHARED, len(mine))
    out = []
    for d, other in docs.items():
        if other.empty:
            continue
        if any(other.data[i:i + w] in bands for i in range(0, BANDS * w, w)):
            out.append(d)
        elif anchors and mine and len(mine & set(other.anchor_values)) >= need:
            out.append(d)
    return out


@pytest.fixture
def small_delta(monkeypatch):
    monkeypatch.setattr(index_mod, "DELTA_MAX", 7)
    monkeypatch.setattr(index_mod, "COMPACT_MIN", 5)


@pytest.fixture(scope="module")
def corpus():
    texts = _texts(120)
    return list(zip(range(len(texts)), signatures(texts)))


def test_queries_match_the_definition_across_merges(small_delta, corpus):
    idx, docs = LSHIndex(), {}
    for doc_id, sig in corpus:
        assert idx.query(sig) == _reference(docs, sig)
        idx.add(doc_id, sig, timestamp=float(doc_id))
        docs[doc_id] = sig
    assert idx._merged > 0 and idx._merged < idx._n   # sorted arrays and a delta
    for _doc_id, sig in corpus:
        assert idx.query(sig) == _reference(docs, sig)


def test_bands_only_matches_the_definition(small_delta, corpus):
    idx = LSHIndex(anchors=False)
    docs = {}
    for doc_id, sig in corpus:
        idx.add(doc_id, sig)
        docs[doc_id] = sig
    for _doc_id, sig in corpus[::7]:
        assert idx.query(sig) == _reference(docs, sig, anchors=False)


def test_entries_round_trip_exactly(small_delta, corpus):
    idx = LSHIndex()
    for doc_id, sig in corpus:
        idx.add(doc_id, sig, length=sig.size + 1,
                timestamp=None if doc_id % 5 == 0 else float(doc_id))
    assert len(idx) == len(corpus)
    for (doc_id, sig), e in zip(corpus, idx):
        assert e.doc_id == doc_id and e.signature == sig
        assert e.signature.to_bytes() == sig.to_bytes()
        assert e.size == sig.size + 1
        assert e.timestamp == (None if doc_id % 5 == 0 else float(doc_id))
    assert idx.get("missing") is None and "missing" not in idx


def test_removal_and_compaction_keep_the_answers(small_delta, corpus):
    idx, docs = LSHIndex(), {}
    for doc_id, sig in corpus:
        idx.add(doc_id, sig)
        docs[doc_id] = sig
    rng = random.Random(3)
    gone = rng.sample(sorted(docs), 60)
    for d in gone:
        assert idx.remove(d)
        del docs[d]
        assert not idx.remove(d)
    assert idx._n < len(corpus)                 # the dead slots were compacted away
    assert len(idx) == len(docs) == sum(1 for _ in idx)
    for _doc_id, sig in corpus:
        assert idx.query(sig) == _reference(docs, sig)
    # Adding after a compaction, and re-adding a removed id (it goes last).
    for d in gone[:10]:
        idx.add(d, corpus[d][1])
        docs[d] = corpus[d][1]
    for _doc_id, sig in corpus[::3]:
        assert sorted(idx.query(sig), key=list(docs).index) == idx.query(sig)
        assert set(idx.query(sig)) == set(_reference(docs, sig))


def test_replacing_an_id_moves_it_last(corpus):
    idx = LSHIndex()
    sig = corpus[0][1]
    for d in ("a", "b", "c"):
        idx.add(d, sig)
    idx.add("a", sig)
    assert idx.query(sig) == ["b", "c", "a"] and len(idx) == 3


def test_prune_compacts_and_keeps_the_rest(small_delta, corpus):
    idx = LSHIndex()
    for doc_id, sig in corpus:
        idx.add(doc_id, sig, timestamp=None if doc_id % 10 == 0 else float(doc_id))
    assert idx.prune(100.0) == sum(1 for d, _ in corpus if d < 100 and d % 10)
    kept = {d: s for d, s in corpus if d >= 100 or d % 10 == 0}
    assert len(idx) == len(kept) and idx._n == len(kept)
    for _doc_id, sig in corpus[::5]:
        assert idx.query(sig) == _reference(kept, sig)


def test_build_equals_incremental(small_delta, corpus):
    inc = LSHIndex()
    for doc_id, sig in corpus:
        inc.add(doc_id, sig, timestamp=float(doc_id))
    rows = [(e.doc_id, e.signature.to_bytes(), e.size, e.timestamp) for e in inc]
    built = LSHIndex.build(rows + rows[:3])       # a repeated id replaces its entry
    assert len(built) == len(inc)
    order = [e.doc_id for e in built]
    assert order[-3:] == [0, 1, 2]                  # the replaced ones come last
    for (_doc_id, sig) in corpus:
        assert built.query(sig) == sorted(inc.query(sig), key=order.index)


def test_bulk_build_stops_crowded_anchors_like_add():
    sig = signature(_texts(1)[0])
    n = ANCHOR_CAP + 3
    inc = LSHIndex(bands=1, rows=128)
    for i in range(n):
        inc.add(i, sig)
    built = LSHIndex.build([(i, sig) for i in range(n)], bands=1, rows=128)
    for idx in (inc, built):
        assert idx.query(sig) == list(range(n))             # the one band
        assert idx._anchors and all(v is index_mod._STOP for v in idx._anchors.values())
    # Without a band in common, a stopped anchor selects nothing.
    other = LSHIndex(bands=1, rows=128)
    other._stop = set(built._stop)
    other.add("x", sig)
    changed = Signature(bytes(4 * 128), sig.size, sig.anchors)
    assert other.query(changed) == []


def test_empty_signatures_are_entries_not_candidates(small_delta):
    empty = signature("")
    idx = LSHIndex()
    for i in range(20):
        idx.add(i, empty)
    assert len(idx) == 20 and idx.query(empty) == []
    assert idx.get(3).signature.empty


def test_arrays_hold_the_index(small_delta, corpus):
    idx = LSHIndex()
    for doc_id, sig in corpus:
        idx.add(doc_id, sig)
    assert idx._sig.dtype == np.uint32 and idx._bbase[0].dtype == np.uint64
    assert idx.memory_bytes() > 0
