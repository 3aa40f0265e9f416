"""One person on the web: 添加人员 and 编辑 with messages under the fields, 停用 (no more
deliveries, the history kept), 查找人员 paged, the person's subscriptions and study
record; viewers see but do not change; every change audited in Chinese."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, mark_sent, organisation, publish
from tests.support.web import WebServer
from tests.web.conftest import csrf_of, logged_in
from zhuanlan.store.schema import deliveries, readings


@pytest.fixture
def site(make_zl):
    from zhuanlan.web.app import create_app

    zl = make_zl()
    ids = organisation(zl)
    zl.staff.add_user("chief", "chief-password", role="admin")
    zl.staff.add_user("look", "viewer-password", role="viewer")
    with WebServer(create_app(zl), free_port()) as web:
        yield zl, web, ids


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _audit(zl, action: str) -> list[dict]:
    return [e for e in zl.audit() if e["action"] == action]


PERSON = {"name": "戊", "email": "e@example.com", "employee_no": "1005",
          "department": "集团/一公司/财务部", "wecom_userid": "wu", "dingtalk_userid": "",
          "feishu_open_id": ""}


def test_add_a_person_with_messages_under_the_fields(site):
    zl, web, ids = site
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get("/admin/people/add")
    assert page.status_code == 200
    assert '<option value="集团/一公司/财务部">集团 › 一公司 › 财务部</option>' in page.text
    token = csrf_of(page.text)
    cases = [({"email": "not-an-address"}, "error-email", "邮箱格式不正确"),
             ({"email": "A@example.com"}, "error-email", "邮箱已属于 甲"),
             ({"employee_no": "1003"}, "error-employee_no", "工号已属于 丙"),
             ({"department": "集团/不存在的部门"}, "error-department", "没有这个部门"),
             ({"name": " "}, "error-name", "请填写姓名")]
    for change, field, message in cases:
        r = admin.post("/admin/people/add", data={"csrf_token": token, **PERSON, **change})
        assert r.status_code == 400, change
        assert re.search(rf'id="{field}">[^<]*{message}', r.text), (change, r.text[-2000:])
        assert "尚未保存" in r.text
    assert len(zl.people.list_people()) == 4
    r = admin.post("/admin/people/add", data={"csrf_token": token, **PERSON})
    assert r.status_code == 303
    person_id = int(r.headers["location"].rsplit("/", 1)[1])
    shown = admin.get(r.headers["location"]).text
    assert "已添加人员：戊" in shown and "集团 › 一公司 › 财务部" in shown
    person = zl.people.get(person_id)
    assert (person["email"], person["employee_no"], person["wecom_userid"], person["active"]) \
        == ("e@example.com", "1005", "wu", True)
    [entry] = _audit(zl, "add_person")[:1]
    assert entry["actor"] == "chief" and "添加人员 戊 <e@example.com>" in entry["detail"]
    # Placed in the tree: a department subscription covers them at once.
    assert "e@example.com" in {p["email"] for p in zl.people.recipients(SLUG)}


def test_edit_a_person_audits_what_changed(site):
    zl, web, ids = site
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get(f"/admin/people/person/{ids['甲']}/edit")
    assert page.status_code == 200 and 'value="a@example.com"' in page.text
    form = {"csrf_token": csrf_of(page.text), "name": "甲一", "email": "a@example.com",
            "employee_no": "1001", "department": "集团/二公司", "wecom_userid": "",
            "dingtalk_userid": "jia", "feishu_open_id": ""}
    r = admin.post(f"/admin/people/person/{ids['甲']}/edit", data={**form, "email": "b@example.com"})
    assert r.status_code == 400 and "邮箱已属于 乙" in r.text
    r = admin.post(f"/admin/people/person/{ids['甲']}/edit", data=form)
    assert r.status_code == 303
    person = zl.people.get(ids["甲"])
    assert (person["name"], person["department"], person["dingtalk_userid"]) == \
        ("甲一", "集团/二公司", "jia")
    [entry] = _audit(zl, "edit_person")
    assert "姓名：甲 → 甲一" in entry["detail"]
    assert "部门：集团 › 一公司 › 办公室 → 集团 › 二公司" in entry["detail"]
    assert "已保存：姓名：甲 → 甲一" in admin.get(f"/admin/people/person/{ids['甲']}").text


def test_a_deactivated_person_gets_no_more_issues_and_keeps_the_record(site):
    zl, web, ids = site
    first, arts = publish(zl, 2, "first")
    mark_sent(zl, first)
    now = zl.clock()
    with zl.db.write() as conn:
        conn.execute(readings.insert().values(
            reader=f"s:{ids['乙']}", subscriber_id=ids["乙"], article_id=arts[0],
            issue_id=first, opened_at=now, last_seen_at=now + timedelta(seconds=95),
            active_seconds=95, studied_at=now + timedelta(seconds=95)))
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get(f"/admin/people/person/{ids['乙']}")
    r = admin.post(f"/admin/people/person/{ids['乙']}/active", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    assert zl.people.get(ids["乙"])["active"] is False
    [entry] = _audit(zl, "deactivate_person")
    assert entry["actor"] == "chief" and "停用人员 乙 <b@example.com>" in entry["detail"]

    second, _ = publish(zl, 1, "second")
    with zl.db.read() as conn:
        queued = dict(conn.execute(
            select(deliveries.c.subscriber_id, func.count()).where(
                deliveries.c.issue_id == second).group_by(deliveries.c.subscriber_id)).all())
    assert ids["乙"] not in queued and ids["甲"] in queued
    text = _text(admin.get(f"/admin/people/person/{ids['乙']}").text)
    assert "停用：不再收到推送，学习记录保留" in text
    assert "第1期" in text and "1/2" in text and "1 分 35 秒" in text      # kept
    # 启用 again.
    page = admin.get(f"/admin/people/person/{ids['乙']}")
    admin.post(f"/admin/people/person/{ids['乙']}/active",
               data={"csrf_token": csrf_of(page.text), "active": "1"})
    assert zl.people.get(ids["乙"])["active"] is True
    assert "启用人员 乙" in _audit(zl, "activate_person")[0]["detail"]


def test_the_study_record_per_column_with_totals(site):
    zl, web, ids = site
    first, arts = publish(zl, 2, "first")
    mark_sent(zl, first)
    second, arts2 = publish(zl, 1, "second")
    mark_sent(zl, second)
    now = zl.clock()
    with zl.db.write() as conn:
        for aid, issue, seconds in ((arts[0], first, 60), (arts[1], first, 30),
                                    (arts2[0], second, 0)):
            conn.execute(readings.insert().values(
                reader=f"s:{ids['丙']}", subscriber_id=ids["丙"], article_id=aid,
                issue_id=issue, opened_at=now, last_seen_at=now, active_seconds=seconds,
                studied_at=now if seconds else None))
    viewer = logged_in(web, "look", "viewer-password")
    page = viewer.get(f"/admin/people/person/{ids['丙']}")
    assert page.status_code == 200
    table = re.search(r'<table class="sources study-record" id="record-xuexi">(.*?)</table>',
                      page.text, re.S).group(1)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    rows = [_text(r).strip() for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    assert rows[0].split()[0] == "第2期" and "1/1" in rows[0]          # newest first
    assert "第1期" in rows[1] and "2/2" in rows[1] and "1 分 30 秒" in rows[1]
    totals = _text(re.search(r'<tr class="totals">(.*?)</tr>', table, re.S).group(1))
    assert "合计 2 期" in totals and "送达 2 期" in totals and "读过 2 期" in totals
    assert "学完 1 期" in totals and "2/3 篇" in totals and "1 分 30 秒" in totals
    # Someone who received nothing yet.
    zl.people.add_person("new@example.com", "新人", department="集团/二公司")
    fresh = zl.people.get("new@example.com")["id"]
    assert "还没有收到过任何一期" in viewer.get(f"/admin/people/person/{fresh}").text


def test_subscriptions_on_the_person_page(site):
    zl, web, ids = site
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get(f"/admin/people/person/{ids['丁']}")
    row = re.search(r'<tr id="subscription-xuexi">(.*?)</tr>', page.text, re.S).group(1)
    assert "经部门 集团" in row and "取消订阅" in row
    admin.post(f"/admin/people/person/{ids['丁']}/subscription",
               data={"csrf_token": csrf_of(page.text), "column": SLUG, "action": "unsubscribe"})
    assert zl.people.opted_out(SLUG, ids["丁"])
    assert ids["丁"] not in {p["id"] for p in zl.people.recipients(SLUG)}
    page = admin.get(f"/admin/people/person/{ids['丁']}")
    row = re.search(r'<tr id="subscription-xuexi">(.*?)</tr>', page.text, re.S).group(1)
    assert "已退订" in row and ">订阅</button>" in row
    admin.post(f"/admin/people/person/{ids['丁']}/subscription",
               data={"csrf_token": csrf_of(page.text), "column": SLUG, "action": "subscribe"})
    assert ids["丁"] in {p["id"] for p in zl.people.recipients(SLUG)}
    r = admin.post(f"/admin/people/person/{ids['丁']}/subscription",
                   data={"csrf_token": csrf_of(page.text), "column": "nope", "action": "subscribe"})
    assert r.status_code == 404


def test_find_people_paged_and_bounded(site):
    zl, web, ids = site
    for i in range(120):
        zl.people.add_person(f"batch{i:03d}@example.com", f"批量{i:03d}", employee_no=f"B{i:03d}",
                             department="集团/二公司")
    viewer = logged_in(web, "look", "viewer-password")
    first = viewer.get("/admin/people/find", params={"q": "批量"})
    assert first.status_code == 200
    assert "共 120 人，第 1/3 页" in _text(first.text)
    listed = re.findall(r'<a href="/admin/people/person/\d+">(批量\d+)</a>', first.text)
    assert len(listed) == 50 and listed[0] == "批量000"
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    last = viewer.get("/admin/people/find", params={"q": "批量", "page": 3})
    assert len(re.findall(r'<a href="/admin/people/person/\d+">批量', last.text)) == 20
    # By e-mail (any case), 工号 and department.
    assert "丙" in viewer.get("/admin/people/find", params={"q": "C@EXAMPLE"}).text
    assert ">甲</a>" in viewer.get("/admin/people/find", params={"q": "1001"}).text
    by_dept = _text(viewer.get("/admin/people/find", params={"q": "财务部"}).text)
    assert "共 1 人" in by_dept and "丙" in by_dept
    # A wildcard typed is a character, not "everything".
    assert "共 0 人" in _text(viewer.get("/admin/people/find", params={"q": "%"}).text)
    assert viewer.get("/admin/people/find", params={"page": 0}).status_code == 422
    assert viewer.get("/admin/people/find", params={"q": "x" * 101}).status_code == 422


def test_viewers_see_but_cannot_change(site):
    zl, web, ids = site
    viewer = logged_in(web, "look", "viewer-password")
    page = viewer.get(f"/admin/people/person/{ids['甲']}")
    assert page.status_code == 200 and "a@example.com" in page.text
    assert "停用</button>" not in page.text and "取消订阅" not in page.text
    assert 'id="edit-person"' not in page.text
    assert 'href="/admin/people/find"' in viewer.get("/admin").text   # reachable
    token = csrf_of(page.text)
    assert viewer.get("/admin/people/add").status_code == 403
    assert viewer.get(f"/admin/people/person/{ids['甲']}/edit").status_code == 403
    for path, data in ((f"/admin/people/person/{ids['甲']}/active", {}),
                       (f"/admin/people/person/{ids['甲']}/edit", {"name": "x"}),
                       (f"/admin/people/person/{ids['甲']}/subscription",
                        {"column": SLUG, "action": "unsubscribe"}),
                       ("/admin/people/add", PERSON)):
        assert viewer.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert zl.people.get(ids["甲"])["active"] is True
    assert not zl.people.opted_out(SLUG, ids["甲"])
    assert len(zl.people.list_people()) == 4
