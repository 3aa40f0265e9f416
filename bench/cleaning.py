"""Speed of the cleaning stage on the extraction corpus's Chinese bodies, one core.

Baseline, measured in the same run: OpenCC's Traditional → Simplified conversion alone,
the one step every cleaner of Chinese text must do. Ends with
``RESULT clean_mb_per_s=… opencc_mb_per_s=… ratio=… mojibake_mb_per_s=…``.

    .venv/bin/python bench/cleaning.py [--corpus PATH] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import corpus_dir, require
from zhuanlan.text.mojibake import repair_mojibake
from zhuanlan.text.normalize import clean_text, to_simplified

ROOT = Path(__file__).resolve().parents[1]


def _rate(fn, texts: list[str], size: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for t in texts:
            fn(t)
        best = min(best, time.perf_counter() - start)
    return size / best / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=None,
                    help="the extraction corpus (default: $ZHUANLAN_CORPUS or ../shared/corpus/extraction)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    corpus = require(corpus_dir(args.corpus), "bench/cleaning.py")
    pages = [json.loads(line) for line in
             (corpus / "index.jsonl").read_text("utf-8").splitlines() if line]
    texts = [p["body"] for p in pages if p["lang"] == "zh" and p.get("body")]
    size = sum(len(t.encode("utf-8")) for t in texts)
    clean_text("预热")   # OpenCC's dictionaries load once
    clean = _rate(clean_text, texts, size, args.rounds)
    opencc = _rate(to_simplified, texts, size, args.rounds)
    moji = _rate(repair_mojibake, texts, size, args.rounds)
    print(f"{len(texts)} Chinese bodies, {size / 1e6:.2f} MB, best of {args.rounds}")
    print(f"  clean_text (all steps)        {clean:6.1f} MB/s")
    print(f"  OpenCC t2s alone (baseline)   {opencc:6.1f} MB/s")
    print(f"  repair_mojibake on clean text {moji:6.1f} MB/s")
    print(f"RESULT clean_mb_per_s={clean:.2f} opencc_mb_per_s={opencc:.2f} "
          f"ratio={clean / opencc:.3f} mojibake_mb_per_s={moji:.2f}")


if __name__ == "__main__":
    main()
