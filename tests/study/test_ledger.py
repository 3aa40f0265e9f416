"""学习台账 over real records, on both databases: per person and issue or month —
received, opened, studied (with the column's minimum reading time), reading time, 答题
score, 学习心得 — the summary per department ranked by completion, and the XLSX layout."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.support.ledger_seed import two_issues
from tests.support.study_seed import SLUG
from zhuanlan.sheets import Percent, write_grouped_xlsx
from zhuanlan.study import ledger as figures
from zhuanlan.study.ledger import Cell, Unit, rank
from zhuanlan.study.periods import Period
from zhuanlan.study.scope import Scope


def test_the_ledger_counts_per_person_and_issue(make_zl):
    zl, p, one, two = two_issues(make_zl)
    book = zl.ledger.table(scope=Scope(), slug=SLUG, period=Period(2026), by="issue")
    assert [g.label for g in book.groups] == ["第1期", "第2期"]
    assert book.issues == 2
    rows = {r.name: r for r in book.rows}
    assert list(rows) == ["甲", "乙", "丙", "丁"]               # by department, 工号
    jia, yi, bing, ding = (rows[n] for n in "甲乙丙丁")
    c = jia.cell(str(one))
    assert (c.received, c.opened, c.studied, c.seconds) == (1, 1, 1, 180)
    assert (c.answered, c.correct, c.score, c.reflections, c.excellent) == (4, 3, 0.75, 1, 1)
    c = jia.cell(str(two))               # confirmed without reading time: not studied
    assert (c.received, c.opened, c.studied) == (1, 1, 0)
    t = jia.total
    assert (t.received, t.studied, t.completion, t.reflections) == (2, 1, 0.5, 1)
    assert yi.cell(str(one)).studied == 0 and yi.cell(str(two)).studied == 1
    assert yi.total.reflections == 1                   # the hidden one is not counted
    assert yi.total.score == 0.5
    assert (bing.total.opened, bing.total.studied, bing.total.score) == (1, 0, None)
    assert (ding.total.received, ding.total.opened) == (0, 0)   # pushed, never sent


def test_a_page_of_the_ledger_reads_the_same_rows_in_the_same_order(make_zl):
    zl, p, one, two = two_issues(make_zl)
    whole = zl.ledger.table(scope=Scope(), slug=SLUG, period=Period(2026))
    pages = [zl.ledger.table(scope=Scope(), slug=SLUG, period=Period(2026), page=n,
                             per_page=3) for n in (1, 2, 3)]
    assert [b.people for b in pages] == [4, 4, 4]
    assert [r.name for b in pages for r in b.rows] == [r.name for r in whole.rows]
    assert [len(b.rows) for b in pages] == [3, 1, 0]
    assert [r.cells for b in pages for r in b.rows] == [r.cells for r in whole.rows]
    scoped = zl.ledger.table(scope=Scope.of(["集团/一公司/财务部"]), period=Period(2026),
                             page=1)
    assert scoped.people == len(scoped.rows) == len(
        zl.ledger.table(scope=Scope.of(["集团/一公司/财务部"]), period=Period(2026)).rows)


def test_months_quarters_and_the_scope(make_zl):
    zl, p, one, two = two_issues(make_zl)
    book = zl.ledger.table(scope=Scope(), slug=SLUG, period=Period(2026), by="month")
    assert [(g.key, g.label) for g in book.groups] == [("2026-03", "3月"), ("2026-04", "4月")]
    march = zl.ledger.table(scope=Scope(), slug="", period=Period(2026, month=3))
    assert march.issues == 1 and [g.label for g in march.groups] == ["第1期"]
    assert zl.ledger.table(scope=Scope(), period=Period(2026, quarter=3)).rows == []
    assert zl.ledger.table(scope=Scope(), period=Period(2025)).rows == []
    scoped = zl.ledger.table(scope=Scope.of(["集团/一公司/财务部"]), period=Period(2026))
    assert [r.name for r in scoped.rows] == ["丙"]
    office = zl.ledger.table(scope=Scope.of(["集团/一公司"]), period=Period(2026),
                             department="集团/一公司/办公室")
    assert [r.name for r in office.rows] == ["甲", "乙"]


def test_a_person_sees_their_own_year(make_zl):
    zl, p, one, two = two_issues(make_zl)
    mine = zl.ledger.personal(p["乙"], 2026)
    (column,) = mine["columns"]
    assert [i["number"] for i in column["issues"]] == [2, 1]       # newest first
    assert (mine["total"].received, mine["total"].studied) == (2, 1)
    assert zl.ledger.personal(p["乙"], 2025)["columns"] == []
    assert zl.ledger.years(p["乙"]) == [2026]


def test_the_summary_ranks_departments_by_completion(make_zl):
    zl, p, one, two = two_issues(make_zl)
    summary = zl.ledger.summary(scope=Scope(), period=Period(2026))
    assert summary.issues == 2
    total = summary.tree[0]
    assert (total.path, total.people, total.cell.received, total.cell.studied) == ("", 4, 6, 2)
    assert [u.path for u in summary.tree] == [
        "", "集团", "集团/一公司", "集团/一公司/办公室", "集团/一公司/财务部", "集团/二公司"]
    # 集团 has one child level that branches: its companies are ranked.
    assert summary.level == 2
    assert [(u.path, u.rank) for u in summary.ranking] == [("集团/一公司", 1), ("集团/二公司", 2)]
    office = next(u for u in summary.tree if u.path == "集团/一公司/办公室")
    assert (office.people, office.quiz_people, office.cell.answered) == (2, 2, 6)
    assert office.cell.completion == 0.5
    scoped = zl.ledger.summary(scope=Scope.of(["集团/一公司"]), period=Period(2026))
    assert [u.path for u in scoped.tree] == [
        "", "集团/一公司", "集团/一公司/办公室", "集团/一公司/财务部"]
    assert scoped.tree[0].people == 3
    assert [u.path for u in scoped.ranking] == ["集团/一公司/办公室", "集团/一公司/财务部"]


def test_ranking_is_by_completion_not_time_and_ties_share_a_rank():
    def unit(path, received, studied, seconds, opened=None, people=1):
        return Unit(path, path, 1, people=people,
                    cell=Cell(received=received, studied=studied, seconds=seconds,
                              opened=received if opened is None else opened))
    ranked = rank([unit("甲", 10, 5, 99_999), unit("乙", 10, 9, 60), unit("丙", 10, 9, 60),
                   unit("丁", 10, 9, 60, opened=9), unit("戊", 20, 18, 60, people=2)])
    assert [(u.path, u.rank) for u in ranked] == [
        ("戊", 1), ("丙", 2), ("乙", 2), ("丁", 4), ("甲", 5)]


def test_the_xlsx_has_a_merged_group_per_issue_and_one_row_per_person(make_zl):
    zl, p, one, two = two_issues(make_zl)
    book = zl.ledger.table(scope=Scope(), slug=SLUG, period=Period(2026))
    data = write_grouped_xlsx(figures.FIXED, figures.sheet_groups(book),
                              figures.sheet_rows(book, Percent), title="学习台账",
                              text_columns=[0])
    ws = load_workbook(io.BytesIO(data)).active
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:A2", "B1:B2", "C1:C2", "D1:G1", "H1:K1", "L1:T1"} <= merged
    assert [ws.cell(1, c).value for c in (1, 2, 3, 4, 8, 12)] == [
        "工号", "姓名", "部门", "第1期", "第2期", "合计"]
    assert [ws.cell(2, c).value for c in range(4, 8)] == ["打开", "学习", "时长(分钟)", "得分"]
    assert ws.freeze_panes == "D3"
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in rows] == ["甲", "乙", "丙", "丁"]
    jia = rows[0]
    assert jia[0] == "1001" and ws.cell(3, 1).data_type == "s"
    assert jia[3:7] == (1, 1, 3.0, 0.75)
    assert ws.cell(3, 7).number_format == "0.0%"
    assert jia[11:14] == (2, 2, 1) and jia[14] == 0.5            # 应学, 打开, 学习, 完成率
    assert rows[3][3:11] == (None,) * 8                          # 丁: never sent
