"""Import, re-import and export through ``zl.people`` on SQLite and PostgreSQL: the
preview changes nothing, a file with a bad row changes nothing, the tree grows from the
paths, an export imported again changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.people_files import csv_bytes, xlsx_bytes
from zhuanlan.errors import NotFoundError, RuleError
from zhuanlan.people.importing import ImportRefused
from zhuanlan.store.schema import departments, subscribers

FIRST = [["工号", "姓名", "部门", "邮箱", "企业微信", "钉钉", "飞书"],
         ["0001", "张三", "中国某集团 › 某某公司 › 党群工作部", "zhang@corp.example.com", "zs", "", ""],
         ["0002", "李四", "中国某集团/某某公司/财务部", "li@corp.example.com", "", "dt-li", ""],
         ["0003", "王五", "中国某集团 > 另一公司", "wang@corp.example.com", "", "", "ou_wang"]]


def _count(zl, table) -> int:
    with zl.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_preview_then_apply_then_reimport(make_zl):
    zl = make_zl()
    data = csv_bytes(FIRST)
    plan = zl.people.preview_import(data, "people.csv")
    assert plan.ok and plan.summary()["added"] == 3
    assert plan.new_departments == ["中国某集团", "中国某集团/另一公司", "中国某集团/某某公司",
                                    "中国某集团/某某公司/党群工作部", "中国某集团/某某公司/财务部"]
    assert _count(zl, subscribers) == 0 and _count(zl, departments) == 0   # a preview only

    zl.people.apply_import(data, "people.csv", by="hr")
    zhang = zl.people.get("0001")
    assert (zhang["name"], zhang["department"], zhang["wecom_userid"]) == (
        "张三", "中国某集团/某某公司/党群工作部", "zs")
    assert zl.people.get("li@corp.example.com")["dingtalk_userid"] == "dt-li"
    tree = {n.path: (n.total, n.direct) for r in zl.people.department_tree() for n in r.walk()}
    assert tree["中国某集团"] == (3, 0) and tree["中国某集团/某某公司"] == (2, 0)
    assert zl.audit(1)[0]["action"] == "import_people" and zl.audit(1)[0]["actor"] == "hr"

    # The same file again: nothing to do.
    plan = zl.people.preview_import(data, "people.csv")
    assert plan.summary()["unchanged"] == 3 and not plan.added and not plan.updated

    # HR's next file: 张三 moves, 李四 gets an e-mail change (matched by 工号), 王五 is
    # missing, 赵六 is new (and 0009 matched by e-mail takes a 工号).
    zl.add_subscriber("liu@corp.example.com", "刘九")
    second = [["employee_no", "name", "department", "email"],
              ["0001", "张三", "中国某集团/某某公司/办公室", "zhang@corp.example.com"],
              ["0002", "李四", "中国某集团/某某公司/财务部", "li.si@corp.example.com"],
              ["0004", "赵六", "中国某集团/某某公司/办公室", "zhao@corp.example.com"],
              ["0009", "刘九", "", "LIU@corp.example.com"]]
    plan = zl.people.preview_import(csv_bytes(second), "p2.csv")
    assert [r.name for r in plan.added] == ["赵六"]
    assert {c.record.name: sorted(c.changes) for c in plan.updated} == {
        "张三": ["department"], "李四": ["email"], "刘九": ["email", "employee_no"]}
    assert [p["name"] for p in plan.missing] == ["王五"] and plan.deactivated == []
    assert plan.new_departments == ["中国某集团/某某公司/办公室"]
    plan = zl.people.preview_import(csv_bytes(second), "p2.csv", deactivate_missing=True)
    assert [p["name"] for p in plan.deactivated] == ["王五"]

    zl.people.apply_import(csv_bytes(second), "p2.csv", deactivate_missing=True)
    assert zl.people.get("0001")["department"] == "中国某集团/某某公司/办公室"
    # A column the file lacks (企业微信) is left as it was.
    assert zl.people.get("0001")["wecom_userid"] == "zs"
    assert zl.people.get("0002")["email"] == "li.si@corp.example.com"
    assert zl.people.get("0009")["email"] == "LIU@corp.example.com"
    assert zl.people.get("0003")["active"] is False
    assert _count(zl, subscribers) == 5


def test_a_bad_row_imports_nothing(make_zl):
    zl = make_zl()
    zl.people.apply_import(csv_bytes(FIRST), "people.csv")
    before = zl.people.list_people()
    rows = [FIRST[0],
            ["0001", "张三改名", "中国某集团/新公司", "zhang@corp.example.com", "", "", ""],
            ["0005", "新人", "中国某集团/新公司", "new@corp.example.com", "", "", ""],
            ["0006", "", "中国某集团/新公司", "bad-address", "", "", ""],
            ["0005", "重复", "中国某集团/新公司", "dup@corp.example.com", "", "", ""]]
    with pytest.raises(ImportRefused) as refused:
        zl.people.apply_import(csv_bytes(rows), "bad.csv", deactivate_missing=True)
    problems = [(p.row, p.column, p.problem) for p in refused.value.plan.problems]
    assert (4, "姓名", "缺少姓名") in problems and (4, "邮箱", "邮箱格式不正确") in problems
    assert (5, "工号", "工号与第 3 行重复") in problems
    assert zl.people.list_people() == before
    assert "中国某集团/新公司" not in {d["path"] for d in zl.people.departments()}


def test_a_conflict_found_only_against_the_store_imports_nothing(make_zl):
    zl = make_zl()
    zl.people.apply_import(csv_bytes(FIRST), "people.csv")
    # 0004 would take 王五's e-mail while 王五 is not in the file and keeps it.
    rows = [["工号", "姓名", "邮箱"], ["0001", "张三", "zhang@corp.example.com"],
            ["0004", "赵六", "wang@corp.example.com"]]
    with pytest.raises(ImportRefused) as refused:
        zl.people.apply_import(csv_bytes(rows), "c.csv")
    [p] = refused.value.plan.problems
    assert p.row == 3 and p.column == "邮箱" and "王五" in p.problem
    assert _count(zl, subscribers) == 3


def test_two_people_swap_e_mails_in_one_file(make_zl):
    zl = make_zl()
    zl.people.apply_import(csv_bytes(FIRST), "people.csv")
    rows = [["工号", "姓名", "邮箱"], ["0001", "张三", "li@corp.example.com"],
            ["0002", "李四", "zhang@corp.example.com"]]
    zl.people.apply_import(csv_bytes(rows), "swap.csv")
    assert zl.people.get("0001")["email"] == "li@corp.example.com"
    assert zl.people.get("0002")["email"] == "zhang@corp.example.com"


def test_gbk_csv_and_xlsx_export_round_trip(make_zl):
    zl = make_zl()
    rows = [r[:] for r in FIRST]
    rows[1][2] = "中国某集团 > 某某公司 > 党群工作部"
    zl.people.apply_import(csv_bytes(rows, "gbk"), "excel-gbk.csv")
    assert zl.people.get("0001")["department"] == "中国某集团/某某公司/党群工作部"
    zl.people.set_active("0003", False)
    for kind in ("xlsx", "csv"):
        data = zl.people.export(kind)
        plan = zl.people.preview_import(data, f"export.{kind}", deactivate_missing=True)
        assert plan.ok and plan.summary()["unchanged"] == 3, plan.summary()
        assert not (plan.added or plan.updated or plan.deactivated)
    # The XLSX written by hand by an administrator, numbers and all: a 工号 that is a
    # number is read as its digits; a person found by e-mail with another 工号 is refused.
    data = xlsx_bytes([["工号", "姓名", "部门", "邮箱", "状态"],
                       [5, "孙七", "中国某集团/某某公司/财务部", "sun@corp.example.com", "在职"],
                       ["0003", "王五", "中国某集团 › 另一公司", "wang@corp.example.com", "在职"]])
    plan = zl.people.apply_import(data, "hand.xlsx")
    assert [(r.employee_no, r.name) for r in plan.added] == [("5", "孙七")]
    assert [c.changes for c in plan.updated] == [{"active": (False, True)}]
    data = xlsx_bytes([["工号", "姓名", "邮箱"], [3, "王五", "wang@corp.example.com"]])
    with pytest.raises(ImportRefused):
        zl.people.apply_import(data, "hand.xlsx")


def test_departments_filter_and_errors(make_zl):
    zl = make_zl()
    zl.people.apply_import(csv_bytes(FIRST), "people.csv")
    names = [p["name"] for p in zl.people.list_people("中国某集团 › 某某公司")]
    assert sorted(names) == ["张三", "李四"]
    assert [p["name"] for p in zl.people.list_people("中国某集团/某某公司", subtree=False)] == []
    # A department whose name starts like another's is not in its subtree.
    zl.people.add_person("x@corp.example.com", "某", department="中国某集团/某某公司二部")
    assert len(zl.people.list_people("中国某集团/某某公司")) == 2
    with pytest.raises(RuleError):
        zl.people.add_person("not-an-email", "某")
    with pytest.raises(RuleError):
        zl.people.add_person("y@corp.example.com", "某", employee_no="0001")
    with pytest.raises(NotFoundError):
        zl.people.get("nobody@corp.example.com")
