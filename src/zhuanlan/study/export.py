"""Statistics as CSV (UTF-8 with BOM, so that Excel in China opens it right) and XLSX
(openpyxl write-only: memory stays flat for 50,000 rows)."""

from __future__ import annotations

import csv
import io

from zhuanlan.cells import safe_cell
from zhuanlan.study.figures import PersonRow
from zhuanlan.study.rollup import Figures

DEPARTMENT_HEADERS = ["部门", "层级", "应学人数", "已送达", "已打开", "已学习", "完成率",
                      "打开率", "人均阅读分钟"]
PEOPLE_HEADERS = ["工号", "姓名", "部门", "邮箱", "已送达", "打开篇数", "学习篇数", "本期篇数",
                  "已完成", "阅读分钟"]


def department_rows(tree: list[Figures]) -> list[list]:
    return [[f.path or f.name, f.depth, f.recipients, f.delivered, f.opened, f.studied,
             round(f.completion * 100, 1), round(f.open_rate * 100, 1), round(f.avg_minutes, 1)]
            for f in tree]


def people_rows(people: list[PersonRow]) -> list[list]:
    return [[p.employee_no, p.name, p.department, p.email, "是" if p.delivered else "否",
             p.opened, p.studied, p.items, "是" if p.done else "否", round(p.seconds / 60, 1)]
            for p in people]


def to_csv(headers: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(headers: list[str], rows: list[list], *, title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "统计")
    ws.append(headers)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
