"""Statistics as CSV (UTF-8 with BOM, so that Excel in China opens it right) and XLSX
(formatted by ``sheets``: rates are numbers shown as percentages)."""

from __future__ import annotations

import csv
import io
from datetime import tzinfo

from zhuanlan.cells import safe_cell
from zhuanlan.sheets import Percent, write_xlsx
from zhuanlan.study.figures import PersonRow
from zhuanlan.study.quiz_figures import QuizFigures
from zhuanlan.study.rollup import Figures

DEPARTMENT_HEADERS = ["部门", "层级", "应学人数", "已送达", "已打开", "已学习", "完成率",
                      "打开率", "人均阅读分钟", "过快确认"]
PEOPLE_HEADERS = ["工号", "姓名", "部门", "邮箱", "已送达", "打开篇数", "学习篇数", "本期篇数",
                  "已完成", "阅读分钟", "过快确认"]

TREND_HEADERS = ["期", "标题", "发布日期", "应学人数", "已送达", "已打开", "已学习", "打开率",
                 "完成率", "人均阅读分钟", "过快确认"]


def trend_rows(trend: list[dict], tz: tzinfo) -> list[list]:
    """One row per issue, newest first; the publishing day in the column's time zone."""
    return [[t["number"], t["title"],
             t["published_at"].astimezone(tz).date() if t["published_at"] else None,
             t["recipients"], t["delivered"], t["opened"], t["studied"],
             Percent(t["open_rate"]), Percent(t["completion"]), round(t["avg_minutes"], 1),
             t["too_quick"]]
            for t in reversed(trend)]


def department_rows(tree: list[Figures]) -> list[list]:
    return [[f.path or f.name, f.depth, f.recipients, f.delivered, f.opened, f.studied,
             Percent(f.completion), Percent(f.open_rate), round(f.avg_minutes, 1), f.too_quick]
            for f in tree]


QUIZ_HEADERS = ["部门", "层级", "应学人数", "参与答题人数", "参与率", "计分答题数", "答对数",
                "平均得分"]


def quiz_rows(tree: list[QuizFigures]) -> list[list]:
    """答题 per department: participation and average score (share of right answers)."""
    return [[f.path or f.name, f.depth, f.recipients, f.participants, Percent(f.participation),
             f.answers, f.correct, Percent(f.score)]
            for f in tree]


def people_rows(people: list[PersonRow]) -> list[list]:
    return [[p.employee_no, p.name, p.department, p.email, "是" if p.delivered else "否",
             p.opened, p.studied, p.items, "是" if p.done else "否", round(p.seconds / 60, 1),
             p.too_quick]
            for p in people]


def to_csv(headers: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([[str(v) if isinstance(v, Percent) else safe_cell(v) for v in row]
                      for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(headers: list[str], rows: list[list], *, title: str) -> bytes:
    # 工号 stays text (00123 keeps its zeros) wherever a sheet has one.
    return write_xlsx(headers, rows, title=title or "统计",
                      text_columns=[i for i, h in enumerate(headers) if h == "工号"])
