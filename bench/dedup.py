"""Benchmark of the near-duplicate stage (issue 4).

    .venv/bin/python bench/dedup.py [--sizes 1k,10k,100k,1M] [--baseline-budget 120]
                                    [--eval bench/data/dedup/eval.jsonl] [--calibrate]

1. Quality on the evaluation set (real article bodies with repost variants and hard
   negatives, bench/data/dedup/README.md): pairwise precision and recall, cluster
   purity, recall per variant. ``--calibrate`` adds the Jaccard / containment
   distributions of positive and negative pairs and the scores for k = 3, 4, 5.
2. Scale on synthetic articles (a seeded word list, 800–1500 characters, 10% repost
   variants of a recent article): signing (in a signer process feeding the index process,
   as ingest workers feed the story job), insert + query + verify, end-to-end docs/s
   (n / (sign + index) CPU seconds: one core) and wall time, peak RSS of both processes,
   each size in its own pair of processes (so each peak RSS is its own); the rebuild time
   of the index from serialised signatures streamed from a file, and its own peak RSS;
   recall of the injected reposts.
3. An exact all-pairs Jaccard baseline (every new article against every earlier one,
   exact shingle sets) on the sizes it finishes within the budget; the others print
   "did not finish within N s" with a projection (its cost grows with n²).

The last line is ``RESULT precision=… recall=… docs_per_s=… peak_rss_mb=…`` (the last
two for the largest size run: end-to-end docs/s on one core, signing included, and the
peak RSS of the index process plus that of the signer process).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _proc import peak_rss_mb  # noqa: E402
from zhuanlan.dedup.evaluation import load_jsonl_docs, run_eval, score_clusters  # noqa: E402
from zhuanlan.dedup.index import LSHIndex  # noqa: E402
from zhuanlan.dedup.minhash import SHINGLE_K, dedup_text, shingle_hashes, signatures  # noqa: E402
from zhuanlan.dedup.stories import JACCARD_SAME, DocRef, cluster, verify_scored  # noqa: E402

EVAL = ROOT / "bench" / "data" / "dedup" / "eval.jsonl"
SEED = 4242
BATCH = 1000
REPOST_SHARE = 0.10


def _size(s: str) -> int:
    s = s.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(s[-1], 1)
    return int(float(s.rstrip("km")) * mult)




# --- synthetic articles ---------------------------------------------------------------

class Synth:
    """Seeded synthetic Chinese-like articles: words of 2–4 common characters drawn
    with Zipf weights (so unrelated articles share frequent words, as real ones do)."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3500)]
        self.words = ["".join(self.rng.choices(chars, k=self.rng.choice((2, 2, 3, 4))))
                      for _ in range(6000)]
        self.cum_weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(self.words))))
        self.recent: list[tuple[int, str]] = []

    def _paragraph(self) -> str:
        rng = self.rng
        sents = []
        for _ in range(rng.randint(2, 4)):
            words = rng.choices(self.words, cum_weights=self.cum_weights, k=rng.randint(8, 18))
            sents.append("".join(words) + rng.choice("。。。，；！"))
        return "".join(sents)

    def article(self) -> str:
        target = self.rng.randint(800, 1500)
        paras, n = [], 0
        while n < target:
            p = self._paragraph()
            paras.append(p)
            n += len(p)
        return "\n".join(paras)

    def repost(self, text: str) -> str:
        rng = self.rng
        paras = text.split("\n")
        if len(paras) > 3:
            del paras[rng.randrange(1, len(paras))]
        return (f"新华社北京{rng.randint(1, 12)}月{rng.randint(1, 28)}日电 " + "\n".join(paras)
                + f"\n（责任编辑：{rng.choice('王李张刘陈')}某）")

    def stream(self, n: int):
        """(id, text, source id or None) for n articles."""
        for i in range(n):
            if self.recent and self.rng.random() < REPOST_SHARE:
                src, text = self.rng.choice(self.recent)
                yield i, self.repost(text), src
                continue
            text = self.article()
            self.recent.append((i, text))
            if len(self.recent) > 500:
                self.recent.pop(0)
            yield i, text, None


# --- scale run (one size, in a subprocess) --------------------------------------------

def _reset_peak_rss() -> None:
    """Reset VmHWM (Linux: clear_refs 5), so that the next peak is the rebuild's own."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass


def _signer(n: int, queue) -> None:
    """The producer: generate and sign batches, hand them on as serialised signatures."""
    synth = Synth()
    it = synth.stream(n)
    done = 0
    t_gen = t_sign = 0.0
    while done < n:
        t0 = time.perf_counter()
        batch = [next(it) for _ in range(min(BATCH, n - done))]
        t1 = time.perf_counter()
        sigs = signatures(t for _, t, _ in batch)
        t2 = time.perf_counter()
        t_gen += t1 - t0
        t_sign += t2 - t1
        queue.put([(d, src, sig.to_bytes()) for (d, _, src), sig in zip(batch, sigs)])
        done += len(batch)
    queue.put({"gen_s": t_gen, "sign_s": t_sign, "signer_peak_rss_mb": peak_rss_mb()})


def scale_worker(n: int) -> dict:
    """One size: a signer process generates and signs (as the ingest workers do), this
    process queries, verifies and inserts (as the story job does). Both are timed on
    their own CPU; end-to-end docs/s on one core is n / (sign + index)."""
    import multiprocessing as mp

    import numpy as np

    from zhuanlan.dedup.minhash import Signature

    ctx = mp.get_context("fork")
    queue = ctx.Queue(maxsize=8)
    signer = ctx.Process(target=_signer, args=(n, queue), daemon=True)
    t_wall = time.perf_counter()
    signer.start()
    index = LSHIndex()
    t_index = t_wait = 0.0
    found = injected = false_matches = 0
    story_of = np.zeros(n, dtype=np.int64)       # the bench's own data: 8 bytes a doc
    candidates = 0
    while True:
        t0 = time.perf_counter()
        batch = queue.get()
        t_wait += time.perf_counter() - t0
        if isinstance(batch, dict):
            signer_stats = batch
            break
        batch = [(d, src, Signature.from_bytes(b)) for d, src, b in batch]
        t2 = time.perf_counter()
        for doc_id, src, sig in batch:
            best = None
            scored = index.query_scored(sig)
            candidates += len(scored[0])
            for cid, _rel, score in verify_scored(sig.size, *scored):
                if best is None or score > best[1]:
                    best = (cid, score)
            story_of[doc_id] = story_of[best[0]] if best else doc_id
            index.add(doc_id, sig, timestamp=doc_id)
            if src is not None:
                injected += 1
                found += bool(story_of[doc_id] == story_of[src])
            elif best is not None:
                false_matches += 1
        t_index += time.perf_counter() - t2
    signer.join()
    t_wall = time.perf_counter() - t_wall
    peak = peak_rss_mb()
    index_mb = index.memory_bytes() / 2**20
    # The rebuild, from the signatures as the store holds them (serialised, streamed
    # from a file here as rows stream from the database).
    import tempfile
    with tempfile.TemporaryFile() as fh:
        for e in index:
            b = e.signature.to_bytes()
            fh.write(len(b).to_bytes(4, "little"))
            fh.write(b)
        del index, e
        fh.seek(0)

        def rows():
            ts = 0
            while head := fh.read(4):
                yield ts, fh.read(int.from_bytes(head, "little")), None, ts
                ts += 1

        _reset_peak_rss()
        t0 = time.perf_counter()
        rebuilt = LSHIndex.build(rows())
        t_rebuild = time.perf_counter() - t0
    assert len(rebuilt) == n
    return {"n": n, "gen_s": signer_stats["gen_s"], "sign_s": signer_stats["sign_s"],
            "index_s": t_index, "wait_s": t_wait, "wall_s": t_wall,
            "rebuild_s": t_rebuild, "peak_rss_mb": peak,
            "signer_peak_rss_mb": signer_stats["signer_peak_rss_mb"],
            "index_arrays_mb": index_mb, "peak_rss_rebuild_mb": peak_rss_mb(),
            "candidates": candidates,
            "injected": injected, "found": found, "false_matches": false_matches}


def baseline(n: int, budget: float) -> dict:
    """Exact all-pairs Jaccard: each article against every earlier one, exact shingle
    sets (Python frozensets of the same 64-bit shingle hashes). Stops at ``budget``."""
    synth = Synth()
    sets: list[frozenset] = []
    pairs = 0
    t0 = time.perf_counter()
    for i, text, _ in synth.stream(n):
        s = frozenset(shingle_hashes(dedup_text(text)).tolist())
        for other in sets:
            inter = len(s & other)
            if inter and inter / (len(s) + len(other) - inter) >= JACCARD_SAME:
                pairs += 1
        sets.append(s)
        elapsed = time.perf_counter() - t0
        if elapsed > budget:
            done = i + 1
            return {"n": n, "finished": False, "done": done, "elapsed": elapsed,
                    "projected_s": elapsed * (n / done) ** 2}
    return {"n": n, "finished": True, "elapsed": time.perf_counter() - t0, "pairs": pairs}


# --- evaluation -----------------------------------------------------------------------

def calibrate(rows: list[dict]) -> None:
    from zhuanlan.dedup.minhash import shingles
    print("\nCalibration: exact Jaccard / containment of pairs (normalised text)")
    print(f"{'k':>2} {'min J repost':>13} {'min C excerpt':>14} {'max J negative':>15} "
          f"{'max C negative':>15}")
    by_story: dict[str, list[dict]] = {}
    for r in rows:
        by_story.setdefault(r["story"], []).append(r)
    originals = {s: next(r for r in m if r["variant"] in ("original", "topic_swap", "template"))
                 for s, m in by_story.items()}
    for k in (3, 4, 5):
        sh = {r["id"]: shingles(dedup_text(r["text"]), k) for r in rows}
        min_j = min_c = 1.0
        for s, members in by_story.items():
            o = sh[originals[s]["id"]]
            for m in members:
                if m["variant"] == "original":
                    continue
                a = sh[m["id"]]
                inter = len(a & o)
                if m["variant"].startswith("excerpt"):
                    min_c = min(min_c, inter / len(a))
                else:
                    min_j = min(min_j, inter / len(a | o))
        max_j = max_c = 0.0
        origs = [o["id"] for o in originals.values()]
        for i, x in enumerate(origs):
            for y in origs[:i]:
                a, b = sh[x], sh[y]
                inter = len(a & b)
                max_j = max(max_j, inter / len(a | b))
                max_c = max(max_c, inter / min(len(a), len(b)))
        print(f"{k:>2} {min_j:>13.3f} {min_c:>14.3f} {max_j:>15.3f} {max_c:>15.3f}")
    print("\nFull stage per k (MinHash + LSH + verification):")
    for k in (3, 4, 5):
        sigs = signatures((r["text"] for r in rows), k=k)
        docs = [DocRef(id=r["id"], signature=s) for r, s in zip(rows, sigs)]
        sc = score_clusters(cluster(docs), {r["id"]: r["story"] for r in rows})
        print(f"  k={k}: precision {sc.precision:.3f}  recall {sc.recall:.3f}  purity {sc.purity:.3f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # 1M runs in about 10 minutes on our 2-core machines (signing dominates) with a peak
    # RSS of the index process well under 2 GB (the compact index, src/zhuanlan/dedup/index.py).
    ap.add_argument("--sizes", default="1k,10k,100k,1M",
                    help="synthetic sizes, comma-separated (k, M suffixes); default %(default)s")
    ap.add_argument("--baseline-budget", type=float, default=120.0,
                    help="seconds for the exact all-pairs baseline per size")
    ap.add_argument("--baseline-max", default="10k",
                    help="do not start the baseline above this size (its cost is n²)")
    ap.add_argument("--eval", type=Path, default=EVAL)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--_worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._worker:
        print(json.dumps(scale_worker(args._worker)))
        return 0

    rows = load_jsonl_docs(args.eval)
    t0 = time.perf_counter()
    sc = run_eval(rows)
    t_eval = time.perf_counter() - t0
    print(f"Evaluation set: {args.eval.relative_to(ROOT) if args.eval.is_relative_to(ROOT) else args.eval}"
          f" — {sc.docs} docs, {sc.stories} stories (shingle k={SHINGLE_K}, {t_eval:.2f} s)\n")
    print(f"{'metric':<22}{'value':>10}")
    print(f"{'pairwise precision':<22}{sc.precision:>10.4f}")
    print(f"{'pairwise recall':<22}{sc.recall:>10.4f}")
    print(f"{'cluster purity':<22}{sc.purity:>10.4f}")
    print(f"{'true / predicted pairs':<22}{sc.true_pairs:>5}/{sc.predicted_pairs}")
    print(f"{'clusters / stories':<22}{sc.clusters:>5}/{sc.stories}")
    print(f"\n{'variant':<20}{'found':>8}{'recall':>9}")
    for v, (ok, n) in sc.by_variant.items():
        print(f"{v:<20}{ok:>4}/{n:<4}{ok / n:>8.3f}")
    plain = run_eval(rows, anchors=False)
    print(f"\n{'candidates':<28}{'precision':>10}{'recall':>8}   excerpts found")
    for name, x in (("LSH + anchors (default)", sc), ("LSH only", plain)):
        ex = [v for k, v in x.by_variant.items() if k.startswith("excerpt")]
        print(f"{name:<28}{x.precision:>10.4f}{x.recall:>8.4f}   "
              f"{sum(a for a, _ in ex)}/{sum(b for _, b in ex)}")
    if sc.false_pairs:
        print("false pairs:", ", ".join(f"{a}~{b}" for a, b in sc.false_pairs[:10]))
    if sc.missed:
        print("missed:", ", ".join(map(str, sc.missed[:10])))
    if args.calibrate:
        calibrate(rows)

    sizes = [_size(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    print(f"\nScale (synthetic, {REPOST_SHARE:.0%} reposts; one process per size, plus a "
          f"signer process feeding it; e2e docs/s = n / (sign + index) CPU seconds, one core; "
          f"wall = both processes overlapped)")
    print(f"{'size':>9}{'sign/s':>9}{'index/s':>10}{'e2e docs/s':>12}{'wall s':>8}"
          f"{'peak RSS MB':>13}{'signer MB':>11}{'arrays MB':>11}{'rebuild s':>11}"
          f"{'rebuild MB':>12}{'repost recall':>15}{'false':>7}")
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--_worker", str(n)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["e2e"] = n / (r["sign_s"] + r["index_s"])
        results.append(r)
        print(f"{n:>9,}{n / r['sign_s']:>9,.0f}{n / r['index_s']:>10,.0f}{r['e2e']:>12,.0f}"
              f"{r['wall_s']:>8,.0f}{r['peak_rss_mb']:>13,.0f}{r['signer_peak_rss_mb']:>11,.0f}"
              f"{r['index_arrays_mb']:>11,.0f}{r['rebuild_s']:>11.2f}"
              f"{r['peak_rss_rebuild_mb']:>12,.0f}"
              f"{r['found'] / max(1, r['injected']):>15.4f}{r['false_matches']:>7}", flush=True)

    print(f"\nExact all-pairs Jaccard baseline (budget {args.baseline_budget:.0f} s per size; "
          f"above --baseline-max projected with n² growth from the largest size run)")
    print(f"{'size':>9}{'baseline s':>12}{'LSH e2e s':>11}{'speed-up':>10}")
    cap = _size(args.baseline_max)
    ref = None     # (n, seconds) of the largest baseline measured or projected
    for r in results:
        n = r["n"]
        lsh_s = r["sign_s"] + r["index_s"]
        if n > cap:
            if ref is None:
                print(f"{n:>9,}  not run (above --baseline-max {args.baseline_max})")
            else:
                proj = ref[1] * (n / ref[0]) ** 2
                print(f"{n:>9,}  not run; projected {proj:,.0f} s (≈{proj / 86400:,.1f} days), "
                      f"≈{proj / lsh_s:,.0f}× the LSH")
            continue
        b = baseline(n, args.baseline_budget)
        if b["finished"]:
            ref = (n, b["elapsed"])
            print(f"{n:>9,}{b['elapsed']:>12.1f}{lsh_s:>11.2f}{b['elapsed'] / lsh_s:>9.0f}×")
        else:
            ref = (n, b["projected_s"])
            print(f"{n:>9,}  did not finish within {args.baseline_budget:.0f} s "
                  f"({b['done']:,} docs done; projected {b['projected_s']:,.0f} s, "
                  f"≈{b['projected_s'] / lsh_s:,.0f}× the LSH)", flush=True)

    last = results[-1] if results else {"e2e": 0.0, "peak_rss_mb": 0.0}
    print(f"\nRESULT precision={sc.precision:.4f} recall={sc.recall:.4f} "
          f"docs_per_s={last['e2e']:.0f} "
          f"peak_rss_mb={last['peak_rss_mb'] + last.get('signer_peak_rss_mb', 0.0):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
