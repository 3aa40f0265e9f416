"""A viewer (or editor) limited to a department subtree sees, on every statistics page,
export, the not-yet-studied list, 催学 and the JSON API, the people of their units only;
a department outside is refused."""

from __future__ import annotations

import io

import httpx
from openpyxl import load_workbook

from tests.support.study_seed import PEOPLE, mark_sent, seed_articles
from tests.web.conftest import SLUG, csrf_of, csv_rows, logged_in
from zhuanlan.study.records import Reader, confirm_studied

ISSUE = f"/admin/stats/c/{SLUG}/1"


def _organisation(zl) -> dict[str, int]:
    ids = {name: zl.add_subscriber(email, name, department=dept, employee_no=no)
           for email, name, no, dept in PEOPLE}
    zl.people.subscribe_department(SLUG, "集团")
    arts = seed_articles(zl, 1, "本期")
    mark_sent(zl, zl.publish_now(SLUG))
    for name in ("甲", "丁"):
        confirm_studied(zl.db, Reader.person(ids[name]), arts[0], zl.clock())
    return ids


def _limit(web, username: str, role: str, departments: str) -> None:
    admin = logged_in(web, "chief", "chief-password")
    try:
        page = admin.get("/admin/users")
        assert 'name="departments"' in page.text
        r = admin.post(f"/admin/users/{username}", data={
            "csrf_token": csrf_of(page.text), "role": role, "active": "1",
            "column": [SLUG] if role == "editor" else [], "departments": departments})
        assert r.status_code == 303
        assert "已更新用户" in admin.get(r.headers["location"]).text
    finally:
        admin.close()


def test_a_limited_viewer_sees_only_their_units(site):
    zl, web = site
    _organisation(zl)
    _limit(web, "look", "viewer", "集团 › 一公司")
    entry = zl.audit(1)[0]
    assert entry["action"] == "update_user" and "集团/一公司" in entry["detail"]
    assert zl.staff.by_name("look").scope.departments == ("集团/一公司",)

    viewer = logged_in(web, "look", "viewer-password")
    admin = logged_in(web, "chief", "chief-password")
    try:
        assert "<td>4</td>" in admin.get("/admin/stats").text          # everyone: 4
        overview = viewer.get("/admin/stats").text
        assert "<td>3</td>" in overview and "<td>4</td>" not in overview
        assert "仅统计您管辖的单位：集团/一公司" in overview
        trend = viewer.get(f"/admin/stats/c/{SLUG}").text
        assert "<td>3</td>" in trend

        page = viewer.get(ISSUE).text
        assert "办公室" in page and "财务部" in page
        assert "二公司" not in page and "丁" not in page
        assert "应学 3 人" in page and "已学习 <strong id=\"studied-count\">1</strong>" in page
        assert "二公司" in admin.get(ISSUE).text

        for outside in ("集团/二公司", "集团", "别处"):
            r = viewer.get(ISSUE, params={"dept": outside})
            assert r.status_code == 403 and "只能查看本人管辖单位" in r.text
            r = viewer.get(f"{ISSUE}/export.csv", params={"what": "pending", "dept": outside})
            assert r.status_code == 403
        assert viewer.get(ISSUE, params={"dept": "集团/一公司/财务部"}).status_code == 200

        units = [row[0] for row in csv_rows(viewer.get(f"{ISSUE}/export.csv"))[1:]]
        assert "集团/一公司/办公室" in units and not any("二公司" in u for u in units)
        assert "集团" not in units                 # no ancestor above the scope
        people = {row[1] for row in csv_rows(viewer.get(f"{ISSUE}/export.csv?what=people"))[1:]}
        assert people == {"甲", "乙", "丙"}
        book = load_workbook(io.BytesIO(viewer.get(f"{ISSUE}/export.xlsx?what=pending").content))
        assert {r[1] for r in book.active.iter_rows(min_row=2, values_only=True)} == {"乙", "丙"}
        issues = csv_rows(viewer.get(f"/admin/stats/c/{SLUG}/export.csv"))
        assert issues[1][3] == "3"
        assert csv_rows(admin.get(f"/admin/stats/c/{SLUG}/export.csv"))[1][3] == "4"
    finally:
        viewer.close()
        admin.close()


def test_the_api_keeps_to_the_scope(site):
    zl, web = site
    _organisation(zl)
    zl.staff.update_user("look", departments=["集团/一公司/财务部"], by="test")
    _, token = zl.staff.create_token("look", "脚本")
    _, admin_token = zl.staff.create_token("chief", "脚本")
    with httpx.Client(base_url=web.url("/api/v1"), timeout=10) as api:
        me = api.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["departments"] == ["集团/一公司/财务部"]
        r = api.get(f"/columns/{SLUG}/issues/1/stats", headers={"Authorization": f"Bearer {token}"})
        body = r.json()
        assert r.status_code == 200, body
        assert body["units"][0]["recipients"] == 1
        assert {u["department"] for u in body["units"]} == {"", "集团/一公司/财务部"}
        assert [p["name"] for p in body["not_studied"]] == ["丙"]
        r = api.get(f"/columns/{SLUG}/issues/1/stats", params={"dept": "集团/二公司"},
                    headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403 and "只能查看本人管辖单位" in r.json()["message"]
        trend = api.get(f"/columns/{SLUG}/stats", headers={"Authorization": f"Bearer {token}"})
        assert trend.json()["issues"][0]["recipients"] == 1
        full = api.get(f"/columns/{SLUG}/issues/1/stats",
                       headers={"Authorization": f"Bearer {admin_token}"}).json()
        assert full["units"][0]["recipients"] == 4
        assert sorted(p["name"] for p in full["not_studied"]) == ["丙", "乙"]


def test_a_limited_editor_reminds_only_their_units(site):
    zl, web = site
    _organisation(zl)
    _limit(web, "ed", "editor", "集团/一公司/财务部，集团/一公司/办公室")
    editor = logged_in(web, "ed", "editor-password")
    try:
        page = editor.get(ISSUE)
        r = editor.post(f"{ISSUE}/remind", data={"csrf_token": csrf_of(page.text),
                                                  "dept": "集团/二公司"})
        assert r.status_code == 403
        r = editor.post(f"{ISSUE}/remind", data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 303
        assert "已安排提醒 2 人" in editor.get(r.headers["location"]).text     # 乙 and 丙
    finally:
        editor.close()


def test_an_unknown_department_is_refused_and_admins_are_never_limited(site):
    zl, web = site
    _organisation(zl)
    admin = logged_in(web, "chief", "chief-password")
    try:
        page = admin.get("/admin/users")
        r = admin.post("/admin/users/look", data={
            "csrf_token": csrf_of(page.text), "role": "viewer", "active": "1",
            "departments": "集团/不存在"})
        assert "没有这个部门" in admin.get(r.headers["location"]).text
        assert zl.staff.by_name("look").scope.departments == ()
    finally:
        admin.close()
    zl.staff.update_user("chief", departments=["集团/二公司"], by="test")
    assert not zl.staff.by_name("chief").scope.limited


def test_the_delivery_report_covering_everyone_is_refused_to_a_limited_viewer(site):
    zl, web = site
    _organisation(zl)
    zl.staff.update_user("look", departments=["集团/二公司"], by="test")
    _, token = zl.staff.create_token("look", "脚本")
    viewer = logged_in(web, "look", "viewer-password")
    try:
        assert "推送报告" not in viewer.get(ISSUE).text
        r = viewer.get(f"/admin/c/{SLUG}/1/deliveries")
        assert r.status_code == 403 and "推送报告涵盖全部单位" in r.text
    finally:
        viewer.close()
    with httpx.Client(base_url=web.url("/api/v1"), timeout=10) as api:
        r = api.get(f"/issues/{zl.issue_id(SLUG, 1)}/deliveries",
                    headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403
    zl.staff.update_user("look", departments=[], by="test")
    viewer = logged_in(web, "look", "viewer-password")
    try:
        assert viewer.get(f"/admin/c/{SLUG}/1/deliveries").status_code == 200
    finally:
        viewer.close()
