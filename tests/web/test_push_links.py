"""What a pushed e-mail carries for its one recipient, followed over real HTTP: the
personal link that makes the reader known and opens the article in its issue, and the
one-click unsubscribe link (RFC 8058) honoured at once."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from tests.support.smtp import SmtpSink, free_port
from tests.support.study_seed import SLUG, organisation, publish
from tests.support.web import WebServer
from zhuanlan.store.schema import deliveries
from zhuanlan.study.records import Reader, reading_of


def test_personal_and_unsubscribe_links_in_the_mail_work(make_zl):
    from zhuanlan.web.app import create_app

    port = free_port()
    with SmtpSink() as sink:
        zl = make_zl(web__base_url=f"http://127.0.0.1:{port}", smtp__port=sink.port,
                     smtp__sender="zl@example.com")
        people = organisation(zl)
        issue_id, arts = publish(zl, 2, "推送")
        zl.deliver_due()
        mails = {m.rcpt_tos[0]: m.message for m in sink.messages}
    assert len(mails) == 4
    mail = mails["a@example.com"]
    html = mail.get_body(("html",)).get_content()
    assert "甲，您好" in html
    links = re.findall(r'href="(http://127\.0\.0\.1:\d+/r/[^"]+)"', html)
    assert len(links) >= 2
    other = mails["b@example.com"].get_body(("html",)).get_content()
    assert links[0] not in other                     # personal: 乙's links differ
    unsubscribe = mail["List-Unsubscribe"].strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    with WebServer(create_app(zl), port) as web:
        client = httpx.Client(follow_redirects=False, timeout=10)
        r = client.get(links[0].replace("&amp;", "&"))
        assert r.status_code == 303, (links[0], r.text[-300:])
        target = r.headers["location"]
        assert re.fullmatch(rf"/a/{arts[0]}\?i={issue_id}", target)
        page = client.get(web.url(target))
        assert "我已学习" in page.text and "匿名" not in page.text
        zl.records.flush()
        reading = reading_of(zl.db, Reader.person(people["甲"]), arts[0])
        assert reading is not None and reading["issue_id"] == issue_id
        # One-click unsubscribe, as a mail client posts it: no cookie, no CSRF token.
        r = httpx.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}, timeout=10)
        assert r.status_code in (200, 303)
    assert zl.people.opted_out(SLUG, people["甲"])
    second, _ = publish(zl, 1, "下期")
    with zl.db.read() as conn:
        recipients = set(conn.execute(select(deliveries.c.subscriber_id)
                                      .where(deliveries.c.issue_id == second)).scalars())
    assert people["甲"] not in recipients and people["乙"] in recipients
