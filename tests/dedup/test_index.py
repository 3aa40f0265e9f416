from datetime import UTC, datetime, timedelta

import pytest

from zhuanlan.dedup.index import LSHIndex
from zhuanlan.dedup.minhash import signature

from .articles import ORIGINAL, OTHER, SAME_TOPIC

T0 = datetime(2024, 9, 10, tzinfo=UTC)


def _filled():
    idx = LSHIndex()
    idx.add("orig", signature(ORIGINAL), timestamp=T0)
    idx.add("other", signature(OTHER), timestamp=T0 + timedelta(days=30))
    idx.add("topic", signature(SAME_TOPIC), timestamp=None)
    return idx


def test_query_finds_copy_not_others():
    idx = _filled()
    repost = "新华社北京9月10日电 " + ORIGINAL + "\n（责任编辑：王某）"
    assert idx.query(signature(repost)) == ["orig"]


def test_remove_and_replace():
    idx = _filled()
    sig = signature(ORIGINAL)
    assert idx.remove("orig") and not idx.remove("orig")
    assert "orig" not in idx and idx.query(sig) == []
    idx.add("orig", sig)
    idx.add("orig", sig)      # replacing keeps one entry
    assert len(idx) == 3 and idx.query(sig) == ["orig"]


def test_shared_buckets_survive_removal():
    idx = LSHIndex()
    sig = signature(ORIGINAL)
    idx.add("a", sig)
    idx.add("b", sig)
    idx.add("c", sig)
    idx.remove("b")
    assert idx.query(sig) == ["a", "c"]
    idx.remove("a")
    assert idx.query(sig) == ["c"]


def test_prune_window():
    idx = _filled()
    assert idx.prune(T0 + timedelta(days=1)) == 1          # "orig" is older
    assert "orig" not in idx and "other" in idx and "topic" in idx   # no timestamp: kept
    assert idx.prune((T0 + timedelta(days=90)).timestamp()) == 1
    assert len(idx) == 1


def test_build_from_bytes_equals_incremental():
    idx = _filled()
    rows = [(e.doc_id, e.signature.to_bytes(), e.size, e.timestamp) for e in idx]
    rebuilt = LSHIndex.build(rows)
    assert len(rebuilt) == 3
    for e in idx:
        assert rebuilt.query(e.signature) == idx.query(e.signature)
        assert rebuilt.get(e.doc_id).timestamp == e.timestamp
    rebuilt2 = LSHIndex.build([("x", signature(OTHER))])
    assert rebuilt2.query(signature(OTHER)) == ["x"]


def test_band_parameters_checked():
    with pytest.raises(ValueError):
        LSHIndex(bands=64, rows=3)


def test_anchors_find_a_short_piece_the_bands_miss():
    long_text = "\n".join([ORIGINAL, OTHER, SAME_TOPIC])
    piece = ORIGINAL.split("\n")[2]            # one paragraph: ~8% of the long text
    with_anchors, bands_only = LSHIndex(), LSHIndex(anchors=False)
    for idx in (with_anchors, bands_only):
        idx.add("long", signature(long_text))
    assert bands_only.query(signature(piece)) == []
    assert with_anchors.query(signature(piece)) == ["long"]
    assert with_anchors.remove("long") and with_anchors.query(signature(piece)) == []


def test_common_anchor_stops_selecting():
    from zhuanlan.dedup.index import ANCHOR_CAP

    idx = LSHIndex(bands=1, rows=128)          # bands practically never match
    sig = signature(ORIGINAL)
    for i in range(ANCHOR_CAP + 5):
        idx.add(i, sig)
    assert idx.query(sig) == list(range(ANCHOR_CAP + 5))   # the one band still matches
    assert idx._anchors and all(v.__class__.__name__ == "_Stop" for v in idx._anchors.values())
