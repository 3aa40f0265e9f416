"""Quality gate: the near-duplicate stage must keep its measured quality.

Runs the evaluation set (``bench/data/dedup/eval.jsonl``: real article bodies with repost
variants and hard negatives) through signing, the LSH index and the story verification,
as ``bench/dedup.py`` does, and fails when pairwise precision, recall, cluster purity or
the recall of any variant falls below the floors pinned in ``dedup_floors.json``. Raise
the floors when a change improves the figures; lower them only with a reason written in
the file's ``_about``.
"""

import json
import time
from pathlib import Path

from zhuanlan.dedup.evaluation import load_jsonl_docs, run_eval

HERE = Path(__file__).parent
EVAL = HERE.parent.parent / "bench" / "data" / "dedup" / "eval.jsonl"


def test_dedup_quality_floors():
    floors = json.loads((HERE / "dedup_floors.json").read_text(encoding="utf-8"))
    rows = load_jsonl_docs(EVAL)
    started = time.perf_counter()
    s = run_eval(rows)
    elapsed = time.perf_counter() - started
    line = (f"precision={s.precision:.4f} recall={s.recall:.4f} purity={s.purity:.4f} "
            f"false={list(s.false_pairs[:5])} missed={list(s.missed[:5])}")
    print(line, f"({elapsed:.1f} s)")
    assert s.docs >= 500 and s.stories >= 100
    assert s.precision >= floors["precision"], line
    assert s.recall >= floors["recall"], line
    assert s.purity >= floors["purity"], line
    for variant, (found, total) in s.by_variant.items():
        assert found / total >= floors["variant_recall"], (variant, found, total)
    excerpts = [v for k, v in s.by_variant.items() if k.startswith("excerpt")]
    found, total = sum(a for a, _ in excerpts), sum(b for _, b in excerpts)
    assert total >= 100 and found / total >= floors["excerpt_recall"], (found, total)
