"""Statistics over real records, on both databases: per issue and department with the
tree rolled up, who has not studied, trends over issues, exports."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.support.study_seed import mark_sent, organisation, publish
from zhuanlan.store.stats import column_trend, issue_stats
from zhuanlan.study import export
from zhuanlan.study.records import Reader, confirm_studied


def test_issue_statistics_roll_up_the_department_tree(make_zl):
    zl = make_zl()
    people = organisation(zl)
    issue_id, arts = publish(zl, 2, "一")
    mark_sent(zl, issue_id, [people["甲"], people["乙"], people["丙"]])   # 丁 still pending
    buf = zl.records
    jia, yi = Reader.person(people["甲"]), Reader.person(people["乙"])
    buf.opened(jia, arts[0])
    buf.beat(jia, arts[0], "view-jia-00001", 120)
    buf.beat(jia, arts[1], "view-jia-00002", 60)
    buf.opened(yi, arts[0])
    buf.beat(yi, arts[0], "view-yi-000001", 30)
    buf.opened(Reader.anonymous("someone-anonymous-1"), arts[0])
    buf.flush()
    for a in arts:
        confirm_studied(zl.db, jia, a, zl.clock())
    confirm_studied(zl.db, yi, arts[0], zl.clock())      # one of two: not done

    with zl.db.read() as conn:
        stats = issue_stats(conn, issue_id)
    total = stats.total
    assert (total.recipients, total.delivered, total.opened, total.studied) == (4, 3, 2, 1)
    assert round(total.completion, 3) == round(1 / 3, 3)
    assert total.avg_minutes == (180 + 30) / 2 / 60
    office = stats.nodes["集团/一公司/办公室"]
    company = stats.nodes["集团/一公司"]
    assert (office.recipients, office.studied, office.opened) == (2, 1, 2)
    assert (company.recipients, company.delivered, company.studied) == (3, 3, 1)
    assert stats.nodes["集团/二公司"].delivered == 0
    assert stats.anonymous == 1
    assert [p.name for p in stats.not_studied()] == ["乙", "丙"]   # 丁 not delivered yet
    assert [p.name for p in stats.not_studied("集团/一公司/财务部")] == ["丙"]

    rows = export.department_rows(stats.tree)
    data = export.to_csv(export.DEPARTMENT_HEADERS, rows)
    assert data.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0][0] == "部门" and parsed[1][2] == "4"
    book = load_workbook(io.BytesIO(export.to_xlsx(export.PEOPLE_HEADERS,
                                                   export.people_rows(stats.people),
                                                   title="人员")))
    sheet = book.active
    assert [c.value for c in sheet[1]][:2] == ["工号", "姓名"]
    assert sheet.max_row == 1 + len(stats.people)


def test_trend_over_issues(make_zl):
    zl = make_zl()
    people = organisation(zl)
    first, arts1 = publish(zl, 1, "一")
    second, arts2 = publish(zl, 1, "二")
    mark_sent(zl, first)
    mark_sent(zl, second)
    for name in ("甲", "乙", "丙", "丁"):
        confirm_studied(zl.db, Reader.person(people[name]), arts1[0], zl.clock())
    confirm_studied(zl.db, Reader.person(people["甲"]), arts2[0], zl.clock())
    with zl.db.read() as conn:
        column_id = issue_stats(conn, first).column["id"]
        trend = column_trend(conn, column_id)
    assert [t["number"] for t in trend] == [1, 2]
    assert [t["completion"] for t in trend] == [1.0, 0.25]
    assert [t["studied"] for t in trend] == [4, 1]
    assert trend[0]["recipients"] == 4


def test_export_cells_cannot_become_formulas():
    assert export.to_csv(["a"], [["=HYPERLINK(\"x\")"]]).decode("utf-8-sig").splitlines()[1] \
        == "\"'=HYPERLINK(\"\"x\"\")\""
