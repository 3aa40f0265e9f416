"""An in-memory LSH index of MinHash signatures over a time window.

Banding: the 128 MinHash values are cut into ``bands`` bands of ``rows`` values; two
documents become candidates when any band is equal. The probability for a pair of
Jaccard ``s`` is ``1 - (1 - s**rows)**bands``. With 42 bands of 3 rows (126 of the 128
values; the S-curve's midpoint is (1/42)**(1/3) ≈ 0.29):

    J      0.10  0.20  0.30  0.40  0.45  0.50  0.70
    P      0.04  0.29  0.68  0.93  0.98  0.996 1.000

On the evaluation set reposts measure J ≥ 0.55 (exact) and first-half excerpts
J ≈ 0.5 (their containment is 1): candidates with probability ≥ 0.99. Different
articles on one topic measure J ≤ 0.18: a candidate about one time in five, then
refused by the verification in :mod:`zhuanlan.dedup.stories`. A band of 4 rows
(32 bands) would miss a quarter of the excerpts (P(0.45) = 0.74); a band of 2 rows
(64 bands) would take more memory and make most same-topic pairs candidates
(P(0.10) = 0.48, P(0.18) = 0.88): the anchors below answer short excerpts instead.

Containment candidates. An excerpt of a third of an article has J ≈ 0.3 and is an LSH
candidate with probability 0.3–0.7 only; lowering the band threshold instead would make
every same-topic article a candidate. So the index also keeps the signature's *anchors*
(a content-defined sample of 8-character windows, :func:`zhuanlan.dedup.minhash.anchor_hashes`):
a document sharing at least ``ANCHOR_MIN_SHARED`` anchors with the query is a candidate
too. An anchor held by more than ``ANCHOR_CAP`` documents (a formula such as
国家主席习近平在人民大会堂) selects nothing and is dropped. On the evaluation set this
takes the recall of lead excerpts (a third of the article) from 35/36 to 36/36 and of
first-half excerpts from 78/79 to 79/79, with no false pair (bench/dedup.py prints both).

The index holds ids, signatures, sizes and timestamps only — nothing that needs the
store — and is rebuilt from stored signatures at start with :meth:`LSHIndex.build`
(100k signatures in about 7 s on an idle machine of ours, 17 s under load;
``bench/dedup.py`` prints it).
Not thread-safe: one writer (the worker) owns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Hashable, Iterable, Iterator

from zhuanlan.dedup.minhash import NUM_PERM, Signature

__all__ = ["LSHIndex", "Entry", "BANDS", "ROWS", "ANCHOR_MIN_SHARED", "ANCHOR_CAP"]

BANDS = 42
ROWS = 3
ANCHOR_MIN_SHARED = 2
ANCHOR_CAP = 64


class _Stop:
    """The posting of an anchor held by too many documents."""

    __slots__ = ()


_STOP = _Stop()

DocId = Hashable


@dataclass(frozen=True, slots=True)
class Entry:
    doc_id: DocId
    signature: Signature
    size: int
    timestamp: float | None


def _ts(t: datetime | float | int | None) -> float | None:
    if t is None:
        return None
    if isinstance(t, datetime):
        return t.timestamp()
    return float(t)


class LSHIndex:
    """Banded MinHash LSH with removal and a time window.

    ``add`` / ``remove`` / ``query`` are O(bands); ``prune`` is O(n).
    """

    def __init__(self, bands: int = BANDS, rows: int = ROWS, anchors: bool = True) -> None:
        if bands < 1 or rows < 1 or bands * rows > NUM_PERM:
            raise ValueError(f"bands × rows must be at most {NUM_PERM}")
        self.bands = bands
        self.rows = rows
        self._entries: dict[DocId, Entry] = {}
        # One table per band: band key -> doc id, or a list of ids when several share it
        # (most buckets hold one id; a bare id saves a list object per entry).
        self._tables: list[dict[int, object]] = [{} for _ in range(bands)]
        # Anchor -> doc id, list of ids, or _STOP. ``anchors=False`` turns the
        # containment candidates off (for measuring what they add).
        self.use_anchors = anchors
        self._anchors: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, doc_id: DocId) -> bool:
        return doc_id in self._entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def get(self, doc_id: DocId) -> Entry | None:
        return self._entries.get(doc_id)

    def _keys(self, data: bytes) -> list[int]:
        w = 4 * self.rows  # bytes per band
        return [hash(data[i:i + w]) for i in range(0, self.bands * w, w)]

    def add(self, doc_id: DocId, signature: Signature, length: int | None = None,
            timestamp: datetime | float | None = None) -> None:
        """Index ``signature`` under ``doc_id`` (replacing an entry of that id).
        ``length`` is the shingle-set size (default: the signature's); ``timestamp``
        (a datetime or epoch seconds) places it in the window. An empty signature (a text
        with no letters) is kept as an entry but never becomes a candidate."""
        if doc_id in self._entries:
            self.remove(doc_id)
        size = signature.size if length is None else int(length)
        self._entries[doc_id] = Entry(doc_id, signature, size, _ts(timestamp))
        if signature.empty:
            return
        for table, key in zip(self._tables, self._keys(signature.data)):
            # setdefault: one hash lookup for the common case of a new bucket.
            cur = table.setdefault(key, doc_id)
            if cur is not doc_id:
                if type(cur) is list:
                    cur.append(doc_id)
                else:
                    table[key] = [cur, doc_id]
        if self.use_anchors and signature.anchors:
            self._add_anchors(doc_id, signature)

    def _add_anchors(self, doc_id: DocId, signature: Signature) -> None:
        postings = self._anchors
        for a in signature.anchor_values:
            cur = postings.setdefault(a, doc_id)
            if cur is doc_id or cur is _STOP:
                continue
            if type(cur) is list:
                if len(cur) >= ANCHOR_CAP:
                    postings[a] = _STOP
                else:
                    cur.append(doc_id)
            else:
                postings[a] = [cur, doc_id]

    def remove(self, doc_id: DocId) -> bool:
        """Drop ``doc_id``; False when it was not indexed."""
        entry = self._entries.pop(doc_id, None)
        if entry is None:
            return False
        if entry.signature.empty:
            return True
        for table, key in zip(self._tables, self._keys(entry.signature.data)):
            cur = table.get(key)
            if type(cur) is list:
                try:
                    cur.remove(doc_id)
                except ValueError:
                    pass
                if len(cur) == 1:
                    table[key] = cur[0]
                elif not cur:
                    del table[key]
            elif cur == doc_id:
                del table[key]
        if self.use_anchors and entry.signature.anchors:
            postings = self._anchors
            for a in entry.signature.anchor_values:
                cur = postings.get(a)
                if type(cur) is list:
                    try:
                        cur.remove(doc_id)
                    except ValueError:
                        pass
                    if len(cur) == 1:
                        postings[a] = cur[0]
                elif cur is not None and cur is not _STOP and cur == doc_id:
                    del postings[a]
        return True

    def query(self, signature: Signature) -> list[DocId]:
        """Ids sharing at least one band with ``signature``, in insertion order of first
        sight (unverified candidates: see :func:`zhuanlan.dedup.stories.match_story`)."""
        if signature.empty:
            return []
        seen: dict[DocId, None] = {}
        for table, key in zip(self._tables, self._keys(signature.data)):
            cur = table.get(key)
            if cur is None:
                continue
            if type(cur) is list:
                for d in cur:
                    seen[d] = None
            else:
                seen[cur] = None
        if self.use_anchors and signature.anchors:
            anchors = signature.anchor_values
            need = min(ANCHOR_MIN_SHARED, len(anchors))
            shared: dict[DocId, int] = {}
            postings = self._anchors
            for a in anchors:
                cur = postings.get(a)
                if cur is None or cur is _STOP:
                    continue
                for d in (cur if type(cur) is list else (cur,)):
                    shared[d] = shared.get(d, 0) + 1
            for d, n in shared.items():
                if n >= need:
                    seen[d] = None
        return list(seen)

    def candidates(self, signature: Signature, exclude: DocId | None = None) -> list[Entry]:
        """The entries of :meth:`query` (without ``exclude``)."""
        return [self._entries[d] for d in self.query(signature) if d != exclude]

    def prune(self, older_than: datetime | float) -> int:
        """Remove entries with a timestamp before ``older_than``; entries without a
        timestamp stay. Returns how many were removed."""
        limit = _ts(older_than)
        old = [e.doc_id for e in self._entries.values()
               if e.timestamp is not None and e.timestamp < limit]
        for d in old:
            self.remove(d)
        return len(old)

    @classmethod
    def build(cls, items: Iterable[tuple], bands: int = BANDS, rows: int = ROWS,
              anchors: bool = True) -> "LSHIndex":
        """A new index of ``(doc_id, signature)``, ``(doc_id, signature, length)`` or
        ``(doc_id, signature, length, timestamp)`` tuples; a signature may be given as
        the bytes of :meth:`Signature.to_bytes` (as read from the store).

        Raises :class:`zhuanlan.dedup.minhash.SignatureError` for bytes of another
        signature version (recompute those from the text)."""
        index = cls(bands, rows, anchors)
        tables = index._tables
        entries = index._entries
        w = 4 * rows
        offsets = range(0, bands * w, w)
        for item in items:
            doc_id, sig = item[0], item[1]
            if isinstance(sig, (bytes, bytearray, memoryview)):
                sig = Signature.from_bytes(bytes(sig))
            size = item[2] if len(item) > 2 and item[2] is not None else sig.size
            ts = _ts(item[3]) if len(item) > 3 else None
            if doc_id in entries:
                index.remove(doc_id)
            entries[doc_id] = Entry(doc_id, sig, size, ts)
            if sig.empty:
                continue
            data = sig.data
            for table, i in zip(tables, offsets):
                cur = table.setdefault(hash(data[i:i + w]), doc_id)
                if cur is not doc_id:
                    if type(cur) is list:
                        cur.append(doc_id)
                    else:
                        table[hash(data[i:i + w])] = [cur, doc_id]
            if anchors and sig.anchors:
                index._add_anchors(doc_id, sig)
        return index
