"""学习台账 on the web, over HTTP on both databases: 我的学习记录 shows the reader their own
record only (known by their personal link, never by an id in the URL); a manager limited
to a department sees only its people in the ledger, its exports and the yearly summary;
exports are audited."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import load_workbook

from tests.support.ledger_seed import two_issues
from tests.support.smtp import free_port
from tests.support.study_seed import SLUG
from tests.support.web import WebServer
from tests.web.conftest import csv_rows, logged_in
from zhuanlan.links import READER


@pytest.fixture
def ledger_site(make_zl):
    from zhuanlan.web.app import create_app

    zl, people, one, two = two_issues(make_zl)
    zl.staff.add_user("chief", "chief-password", role="admin")
    zl.staff.add_user("look", "viewer-password", role="viewer")
    zl.staff.update_user("look", departments=["集团/一公司/办公室"], by="test")
    with WebServer(create_app(zl), free_port()) as web:
        yield zl, web, people


def _reader(web, zl, subscriber_id: int) -> httpx.Client:
    client = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)
    token = zl.links.sign(READER, {"s": subscriber_id})
    assert client.get(f"/r/{token}", params={"next": f"/c/{SLUG}/1"}).status_code == 303
    return client


def test_my_record_is_mine_only(ledger_site):
    zl, web, people = ledger_site
    with httpx.Client(base_url=web.url(""), timeout=10) as anonymous:
        page = anonymous.get("/me")
        assert page.status_code == 200
        assert "请从推送给您的消息" in page.text and "第1期" not in page.text
        assert 'id="my-record"' not in anonymous.get(f"/c/{SLUG}/1").text
    yi = _reader(web, zl, people["乙"])
    try:
        issue = yi.get(f"/c/{SLUG}/1").text
        assert '<a href="/me" id="my-record">我的学习记录</a>' in issue
        page = yi.get("/me").text
        assert "我的学习记录" in page and "第2期" in page and "第1期" in page
        assert "收到</dt><dd>2 期" in page and "已学习</dt><dd>1 期" in page
        assert "答题 1/2（50分）" in page
        # Nothing in the URL names another person: ids given are ignored.
        for params in ({"s": people["甲"]}, {"subscriber_id": people["甲"]},
                       {"id": people["甲"]}):
            assert yi.get("/me", params=params).text == page
        assert "答题 3/4" not in page
        assert yi.get("/me", params={"year": 2025}).status_code == 200
        assert "2025年还没有推送给您的专栏" in yi.get("/me", params={"year": 2025}).text
        r = yi.get("/me", params={"year": "x"})
        assert r.status_code == 422 and "「year」应为整数" in r.text
    finally:
        yi.close()
    jia = _reader(web, zl, people["甲"])
    try:
        assert "答题 3/4（75分）" in jia.get("/me").text
    finally:
        jia.close()


def test_a_limited_manager_sees_only_their_department(ledger_site):
    zl, web, people = ledger_site
    viewer = logged_in(web, "look", "viewer-password")
    admin = logged_in(web, "chief", "chief-password")
    try:
        page = viewer.get("/admin/ledger", params={"year": 2026, "c": SLUG}).text
        assert "甲" in page and "乙" in page and "丙" not in page and "丁" not in page
        assert "仅含您管辖单位的人员：集团/一公司/办公室" in page
        full = admin.get("/admin/ledger", params={"year": 2026}).text
        assert all(n in full for n in "甲乙丙丁")
        r = viewer.get("/admin/ledger", params={"year": 2026, "dept": "集团/二公司"})
        assert r.status_code == 403 and "只能查看本人管辖单位" in r.text
        r = viewer.get("/admin/ledger/export.csv", params={"dept": "集团"})
        assert r.status_code == 403

        rows = csv_rows(viewer.get("/admin/ledger/export.csv", params={"year": 2026}))
        assert rows[0][:5] == ["工号", "姓名", "部门", "第1期 打开", "第1期 学习"]
        assert [r[1] for r in rows[1:]] == ["甲", "乙"]
        book = load_workbook(io.BytesIO(viewer.get(
            "/admin/ledger/export.xlsx", params={"year": 2026, "by": "month"}).content))
        ws = book.active
        assert ws.cell(1, 4).value == "3月" and ws.cell(1, 8).value == "4月"
        assert [r[1] for r in ws.iter_rows(min_row=3, values_only=True)] == ["甲", "乙"]
        entry = zl.audit(1)[0]
        assert entry["action"] == "ledger.export" and entry["actor"] == "look"
        assert "按月" in entry["detail"] and "2 人" in entry["detail"]
        assert "导出学习台账" in admin.get("/admin/audit").text

        year = viewer.get("/admin/stats/year", params={"year": 2026}).text
        assert "集团/一公司/办公室" in year and "二公司" not in year and "财务部" not in year
        assert 'data-print' in year and "/static/print.css" in year
        summary = csv_rows(viewer.get("/admin/stats/year/export.csv", params={"year": 2026}))
        assert {r[1] for r in summary[1:]} == {"集团/一公司/办公室", "管辖单位合计"}
        assert zl.audit(1)[0]["action"] == "ledger.summary_export"
        ranking = csv_rows(admin.get("/admin/stats/year/export.csv", params={"year": 2026}))
        assert [(r[0], r[1]) for r in ranking[1:3]] == [("1", "集团/一公司"), ("2", "集团/二公司")]
    finally:
        viewer.close()
        admin.close()


def test_bad_filters_are_told_in_chinese(ledger_site):
    zl, web, _ = ledger_site
    admin = logged_in(web, "chief", "chief-password")
    try:
        for params in ({"part": "q5"}, {"by": "week"}, {"year": 1900}):
            r = admin.get("/admin/ledger", params=params)
            assert r.status_code == 422 and "请求参数无效" in r.text, params
        r = admin.get("/admin/ledger", params={"c": "nope"})
        assert r.status_code == 404 and "没有这个专栏" in r.text
        assert admin.get("/admin/ledger/export.pdf").status_code == 404
        assert admin.get("/admin/ledger", params={"year": 2026, "part": "q2"}).status_code == 200
        with httpx.Client(base_url=web.url(""), timeout=10) as anonymous:
            r = anonymous.get("/admin/ledger", follow_redirects=False)
            assert r.status_code in (303, 401)
    finally:
        admin.close()


def test_the_api_ledger_keeps_to_the_scope(ledger_site):
    zl, web, people = ledger_site
    _, token = zl.staff.create_token("look", "脚本")
    _, admin_token = zl.staff.create_token("chief", "脚本")
    with httpx.Client(base_url=web.url("/api/v1"), timeout=10) as api:
        def get(bearer: str, **params) -> httpx.Response:
            return api.get("/ledger", params=params, headers={"Authorization": f"Bearer {bearer}"})

        body = get(token, year=2026, column=SLUG).json()
        assert body["departments"] == ["集团/一公司/办公室"]
        assert [g["label"] for g in body["groups"]] == ["第1期", "第2期"]
        assert [p["name"] for p in body["people"]] == ["甲", "乙"]
        jia = body["people"][0]
        assert jia["total"]["received"] == 2 and jia["total"]["completion"] == 0.5
        first = jia["groups"][body["groups"][0]["key"]]
        assert (first["studied"], first["answered"], first["score"]) == (1, 4, 0.75)
        r = get(token, year=2026, dept="集团/二公司")
        assert r.status_code == 403 and "只能查看本人管辖单位" in r.json()["message"]
        assert get(token, year=2026, part="x").status_code == 422
        assert len(get(admin_token, year=2026, by="month").json()["people"]) == 4
