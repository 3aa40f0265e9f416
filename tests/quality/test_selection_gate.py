"""Quality gate: the learned queue order must keep its measured quality.

Replays the shipped decision log prequentially (``zhuanlan.selection.evaluation``, as
``bench/selection.py`` does) and fails when AUC or precision@10 of the learned ordering
falls below the floors pinned in ``selection_floors.json``, or when learning no longer
beats the keyword score by the pinned margin. Raise the floors when a change improves
the figures; lower them only with a reason written in the file's ``_about``.
"""

import json
import time
from pathlib import Path

from zhuanlan.selection.evaluation import load_columns, load_log, replay

HERE = Path(__file__).parent
LOG_DIR = HERE.parent / "fixtures" / "selection"


def test_selection_quality_floors():
    floors = json.loads((HERE / "selection_floors.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    report = replay(load_log(LOG_DIR / "decisions.jsonl"), load_columns(LOG_DIR / "columns.json"))
    elapsed = time.perf_counter() - started
    print(report.result_line(), f"({elapsed:.1f} s)")
    assert report.unmatched == 0, "the log holds candidates the columns' rules now refuse"
    assert report.evaluated >= 600 and report.queues >= 20
    assert report.auc >= floors["auc"], report.result_line()
    assert report.p_at_10 >= floors["p_at_10"], report.result_line()
    assert report.auc - report.baseline_auc >= floors["min_gain_over_baseline_auc"], \
        report.result_line()
