"""Learning from the editor: an online model per column, trained by approve / reject.

Features (:func:`featurize`), hashed into ``2**DIM_BITS`` slots with CRC-32 of the
feature's name (stable across processes, unlike ``hash()``):

* ``b:<word>`` — each distinct word of the body, value ``1/√(distinct body words)``;
* ``t:<word>`` — each distinct word of the title, as features of their own (a word in
  the title says more than in the body), value ``1/√(distinct title words)``;
* ``s:<source>`` — the outlet (新华网, 人民网-理论 …), value 1;
* ``len:<k>`` — the body length bucket ``⌊log2(chars / 100)⌋``: short notices are
  rarely study material;
* ``kw`` — the keyword relevance score (:mod:`zhuanlan.selection.score`),
  ``log(1 + score)``, so the model starts from what the rules know;
* a bias, kept apart.

Model: logistic regression trained by SGD with per-feature AdaGrad step sizes and L2
shrinkage applied to the features of each example. Chosen by measurement on the decision
log of ``tests/fixtures/selection`` (``bench/selection.py --compare``, prequential AUC /
p@10): logistic/AdaGrad 0.827 / 0.753, multinomial naive Bayes 0.829 / 0.740,
passive-aggressive (PA-I) 0.745 / 0.707. Logistic regression and NB tie on AUC; logistic
regression is kept because its probability is calibrated enough for a per-column
auto-approve threshold (NB's word products are over-confident: p near 0 or 1 for any
long article), it takes the real-valued keyword score as a feature as it is, and its
p@10 is better. (An oracle that knows each item's category reaches AUC 0.884 on this
log: the rest is the editor's noise.)

``ready``: the queue is ordered by the model once it has seen ``MIN_DECISIONS`` (20)
decisions with at least ``MIN_PER_LABEL`` (3) of each kind; before, by keyword score.
Twenty decisions are about a day's work for one column (the log's daily queues hold
20–26), so the model takes over from the second day.

Size: the weights are a sparse dict of at most ``2**18`` entries (in practice a few
thousand: one per distinct word seen); :meth:`Learner.to_bytes` packs index, weight and
AdaGrad sum as 12 bytes per entry and compresses them (zlib): ~10 KB for ~1,100
weights after 370 decisions of one column on the log (``to_dict`` JSON: ~70 KB).
"""

from __future__ import annotations

import math
import struct
import zlib
from array import array
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, TypeVar

from zhuanlan.selection.rules import prepare

__all__ = ["Learner", "featurize", "DIM_BITS", "MIN_DECISIONS", "MIN_PER_LABEL"]

DIM_BITS = 18
MIN_DECISIONS = 20
MIN_PER_LABEL = 3
# Tuned on the decision log with bench/selection.py: AdaGrad base step 0.03 / 0.06 / 0.1 /
# 0.2 / 0.4 / 0.8 / 1.5 gave AUC 0.814 / 0.824 / 0.828 / 0.827 / 0.819 / 0.803 / 0.788 and
# p@10 0.733 / 0.737 / 0.747 / 0.753 / 0.757 / 0.730 / 0.720; L2 1e-5–1e-3 changed
# nothing below 0.4. 0.2 and 1e-4 chosen (best sum). Blending the keyword score into the
# order after ready (bench --blend 0.1, 0.3) did not help: it is a feature already.
LEARNING_RATE = 0.2
L2 = 1e-4
_MAGIC = b"ZLSL"
_VERSION = 1

K = TypeVar("K", bound=Hashable)
Features = Mapping[int, float]


def _slot(name: str, bits: int = DIM_BITS) -> int:
    return zlib.crc32(name.encode("utf-8")) & ((1 << bits) - 1)


def featurize(title: str, text: str, source: str | None = None, score: float | None = None,
              *, bits: int = DIM_BITS) -> dict[int, float]:
    """Hashed features of a candidate (module doc). Title and text are cleaned and
    segmented as for matching. Never raises."""
    feats: dict[int, float] = {}

    def put(name: str, value: float) -> None:
        slot = _slot(name, bits)
        feats[slot] = feats.get(slot, 0.0) + value

    body_words = set(prepare(text or "").words)
    title_words = set(prepare(title or "").words)
    if body_words:
        v = 1.0 / math.sqrt(len(body_words))
        for w in body_words:
            put("b:" + w, v)
    if title_words:
        v = 1.0 / math.sqrt(len(title_words))
        for w in title_words:
            put("t:" + w, v)
    if source:
        put("s:" + source.strip().casefold(), 1.0)
    chars = sum(1 for ch in text or "" if not ch.isspace())
    put(f"len:{int(math.log2(max(chars, 1) / 100 + 1))}", 1.0)
    if score is not None:
        put("kw", math.log1p(max(score, 0.0)))
    return feats


class Learner:
    """A column's online model (module doc). Not thread-safe: the store loads it, the
    decision updates it, the store saves it back, in one transaction."""

    def __init__(self, *, bits: int = DIM_BITS, min_decisions: int = MIN_DECISIONS,
                 min_per_label: int = MIN_PER_LABEL, learning_rate: float = LEARNING_RATE,
                 l2: float = L2) -> None:
        self.bits = bits
        self.min_decisions = min_decisions
        self.min_per_label = min_per_label
        self.learning_rate = learning_rate
        self.l2 = l2
        self.weights: dict[int, float] = {}
        self.grad2: dict[int, float] = {}
        self.bias = 0.0
        self.bias_grad2 = 0.0
        self.n_pos = 0
        self.n_neg = 0

    @property
    def n_decisions(self) -> int:
        return self.n_pos + self.n_neg

    @property
    def ready(self) -> bool:
        """Whether the model has seen enough decisions to order the queue."""
        return (self.n_decisions >= self.min_decisions and self.n_pos >= self.min_per_label
                and self.n_neg >= self.min_per_label)

    def _margin(self, features: Features) -> float:
        w = self.weights
        return self.bias + sum(w.get(i, 0.0) * v for i, v in features.items())

    def predict(self, features: Features) -> float:
        """Probability that the editor approves a candidate with these features."""
        z = max(-35.0, min(35.0, self._margin(features)))
        return 1.0 / (1.0 + math.exp(-z))

    def update(self, features: Features, label: bool | int) -> float:
        """Learn one decision (truthy = approved). Returns the prediction made before
        learning it."""
        y = 1.0 if label else 0.0
        p = self.predict(features)
        g = p - y                     # gradient of the log loss w.r.t. the margin
        lr, l2 = self.learning_rate, self.l2
        self.bias_grad2 += g * g
        self.bias -= lr * g / math.sqrt(self.bias_grad2 + 1e-8)
        w, g2 = self.weights, self.grad2
        for i, v in features.items():
            wi = w.get(i, 0.0)
            gi = g * v + l2 * wi
            acc = g2.get(i, 0.0) + gi * gi
            g2[i] = acc
            wi -= lr * gi / math.sqrt(acc + 1e-8)
            if wi:
                w[i] = wi
            else:
                w.pop(i, None)
        if y:
            self.n_pos += 1
        else:
            self.n_neg += 1
        return p

    def priority(self, features: Features, score: float) -> float:
        """The value the queue is sorted by, descending: the model's probability once
        ready, the keyword score before."""
        return self.predict(features) if self.ready else score

    def order(self, candidates: Iterable[tuple[K, Features, float]]) -> list[tuple[K, float]]:
        """``(key, features, keyword score)`` triples sorted best first, as
        ``(key, priority)``; ties keep the given order."""
        ranked = [(key, self.priority(feats, score)) for key, feats, score in candidates]
        ranked.sort(key=lambda kv: -kv[1])
        return ranked

    # -- persistence --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; weight indices as strings (JSON object keys)."""
        return {"version": _VERSION, "bits": self.bits, "min_decisions": self.min_decisions,
                "min_per_label": self.min_per_label, "learning_rate": self.learning_rate,
                "l2": self.l2, "n_pos": self.n_pos, "n_neg": self.n_neg, "bias": self.bias,
                "bias_grad2": self.bias_grad2,
                "weights": {str(i): w for i, w in self.weights.items()},
                "grad2": {str(i): g for i, g in self.grad2.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Learner:
        if data.get("version") != _VERSION:
            raise ValueError(f"unknown learner version {data.get('version')!r}")
        m = cls(bits=int(data["bits"]), min_decisions=int(data["min_decisions"]),
                min_per_label=int(data["min_per_label"]),
                learning_rate=float(data["learning_rate"]), l2=float(data["l2"]))
        m.n_pos, m.n_neg = int(data["n_pos"]), int(data["n_neg"])
        m.bias, m.bias_grad2 = float(data["bias"]), float(data["bias_grad2"])
        m.weights = {int(i): float(w) for i, w in data["weights"].items()}
        m.grad2 = {int(i): float(g) for i, g in data["grad2"].items()}
        return m

    def to_bytes(self) -> bytes:
        """Compact form for a BLOB column: header, then index (uint32), weight and
        AdaGrad sum (float32) of every slot ever touched, zlib-compressed."""
        slots = sorted(self.grad2)
        idx = array("I", slots)
        w = array("f", (self.weights.get(i, 0.0) for i in slots))
        g = array("f", (self.grad2[i] for i in slots))
        head = struct.pack("<4sBBHHddIIdd", _MAGIC, _VERSION, self.bits, self.min_decisions,
                           self.min_per_label, self.learning_rate, self.l2, self.n_pos,
                           self.n_neg, self.bias, self.bias_grad2)
        body = struct.pack("<I", len(slots)) + idx.tobytes() + w.tobytes() + g.tobytes()
        return head + zlib.compress(body, 6)

    @classmethod
    def from_bytes(cls, blob: bytes) -> Learner:
        """Raises ValueError for bytes that are not a saved learner."""
        size = struct.calcsize("<4sBBHHddIIdd")
        try:
            (magic, version, bits, min_dec, min_lab, lr, l2, n_pos, n_neg, bias,
             bias_g2) = struct.unpack("<4sBBHHddIIdd", blob[:size])
            body = zlib.decompress(blob[size:])
        except (struct.error, zlib.error) as exc:
            raise ValueError("not a saved learner") from exc
        if magic != _MAGIC or version != _VERSION:
            raise ValueError("not a saved learner")
        (n,) = struct.unpack("<I", body[:4])
        idx, w, g = array("I"), array("f"), array("f")
        idx.frombytes(body[4:4 + 4 * n])
        w.frombytes(body[4 + 4 * n:4 + 8 * n])
        g.frombytes(body[4 + 8 * n:4 + 12 * n])
        m = cls(bits=bits, min_decisions=min_dec, min_per_label=min_lab, learning_rate=lr, l2=l2)
        m.n_pos, m.n_neg, m.bias, m.bias_grad2 = n_pos, n_neg, bias, bias_g2
        m.grad2 = dict(zip(idx, g))
        m.weights = {i: x for i, x in zip(idx, w) if x}
        return m
