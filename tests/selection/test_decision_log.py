"""The shipped decision log is what its generator writes, and has the promised shape."""

import importlib.util
import json
from pathlib import Path

LOG_DIR = Path(__file__).parents[1] / "fixtures" / "selection"


def _generator():
    spec = importlib.util.spec_from_file_location("make_log", LOG_DIR / "make_log.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_log_is_reproducible():
    shipped = [json.loads(line) for line in
               (LOG_DIR / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert shipped == _generator().generate()
    columns = json.loads((LOG_DIR / "columns.json").read_text(encoding="utf-8"))
    assert columns == _generator().COLUMNS


def test_log_shape():
    rows = [json.loads(line) for line in
            (LOG_DIR / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 600
    assert {r["column"] for r in rows} == {"ershida", "xinzhi"}
    assert {r["decision"] for r in rows} == {"approve", "reject"}
    assert [r["ts"] for r in rows] == sorted(r["ts"] for r in rows)
    assert all({"ts", "column", "title", "text", "source", "decision"} <= set(r) for r in rows)
