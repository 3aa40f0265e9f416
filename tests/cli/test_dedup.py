import io
import json

from tests.dedup.articles import ORIGINAL, OTHER
from zhuanlan.cli.dedup import run_dedup


def _run(tmp_path, lines, monkeypatch=None):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run_dedup(str(path), out=out, err=err)
    return code, [json.loads(x) for x in out.getvalue().splitlines()], err.getvalue()


def _line(**kw):
    return json.dumps(kw, ensure_ascii=False)


def test_clusters_with_representative(tmp_path):
    code, stories, err = _run(tmp_path, [
        _line(id="a", title="t", text="人民网北京9月10日电 " + ORIGINAL, url="http://m.people.com.cn/n1/a.html",
              source="人民网"),
        _line(id="b", title="t2", text=OTHER, url="u", source="新华网"),
        _line(id="c", title="t3", text=ORIGINAL + "\n（责任编辑：王某）", url="u", source="新华社"),
        _line(id=7, text=""),
    ])
    assert code == 0 and err == ""
    assert stories == [{"story": "c", "ids": ["a", "c"]}, {"story": "b", "ids": ["b"]},
                       {"story": 7, "ids": [7]}]


def test_bad_lines_reported_and_skipped(tmp_path):
    code, stories, err = _run(tmp_path, [
        _line(id="a", text=ORIGINAL),
        "{not json",
        "[1, 2]",
        _line(title="no id", text=OTHER),
        _line(id="b", text=5),
        _line(id="a", text=OTHER),
        "",
        _line(id="c", text=ORIGINAL),
    ])
    assert code == 1
    assert stories == [{"story": "a", "ids": ["a", "c"]}]
    lines = err.splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "duplicate id" in lines[-1]


def test_stdin_and_unreadable(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(_line(id="x", text=OTHER) + "\n"))
    out, err = io.StringIO(), io.StringIO()
    assert run_dedup("-", out=out, err=err) == 0
    assert json.loads(out.getvalue()) == {"story": "x", "ids": ["x"]}
    assert run_dedup(str(tmp_path / "missing.jsonl"), out=out, err=err) == 2
    assert "cannot read" in err.getvalue()
