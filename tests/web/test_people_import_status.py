"""The import preview shows the 状态 column and refuses an unknown status word on its
row, with the accepted words; the rest of the file goes on."""

from __future__ import annotations

import re

from tests.support.people_files import csv_bytes
from tests.web.conftest import csrf_of, logged_in

HEAD = ["工号", "姓名", "部门", "邮箱", "状态"]


def _upload(admin, rows, **extra):
    page = admin.get("/admin/people")
    return admin.post("/admin/people/import",
                      data={"csrf_token": csrf_of(page.text), **extra},
                      files={"file": ("people.csv", csv_bytes(rows), "text/csv")})


def test_an_unknown_status_word_is_refused_on_its_row_and_the_rest_goes_on(site):
    zl, web = site
    zl.people.apply_import(csv_bytes([HEAD[:4], ["3", "王五", "集团/乙", "wang@corp.example.com"]]),
                           "first.csv")
    admin = logged_in(web, "chief", "chief-password")
    rows = [HEAD,
            ["1", "张三", "集团/甲", "zhang@corp.example.com", "在职"],
            ["2", "李四", "集团/甲", "li@corp.example.com", "禁用"],
            ["3", "王五", "集团/乙", "wang@corp.example.com", "离职"]]
    r = _upload(admin, rows, deactivate_missing="1")
    assert r.status_code == 200
    text = re.sub(r"\s+", " ", r.text)
    # The 状态 column as read from the file, and what it is taken for.
    assert "<th>状态</th>" in text
    assert "禁用 → 停用" in text and ">在职<" in text
    # 离职 is no accepted word: its row is reported with the accepted ones, not guessed.
    assert "跳过的行（1）" in text
    assert "状态“离职”无法识别；可用：在职、启用" in text
    assert "停用、无效、禁用" in text and "留空为在职" in text
    assert "其中 1 行状态无法识别，将跳过" in text
    assert "确认导入" in text
    upload = re.search(r'name="upload" value="([^"]+)"', r.text).group(1)
    r = admin.post("/admin/people/import/apply", data={
        "csrf_token": csrf_of(r.text), "upload": upload, "filename": "people.csv",
        "deactivate_missing": "1"})
    assert r.status_code == 303
    assert "跳过 1 行" in admin.get("/admin/people").text
    people = {p["name"]: p for p in zl.people.list_people()}
    assert people["张三"]["active"] is True and people["李四"]["active"] is False
    # The skipped row's person is left as they were: not deactivated as "missing".
    assert people["王五"]["active"] is True
    [entry] = [e for e in zl.audit() if e["action"] == "import_people"][:1]
    assert "跳过 1 行（状态无法识别）" in entry["detail"]


def test_a_row_with_an_unknown_status_and_another_problem_still_refuses_the_file(site):
    zl, web = site
    admin = logged_in(web, "chief", "chief-password")
    rows = [HEAD, ["1", "张三", "集团/甲", "zhang@corp.example.com", "在职"],
            ["2", "", "集团/甲", "li@corp.example.com", "退休"]]
    r = _upload(admin, rows)
    assert r.status_code == 200 and "有问题的行" in r.text and "确认导入" not in r.text
    assert "状态“退休”无法识别" in r.text and "缺少姓名" in r.text
    assert zl.people.list_people() == []
