"""The e-mail channel against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller

from zhuanlan.channels.email import SmtpSender, build_message, message_id
from zhuanlan.config import load_config
from zhuanlan.errors import ConfigError, DeliveryError
from zhuanlan.model import IssueItemView, IssueView
from zhuanlan.publish.render import RenderedEmail, render_email

SENDER = "学习专栏 <zhuanlan@example.com>"


class Sink:
    """Collects envelopes; refuses chosen recipients with a chosen reply."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.peers: list[tuple[str, int]] = []   # one per connection (one EHLO each)
        self.refuse: dict[str, str] = {}
        self.data_reply = "250 Message accepted for delivery"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.peers.append(session.peer)
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self.data_reply.startswith("250"):
            return self.data_reply
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.data_reply


def _free_port() -> int:
    # aiosmtpd's Controller checks the server by connecting to the port it was given,
    # so it cannot use port 0 itself.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, **smtp_kwargs) -> None:
        self.sink = Sink()
        self.port = _free_port()
        self.smtp_kwargs = smtp_kwargs
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port,
                                     **self.smtp_kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def server():
    srv = Server()
    srv.start()
    yield srv
    srv.stop()


def _issue() -> IssueView:
    return IssueView(
        column_name="学习二十大", column_slug="xuexi-ershida", number=3, title="第3期",
        editor_note="本期聚焦新质生产力。", web_url="http://zl.example.com/c/xuexi-ershida/3",
        published_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        items=(IssueItemView(title="深入学习贯彻党的二十大精神", web_url="http://zl.example.com/r/1",
                             original_url="http://www.news.cn/a.html", source_name="新华社",
                             published=datetime(2026, 11, 20, 1, 0, tzinfo=UTC),
                             summary="摘要"),),
    )


def _msg(to: str = "wang@example.com", name: str | None = "王小明", n: int = 1):
    rendered = render_email(_issue(), unsubscribe_url="http://zl.example.com/u/abc")
    return build_message(rendered, sender=SENDER, to_addr=to, to_name=name,
                         message_id=message_id(7, n, "example.com"),
                         unsubscribe_url="http://zl.example.com/u/abc")


def _sender(server: Server, **kw) -> SmtpSender:
    return SmtpSender("127.0.0.1", server.port, timeout=5.0, **kw)


def test_message_id_is_fixed_per_issue_and_recipient():
    assert message_id(12, 345, "example.com") == "<zl.issue-12.r-345@example.com>"
    assert message_id(12, 345, "example.com") == message_id(12, 345, "example.com")
    assert message_id(12, 346, "example.com") != message_id(12, 345, "example.com")


def test_build_message_structure_without_server():
    msg = _msg()
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["List-Unsubscribe"] == "<http://zl.example.com/u/abc>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Date"]
    raw = msg.as_bytes()
    assert raw.isascii()                 # Chinese travels RFC 2047/base64-encoded
    assert b"\xe7" not in raw


def test_no_unsubscribe_headers_without_url():
    rendered = RenderedEmail(subject="s", html="<p>h</p>", text="t")
    msg = build_message(rendered, sender="a@example.com", to_addr="b@example.com",
                        to_name=None, message_id="<x@example.com>", unsubscribe_url=None)
    assert msg["List-Unsubscribe"] is None and msg["List-Unsubscribe-Post"] is None


@pytest.mark.parametrize("bad", ["foo", "a@b.c\r\nBcc: x@y.z", "张三@example.com", ""])
def test_invalid_recipient_is_permanent(bad):
    rendered = RenderedEmail(subject="s", html="<p>h</p>", text="t")
    with pytest.raises(DeliveryError) as err:
        build_message(rendered, sender="a@example.com", to_addr=bad, to_name=None,
                      message_id="<x@example.com>", unsubscribe_url=None)
    assert err.value.permanent


def test_invalid_sender_is_a_config_error():
    rendered = RenderedEmail(subject="s", html="<p>h</p>", text="t")
    with pytest.raises(ConfigError) as err:
        build_message(rendered, sender="专栏 <not-an-address>", to_addr="b@example.com",
                      to_name=None, message_id="<x@example.com>", unsubscribe_url=None)
    assert err.value.key == "smtp.sender"


def test_idn_domain_is_punycoded():
    rendered = RenderedEmail(subject="s", html="<p>h</p>", text="t")
    msg = build_message(rendered, sender="a@example.com", to_addr="wang@例子.中国", to_name=None,
                        message_id="<x@example.com>", unsubscribe_url=None)
    assert msg["To"].addresses[0].domain == "xn--fsqu00a.xn--fiqs8s"


def test_delivered_message_decodes(server):
    with _sender(server) as smtp:
        smtp.send(_msg())
    mail_from, rcpts, content = server.sink.envelopes[0]
    assert mail_from == "zhuanlan@example.com"
    assert rcpts == ["wang@example.com"]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["Subject"] == "学习二十大 · 第3期"
    assert parsed["To"].addresses[0].display_name == "王小明"
    assert parsed["To"].addresses[0].addr_spec == "wang@example.com"
    assert parsed["From"].addresses[0].display_name == "学习专栏"
    assert parsed["Message-ID"] == "<zl.issue-7.r-1@example.com>"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "深入学习贯彻党的二十大精神" in text and "http://www.news.cn/a.html" in text
    assert "深入学习贯彻党的二十大精神" in html and 'href="http://zl.example.com/r/1"' in html
    assert parsed.get_body(("html",)).get_content_charset() == "utf-8"


def test_one_connection_for_many_messages(server):
    with _sender(server) as smtp:
        for n in range(20):
            smtp.send(_msg(to=f"user{n}@example.com", n=n))
        assert smtp.connections == 1
    assert len(server.sink.envelopes) == 20
    assert len(server.sink.peers) == 1
    ids = {email.message_from_bytes(c, policy=email.policy.default)["Message-ID"]
           for _, _, c in server.sink.envelopes}
    assert len(ids) == 20


def test_550_is_permanent_and_connection_survives(server):
    server.sink.refuse["gone@example.com"] = "550 mailbox unavailable"
    with _sender(server) as smtp:
        with pytest.raises(DeliveryError) as err:
            smtp.send(_msg(to="gone@example.com"))
        assert err.value.permanent is True
        assert err.value.resource == "gone@example.com"
        assert "550" in err.value.message
        smtp.send(_msg(to="ok@example.com"))      # same connection, after RSET
        assert smtp.connections == 1
    assert [r for _, r, _ in server.sink.envelopes] == [["ok@example.com"]]


def test_451_is_temporary(server):
    server.sink.refuse["busy@example.com"] = "451 try again later"
    with _sender(server) as smtp:
        with pytest.raises(DeliveryError) as err:
            smtp.send(_msg(to="busy@example.com"))
    assert err.value.permanent is False
    assert "451" in err.value.message


@pytest.mark.parametrize("reply, permanent", [("554 5.7.1 message rejected as spam", True),
                                               ("452 4.3.1 insufficient storage", False)])
def test_data_refused(server, reply, permanent):
    server.sink.data_reply = reply
    with _sender(server) as smtp:
        with pytest.raises(DeliveryError) as err:
            smtp.send(_msg())
        assert err.value.permanent is permanent
        server.sink.data_reply = "250 OK"
        smtp.send(_msg(n=2))                     # the connection carries on after RSET
        assert smtp.connections == 1


def test_silent_server_times_out_as_temporary():
    with socket.socket() as listener:            # accepts, never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        started = time.monotonic()
        with SmtpSender("127.0.0.1", port, timeout=0.5) as smtp:
            with pytest.raises(DeliveryError) as err:
                smtp.send(_msg())
        assert err.value.permanent is False
        assert time.monotonic() - started < 5


def test_server_down_is_temporary_and_sender_reconnects(server):
    with _sender(server) as smtp:
        smtp.send(_msg(n=1))
        server.stop()
        with pytest.raises(DeliveryError) as err:
            smtp.send(_msg(n=2))
        assert err.value.permanent is False
        server.start()                                  # same port
        smtp.send(_msg(n=3))
        assert smtp.connections == 2
    ids = [email.message_from_bytes(c, policy=email.policy.default)["Message-ID"]
           for _, _, c in server.sink.envelopes]
    assert ids == ["<zl.issue-7.r-1@example.com>", "<zl.issue-7.r-3@example.com>"]


def test_idle_connection_closed_by_server_is_reopened_transparently():
    server = Server(timeout=0.3)          # the server drops connections idle for 0.3 s
    server.start()
    try:
        with _sender(server) as smtp:
            smtp.send(_msg(n=1))
            time.sleep(0.8)
            smtp.send(_msg(n=2))              # no error: nothing was lost before DATA
            assert smtp.connections == 2
    finally:
        server.stop()
    assert len(server.sink.envelopes) == 2
    assert len(server.sink.peers) == 2


def test_unreachable_server_is_temporary():
    with SmtpSender("127.0.0.1", _free_port(), timeout=2.0) as smtp:
        with pytest.raises(DeliveryError) as err:
            smtp.send(_msg())
    assert err.value.permanent is False
    assert err.value.resource == "wang@example.com"


def test_from_config():
    cfg = load_config(path=None, environ={}, **{"smtp.host": "mail.example.com",
                                                "smtp.port": 587, "smtp.security": "starttls",
                                                "smtp.username": "zl", "smtp.timeout": 12.5})
    smtp = SmtpSender.from_config(cfg)
    assert (smtp.host, smtp.port, smtp.security, smtp.username, smtp.password,
            smtp.timeout) == ("mail.example.com", 587, "starttls", "zl", None, 12.5)
    smtp.close()                                          # never opened: no error
