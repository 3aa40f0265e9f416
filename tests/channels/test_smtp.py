"""SMTP sending against a real aiosmtpd server: STARTTLS and implicit TLS with a
self-signed certificate made in the test, AUTH LOGIN and PLAIN, one connection reused,
parallel connections, the rate limit; and the per-issue mail filled per recipient."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import threading
from datetime import UTC, datetime

import pytest

from tests.support.clock import FakeClock
from tests.support.smtp import (
    Authenticator,
    SmtpSink,
    client_context,
    self_signed_cert,
    server_context,
)
from zhuanlan.channels.email import (
    ConnectionFailed,
    IssueMail,
    Recipient,
    SmtpSender,
    build_message,
)
from zhuanlan.channels.smtp_pool import SmtpPacer, SmtpPool
from zhuanlan.errors import ConfigError, DeliveryError
from zhuanlan.model import IssueItemView, IssueView
from zhuanlan.publish.render import render_email

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _issue(n_items: int = 8) -> IssueView:
    items = tuple(IssueItemView(
        title=f"学习材料{i} <b>&", web_url=f"http://zl.example.com/a/{100 + i}",
        original_url=f"http://news.example.com/{i}", source_name="新华社", published=NOW,
        summary="深入学习贯彻党的二十大精神。" * 6 + " a=b.") for i in range(n_items))
    return IssueView(column_name="学习二十大", column_slug="xuexi", number=3, title="",
                     editor_note="编者按：请认真学习。\n.第二段以点开头", web_url="http://zl.example.com/c/xuexi/3",
                     published_at=NOW, items=items)


def _parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def _text(msg, kind: str) -> str:
    return msg.get_body((kind,)).get_content().replace("\r\n", "\n")


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


# ---------------------------------------------------------------- TLS and login

def test_starttls_with_login(cert):
    auth = Authenticator("zl", "秘密pass")
    with SmtpSink(tls_context=server_context(*cert), require_starttls=True,
                  authenticator=auth, auth_required=True) as sink:
        with SmtpSender("127.0.0.1", sink.port, security="starttls", username="zl",
                        password="秘密pass", ssl_context=client_context(cert[0])) as smtp:
            for i in range(3):
                smtp.send(build_message(render_email(_issue(1)), sender="zl@example.com",
                                        to_addr=f"u{i}@example.com", to_name=None,
                                        message_id=f"<{i}@x>", unsubscribe_url=None))
            assert smtp.connections == 1
        assert sorted(r for m in sink.messages for r in m.rcpt_tos) == [
            "u0@example.com", "u1@example.com", "u2@example.com"]
    assert auth.mechanisms and set(auth.mechanisms) <= {"LOGIN", "PLAIN"}


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_auth_mechanisms(cert, mechanism):
    auth = Authenticator("zl", "pw")
    with SmtpSink(tls_context=server_context(*cert), authenticator=auth,
                  auth_required=True) as sink:
        sender = SmtpSender("127.0.0.1", sink.port, security="starttls", username="zl",
                            password="pw", ssl_context=client_context(cert[0]))
        # smtplib tries the server's mechanisms in its own order; pin one.
        real_connect = sender._connect

        def connect(resource):
            import smtplib
            orig = smtplib.SMTP.login

            def login(self, user, password, *, initial_response_ok=True):
                self.esmtp_features["auth"] = mechanism
                return orig(self, user, password, initial_response_ok=initial_response_ok)
            smtplib.SMTP.login = login
            try:
                return real_connect(resource)
            finally:
                smtplib.SMTP.login = orig
        sender._connect = connect
        with sender:
            mail = IssueMail(_issue(1), issue_id=1, sender="zl@example.com")
            sender.send_raw(mail.for_recipient(Recipient(1, "a@example.com")))
        assert len(sink.messages) == 1
    assert auth.mechanisms == [mechanism]


def test_wrong_password_is_a_temporary_connection_failure(cert):
    with SmtpSink(tls_context=server_context(*cert), authenticator=Authenticator("zl", "pw"),
                  auth_required=True) as sink:
        with SmtpSender("127.0.0.1", sink.port, security="starttls", username="zl",
                        password="nope", ssl_context=client_context(cert[0])) as smtp:
            with pytest.raises(ConnectionFailed) as info:
                smtp.send_raw(IssueMail(_issue(1), issue_id=1, sender="zl@example.com")
                              .for_recipient(Recipient(1, "a@example.com")))
    assert not info.value.permanent and "smtp.username" in info.value.message


def test_untrusted_certificate_is_refused(cert):
    with SmtpSink(tls_context=server_context(*cert)) as sink:
        with SmtpSender("127.0.0.1", sink.port, security="starttls") as smtp:   # system CAs
            with pytest.raises(ConnectionFailed):
                smtp.send_raw(IssueMail(_issue(1), issue_id=1, sender="zl@example.com")
                              .for_recipient(Recipient(1, "a@example.com")))
        assert sink.messages == []


def test_implicit_tls_with_login(cert):
    auth = Authenticator("zl", "pw")
    with SmtpSink(ssl_context=server_context(*cert), authenticator=auth,
                  auth_required=True) as sink:
        with SmtpSender("127.0.0.1", sink.port, security="ssl", username="zl", password="pw",
                        ssl_context=client_context(cert[0])) as smtp:
            mail = IssueMail(_issue(2), issue_id=5, sender="学习专栏 <zl@example.com>")
            for i in range(5):
                smtp.send_raw(mail.for_recipient(Recipient(i, f"u{i}@example.com", "张三")))
            assert smtp.connections == 1
        assert len(sink.messages) == 5


# ---------------------------------------------------------------- the per-issue mail

def test_issue_mail_matches_the_rendered_issue():
    issue = _issue()
    mail = IssueMail(issue, issue_id=9, sender="学习专栏 <zl@example.com>")
    out = mail.for_recipient(Recipient(42, "li.si@example.com", "李四"))
    msg = _parse(out.data)
    ref = render_email(issue)
    assert _text(msg, "plain") == ref.text
    assert _text(msg, "html") == ref.html
    assert msg["Subject"] == "学习二十大 · 第3期"
    assert msg["From"].addresses[0].display_name == "学习专栏"
    assert msg["To"].addresses[0].display_name == "李四"
    assert msg["To"].addresses[0].addr_spec == "li.si@example.com"
    assert msg["Message-ID"] == "<zl.issue-9.r-42@example.com>" == out.message_id
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Unsubscribe"] is None and msg["List-Unsubscribe-Post"] is None
    assert out.from_addr == "zl@example.com" and out.to_addrs == ("li.si@example.com",)
    lines = out.data.split(b"\r\n")
    assert out.data.isascii() and b"\n" not in out.data.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 78
    assert not any(line.startswith(b".") for line in lines)      # no dot-stuffing needed


def test_8bit_bodies_for_servers_with_8bitmime():
    issue = _issue()
    mail = IssueMail(issue, issue_id=9, sender="zl@example.com", article_ids=list(range(8)),
                     reader_url=lambda r, a: f"https://zl.example.com/r/{a}?u={r.id}&s=x",
                     unsubscribe_url=lambda r: f"https://zl.example.com/u/{r.id}",
                     greeting=lambda r: "您好：")
    out = mail.for_recipient(Recipient(1, "a@example.com", "张三"), eightbit=True)
    qp = mail.for_recipient(Recipient(1, "a@example.com", "张三"))
    assert out.eightbit and not qp.eightbit
    assert len(out.data) < len(qp.data) / 1.5
    lines = out.data.split(b"\r\n")
    assert max(map(len, lines)) <= 998 and b"\n" not in out.data.replace(b"\r\n", b"")
    assert b"\r\n..\xe7\xac\xac" in out.data                 # ".第二段": dot-stuffed
    unstuffed = out.data.replace(b"\r\n..", b"\r\n.")
    a, b = _parse(unstuffed), _parse(qp.data)
    assert _text(a, "plain") == _text(b, "plain")
    # The HTML differs only in where long lines were broken between attributes.
    assert _text(a, "html").replace("\n", " ") == _text(b, "html").replace("\n", " ")
    assert a["List-Unsubscribe"] == b["List-Unsubscribe"] and a["To"] == b["To"]
    # A line too long for SMTP even when broken: the message goes in QP.
    long = IssueMail(_issue(1), issue_id=9, sender="zl@example.com",
                     greeting=lambda r: "长" * 400)
    assert not long.for_recipient(Recipient(1, "a@example.com"), eightbit=True).eightbit


def test_8bitmime_over_smtp():
    mail = IssueMail(_issue(2), issue_id=1, sender="zl@example.com")
    with SmtpSink() as sink:
        with SmtpSender("127.0.0.1", sink.port) as smtp:
            smtp.connect()
            assert smtp.supports_8bitmime
            out = mail.for_recipient(Recipient(1, "a@example.com", "张三"), eightbit=True)
            assert out.eightbit
            smtp.send_raw(out)
        [got] = sink.messages
    assert _text(got.message, "plain") == render_email(_issue(2)).text


def test_per_recipient_links_unsubscribe_and_greeting():
    issue = _issue(3)
    calls = []

    def reader_url(r, article_id):
        calls.append((r.id, article_id))
        return f"https://zl.example.com/r/{article_id}?u={r.id}&sig=ab=="

    def unsubscribe_url(r):
        return None if r.id == 2 else f"https://zl.example.com/u?t={r.id}.{r.column_slug}"

    mail = IssueMail(issue, issue_id=1, sender="zl@example.com", article_ids=[7, 8, 9],
                     reader_url=reader_url, unsubscribe_url=unsubscribe_url,
                     greeting=lambda r: f"{r.name}同志，您好：" if r.name else None)
    one = _parse(mail.for_recipient(Recipient(1, "a@example.com", "张三", 1, "xuexi")).data)
    text, html = _text(one, "plain"), _text(one, "html")
    assert one["List-Unsubscribe"] == "<https://zl.example.com/u?t=1.xuexi>"
    assert one["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "退订本专栏：https://zl.example.com/u?t=1.xuexi" in text
    assert 'href="https://zl.example.com/u?t=1.xuexi"' in html
    for aid in (7, 8, 9):
        assert f"阅读：https://zl.example.com/r/{aid}?u=1&sig=ab==" in text
        assert f'href="https://zl.example.com/r/{aid}?u=1&amp;sig=ab=="' in html
    assert "zl.example.com/a/" not in text + html and "zl.invalid" not in text + html
    assert text.startswith("张三同志，您好：\n\n")
    assert "张三同志，您好：" in html and html.index("张三同志") < html.index("学习材料0")

    two = _parse(mail.for_recipient(Recipient(2, "b@example.com", "", 1, "xuexi")).data)
    text, html = _text(two, "plain"), _text(two, "html")
    assert two["List-Unsubscribe"] is None and "退订" not in text and "退订" not in html
    assert "同志" not in text and "u=2&sig" in text
    assert calls == [(1, 7), (1, 8), (1, 9), (2, 7), (2, 8), (2, 9)]


def test_unsafe_links_fall_back_or_are_left_out():
    mail = IssueMail(_issue(1), issue_id=1, sender="zl@example.com", article_ids=[100],
                     reader_url=lambda r, a: "javascript:alert(1)",
                     unsubscribe_url=lambda r: "https://x/u\r\nBcc: evil@example.com")
    msg = _parse(mail.for_recipient(Recipient(1, "a@example.com")).data)
    assert msg["List-Unsubscribe"] is None and msg["Bcc"] is None
    assert "http://zl.example.com/a/100" in _text(msg, "plain")
    assert "javascript" not in _text(msg, "html")


def test_issue_mail_addresses():
    mail = IssueMail(_issue(1), issue_id=1, sender="zl@example.com")
    out = mail.for_recipient(Recipient(1, "wang@例子.中国", "王五"))
    assert out.to_addrs == ("wang@xn--fsqu00a.xn--fiqs8s",)
    for bad in ("张三@example.com", "no-at-sign", "a b@example.com", ""):
        with pytest.raises(DeliveryError) as info:
            mail.for_recipient(Recipient(1, bad))
        assert info.value.permanent
    with pytest.raises(ConfigError):
        IssueMail(_issue(1), issue_id=1, sender="not an address")
    # A name with a line break cannot add a header.
    msg = _parse(mail.for_recipient(Recipient(1, "a@example.com", "x\r\nBcc: e@x.com")).data)
    assert msg["Bcc"] is None


# ---------------------------------------------------------------- pool and rate limit

def test_pool_sends_over_parallel_reused_connections():
    mail = IssueMail(_issue(2), issue_id=1, sender="zl@example.com")
    done: list = []
    senders: list[SmtpSender] = []
    with SmtpSink(delay=0.002) as sink:
        def make() -> SmtpSender:
            s = SmtpSender("127.0.0.1", sink.port)
            senders.append(s)
            return s
        with SmtpPool(make, connections=3, prepare=lambda r, eightbit: mail.for_recipient(r, eightbit=eightbit),
                      done=lambda job, err: done.append((job, err))) as pool:
            for i in range(60):
                pool.submit(Recipient(i, f"u{i}@example.com"))
        assert len(sink.messages) == 60
    assert len(done) == 60 and all(err is None for _, err in done)
    assert len(senders) == 3 and sum(s.connections for s in senders) == 3
    assert pool.sent == 60 and pool.failed == 0


def test_pool_reports_refusals_and_a_dead_server():
    mail = IssueMail(_issue(1), issue_id=1, sender="zl@example.com")
    results: dict[int, DeliveryError | None] = {}
    with SmtpSink() as sink:
        port = sink.port
    # The server is gone: the first job fails to connect, the rest fail without a try.
    pool = SmtpPool(lambda: SmtpSender("127.0.0.1", port, timeout=2), connections=2,
                    prepare=lambda r, eightbit: mail.for_recipient(r, eightbit=eightbit),
                    done=lambda r, err: results.__setitem__(r.id, err))
    with pool:
        for i in range(10):
            pool.submit(Recipient(i, f"u{i}@example.com" if i else "张三@example.com"))
    assert isinstance(pool.broken, ConnectionFailed)
    assert len(results) == 10
    assert all(err is not None and not err.permanent for err in results.values())


def test_rate_limit_spaces_messages():
    """Four threads asking for 20 slots at 50 per second get slots exactly 20 ms apart,
    each thread asked to sleep until its own; time is the fake clock's."""
    clock = FakeClock(1000.0)
    pauses: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            pauses.append(seconds)

    limiter = SmtpPacer(50, clock=clock, sleep=sleep)
    slots: list[float] = []

    def run() -> None:
        for _ in range(5):
            at = limiter.wait()
            with lock:
                slots.append(at)
    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots.sort()
    assert slots == pytest.approx([1000.0 + 0.02 * i for i in range(20)])
    assert sorted(pauses) == pytest.approx([0.02 * i for i in range(1, 20)])
    assert SmtpPacer(0).interval == 0


def test_text_from_outside_cannot_fill_a_recipients_slot():
    """An article's title, summary or the editor's note that spells the placeholders of
    the per-recipient parts is shown as written; the real slots are filled as before."""
    bait = ("https://zl.invalid/slot/u https://zl.invalid/slot/g "
            "https://zl.invalid/slot/a0 https://zl.invalid/slot/a1")
    base = _issue(2)
    items = tuple(dataclasses.replace(item, title=f"{item.title} {bait}", summary=bait,
                                      web_url=bait.split()[2])
                  for item in base.items)
    issue = dataclasses.replace(base, editor_note=f"编者按 {bait}", items=items)
    mail = IssueMail(issue, issue_id=9, sender="zl@example.com", article_ids=[100, 101],
                     reader_url=lambda r, a: f"https://zl.example.com/r/SECRET-{r.id}-{a}",
                     unsubscribe_url=lambda r: f"https://zl.example.com/u/SECRET-{r.id}",
                     greeting=lambda r: f"{r.name}，您好：")
    msg = _parse(mail.for_recipient(Recipient(7, "a@example.com", "张三")).data)
    for kind in ("plain", "html"):
        body = _text(msg, kind)
        assert body.count("https://zl.invalid/slot/u") >= 2, kind   # the bait, literally
        assert body.count("https://zl.invalid/slot/a1") >= 2, kind
        # The real parts, each where it belongs and nowhere else.
        assert body.count("SECRET-7-100") >= 1 and body.count("SECRET-7-101") >= 1
        assert body.count("张三，您好：") == 1
    assert msg["List-Unsubscribe"] == "<https://zl.example.com/u/SECRET-7>"
