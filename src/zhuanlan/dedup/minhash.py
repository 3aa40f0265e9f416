"""MinHash signatures of an article's text, for finding reposts of one article.

A 新华社 dispatch reaches us from several outlets with a different headline, a dateline
added (``新华社北京9月10日电``), an editor line at the end, a paragraph cut, a photo
caption added, in Traditional characters, or as an excerpt. The signature is taken of
the text reduced to what those copies share:

1. NFKC and Traditional → Simplified (OpenCC t2s, :func:`zhuanlan.text.normalize.to_simplified`):
   FACTS.md — unconverted Traditional text is never matched.
2. Outlet furniture removed, because it dilutes the similarity of short pieces: the
   dateline at the head of the first paragraphs (``新华社北京9月10日电（记者 张三）``,
   ``本报讯``, ``央视网消息``), photo captions and credits (``图为…``, ``新华社记者 张三 摄``),
   and trailing editor, source and correction lines (``（责任编辑：王某）``, ``【纠错】``,
   ``来源：人民网``).
3. Only letters and digits kept, lowercased (as :func:`zhuanlan.dedup.fingerprint.fingerprint_text`):
   copies differ in whitespace and punctuation more often than in words.

Shingles are overlapping runs of ``SHINGLE_K`` characters: Chinese has no spaces to
split words on, and character runs need no segmenter (jieba: 0.24 M chars/s, FACTS.md).

Built on **rensa** (a Rust MinHash), not datasketch: FACTS.md measures it 7.5× faster
(3,669 vs 487 docs/s), it needs no scipy (importing datasketch costs ~83 MB), and its
digests are deterministic across processes for a fixed seed (they are persisted, so this
matters). The shingles are hashed to 64 bits with numpy (:func:`shingle_hashes`) and
handed to rensa as one flat buffer: 5× faster than handing it Python strings.
``tests/dedup/test_minhash.py`` checks the estimates against exact Jaccard.
"""

from __future__ import annotations

import re
import struct
import sys
import unicodedata
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["NUM_PERM", "SHINGLE_K", "SEED", "SIGNATURE_VERSION", "Signature",
           "dedup_text", "shingles", "signature", "signatures", "jaccard",
           "containment", "SignatureError", "shingle_hashes", "anchor_hashes"]

NUM_PERM = 128
# Shingle length, calibrated on bench/data/dedup/eval.jsonl (591 docs, 117 stories;
# `bench/dedup.py --calibrate`). Exact Jaccard of the normalised texts:
#        lowest repost J   lowest excerpt C   highest negative J   highest negative C
#   k=3       0.559              0.941               0.200                0.353
#   k=4       0.548              0.938               0.184                0.336
#   k=5       0.535              0.938               0.170                0.325
# and the full stage scores precision = recall = 1.000 with each. 3-grams of set phrases
# (中国特色, 高质量) lift same-topic negatives; with 5-grams one changed character
# (a Traditional form that does not convert back, a punctuation mark read as a letter)
# costs 5 shingles and reposts drop. 4 sits between with the same gap (0.36).
SHINGLE_K = 4
SEED = 20240910
# Bumped whenever normalisation, k, seed or the MinHash algorithm change: stored
# signatures of another version must be recomputed, not compared.
SIGNATURE_VERSION = 1

_HEADER = struct.Struct("<BBHIH")  # version, k, num_perm, shingle-set size, anchor count

# Anchors: a content-defined sample of ANCHOR_K-character windows (those whose hash is
# 0 modulo ANCHOR_MOD), so that any two texts sharing a passage share the anchors inside
# it wherever the passage sits. They feed the containment candidates of index.py: a
# short excerpt (a third of an article, J ≈ 0.3) is an LSH candidate with probability
# 0.3–0.7 only. 8 characters, because 4-character runs (习近平指…) are shared by
# unrelated articles; 1 in 32, so that a 300-character excerpt holds about 9 (P(fewer
# than 2) ≈ 0.1%) while a 1,000-character article stores about 31.
ANCHOR_K = 8
ANCHOR_MOD = 32
MAX_ANCHORS = 256
_CN_NUM = "0-9〇零一二三四五六七八九十"

# A dateline at the head of a paragraph: 新华社北京9月10日电（记者 张三 李四）,
# 人民网北京9月10日电, 中新社香港9月10日电, 本报北京9月10日讯, 本报讯（记者 …）,
# 央视网消息（新闻联播）：, 新华网北京9月10日电.
_DATELINE = re.compile(
    rf"^\s*(?:[（(【\[]?[^\s，。,:：；（）()]{{1,12}}?(?:社|网|报|台|电视台|日报|晚报|客户端)"
    rf"[^\s，。（）()]{{0,8}}?(?:[{_CN_NUM}]{{1,4}}年)?[{_CN_NUM}]{{1,2}}月[{_CN_NUM}]{{1,3}}日"
    rf"(?:电|讯|消息)|本报讯|[^\s，。（）()]{{1,8}}消息)\s*"
    rf"(?:[（(][^）)]{{0,40}}[）)])?\s*[：:]?\s*[】\]]?\s*")
# A line that is a photo caption or credit, or outlet furniture at the end.
_FURNITURE_LINE = re.compile(
    r"^\s*(?:"
    r"[（(\[【]?\s*(?:责任编辑|责编|编辑|校对|审核|监制|来源|稿件来源|原标题|作者|记者)\s*[：:].{0,40}"
    r"|【\s*纠错\s*】.*|\[?\s*纠错\s*\]?|【\s*(?:打印|关闭|收藏)\s*】.*|分享到.*"
    r"|(?:图为|图：|图片：|上图：|下图：|题图：).{0,160}"
    r"|.{0,120}(?:(?:记者|通讯员|摄影)\s*[^\s，。]{1,12}\s*摄|供图|图片来源[：:].{0,20})\s*[)）]?"
    r")\s*$")
_PHOTO_CREDIT = re.compile(r"(?:新华社|人民日报|中新社)?(?:记者|通讯员)\s*[^\s，。]{2,12}\s*摄\s*$")


class SignatureError(ValueError):
    """Bytes that are not a signature of this version (recompute from the text)."""


@dataclass(frozen=True, slots=True)
class Signature:
    """A MinHash of a text's shingle set, with the set's size (for containment).

    ``data`` holds ``NUM_PERM`` unsigned 32-bit values, little-endian (512 bytes): kept
    as bytes, not a tuple of ints, because a million signatures as tuples would take
    4.6 GB and as bytes 0.6 GB. ``size`` is the number of distinct shingles (0 for a
    text without letters or digits: such a signature matches nothing).
    """

    data: bytes
    size: int
    anchors: bytes = b""   # sorted uint64 anchor hashes, little-endian

    @property
    def anchor_values(self) -> array:
        values = array("Q")
        values.frombytes(self.anchors)
        if sys.byteorder == "big":
            values.byteswap()
        return values

    @property
    def hashes(self) -> array:
        values = array("I")
        values.frombytes(self.data)
        if sys.byteorder == "big":
            values.byteswap()
        return values

    def to_bytes(self) -> bytes:
        """10-byte header (version, k, num_perm, size, anchor count), the 128 values
        and the anchors: 522 + 8 × anchors bytes (about 770 for a 1,000-character
        article)."""
        return _HEADER.pack(SIGNATURE_VERSION, SHINGLE_K, len(self.data) // 4,
                            min(self.size, 0xFFFFFFFF), len(self.anchors) // 8) \
            + self.data + self.anchors

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        """The signature serialised by :meth:`to_bytes`. Raises :class:`SignatureError`
        for bytes of another version, shingle length or permutation count, or of the
        wrong length."""
        data = bytes(data)
        if len(data) < _HEADER.size:
            raise SignatureError("signature too short")
        version, k, num_perm, size, n_anchors = _HEADER.unpack_from(data)
        if version != SIGNATURE_VERSION or k != SHINGLE_K or num_perm != NUM_PERM:
            raise SignatureError(f"signature v{version} k={k} perm={num_perm}; "
                                 f"expected v{SIGNATURE_VERSION} k={SHINGLE_K} perm={NUM_PERM}")
        end = _HEADER.size + 4 * num_perm
        if len(data) != end + 8 * n_anchors:
            raise SignatureError("signature has the wrong length")
        return cls(data[_HEADER.size:end], size, data[end:])

    @property
    def empty(self) -> bool:
        return self.size == 0


_EMPTY = Signature(b"\xff" * (4 * NUM_PERM), 0)


def _strip_dateline(line: str) -> str:
    m = _DATELINE.match(line)
    return line[m.end():] if m else line


_NOT_WORD = re.compile(r"[\W_]+")


def dedup_text(text: str) -> str:
    """``text`` reduced to what reposts of one article share: Simplified, without
    dateline, captions and editor lines, letters and digits only, lowercased.
    Never raises."""
    if not text:
        return ""
    from zhuanlan.text.normalize import to_simplified

    text = to_simplified(unicodedata.normalize("NFKC", text))
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    kept: list[str] = []
    for i, line in enumerate(lines):
        if len(line) < 200 and _FURNITURE_LINE.match(line):
            continue
        if i < 3:
            line = _strip_dateline(line)
        line = _PHOTO_CREDIT.sub("", line)
        kept.append(line)
    if not kept:  # everything looked like furniture: better the text than nothing
        kept = lines
    # A regex, not fingerprint_text's per-character loop: 2–5× faster, and the same
    # result on all 591 texts of the evaluation set (it differs only on combining marks,
    # which it drops).
    return _NOT_WORD.sub("", "".join(kept)).lower()


def shingles(norm: str, k: int = SHINGLE_K) -> set[str]:
    """The set of ``k``-character runs of a :func:`dedup_text` form; a text shorter
    than ``k`` is one shingle (empty text: none). For tests and calibration; signing
    hashes the same runs with numpy (:func:`shingle_hashes`)."""
    if len(norm) <= k:
        return {norm} if norm else set()
    return {norm[i:i + k] for i in range(len(norm) - k + 1)}


# Multipliers of the shingle hash (odd 64-bit constants from xxhash / splitmix).
_MULT = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5,
         0x94D049BB133111EB, 0xBF58476D1CE4E5B9, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)


def shingle_hashes(norm: str, k: int = SHINGLE_K):
    """The distinct 64-bit hashes of the ``k``-character runs of ``norm`` (a numpy
    uint64 array, sorted). Vectorised: 5× faster than building a set of Python strings
    and handing it to rensa (7,000 vs 1,400 docs/s of 1.1k characters), and stable
    across processes (Python's own str hash is salted per process)."""
    import numpy as np

    return np.unique(_window_hashes(norm, k))


def _window_hashes(norm: str, k: int):
    import numpy as np

    if not norm:
        return np.empty(0, dtype=np.uint64)
    codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < k:
        codes = np.concatenate([codes, np.zeros(k - len(codes), dtype=np.uint64)])
    n = len(codes) - k + 1
    with np.errstate(over="ignore"):
        h = codes[0:n] * np.uint64(_MULT[0])
        for j in range(1, k):
            h = h ^ (codes[j:j + n] * np.uint64(_MULT[j % len(_MULT)]))
        h ^= h >> np.uint64(29)
        h *= np.uint64(_MULT[5])
        h ^= h >> np.uint64(32)
    return h


def anchor_hashes(norm: str):
    """The anchors of a :func:`dedup_text` form: distinct hashes of its ``ANCHOR_K``-
    character windows that are 0 modulo ``ANCHOR_MOD`` (at most ``MAX_ANCHORS``, the
    smallest), as a sorted numpy uint64 array."""
    import numpy as np

    if len(norm) < ANCHOR_K:
        return np.empty(0, dtype=np.uint64)
    h = _window_hashes(norm, ANCHOR_K)
    picked = np.unique(h[(h >> np.uint64(40)) % np.uint64(ANCHOR_MOD) == 0])
    return picked[:MAX_ANCHORS]


def signature(text: str) -> Signature:
    """The signature of an article body (its raw or cleaned text). Never raises."""
    return signatures([text])[0]


def signatures(texts: Iterable[str], k: int = SHINGLE_K) -> list[Signature]:
    """Signatures of many texts, hashed in one call into rensa (faster in bulk).
    ``k`` other than ``SHINGLE_K`` is for calibration only (such signatures must not be
    stored: their header would lie)."""
    import numpy as np
    import rensa

    norms = [dedup_text(t) for t in texts]
    hashed = [shingle_hashes(n, k) for n in norms]
    nonempty = [h for h in hashed if len(h)]
    rows: list = []
    if nonempty:
        flat = np.concatenate(nonempty)
        offsets = np.zeros(len(nonempty) + 1, dtype=np.uint64)
        offsets[1:] = np.cumsum([len(h) for h in nonempty])
        matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, NUM_PERM, SEED)
        rows = matrix.to_rows()
    out = []
    it = iter(rows)
    for norm, h in zip(norms, hashed):
        if len(h):
            values = array("I", next(it))
            if sys.byteorder == "big":
                values.byteswap()
            anchors = anchor_hashes(norm).astype("<u8").tobytes()
            out.append(Signature(values.tobytes(), len(h), anchors))
        else:
            out.append(_EMPTY)
    return out


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values (0 when either
    is empty)."""
    if a.size == 0 or b.size == 0:
        return 0.0
    import numpy as np

    va = np.frombuffer(a.data, dtype=np.uint32)
    vb = np.frombuffer(b.data, dtype=np.uint32)
    return int(np.count_nonzero(va == vb)) / len(va)


def containment(j: float, size_a: int, size_b: int) -> float:
    """Estimated |A∩B|/|A| from a Jaccard estimate and the two set sizes:
    |A∩B| = J(|A|+|B|)/(1+J). Clamped to [0, 1]."""
    if size_a <= 0 or j <= 0:
        return 0.0
    return min(1.0, j * (size_a + size_b) / ((1.0 + j) * size_a))
