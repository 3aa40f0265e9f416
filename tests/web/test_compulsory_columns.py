"""必学 (compulsory) columns: their e-mails carry no unsubscribe link and no
List-Unsubscribe header (the real publish and SMTP path), and an old unsubscribe link of
such a column opts nobody out: the page says the column is 必学 and whom to ask."""

from __future__ import annotations

import httpx

from tests.support.smtp import SmtpSink, free_port
from tests.support.study_seed import SLUG, organisation, publish
from tests.support.web import WebServer
from tests.web.conftest import csrf_of, logged_in


def _mails(zl, sink) -> dict:
    publish(zl, 1, f"第{len(sink.messages)}期")
    zl.deliver_due()
    return {m.rcpt_tos[0]: m.message for m in sink.messages}


def test_a_compulsory_column_mails_without_unsubscribe_link_or_header(make_zl):
    with SmtpSink() as sink:
        zl = make_zl(web__base_url="http://mail.example.com", smtp__port=sink.port,
                     smtp__sender="zl@example.com")
        organisation(zl)
        before = _mails(zl, sink)["a@example.com"]
        assert before["List-Unsubscribe"] and "退订本专栏" in before.get_body(
            ("html",)).get_content()
        zl.columns.update(SLUG, zl.columns.fields(SLUG).changed(
            compulsory=True, contact="宣传部 张三"), by="chief")
        sink.messages.clear()
        mail = _mails(zl, sink)["a@example.com"]
    assert mail["List-Unsubscribe"] is None and mail["List-Unsubscribe-Post"] is None
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "退订" not in html and "/u/" not in html
    assert "退订" not in text and "/u/" not in text
    entry = next(e for e in zl.audit() if e["action"] == "edit_column")
    assert entry["actor"] == "chief" and "必学 否 → 是" in entry["detail"]


def test_an_old_unsubscribe_link_of_a_compulsory_column_says_whom_to_ask(make_zl):
    from zhuanlan.web.app import create_app

    zl = make_zl(web__base_url="http://mail.example.com")
    people = organisation(zl)
    zl.staff.add_user("chief", "chief-password", role="admin")
    zl.staff.add_user("ed", "editor-password", role="editor", columns_=[SLUG],
                      display_name="李编辑")
    column = zl.get_column(SLUG)["id"]
    path = zl.people.unsubscribe_url(people["甲"], column).removeprefix(
        "http://mail.example.com")
    with WebServer(create_app(zl), free_port()) as web:
        chief = logged_in(web, "chief", "chief-password")
        form = chief.get(f"/admin/c/{SLUG}/edit").text
        fields = {"name": "学习二十大", "include": "学习", "schedule": "0 9 * * 1",
                  "timezone": "Asia/Shanghai", "compulsory": "1", "contact": "",
                  "csrf_token": csrf_of(form)}
        assert chief.post(f"/admin/c/{SLUG}/edit", data=fields).status_code == 303
        anon = httpx.Client(base_url=web.url(""), timeout=10)
        page = anon.get(path).text
        # no contact on the column: its editors are named
        assert "是必学专栏" in page and "不能退订" in page and "李编辑" in page
        assert "确认退订" not in page
        fields["contact"] = "宣传部 张三 电话 1234"
        fields["csrf_token"] = csrf_of(chief.get(f"/admin/c/{SLUG}/edit").text)
        assert chief.post(f"/admin/c/{SLUG}/edit", data=fields).status_code == 303
        r = anon.post(path, content=b"List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 200 and "宣传部 张三 电话 1234" in r.text
        assert "已退订" not in r.text
    assert not zl.people.opted_out(SLUG, people["甲"])
