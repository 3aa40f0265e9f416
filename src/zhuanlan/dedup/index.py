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

Layout (compact: about 1.2 KB per document at 1M documents, against ~8 KB for the
former dicts of Python ints). Every added document gets a *slot*, a row number that only
grows:

- the signatures are one ``uint32`` matrix (slot × 128), sizes, timestamps and a live
  flag are numpy arrays by slot, the anchors one flat ``uint64`` array with offsets by
  slot; these grow in place (``ndarray.resize``: no copy, no doubled peak);
- each band is a sorted ``uint64`` array of ``key << 32 | slot`` (``key`` a 32-bit hash of
  the band's values), looked up with a binary search; the anchors likewise, as
  ``low 32 bits of the anchor << 32 | slot`` in 4 partitions;
- the last ``DELTA_MAX`` documents sit in small dicts (the delta) and are merged into
  the sorted arrays in one vectorised step when it is full;
- ``remove`` only clears the slot's live flag; the slots are compacted (renumbered, the
  sorted arrays rebuilt) once a quarter of them are dead.

A 32-bit band key can collide; band candidates are therefore checked against the
signatures themselves (the band's values equal), so :meth:`LSHIndex.query` returns
exactly the documents sharing a band, as before. A 32-bit anchor key shared by two
different anchors (about one anchor in a hundred at 1M documents) can only add a
candidate, which the verification in :mod:`zhuanlan.dedup.stories` refuses.

The index holds ids, signatures, sizes and timestamps only — nothing that needs the
store — and is rebuilt from stored signatures at start with :meth:`LSHIndex.build`
(one vectorised sort per band: 100k signatures in about a second; ``bench/dedup.py``
prints it). Not thread-safe: one writer (the worker) owns it.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from zhuanlan.dedup.minhash import NUM_PERM, Signature

__all__ = ["LSHIndex", "Entry", "BANDS", "ROWS", "ANCHOR_MIN_SHARED", "ANCHOR_CAP"]

BANDS = 42
ROWS = 3
ANCHOR_MIN_SHARED = 2
ANCHOR_CAP = 64
# Documents kept in the dict delta before a merge into the sorted arrays: a merge copies
# every band array once (≈ 0.3 s at 1M documents), the delta costs ~8 KB per document.
DELTA_MAX = 4096
# Compaction: once at least this many slots and a quarter of all slots are dead.
COMPACT_MIN = 1024
# Anchor postings are split by the top bits of their key, so that a merge copies one
# partition at a time (a transient of 1/4 of the postings, not all of them).
_APART_BITS = 2
_APARTS = 1 << _APART_BITS
_APART_SHIFT = 32 - _APART_BITS
_LOW32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
# Odd 64-bit multipliers (as in minhash.py) for the band hash.
_MULT = [np.uint64(m) for m in (
    0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5,
    0x94D049BB133111EB, 0xBF58476D1CE4E5B9, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)]
_EMPTY_U64 = np.empty(0, dtype=np.uint64)


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


def _band_keys(values: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """32-bit keys (as uint64) of the bands of ``values`` (m × NUM_PERM uint32):
    an m × bands array."""
    v = values[:, :bands * rows].reshape(len(values), bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = v[:, :, 0] * _MULT[0]
        for r in range(1, rows):
            h ^= v[:, :, r] * _MULT[r % 8] + np.uint64(r)
        h ^= h >> np.uint64(29)
        h *= _MULT[5]
        h ^= h >> np.uint64(32)
    return h & _LOW32


def _merge_sorted(base: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``base`` and ``new`` (both sorted) as one sorted array."""
    if not len(new):
        return base
    if not len(base):
        return new
    return np.insert(base, base.searchsorted(new), new)


def _grow(arr: np.ndarray, need: int, step: int) -> np.ndarray:
    """``arr`` with room for ``need`` rows, grown in place (realloc: no copy of large
    arrays, no doubled peak)."""
    cap = len(arr)
    if need <= cap:
        return arr
    new_cap = max(need, cap + step)
    shape = (new_cap,) + arr.shape[1:]
    try:
        arr.resize(shape, refcheck=False)
        return arr
    except ValueError:     # not the owner of its memory (never the case here)
        out = np.zeros(shape, dtype=arr.dtype)
        out[:cap] = arr
        return out


class LSHIndex:
    """Banded MinHash LSH with removal and a time window, over compact numpy arrays.

    ``add`` / ``remove`` / ``query`` are O(bands · log n) (``add`` amortises a
    vectorised merge every ``DELTA_MAX`` documents); ``prune`` is O(n) vectorised.
    """

    def __init__(self, bands: int = BANDS, rows: int = ROWS, anchors: bool = True) -> None:
        if bands < 1 or rows < 1 or bands * rows > NUM_PERM:
            raise ValueError(f"bands × rows must be at most {NUM_PERM}")
        self.bands = bands
        self.rows = rows
        # ``anchors=False`` turns the containment candidates off (for measuring what
        # they add); the anchors are still kept with the signature.
        self.use_anchors = anchors
        self._n = 0                       # slots used
        self._live = 0
        self._sig = np.zeros((0, NUM_PERM), dtype=np.uint32)
        self._sigsize = np.zeros(0, dtype=np.int64)   # Signature.size
        self._size = np.zeros(0, dtype=np.int64)      # Entry.size (length)
        self._tstamp = np.zeros(0, dtype=np.float64)  # NaN: no timestamp
        self._alive = np.zeros(0, dtype=bool)
        self._aoff = np.zeros(1, dtype=np.int64)      # anchors of slot s: _anc[_aoff[s]:_aoff[s+1]]
        self._anc = np.zeros(0, dtype=np.uint64)
        self._ids: list = []                           # slot -> doc id (None: removed)
        self._slot: dict = {}                          # doc id -> slot
        # Sorted postings (slots below ``_merged``) and the delta (slots from ``_merged``).
        self._merged = 0
        self._bbase: list[np.ndarray] = [_EMPTY_U64] * bands
        self._bdelta: list[dict[int, int | list[int]]] = [{} for _ in range(bands)]
        self._abase: list[np.ndarray] = [_EMPTY_U64] * _APARTS
        self._adelta: dict[int, list[int]] = {}
        self._stop: set[int] = set()      # anchor keys held by too many documents
        self._stop_arr = _EMPTY_U64        # the same, sorted (for the merges)
        self._cache: tuple | None = None   # (signature data, band keys, anchor keys)
        self._version = 0                  # bumped when the sorted arrays change
        self._runs: tuple | None = None    # anchor runs of the last query
        self._runs_stops = 0

    # --- the mapping ----------------------------------------------------------------

    def __len__(self) -> int:
        return self._live

    def __contains__(self, doc_id: DocId) -> bool:
        return doc_id in self._slot

    def __iter__(self) -> Iterator[Entry]:
        for s in range(self._n):
            if self._alive[s]:
                yield self._entry(s)

    def get(self, doc_id: DocId) -> Entry | None:
        s = self._slot.get(doc_id)
        return None if s is None else self._entry(s)

    def _entry(self, s: int) -> Entry:
        anchors = self._anc[self._aoff[s]:self._aoff[s + 1]].astype("<u8", copy=False).tobytes()
        sig = Signature(self._sig[s].astype("<u4", copy=False).tobytes(), int(self._sigsize[s]),
                        anchors)
        t = float(self._tstamp[s])
        return Entry(self._ids[s], sig, int(self._size[s]), None if math.isnan(t) else t)

    def signature_of(self, doc_id: DocId) -> Signature | None:
        """The signature of ``doc_id`` (without building an :class:`Entry`)."""
        e = self.get(doc_id)
        return None if e is None else e.signature

    # --- keys -----------------------------------------------------------------------

    def _keys(self, signature: Signature) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(values, band keys, anchor keys) of ``signature``; the last one is cached,
        since a query is usually followed by the add of the same signature."""
        c = self._cache
        if c is not None and c[0] is signature.data and c[1] is signature.anchors:
            return c[2], c[3], c[4]
        values = np.frombuffer(signature.data, dtype="<u4")
        bkeys = _band_keys(values[None, :], self.bands, self.rows)[0]
        akeys = np.frombuffer(signature.anchors, dtype="<u8") & _LOW32 \
            if signature.anchors else _EMPTY_U64
        self._cache = (signature.data, signature.anchors, values, bkeys, akeys)
        return values, bkeys, akeys

    # --- adding ---------------------------------------------------------------------

    def _append(self, doc_id: DocId, signature: Signature, size: int, ts: float | None) -> int:
        """Store a new slot (no postings)."""
        s = self._n
        n_anc = len(signature.anchors) // 8
        if s + 1 > len(self._alive):
            self._grow_slots(s + 1)
        end = int(self._aoff[s]) + n_anc
        if end > len(self._anc):
            self._anc = _grow(self._anc, end, 1 << 21)
        if len(signature.data) != 4 * NUM_PERM:
            raise ValueError("a signature holds NUM_PERM 32-bit values")
        self._sig[s] = np.frombuffer(signature.data, dtype="<u4")
        if n_anc:
            self._anc[end - n_anc:end] = np.frombuffer(signature.anchors, dtype="<u8")
        self._aoff[s + 1] = end
        self._sigsize[s] = signature.size
        self._size[s] = size
        self._tstamp[s] = math.nan if ts is None else ts
        self._alive[s] = True
        self._ids.append(doc_id)
        self._slot[doc_id] = s
        self._n = s + 1
        self._live += 1
        return s

    def _grow_slots(self, need: int) -> None:
        step = 1 << 16
        self._sig = _grow(self._sig, need, step)
        self._sigsize = _grow(self._sigsize, need, step)
        self._size = _grow(self._size, need, step)
        self._tstamp = _grow(self._tstamp, need, step)
        self._alive = _grow(self._alive, need, step)
        self._aoff = _grow(self._aoff, need + 1, step)

    def add(self, doc_id: DocId, signature: Signature, length: int | None = None,
            timestamp: datetime | float | None = None) -> None:
        """Index ``signature`` under ``doc_id`` (replacing an entry of that id).
        ``length`` is the shingle-set size (default: the signature's); ``timestamp``
        (a datetime or epoch seconds) places it in the window. An empty signature (a text
        with no letters) is kept as an entry but never becomes a candidate."""
        if doc_id in self._slot:
            self.remove(doc_id)
        size = signature.size if length is None else int(length)
        s = self._append(doc_id, signature, size, _ts(timestamp))
        if signature.empty:
            return
        _values, bkeys, akeys = self._keys(signature)
        for table, key in zip(self._bdelta, bkeys.tolist()):
            cur = table.setdefault(key, s)
            if cur != s:
                if isinstance(cur, list):
                    cur.append(s)
                else:
                    table[key] = [cur, s]
        if self.use_anchors and len(akeys):
            self._add_anchors(s, akeys)
        if self._n - self._merged >= DELTA_MAX:
            self._merge()

    def _add_anchors(self, s: int, akeys: np.ndarray) -> None:
        stop, delta = self._stop, self._adelta
        runs = self._runs
        if runs is not None and runs[0] is akeys and runs[1] == self._version \
                and len(stop) == self._runs_stops:
            keys, base_counts = runs[2], runs[3]
        else:
            keys = [k for k in akeys.tolist() if k not in stop]
            base_counts = self._base_anchor_counts(keys) if keys else []
        self._runs = None
        if not keys:
            return
        for k, nb in zip(keys, base_counts):
            lst = delta.get(k)
            held = nb + (len(lst) if lst else 0)
            if held >= ANCHOR_CAP:
                held = self._live_holders(k, lst)
                if held >= ANCHOR_CAP:
                    stop.add(k)
                    delta.pop(k, None)
                    self._stop_arr = _EMPTY_U64   # rebuilt at the next merge
                    continue
            if lst is None:
                delta[k] = [s]
            elif lst[-1] != s:
                lst.append(s)

    def _base_anchor_counts(self, keys: list[int]) -> list[int]:
        """How many sorted postings each anchor key has (dead slots included)."""
        _part, first, last = self._anchor_runs(keys)
        return (last - first).tolist()

    def _anchor_slots(self, k: int) -> np.ndarray:
        """Slots of the sorted postings of anchor key ``k``."""
        base = self._abase[k >> _APART_SHIFT]
        lo = np.uint64(k) << _S32
        i, j = base.searchsorted(lo), base.searchsorted(lo | _LOW32, "right")
        return base[i:j] & _LOW32

    def _live_holders(self, k: int, delta_list: list[int] | None) -> int:
        slots = self._anchor_slots(k).astype(np.intp)
        n = int(np.count_nonzero(self._alive[slots]))
        if delta_list:
            n += sum(1 for s in delta_list if self._alive[s])
        return n

    # --- merging and compaction --------------------------------------------------------

    def _merge(self) -> None:
        """Move the delta's postings into the sorted arrays."""
        lo, hi = self._merged, self._n
        self._merged = hi
        self._bdelta = [{} for _ in range(self.bands)]
        self._adelta = {}
        if hi > lo:
            self._index_slots(lo, hi)

    def _index_slots(self, lo: int, hi: int) -> None:
        """Add the postings of slots ``lo``…``hi`` (live, non-empty) to the sorted
        arrays, vectorised (the bulk path of merges, build and compaction)."""
        self._version += 1
        self._runs = None
        keep = self._alive[lo:hi] & (self._sigsize[lo:hi] > 0)
        slots = (np.flatnonzero(keep) + lo).astype(np.uint64)
        if not len(slots):
            return
        # Bands, in blocks of rows so that the transient stays small.
        block = 1 << 16
        for b in range(self.bands):
            parts = []
            for i in range(0, len(slots), block):
                sl = slots[i:i + block]
                cols = self._sig[sl.astype(np.intp), b * self.rows:(b + 1) * self.rows]
                keys = _band_keys(cols, 1, self.rows)[:, 0]
                parts.append((keys << _S32) | sl)
            new = np.concatenate(parts) if len(parts) > 1 else parts[0]
            new.sort()
            self._bbase[b] = _merge_sorted(self._bbase[b], new)
        if not self.use_anchors:
            return
        si = slots.astype(np.intp)
        starts, ends = self._aoff[si], self._aoff[si + 1]
        counts = ends - starts
        total = int(counts.sum())
        if not total:
            return
        if len(self._stop) != len(self._stop_arr):
            self._stop_arr = np.array(sorted(self._stop), dtype=np.uint64)
        # The anchors of consecutive live slots, block by block (flat ranges).
        new_parts: list[list[np.ndarray]] = [[] for _ in range(_APARTS)]
        for i in range(0, len(si), block):
            st, en, sl = starts[i:i + block], ends[i:i + block], slots[i:i + block]
            cnt = en - st
            idx = np.repeat(st - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))
            keys = self._anc[idx] & _LOW32
            owner = np.repeat(sl, cnt)
            if len(self._stop_arr):
                ok = ~np.isin(keys, self._stop_arr)
                keys, owner = keys[ok], owner[ok]
            packed = (keys << _S32) | owner
            part = (keys >> np.uint64(_APART_SHIFT)).astype(np.intp)
            order = np.argsort(part, kind="stable")
            packed, part = packed[order], part[order]
            bounds = np.searchsorted(part, np.arange(_APARTS + 1))
            for p in range(_APARTS):
                if bounds[p + 1] > bounds[p]:
                    new_parts[p].append(packed[bounds[p]:bounds[p + 1]])
        for p in range(_APARTS):
            if new_parts[p]:
                new = np.concatenate(new_parts[p])
                new.sort()
                base = self._abase[p] = _merge_sorted(self._abase[p], new)
                self._stop_crowded(base, np.unique(new >> _S32))

    def _stop_crowded(self, base: np.ndarray, keys: np.ndarray) -> None:
        """Stop the anchor ``keys`` now held by more than ``ANCHOR_CAP`` live documents
        (a bulk build adds them without the per-document check of ``add``)."""
        lo = keys << _S32
        counts = base.searchsorted(lo | _LOW32, "right") - base.searchsorted(lo)
        for k in keys[counts > ANCHOR_CAP].tolist():
            if k not in self._stop and self._live_holders(k, None) > ANCHOR_CAP:
                self._stop.add(k)

    def _maybe_compact(self) -> None:
        dead = self._n - self._live
        if dead >= COMPACT_MIN and dead * 4 >= self._n:
            self._compact()

    def _compact(self) -> None:
        """Drop the dead slots: renumber the live ones in order, in place, and rebuild
        the sorted postings."""
        live = np.flatnonzero(self._alive[:self._n])
        m = len(live)
        block = 1 << 16
        new_off = 0
        anc_counts = self._aoff[live + 1] - self._aoff[live]
        # In place, in increasing order: a live row moves down (to m' <= its slot), so a
        # block never overwrites a row a later block still has to read.
        for i in range(0, m, block):
            sl = live[i:i + block]
            j = slice(i, i + len(sl))
            self._sig[j] = self._sig[sl]
            self._sigsize[j] = self._sigsize[sl]
            self._size[j] = self._size[sl]
            self._tstamp[j] = self._tstamp[sl]
            cnt = anc_counts[i:i + len(sl)]
            st = self._aoff[sl]
            idx = np.repeat(st - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))
            vals = self._anc[idx]
            self._anc[new_off:new_off + len(vals)] = vals
            new_off += len(vals)
        self._aoff[1:m + 1] = np.cumsum(anc_counts)
        self._aoff[0] = 0
        self._alive[:m] = True
        self._alive[m:self._n] = False
        self._ids = [self._ids[s] for s in live.tolist()]
        self._slot = {d: i for i, d in enumerate(self._ids)}
        self._n = m
        self._merged = 0
        self._bbase = [_EMPTY_U64] * self.bands
        self._abase = [_EMPTY_U64] * _APARTS
        self._bdelta = [{} for _ in range(self.bands)]
        self._adelta = {}
        self._index_slots(0, m)
        self._merged = m

    # --- removing -------------------------------------------------------------------

    def remove(self, doc_id: DocId) -> bool:
        """Drop ``doc_id``; False when it was not indexed."""
        s = self._slot.pop(doc_id, None)
        if s is None:
            return False
        self._alive[s] = False
        self._ids[s] = None
        self._live -= 1
        self._maybe_compact()
        return True

    # --- querying -------------------------------------------------------------------

    def _band_slots(self, values: np.ndarray, bkeys: np.ndarray) -> set[int] | None:
        """Live slots sharing a band with ``values`` (exactly: the band keys are 32-bit
        hashes, so their matches are checked against the stored values)."""
        found: list[np.ndarray] = []
        lo_n = bkeys << _S32
        hi_n = lo_n | _LOW32
        for base, lo, hi in zip(self._bbase, lo_n, hi_n):
            i = base.searchsorted(lo)
            if i < len(base) and base[i] <= hi:
                j = i + 1
                if j < len(base) and base[j] <= hi:
                    j = base.searchsorted(hi, "right")
                found.append(base[i:j])
        extra: list[int] = []
        for table, key in zip(self._bdelta, bkeys.tolist()):
            cur = table.get(key)
            if cur is not None:
                if isinstance(cur, list):
                    extra.extend(cur)
                else:
                    extra.append(cur)
        if not found and not extra:
            return None
        slots = np.concatenate(found) & _LOW32 if found else _EMPTY_U64
        slots = np.unique(np.concatenate([slots.astype(np.intp),
                                          np.array(extra, dtype=np.intp)]))
        slots = slots[self._alive[slots]]
        if not len(slots):
            return None
        w = self.bands * self.rows
        rows = self._sig[slots, :w].reshape(len(slots), self.bands, self.rows)
        same = (rows == values[:w].reshape(self.bands, self.rows)).all(axis=2).any(axis=1)
        return set(slots[same].tolist())

    def _anchor_runs(self, keys: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each anchor key: its partition and the range of its sorted postings."""
        karr = np.array(keys, dtype=np.uint64)
        lo_n = karr << _S32
        part = (karr >> np.uint64(_APART_SHIFT)).astype(np.intp)
        first = np.zeros(len(keys), dtype=np.intp)
        last = np.zeros(len(keys), dtype=np.intp)
        for p in np.unique(part).tolist():
            base = self._abase[p]
            if len(base):
                sel = part == p
                lo = lo_n[sel]
                first[sel] = base.searchsorted(lo)
                last[sel] = base.searchsorted(lo | _LOW32, "right")
        return part, first, last

    def _anchor_candidates(self, akeys: np.ndarray) -> list[int]:
        need = min(ANCHOR_MIN_SHARED, len(akeys))
        stop = self._stop
        keys = [k for k in akeys.tolist() if k not in stop]
        if not keys:
            return []
        part, first, last = self._anchor_runs(keys)
        counts = last - first
        # For the add of the same signature that usually follows.
        self._runs = (akeys, self._version, keys, counts.tolist())
        self._runs_stops = len(stop)
        found: list[np.ndarray] = []
        abase = self._abase
        for k in np.flatnonzero(counts).tolist():
            found.append(abase[part[k]][first[k]:last[k]])
        delta = self._adelta
        extra: list[int] = []
        for k in keys:
            lst = delta.get(k)
            if lst:
                extra.extend(lst)
        if not found and not extra:
            return []
        slots = np.concatenate(found) & _LOW32 if found else _EMPTY_U64
        slots = np.concatenate([slots.astype(np.intp), np.array(extra, dtype=np.intp)])
        uniq, counts = np.unique(slots, return_counts=True)
        uniq = uniq[counts >= need]
        return uniq[self._alive[uniq]].tolist()

    def query(self, signature: Signature) -> list[DocId]:
        """Ids sharing at least one band with ``signature``, or (with anchors) at least
        ``ANCHOR_MIN_SHARED`` of its anchors, in insertion order (unverified candidates:
        see :func:`zhuanlan.dedup.stories.match_story`)."""
        ids = self._ids
        return [ids[s] for s in self._query_slots(signature).tolist()]

    def query_scored(self, signature: Signature
                     ) -> tuple[list[DocId], np.ndarray, np.ndarray]:
        """The candidates of :meth:`query` with, computed over the stored matrix at once,
        each one's estimated Jaccard with ``signature`` (the share of equal MinHash
        values, exactly as :func:`zhuanlan.dedup.minhash.jaccard`) and its signature's
        set size: what verification needs, without building an :class:`Entry` per
        candidate (at a million documents a query has hundreds of candidates)."""
        slots = self._query_slots(signature)
        if not len(slots):
            return [], np.zeros(0), np.zeros(0, dtype=np.int64)
        values = np.frombuffer(signature.data, dtype="<u4")
        equal = np.count_nonzero(self._sig[slots] == values, axis=1)
        ids = self._ids
        return ([ids[s] for s in slots.tolist()], equal / values.shape[0],
                self._sigsize[slots])

    def _query_slots(self, signature: Signature) -> np.ndarray:
        if signature.empty or not self._live:
            return np.zeros(0, dtype=np.intp)
        values, bkeys, akeys = self._keys(signature)
        slots = self._band_slots(values, bkeys) or set()
        if self.use_anchors and len(akeys):
            slots.update(self._anchor_candidates(akeys))
        return np.array(sorted(slots), dtype=np.intp)

    def candidates(self, signature: Signature, exclude: DocId | None = None) -> list[Entry]:
        """The entries of :meth:`query` (without ``exclude``)."""
        found = (self.get(d) for d in self.query(signature) if d != exclude)
        return [e for e in found if e is not None]

    def prune(self, older_than: datetime | float) -> int:
        """Remove entries with a timestamp before ``older_than``; entries without a
        timestamp stay. Returns how many were removed."""
        limit = _ts(older_than)
        assert limit is not None
        n = self._n
        old = np.flatnonzero(self._alive[:n] & (self._tstamp[:n] < limit))
        if not len(old):
            return 0
        ids, slot = self._ids, self._slot
        for s in old.tolist():
            del slot[ids[s]]
            ids[s] = None
        self._alive[old] = False
        self._live -= len(old)
        self._maybe_compact()
        return len(old)

    # --- inspection -------------------------------------------------------------------

    @property
    def _anchors(self) -> dict[int, Any]:
        """Anchor key → ids holding it, or ``_STOP`` (a debugging view, built on call)."""
        out: dict[int, Any] = {k: _STOP for k in self._stop}
        for base in self._abase:
            keys = (base >> _S32).tolist()
            slots = (base & _LOW32).tolist()
            for k, s in zip(keys, slots):
                if k not in self._stop and self._alive[s]:
                    out.setdefault(k, []).append(self._ids[s])
        for k, lst in self._adelta.items():
            for s in lst:
                if self._alive[s]:
                    out.setdefault(k, []).append(self._ids[s])
        return out

    def memory_bytes(self) -> int:
        """Bytes held by the numpy arrays (the dicts of the delta and of the ids come
        on top)."""
        arrays: list[np.ndarray] = [self._sig, self._sigsize, self._size, self._tstamp, self._alive,
                  self._aoff, self._anc, *self._bbase, *self._abase]
        return sum(a.nbytes for a in arrays)

    # --- bulk -----------------------------------------------------------------------------

    @classmethod
    def build(cls, items: Iterable[tuple], bands: int = BANDS, rows: int = ROWS,
              anchors: bool = True) -> LSHIndex:
        """A new index of ``(doc_id, signature)``, ``(doc_id, signature, length)`` or
        ``(doc_id, signature, length, timestamp)`` tuples; a signature may be given as
        the bytes of :meth:`Signature.to_bytes` (as read from the store).

        Stores every row, then sorts each band's keys once (vectorised).

        Raises :class:`zhuanlan.dedup.minhash.SignatureError` for bytes of another
        signature version (recompute those from the text)."""
        index = cls(bands, rows, anchors)
        for item in items:
            doc_id, sig = item[0], item[1]
            if isinstance(sig, (bytes, bytearray, memoryview)):
                sig = Signature.from_bytes(bytes(sig))
            size = item[2] if len(item) > 2 and item[2] is not None else sig.size
            ts = _ts(item[3]) if len(item) > 3 else None
            if doc_id in index._slot:
                index.remove(doc_id)
            index._append(doc_id, sig, size, ts)
        index._index_slots(index._merged, index._n)
        index._merged = index._n
        return index
