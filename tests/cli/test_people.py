"""``zhuanlan people``: preview and apply an import, bad rows (exit code 2), export,
subscriptions and opt-outs, the department tree."""

from __future__ import annotations

from tests.support.cli import cli_runner
from tests.support.people_files import approve_one, csv_bytes, outbox, xlsx_bytes

PEOPLE = [["工号", "姓名", "部门", "邮箱"],
          ["1", "张三", "集团/甲公司/党群工作部", "zhang@corp.example.com"],
          ["2", "李四", "集团/甲公司/财务部", "li@corp.example.com"],
          ["3", "王五", "集团/乙公司", "wang@corp.example.com"]]


def test_people_commands(tmp_path, capsys, make_zl):
    zl = make_zl()
    zl.add_column("xuexi", "学习二十大", include="二十大", schedule="0 9 * * 1")
    run = cli_runner(tmp_path, zl, "people")

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes([["工号", "姓名", "邮箱", "手机"], [1, "", "x", "138"]]))
    assert run("import", str(bad), "--apply") == 2
    err = capsys.readouterr().err
    assert "未导入任何数据" in err and "手机" in err and "未知的列" in err
    assert zl.people.list_people() == []

    good = tmp_path / "people.csv"
    good.write_bytes(csv_bytes(PEOPLE, "gbk"))
    assert run("import", str(good)) == 0
    captured = capsys.readouterr()
    assert "新增 3" in captured.out and "预览" in captured.out
    assert "已读取 3 行" in captured.err                       # progress on stderr
    assert zl.people.list_people() == []
    assert run("import", str(good), "--apply") == 0
    assert len(zl.people.list_people()) == 3

    assert run("departments") == 0
    out = capsys.readouterr().out
    assert "集团  3 人" in out and "  甲公司  2 人" in out

    assert run("subscribe", "xuexi", "--department", "集团 › 甲公司") == 0
    assert run("subscribe", "xuexi", "--person", "wang@corp.example.com") == 0
    assert run("unsubscribe", "xuexi", "1") == 0
    assert run("subscribe", "xuexi", "--department", "集团/没有") == 2
    approve_one(zl, "xuexi")
    got = outbox(zl, zl.publish_now("xuexi"))
    assert got == sorted([zl.people.get("2")["id"], zl.people.get("3")["id"]])

    out_csv, out_xlsx = tmp_path / "out.csv", tmp_path / "out.xlsx"
    assert run("export", str(out_csv)) == 0 and run("export", str(out_xlsx)) == 0
    assert run("export", str(tmp_path / "out.txt")) == 2
    capsys.readouterr()
    assert run("import", str(out_xlsx), "--deactivate-missing") == 0
    assert "未变 3" in capsys.readouterr().out
