"""Removing a department's subscription to a column first says how many people would
stop receiving it — its sub-departments included, those still covered by a direct or
another department's subscription not — and asks; only the confirmed POST removes, and
the audit log says how many. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.web.conftest import SLUG, csrf_of, logged_in


def _organisation(zl) -> None:
    add = zl.people.add_person
    add("a@example.com", "甲", department="集团/一公司")
    add("b@example.com", "乙", department="集团/一公司/办公室")          # sub-department
    add("c@example.com", "丙", department="集团/一公司/财务部")          # also subscribed
    add("d@example.com", "丁", department="集团/一公司/办公室")          # direct subscriber
    add("e@example.com", "戊", department="集团/一公司", active=False)   # inactive
    add("f@example.com", "己", department="集团/一公司/办公室")          # opted out
    add("g@example.com", "庚", department="集团/二公司")                 # elsewhere
    zl.people.subscribe_department(SLUG, "集团/一公司")
    zl.people.subscribe_department(SLUG, "集团/一公司/财务部")
    zl.people.subscribe_department(SLUG, "集团/二公司")
    zl.people.subscribe_person(SLUG, "d@example.com")
    zl.people.unsubscribe(SLUG, "f@example.com")


def test_removing_a_department_says_how_many_and_asks(site):
    zl, web = site
    _organisation(zl)
    assert len(zl.people.recipients(SLUG)) == 5
    admin = logged_in(web, "chief", "chief-password")
    try:
        page = admin.get(f"/admin/people/columns/{SLUG}").text
        r = admin.post(f"/admin/people/columns/{SLUG}/departments/remove",
                       data={"path": "集团/一公司", "csrf_token": csrf_of(page)})
        assert r.status_code == 200
        # 甲 and 乙 stop receiving it; 丙 (财务部 subscribed too) and 丁 (direct) do not.
        assert re.search(r'id="affected">2<', r.text)
        examples = re.search(r"例如：([^<]*)<", r.text).group(1)
        assert sorted(examples.split("、")) == ["乙", "甲"]
        assert "在职 5 人" in r.text
        assert len(zl.people.recipients(SLUG)) == 5            # nothing removed yet
        assert not [e for e in zl.audit() if e["action"] == "remove_subscription"]

        confirm = re.search(r'<form[^>]*id="remove-confirm".*?</form>', r.text, re.S).group(0)
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', confirm))
        assert fields["confirmed"] == "1" and fields["path"] == "集团/一公司"
        r = admin.post(f"/admin/people/columns/{SLUG}/departments/remove", data=fields)
        assert r.status_code == 303
        assert "2 人不再收到本专栏" in admin.get(r.headers["location"]).text
        assert sorted(p["name"] for p in zl.people.recipients(SLUG)) == ["丁", "丙", "庚"]
        entry = next(e for e in zl.audit() if e["action"] == "remove_subscription")
        assert "2 人不再收到" in str(entry) and entry["actor"] == "chief"

        # A department the column does not subscribe: said, nothing asked.
        r = admin.post(f"/admin/people/columns/{SLUG}/departments/remove",
                       data={"path": "集团/一公司", "csrf_token": fields["csrf_token"]})
        assert r.status_code == 303
        assert "没有订阅本专栏" in admin.get(r.headers["location"]).text
    finally:
        admin.close()
