"""``zhuanlan ledger``: the ledger and the summary per department written to XLSX and
CSV from the command line, audited as 命令行; a bad file name or period is refused."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.support.cli import cli_runner
from tests.support.ledger_seed import two_issues


def test_ledger_commands(tmp_path, capsys, make_zl):
    zl, people, one, two = two_issues(make_zl)
    run = cli_runner(tmp_path, zl, "ledger")

    out = tmp_path / "台账.xlsx"
    assert run("export", str(out), "--year", "2026", "--column", "xuexi", "--by", "month") == 0
    assert "已写入" in capsys.readouterr().out
    ws = load_workbook(out).active
    assert [ws.cell(1, c).value for c in (1, 4, 8)] == ["工号", "3月", "4月"]
    assert [r[1] for r in ws.iter_rows(min_row=3, values_only=True)] == ["甲", "乙", "丙", "丁"]
    entry = zl.audit(1)[0]
    assert (entry["action"], entry["actor"]) == ("ledger.export", "cli")

    office = tmp_path / "office.csv"
    assert run("export", str(office), "--year", "2026", "--period", "q1",
               "--department", "集团/一公司/办公室") == 0
    rows = list(csv.reader(io.StringIO(office.read_text(encoding="utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["甲", "乙"]

    summary = tmp_path / "汇总.csv"
    assert run("summary", str(summary), "--year", "2026") == 0
    rows = list(csv.reader(io.StringIO(summary.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["排名", "单位", "人数"]
    assert [(r[0], r[1]) for r in rows[1:3]] == [("1", "集团/一公司"), ("2", "集团/二公司")]

    assert run("export", str(tmp_path / "x.pdf")) == 2
    assert "文件名应以 .xlsx 或 .csv 结尾" in capsys.readouterr().err
    assert run("export", str(out), "--period", "q9") == 2
    assert "应为 q1…q4" in capsys.readouterr().err
