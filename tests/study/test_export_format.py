"""Every XLSX the product writes is formatted: bold filled header, frozen below it, an
autofilter, columns fitted to their content (CJK counted double), rates as numbers in a
percent format, days as dates, 工号 as text. Read back with openpyxl, on both databases."""

from __future__ import annotations

import csv
import io
from datetime import date
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from tests.support.study_seed import mark_sent, organisation, publish
from zhuanlan.store.stats import column_trend, issue_stats
from zhuanlan.study import export
from zhuanlan.study.records import Reader, confirm_studied


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def _assert_formatted(ws, n_columns: int) -> None:
    header = ws[1]
    assert all(c.font.b for c in header)
    assert all(c.fill.fill_type == "solid" for c in header)
    assert ws.freeze_panes == "A2"
    last = chr(ord("A") + n_columns - 1)
    assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}"


def test_statistics_sheets_are_formatted(make_zl):
    zl = make_zl()
    people = organisation(zl)
    issue_id, arts = publish(zl, 1, "一")
    mark_sent(zl, issue_id)
    confirm_studied(zl.db, Reader.person(people["甲"]), arts[0], zl.clock())
    with zl.db.read() as conn:
        stats = issue_stats(conn, issue_id)
        trend = column_trend(conn, stats.column["id"])

    ws = _sheet(export.to_xlsx(export.DEPARTMENT_HEADERS, export.department_rows(stats.tree),
                               title="部门"))
    _assert_formatted(ws, len(export.DEPARTMENT_HEADERS))
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    completion = rows["全部"][export.DEPARTMENT_HEADERS.index("完成率")]
    assert completion.value == 0.25 and completion.number_format == "0.0%"
    assert rows["集团/一公司/办公室"][export.DEPARTMENT_HEADERS.index("完成率")].value == 0.5
    # "集团/一公司/办公室": 7 CJK characters and 2 slashes take 16 cells, more than the header.
    assert ws.column_dimensions["A"].width >= 16
    assert ws.column_dimensions["B"].width < ws.column_dimensions["A"].width

    ws = _sheet(export.to_xlsx(export.PEOPLE_HEADERS, export.people_rows(stats.people),
                               title="人员"))
    _assert_formatted(ws, len(export.PEOPLE_HEADERS))
    assert ws["A2"].value == "1001" and ws["A2"].data_type == "s"

    ws = _sheet(export.to_xlsx(export.TREND_HEADERS,
                               export.trend_rows(trend, ZoneInfo("Asia/Shanghai")), title="各期"))
    _assert_formatted(ws, len(export.TREND_HEADERS))
    day = ws.cell(2, export.TREND_HEADERS.index("发布日期") + 1)
    assert day.is_date and day.value.date() == trend[0]["published_at"].astimezone(
        ZoneInfo("Asia/Shanghai")).date()
    assert isinstance(day.value.date(), date)
    rate = ws.cell(2, export.TREND_HEADERS.index("完成率") + 1)
    assert rate.value == 0.25 and rate.number_format == "0.0%"

    # The CSV keeps the rate readable, as a percentage.
    data = export.to_csv(export.DEPARTMENT_HEADERS, export.department_rows(stats.tree))
    first = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1]
    assert first[export.DEPARTMENT_HEADERS.index("完成率")] == "25.0%"


def test_the_people_export_is_formatted(make_zl):
    zl = make_zl()
    zl.add_subscriber("a@example.com", "欧阳建国", department="集团/一公司/办公室",
                      employee_no="00123")
    ws = _sheet(zl.people.export("xlsx"))
    _assert_formatted(ws, ws.max_column)
    assert ws["A2"].value == "00123"
    widths = {c: ws.column_dimensions[c].width for c in "ABCD"}
    assert widths["B"] >= 8 and widths["C"] >= 18     # 欧阳建国; the department path
