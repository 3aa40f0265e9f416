"""The people pages and the unsubscribe link over real HTTP (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.people_files import approve_one, csv_bytes, outbox
from tests.support.smtp import free_port
from tests.support.web import WebServer
from tests.web.conftest import csrf_of, logged_in
from zhuanlan.links import READER

PEOPLE = [["工号", "姓名", "部门", "邮箱"],
          ["1", "张三", "集团/甲公司/党群工作部", "zhang@corp.example.com"],
          ["2", "李四", "集团/甲公司/财务部", "li@corp.example.com"]]


def people_app(zl):
    """The whole app, with the people routers (included here until web/app.py does)."""
    from zhuanlan.web import people
    from zhuanlan.web.app import create_app

    app = create_app(zl)
    paths = {getattr(r, "path", "") for r in app.routes}
    if "/u/{token}" not in paths:
        app.include_router(people.public_router)
    if "/admin/people" not in paths:
        app.include_router(people.router)
    return app


@pytest.fixture
def site(make_zl):
    zl = make_zl(web__base_url="http://mail.example.com")
    zl.add_column("xuexi", "学习二十大", include="二十大", schedule="0 9 * * 1")
    zl.staff.add_user("chief", "chief-password", role="admin")
    zl.staff.add_user("ed", "editor-password", role="editor", columns_=["xuexi"])
    with WebServer(people_app(zl), free_port()) as web:
        yield zl, web


def test_one_click_unsubscribe_over_http_is_honoured_by_the_next_issue(site):
    zl, web = site
    zl.people.apply_import(csv_bytes(PEOPLE), "p.csv")
    zl.people.subscribe_department("xuexi", "集团")
    zhang = zl.people.get("1")["id"]
    column = zl.get_column("xuexi")["id"]
    url = zl.people.unsubscribe_url(zhang, column)
    assert url.startswith("http://mail.example.com/u/")
    path = url.removeprefix("http://mail.example.com")
    anon = httpx.Client(base_url=web.url(""), timeout=10, follow_redirects=False)

    page = anon.get(path)                       # a GET (a mail scanner) changes nothing
    assert page.status_code == 200 and "确认退订" in page.text and "学习二十大" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert not zl.people.opted_out("xuexi", zhang)

    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, no cookie, no CSRF token.
    r = anon.post(path, content=b"List-Unsubscribe=One-Click",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and "已退订" in r.text
    assert zl.people.opted_out("xuexi", zhang)
    assert zl.people.column_subscriptions("xuexi")["opt_outs"][0]["via"] == "one_click"
    # Again (a second click): still fine.
    assert anon.post(path, data={}).status_code == 200

    approve_one(zl, "xuexi")
    assert outbox(zl, zl.publish_now("xuexi")) == [zl.people.get("2")["id"]]


def test_the_confirm_button_and_forged_tokens(site):
    zl, web = site
    zl.people.apply_import(csv_bytes(PEOPLE), "p.csv")
    li = zl.people.get("2")["id"]
    column = zl.get_column("xuexi")["id"]
    token = zl.people.unsubscribe_token(li, column)
    anon = httpx.Client(base_url=web.url(""), timeout=10)
    forged = [token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
              zl.links.sign(READER, {"s": li, "c": column}),          # another purpose
              "not-a-token"]
    for bad in forged:
        assert anon.get(f"/u/{bad}").status_code == 403
        r = anon.post(f"/u/{bad}", content=b"List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 403 and "链接无效" in r.text
    assert zl.people.column_subscriptions("xuexi")["opt_outs"] == []
    # A token signed with another site's key is refused too.
    from zhuanlan.links import UNSUBSCRIBE, LinkSigner
    other = LinkSigner("another-key").sign(UNSUBSCRIBE, {"s": li, "c": column})
    assert anon.post(f"/u/{other}").status_code == 403
    # The page's own button (a plain form POST) works.
    r = anon.post(f"/u/{token}")
    assert r.status_code == 200 and zl.people.opted_out("xuexi", li)
    assert zl.people.column_subscriptions("xuexi")["opt_outs"][0]["via"] == "link"


def test_upload_preview_bad_rows_then_confirm(site):
    zl, web = site
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get("/admin/people")
    assert page.status_code == 200 and "导入" in page.text
    token = csrf_of(page.text)
    bad = [PEOPLE[0], PEOPLE[1], ["3", "", "集团", "bad-address"]]
    r = admin.post("/admin/people/import", data={"csrf_token": token},
                   files={"file": ("people.csv", csv_bytes(bad, "gbk"), "text/csv")})
    assert r.status_code == 200
    assert "有问题的行" in r.text and "缺少姓名" in r.text and "邮箱格式不正确" in r.text
    assert "确认导入" not in r.text
    assert zl.people.list_people() == []

    r = admin.post("/admin/people/import", data={"csrf_token": token},
                   files={"file": ("people.csv", csv_bytes(PEOPLE), "text/csv")})
    assert r.status_code == 200 and "确认导入" in r.text and "新增 <strong>2</strong>" in r.text
    upload = re.search(r'name="upload" value="([^"]+)"', r.text).group(1)
    assert zl.people.list_people() == []                       # the preview changed nothing
    kept = zl.cfg.data_dir / "uploads" / upload
    assert kept.is_file() and "people" not in upload
    r = admin.post("/admin/people/import/apply", data={
        "csrf_token": csrf_of(r.text), "upload": upload, "filename": "people.csv"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/people"
    assert "已导入" in admin.get("/admin/people").text
    assert sorted(p["name"] for p in zl.people.list_people()) == ["张三", "李四"]
    assert not kept.exists()
    # A made-up upload name is no file.
    r = admin.post("/admin/people/import/apply", data={
        "csrf_token": token, "upload": "../../zhuanlan.db", "filename": "x.csv"})
    assert r.status_code == 404

    listing = admin.get("/admin/people", params={"department": "集团/甲公司/财务部"})
    assert "李四" in listing.text and "张三" not in listing.text.split("全部人员")[-1].split(
        "<tbody>")[-1]
    assert "2 人" in listing.text
    csv_export = admin.get("/admin/people/export.csv")
    assert csv_export.status_code == 200 and csv_export.content.startswith(b"\xef\xbb\xbf")
    assert "工号,姓名,部门,邮箱" in csv_export.content.decode("utf-8-sig")
    xlsx = admin.get("/admin/people/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert zl.people.preview_import(xlsx.content, "p.xlsx").summary()["unchanged"] == 2


def test_column_subscriptions_page_admin_only_and_csrf(site):
    zl, web = site
    zl.people.apply_import(csv_bytes(PEOPLE), "p.csv")
    ed = logged_in(web, "ed", "editor-password")
    assert ed.get("/admin/people").status_code == 403
    assert ed.get("/admin/people/columns/xuexi").status_code == 403
    admin = logged_in(web, "chief", "chief-password")
    page = admin.get("/admin/people/columns/xuexi")
    assert page.status_code == 200 and "按部门" in page.text
    r = admin.post("/admin/people/columns/xuexi/departments", data={"path": "集团/甲公司"})
    assert r.status_code == 403                                   # no CSRF token
    token = csrf_of(page.text)
    r = admin.post("/admin/people/columns/xuexi/departments",
                   data={"path": "集团/甲公司", "csrf_token": token})
    assert r.status_code == 303
    r = admin.post("/admin/people/columns/xuexi/people",
                   data={"person": "li@corp.example.com", "csrf_token": token})
    assert r.status_code == 303
    page = admin.get("/admin/people/columns/xuexi")
    assert "集团 › 甲公司" in page.text and "李四" in page.text
    assert zl.people.column_subscriptions("xuexi")["recipients"] == 2
    r = admin.post("/admin/people/columns/xuexi/people",
                   data={"person": "nobody@corp.example.com", "csrf_token": token})
    assert 'class="error"' in admin.get(r.headers["location"]).text
    li = zl.people.get("2")["id"]
    admin.post("/admin/people/columns/xuexi/people/remove",
               data={"person_id": str(li), "csrf_token": token})
    admin.post("/admin/people/columns/xuexi/departments/remove",
               data={"path": "集团/甲公司", "csrf_token": token, "confirmed": "1"})
    assert zl.people.column_subscriptions("xuexi")["recipients"] == 0


def test_the_site_answers_while_a_large_upload_is_read(site):
    """Reading 100,000 rows takes seconds; it happens off the event loop, so /healthz
    is answered meanwhile (an order of events, not a timing)."""
    import threading

    zl, web = site
    rows = [["工号", "姓名", "部门", "邮箱"]] + [
        [str(i), f"员工{i}", f"集团/公司{i % 50}/部门{i % 7}", f"e{i}@corp.example.com"]
        for i in range(100_000)]
    data = csv_bytes(rows)
    admin = logged_in(web, "chief", "chief-password")
    token = csrf_of(admin.get("/admin/people").text)
    done = threading.Event()
    result = {}

    def upload() -> None:
        result["r"] = admin.post("/admin/people/import", data={"csrf_token": token},
                                 files={"file": ("big.csv", data, "text/csv")}, timeout=120)
        done.set()

    threading.Thread(target=upload, daemon=True).start()
    answered_meanwhile = 0
    with httpx.Client(base_url=web.url(""), timeout=120) as probe:
        while not done.is_set():
            if probe.get("/healthz").status_code == 200 and not done.is_set():
                answered_meanwhile += 1
    assert result["r"].status_code == 200, result["r"].text[:300]
    assert answered_meanwhile >= 3


@pytest.mark.parametrize("make", ["wide", "strings"])
def test_an_xlsx_bomb_is_refused_with_a_message(site, make):
    from tests.people.test_tables import _row, _xlsx

    zl, web = site
    if make == "wide":
        cell = '<c t="inlineStr"><is><t>x</t></is></c>'
        data = _xlsx('<row r="1">' + cell * 2_000_000 + "</row>")
    else:
        data = _xlsx(_row(1, "姓名", "邮箱"), "<si><t>x</t></si>" * 1_500_000)
    admin = logged_in(web, "chief", "chief-password")
    token = csrf_of(admin.get("/admin/people").text)
    r = admin.post("/admin/people/import", data={"csrf_token": token},
                   files={"file": ("bomb.xlsx", data, "application/octet-stream")})
    assert r.status_code == 303
    page = admin.get(r.headers["location"]).text
    assert "bomb.xlsx：" in page and ("超过" in page)
    assert admin.get("/healthz").status_code == 200


def test_an_uploaded_hr_file_is_readable_by_its_owner_only(site):
    zl, web = site
    admin = logged_in(web, "chief", "chief-password")
    token = csrf_of(admin.get("/admin/people").text)
    r = admin.post("/admin/people/import", data={"csrf_token": token},
                   files={"file": ("p.csv", csv_bytes(PEOPLE), "text/csv")})
    assert r.status_code == 200
    folder = zl.cfg.data_dir / "uploads"
    (kept,) = list(folder.iterdir())
    assert kept.stat().st_mode & 0o777 == 0o600 and folder.stat().st_mode & 0o777 == 0o700
