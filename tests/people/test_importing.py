"""Reading and checking people files, without a store: encodings, formats, headers in
Chinese and English, the bad-row report."""

from __future__ import annotations

import pytest

from tests.support.people_files import csv_bytes, xlsx_bytes
from zhuanlan.people.departments import build_tree, canonical, display, split_path
from zhuanlan.people.export import HEADERS, to_csv, to_xlsx
from zhuanlan.people.importing import FileFormatError, parse_people, plan_import

ROWS = [["工号", "姓名", "部门", "邮箱", "企业微信"],
        ["0001", "张三", "中国某集团 › 某某公司 › 党群工作部", "zhang@corp.example.com", "zhangsan"],
        ["0002", "李四", "中国某集团/某某公司/财务部", "li@corp.example.com", ""]]


def test_department_paths_in_every_spelling():
    assert split_path(" 集团 › 公司 > 部门 / 小组 ") == ("集团", "公司", "部门", "小组")
    assert canonical("集团＞公司／部门") == "集团/公司/部门"
    assert canonical("") == "" and display("集团/公司") == "集团 › 公司"
    roots = build_tree([(1, "集团"), (2, "集团/公司"), (3, "集团/公司/部门"), (4, "集团/二公司")],
                       {3: 2, 2: 1, 4: 5})
    [root] = roots
    assert root.total == 8 and [c.name for c in root.children] == ["二公司", "公司"]
    assert [(n.path, n.total) for n in root.walk()][2:] == [("集团/公司", 3), ("集团/公司/部门", 2)]


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("gbk", False)])
def test_csv_in_utf8_with_and_without_bom_and_in_gbk(encoding, bom):
    rows = [r[:] for r in ROWS]
    rows[1][2] = "中国某集团 > 某某公司 > 党群工作部"      # "›" has no GBK code
    parsed = parse_people(csv_bytes(rows, encoding, bom), "people.csv")
    assert parsed.problems == []
    assert [(r.employee_no, r.name, r.department, r.wecom_userid) for r in parsed.records] == [
        ("0001", "张三", "中国某集团/某某公司/党群工作部", "zhangsan"),
        ("0002", "李四", "中国某集团/某某公司/财务部", None)]


def test_english_headers_and_xlsx_numbers():
    data = xlsx_bytes([["Employee_No", "Name", "Department", "E-mail", "DingTalk", "Feishu"],
                       [123, "王五", "集团>公司", "wang@corp.example.com", "dt-1", "ou_1"],
                       [None, None, None, None, None, None],
                       [124.0, "赵六", None, "zhao@corp.example.com", None, None]])
    parsed = parse_people(data, "people.xlsx")
    assert parsed.problems == [] and parsed.rows == 2
    assert [(r.row, r.employee_no, r.dingtalk_userid, r.feishu_open_id) for r in parsed.records] \
        == [(2, "123", "dt-1", "ou_1"), (4, "124", None, None)]


def test_bad_rows_are_reported_with_row_column_and_problem():
    data = csv_bytes([["工号", "姓名", "邮箱", "部门"],
                      ["1", "张三", "zhang@corp.example.com", "集团"],
                      ["2", "", "li@corp.example.com", "集团"],
                      ["3", "王五", "not-an-email", "集团"],
                      ["1", "赵六", "zhao@corp.example.com", "集团"],
                      ["4", "孙七", "ZHANG@corp.example.com", "集团"]])
    parsed = parse_people(data, "people.csv")
    assert [(p.row, p.column, p.problem) for p in parsed.problems] == [
        (3, "姓名", "缺少姓名"), (4, "邮箱", "邮箱格式不正确"), (5, "工号", "工号与第 2 行重复"),
        (6, "邮箱", "邮箱与第 2 行重复")]
    assert [r.row for r in parsed.records] == [2]


def test_unknown_and_missing_columns_are_problems_of_the_header():
    parsed = parse_people(csv_bytes([["工号", "姓名", "手机"], ["1", "张三", "138"]]), "p.csv")
    problems = [(p.row, p.column, p.problem[:4]) for p in parsed.problems]
    assert (1, "手机", "未知的列") in problems
    assert (1, "邮箱", "缺少必需") in problems
    assert parsed.records == []


def test_not_a_table():
    with pytest.raises(FileFormatError):
        parse_people(b"", "empty.csv")
    with pytest.raises(FileFormatError):
        parse_people(b"\xd0\xcf\x11\xe0 old excel", "old.xls")
    with pytest.raises(FileFormatError):
        parse_people(b"PK\x03\x04 not really a zip", "broken.xlsx")


def test_export_headers_round_trip_in_both_formats():
    people = [{"employee_no": "00123", "name": "=张三", "department": "集团/公司",
               "email": "zhang@corp.example.com", "wecom_userid": "zs", "dingtalk_userid": None,
               "feishu_open_id": None, "active": False, "id": 1}]
    for data, name in ((to_csv(people), "p.csv"), (to_xlsx(people), "p.xlsx")):
        parsed = parse_people(data, name)
        assert parsed.problems == []
        [r] = parsed.records
        assert (r.employee_no, r.name, r.department, r.active) == ("00123", "=张三", "集团/公司",
                                                                   False)
        plan = plan_import(parsed, people, {"集团", "集团/公司"})
        assert len(plan.unchanged) == 1 and not plan.added and not plan.updated
    assert to_csv(people).decode("utf-8-sig").splitlines()[0] == ",".join(HEADERS)


def test_plan_matches_by_employee_no_then_email_and_refuses_conflicts():
    existing = [
        {"id": 1, "employee_no": "1", "name": "张三", "email": "zhang@corp.example.com",
         "department": "集团", "active": True},
        {"id": 2, "employee_no": None, "name": "李四", "email": "li@corp.example.com",
         "department": "", "active": True},
        {"id": 3, "employee_no": "3", "name": "王五", "email": "wang@corp.example.com",
         "department": "", "active": True}]
    parsed = parse_people(csv_bytes([["工号", "姓名", "邮箱"],
                                     ["1", "张三", "zhang.san@corp.example.com"],
                                     ["2", "李四", "LI@corp.example.com"],
                                     ["9", "新人", "new@corp.example.com"]]), "p.csv")
    plan = plan_import(parsed, existing, set())
    assert plan.ok
    assert [(c.id, sorted(c.changes)) for c in plan.updated] == [(1, ["email"]),
                                                                 (2, ["email", "employee_no"])]
    assert [r.name for r in plan.added] == ["新人"] and [p["id"] for p in plan.missing] == [3]
    plan = plan_import(parsed, existing, set(), deactivate_missing=True)
    assert [p["id"] for p in plan.deactivated] == [3] and plan.missing == []
    # An e-mail that stays with someone outside the file is a conflict.
    parsed = parse_people(csv_bytes([["工号", "姓名", "邮箱"],
                                     ["1", "张三", "wang@corp.example.com"]]), "p.csv")
    plan = plan_import(parsed, existing, set())
    assert not plan.ok and "王五" in plan.problems[0].problem
