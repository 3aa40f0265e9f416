"""E-mail channel: MIME messages of a rendered issue, and one SMTP connection that sends
many of them.

Thin shell around ``email`` and ``smtplib``; what to send and to whom is decided by the
delivery outbox, not here. Every failure of :meth:`SmtpSender.send` is a DeliveryError
whose ``permanent`` flag tells the outbox whether trying again later can help.

Two ways to make a message: :func:`build_message` (an ``EmailMessage``, for one-off
mail), and :class:`IssueMail`, which renders and encodes an issue ONCE and then makes
each recipient's message by joining pre-encoded bytes with the recipient's own values
(reader links, unsubscribe link, greeting) — ~10 µs a message instead of ~2 ms.
"""

from __future__ import annotations

import binascii
import copy
import dataclasses
import email.policy
import html as _html
import itertools
import re
import secrets
import smtplib
import ssl
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, formatdate, parseaddr
from typing import Any

from zhuanlan.errors import ConfigError, DeliveryError
from zhuanlan.model import IssueView
from zhuanlan.publish.render import RenderedEmail, http_url, prepare_email

__all__ = ["message_id", "build_message", "SmtpSender", "Recipient", "Outgoing", "IssueMail",
           "ConnectionFailed"]


_POLICY = email.policy.default.clone(cte_type="7bit")


def message_id(issue_id: int, recipient_id: int, domain: str, reminder_id: int = 0) -> str:
    """``<zl.issue-{issue_id}.r-{recipient_id}@{domain}>`` (a reminder of the issue:
    ``zl.issue-{issue_id}.remind-{reminder_id}.r-…``, so it is not taken for a repeat).

    Fixed per issue and recipient: when a connection breaks after the final "." the
    server may have delivered a message that we send again (RFC 1047); the repeated
    Message-ID lets the recipient's server or client recognise the duplicate.
    """
    remind = f".remind-{int(reminder_id)}" if reminder_id else ""
    return f"<zl.issue-{int(issue_id)}{remind}.r-{int(recipient_id)}@{domain.strip().lower()}>"


def _address(text: str, name: str | None, role: str) -> Address:
    """An Address object, so that a Chinese display name is RFC 2047-encoded and an
    address that is not one cannot slip into a header. Raises DeliveryError
    (permanent: the same address will fail again)."""
    text = (text or "").strip()
    local, at, domain = text.rpartition("@")
    if at and not domain.isascii():
        # 例子.中国 → xn--fsqu00a.xn--fiqs8s: every server takes the ASCII form.
        try:
            text = f"{local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            pass                                # left for Address to refuse
    try:
        addr = Address(display_name=" ".join((name or "").split()), addr_spec=text)
    except (ValueError, IndexError, TypeError, AttributeError, HeaderParseError) as exc:
        raise DeliveryError(f"{role}地址“{text}”不是有效的邮件地址", resource=text,
                            permanent=True) from exc
    # Address accepts a bare local part ("foo") and leaves the domain empty.
    if not addr.username or not addr.domain or any(c.isspace() for c in text):
        raise DeliveryError(f"{role}地址“{text}”不是有效的邮件地址", resource=text,
                            permanent=True)
    return addr


def build_message(rendered: RenderedEmail, *, sender: str, to_addr: str,
                  to_name: str | None, message_id: str, unsubscribe_url: str | None,
                  date: datetime | None = None) -> EmailMessage:
    """A multipart/alternative message (plain text first, HTML preferred), UTF-8.

    ``sender`` is ``addr`` or ``显示名 <addr>``. ``date`` defaults to now. With an
    ``unsubscribe_url`` the List-Unsubscribe headers are set (RFC 2369, and RFC 8058
    one-click, which the web app must answer to a POST).

    Raises DeliveryError (permanent) when the recipient is not a valid address (a
    non-ASCII local part like 张三@… counts as invalid; an IDN domain is converted),
    ConfigError (key ``smtp.sender``) when the sender is not.
    """
    sender_name, sender_addr = parseaddr(sender)
    try:
        from_ = _address(sender_addr or sender, sender_name, "发件人")
    except DeliveryError as exc:
        # Our setting, not the recipient's fault: marking deliveries failed for good
        # would drop them all.
        raise ConfigError("smtp.sender", exc.message) from exc
    # 7-bit clean (bodies in base64 or quoted-printable, whichever is shorter): old
    # intranet relays without 8BITMIME must pass the Chinese text intact.
    msg = EmailMessage(policy=_POLICY)
    msg["Subject"] = " ".join(rendered.subject.split())
    msg["From"] = from_
    msg["To"] = _address(to_addr, to_name, "收件人")
    msg["Date"] = format_datetime((date or datetime.now(UTC)).astimezone())
    msg["Message-ID"] = message_id
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url.strip()}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Pushed issues are bulk mail: this keeps out-of-office replies away (RFC 3834).
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg


# ---------------------------------------------------------------- issue mail, fast path

@dataclass(frozen=True, slots=True)
class Recipient:
    """Who one message goes to: the subscriber's id, address and name, and the issue
    and column the message is about (for the links the caller signs)."""

    id: int
    email: str
    name: str = ""
    issue_id: int = 0
    column_slug: str = ""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message ready for SMTP: the envelope and the bytes of DATA (CRLF line ends,
    no line starting with "." — so no dot-stuffing is needed)."""

    from_addr: str
    to_addrs: tuple[str, ...]
    data: bytes
    message_id: str
    eightbit: bool = False       # bodies in 8bit: needs a server that offers 8BITMIME

    @property
    def resource(self) -> str:
        return ", ".join(self.to_addrs)


ReaderUrl = Callable[[Recipient, int], str]
UnsubscribeUrl = Callable[[Recipient], "str | None"]
Greeting = Callable[[Recipient], "str | None"]

# A slot in the rendered issue, where a recipient's own value goes. An absolute http URL
# so that the renderer's URL check lets it through; ".invalid" can never resolve. Each
# IssueMail draws a random key into its slots: the issue's text comes from outside (a
# feed's title, an article) and must not be able to name a slot and have it filled with
# someone's personal link.
_SLOT_BASE = "https://zl.invalid/slot/"


def _slot_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(re.escape(prefix) + r"([a-z]\d*)")
_SIMPLE_ADDR = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                          r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                          r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
# A space between two attributes of a tag (text and attribute values are escaped, so
# ' name="' occurs nowhere else in our HTML).
_ATTR_GAP = re.compile(r' (?=[A-Za-z_:][-A-Za-z0-9_:.]*=")')
_GREETING_HTML = ('<div style="max-width:600px;margin:0 auto;padding:16px 8px 0 8px;'
                  "font-family:'Microsoft YaHei','PingFang SC',SimSun,Arial,sans-serif;"
                  'font-size:15px;line-height:24px;color:#333333;">{}</div>\n')


def _qp(text: str) -> bytes:
    """Quoted-printable bytes of ``text`` with CRLF line ends, ending at the start of a
    line (a soft line break when the text does not end with one), and no line starting
    with "." (written =2E), so that encoded pieces can simply be concatenated and sent
    without dot-stuffing."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True, header=False)
    out = out.replace(b"\n", b"\r\n")
    if out.startswith(b"."):
        out = b"=2E" + out[1:]
    out = out.replace(b"\r\n.", b"\r\n=2E")
    if out and not out.endswith(b"\r\n"):
        # A soft line break; the last line, with its "=", must stay within 76 characters.
        start = out.rfind(b"\n") + 1
        if len(out) - start > 75:
            cut = start + 73
            while b"=" in out[cut - 2:cut]:      # not inside an =XX escape
                cut -= 1
            out = out[:cut] + b"=\r\n" + out[cut:]
        out += b"=\r\n"
    return out


_URL_BAD = re.compile(r'[\x00-\x20\x7f<>"]')


def _safe_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL without control characters (it goes
    into a header and an href), else None."""
    url = http_url(url)
    if url is None or not url.isascii() or _URL_BAD.search(url):
        return None
    return url


class _Part:
    """One body part (HTML or text) as QP-encoded static pieces and named slots."""

    def __init__(self, rendered: str, *, html: bool, slots: re.Pattern[str]) -> None:
        if not rendered.endswith("\n"):
            rendered += "\n"        # the part must end on a hard line break
        self.html = html
        self.pieces: list[bytes | str] = []   # bytes: encoded static text; str: slot name
        pos = 0
        for m in slots.finditer(rendered):
            if m.start() > pos:
                self.pieces.append(_qp(rendered[pos:m.start()]))
            self.pieces.append(m.group(1))
            pos = m.end()
        self.pieces.append(_qp(rendered[pos:]))
        # The same in UTF-8 for servers with 8BITMIME: a quarter of the lines and half
        # the bytes. Long HTML lines are broken between attributes (where a line break
        # means nothing); a message with a line still too long goes out in QP.
        if html:
            rendered = "\n".join(_ATTR_GAP.sub("\n", line) if len(line) > 300 else line
                                  for line in rendered.split("\n"))
        self.pieces8: list[bytes | str] = []
        pos = 0
        for m in slots.finditer(rendered):
            self.pieces8.append(rendered[pos:m.start()].replace("\n", "\r\n").encode("utf-8"))
            self.pieces8.append(m.group(1))
            pos = m.end()
        self.pieces8.append(rendered[pos:].replace("\n", "\r\n").encode("utf-8"))

    def encode8(self, values: dict[str, str], out: list[bytes]) -> None:
        for piece in self.pieces8:
            if isinstance(piece, bytes):
                out.append(piece)
            else:
                value = values.get(piece, "")
                if value:
                    out.append(value.replace("\n", "\r\n").encode("utf-8"))

    def encode(self, values: dict[str, str], out: list[bytes]) -> None:
        """Append the part's bytes to ``out``; ``values`` are ready to insert (HTML
        already escaped)."""
        for piece in self.pieces:
            if isinstance(piece, bytes):
                out.append(piece)
            else:
                value = values.get(piece, "")
                if value:
                    out.append(_qp(value))


class IssueMail:
    """An issue's e-mail rendered and encoded ONCE, then made per recipient by filling
    slots: the reader links of the items, the unsubscribe link and a greeting.

    Per recipient only the slot values (a few short strings) are encoded and joined to
    the pre-encoded bytes: no template is rendered and no ``EmailMessage`` is built. The
    bodies are quoted-printable (7-bit clean, like :func:`build_message`), which lets
    pieces encoded separately be concatenated.

    ``reader_url(recipient, article_id)`` gives an item's link (``article_ids`` in the
    order of ``issue.items`` are then required); without it the links are the issue's
    own. ``unsubscribe_url(recipient)`` gives the signed one-click link for the
    List-Unsubscribe headers and the footer (None or a non-http(s) URL: neither).
    ``greeting(recipient)`` gives a line shown above the issue (None: none).
    """

    def __init__(self, issue: IssueView, *, issue_id: int, sender: str,
                 tz: str = "Asia/Shanghai", article_ids: Sequence[int] | None = None,
                 reader_url: ReaderUrl | None = None,
                 unsubscribe_url: UnsubscribeUrl | None = None,
                 greeting: Greeting | None = None, domain: str | None = None,
                 reminder_id: int = 0) -> None:
        sender_name, sender_addr = parseaddr(sender)
        try:
            from_ = _address(sender_addr or sender, sender_name, "发件人")
        except DeliveryError as exc:
            raise ConfigError("smtp.sender", exc.message) from exc
        self.issue_id = int(issue_id)
        self.reminder_id = int(reminder_id)
        self.column_slug = issue.column_slug
        self.from_addr = from_.addr_spec
        self.domain = (domain or from_.domain or "localhost").strip().lower()
        self.reader_url = reader_url
        self.unsubscribe_url = unsubscribe_url
        self.greeting = greeting
        self._slot = f"{_SLOT_BASE}{secrets.token_hex(12)}/"
        slots = _slot_pattern(self._slot)
        if reader_url is not None:
            if article_ids is None or len(article_ids) != len(issue.items):
                raise ValueError("reader_url needs the article id of every item")
            self.article_ids = [int(a) for a in article_ids]
            self.default_links = [item.web_url for item in issue.items]
            issue = dataclasses.replace(issue, items=tuple(
                dataclasses.replace(item, web_url=f"{self._slot}a{i}")
                for i, item in enumerate(issue.items)))
        prepared = prepare_email(issue, tz=tz)
        self.subject = " ".join(prepared.subject.split())
        # Two renderings: with the footer's unsubscribe link (its URL a slot) and without.
        with_link = prepared.for_recipient(f"{self._slot}u")
        without = prepared.for_recipient(None)
        self._variants = {
            True: (_Part(self._greeting_slot(with_link.text, False), html=False, slots=slots),
                   _Part(self._greeting_slot(with_link.html, True), html=True, slots=slots)),
            False: (_Part(self._greeting_slot(without.text, False), html=False, slots=slots),
                    _Part(self._greeting_slot(without.html, True), html=True, slots=slots)),
        }
        # Headers that are the same for every recipient, encoded by the email package.
        head = EmailMessage(policy=_POLICY.clone(linesep="\r\n"))
        head["Subject"] = self.subject
        head["From"] = from_
        self._head = head.as_bytes().split(b"\r\n\r\n", 1)[0] + b"\r\n"
        self._date_cache = (0, "")
        # Boundaries: a random part per issue mail (no content can guess it) and a count.
        self._boundary = f"=_zl_{uuid.uuid4().hex[:16]}_"
        self._count = itertools.count()

    def _greeting_slot(self, rendered: str, html: bool) -> str:
        if self.greeting is None:
            return rendered
        slot = f"{self._slot}g"
        if not html:
            return slot + rendered
        at = rendered.find("<table", max(rendered.find("<body"), 0))
        if at < 0:
            return slot + rendered
        return rendered[:at] + slot + rendered[at:]

    def _date(self, date: datetime | None) -> str:
        if date is not None:
            return format_datetime(date.astimezone())
        now = int(time.time())
        if self._date_cache[0] != now:
            self._date_cache = (now, formatdate(now, localtime=True))
        return self._date_cache[1]

    def message_id(self, recipient: Recipient) -> str:
        return message_id(self.issue_id, recipient.id, self.domain, self.reminder_id)

    def for_recipient(self, recipient: Recipient, *, date: datetime | None = None,
                      eightbit: bool = False) -> Outgoing:
        """The message for one recipient. Raises DeliveryError (permanent) for an
        address that is not one.

        ``eightbit``: bodies in UTF-8 (Content-Transfer-Encoding 8bit), for a server
        that offers 8BITMIME — unless a line would be too long for SMTP, then QP as
        without it; :attr:`Outgoing.eightbit` tells which."""
        addr = (recipient.email or "").strip()
        if not _SIMPLE_ADDR.fullmatch(addr) or len(addr) > 254:
            addr = _address(addr, None, "收件人").addr_spec      # IDN → punycode, or raise
        name = " ".join((recipient.name or "").split())
        to = formataddr((name, addr), charset="utf-8") if name else addr
        mid = self.message_id(recipient)
        values: dict[str, str] = {}
        if self.reader_url is not None:
            for i, article_id in enumerate(self.article_ids):
                values[f"a{i}"] = (_safe_link(self.reader_url(recipient, article_id))
                                   or self.default_links[i])
        unsubscribe = (_safe_link(self.unsubscribe_url(recipient))
                       if self.unsubscribe_url is not None else None)
        if unsubscribe:
            values["u"] = unsubscribe
        if self.greeting is not None:
            words = " ".join((self.greeting(recipient) or "").split())
            if words:
                values["g"] = words + "\n\n"
        text_part, html_part = self._variants[bool(unsubscribe)]
        html_values = {k: _html.escape(v) for k, v in values.items() if k != "g"}
        if "g" in values:
            html_values["g"] = _GREETING_HTML.format(_html.escape(values["g"].strip()))
        if eightbit:
            body = self._body8(text_part, html_part, values, html_values)
            if body is not None:
                return Outgoing(self.from_addr, (addr,), self._headers(to, date, mid, unsubscribe,
                                                                       body[0]) + body[1],
                                mid, eightbit=True)
        boundary = f"{self._boundary}{next(self._count)}"   # "=_" never occurs in QP
        head = [f"To: {to}\r\nDate: {self._date(date)}\r\nMessage-ID: {mid}\r\n"]
        if unsubscribe:
            head.append(f"List-Unsubscribe: <{unsubscribe}>\r\n"
                        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
        head.append("Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
                    f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'
                    f"--{boundary}\r\n"
                    'Content-Type: text/plain; charset="utf-8"\r\n'
                    "Content-Transfer-Encoding: quoted-printable\r\n\r\n")
        out = [self._head, "".join(head).encode("ascii")]
        text_part.encode(values, out)
        out.append(f"\r\n--{boundary}\r\n"
                   'Content-Type: text/html; charset="utf-8"\r\n'
                   "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode("ascii"))
        html_part.encode(html_values, out)
        out.append(f"\r\n--{boundary}--\r\n".encode("ascii"))
        return Outgoing(self.from_addr, (addr,), b"".join(out), mid)

    def _body8(self, text_part: _Part, html_part: _Part, values: dict[str, str],
               html_values: dict[str, str]) -> tuple[str, bytes] | None:
        """(boundary, body) in 8bit, dot-stuffed; None when a line is too long."""
        boundary = f"{self._boundary}{next(self._count)}"
        out = [f"--{boundary}\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
               "Content-Transfer-Encoding: 8bit\r\n\r\n".encode("ascii")]
        text_part.encode8(values, out)
        out.append(f"\r\n--{boundary}\r\nContent-Type: text/html; charset=\"utf-8\"\r\n"
                   "Content-Transfer-Encoding: 8bit\r\n\r\n".encode("ascii"))
        html_part.encode8(html_values, out)
        out.append(f"\r\n--{boundary}--\r\n".encode("ascii"))
        body = b"".join(out)
        if max(map(len, body.split(b"\r\n"))) > 990:
            return None
        if b"\r\n." in body:
            body = body.replace(b"\r\n.", b"\r\n..")
        return boundary, body

    def _headers(self, to: str, date: datetime | None, mid: str, unsubscribe: str | None,
                 boundary: str) -> bytes:
        head = [f"To: {to}\r\nDate: {self._date(date)}\r\nMessage-ID: {mid}\r\n"]
        if unsubscribe:
            head.append(f"List-Unsubscribe: <{unsubscribe}>\r\n"
                        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
        head.append("Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
                    f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n')
        return self._head + "".join(head).encode("ascii")


def _recipients(msg: EmailMessage) -> list[str]:
    out: list[str] = []
    for header in ("To", "Cc", "Bcc"):
        value = msg[header]
        if value is not None:
            out.extend(a.addr_spec for a in value.addresses)
    return out


class SmtpSender:
    """One SMTP connection reused for many messages (a new connection per message
    costs ~30% of throughput, see FACTS.md). Use as a context manager::

        with SmtpSender.from_config(cfg) as smtp:
            for msg in messages:
                smtp.send(msg)

    The connection opens on the first send. After a dropped connection the next send
    opens a new one.
    """

    def __init__(self, host: str, port: int, *, security: str = "none",
                 username: str | None = None, password: str | None = None,
                 timeout: float = 30.0, local_hostname: str | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        if security not in {"none", "starttls", "ssl"}:
            raise ValueError(f"security must be none, starttls or ssl, got {security!r}")
        self.host = host
        self.port = port
        self.security = security
        self.username = username or None
        self.password = password or None
        self.timeout = timeout
        self.local_hostname = local_hostname
        self.ssl_context = ssl_context
        self.connections = 0          # connections opened so far (for logs and tests)
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_config(cls, cfg: Any) -> SmtpSender:
        """From the ``smtp.*`` settings of a :class:`zhuanlan.config.Config`."""
        return cls(cfg["smtp.host"], cfg["smtp.port"], security=cfg["smtp.security"],
                   username=cfg["smtp.username"] or None,
                   password=cfg["smtp.password"] or None, timeout=cfg["smtp.timeout"])

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connection

    def _connect(self, resource: str) -> smtplib.SMTP:
        """Open, secure and log in. Raises ConnectionFailed, always temporary: a server
        that is down or a wrong password is our problem, not the recipient's, and
        marking the message failed for good would drop it."""
        where = f"{self.host}:{self.port}"
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout,
                    local_hostname=self.local_hostname,
                    context=self.ssl_context or ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout,
                                    local_hostname=self.local_hostname)
            try:
                smtp.ehlo_or_helo_if_needed()
                if self.security == "starttls":
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    if (self.username + (self.password or "")).isascii():
                        smtp.login(self.username, self.password or "")
                    else:
                        _login_utf8(smtp, self.username, self.password or "")
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectionFailed(f"登录邮件服务器 {where} 失败（{_reply(exc)}），请检查 smtp.username "
                                "和 smtp.password", resource=resource) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise ConnectionFailed(f"邮件服务器 {where} 不支持所需功能（{exc}），请检查 smtp.security",
                                resource=resource) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectionFailed(f"无法连接邮件服务器 {where}：{_reply(exc)}",
                                resource=resource) from exc
        self.connections += 1
        return smtp

    def connect(self) -> None:
        """Open the connection now if none is open. Raises ConnectionFailed."""
        if self._smtp is None:
            self._smtp = self._connect(f"{self.host}:{self.port}")

    @property
    def supports_8bitmime(self) -> bool:
        """Whether the open connection's server offers 8BITMIME."""
        return self._smtp is not None and self._smtp.has_extn("8bitmime")

    def close(self) -> None:
        """QUIT and close the connection, if one is open. Never raises."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    # -- sending

    def send(self, msg: EmailMessage) -> None:
        """Send one message to the addresses in its To/Cc/Bcc (one recipient per
        message is what the outbox makes).

        Raises DeliveryError with ``resource`` = the recipient(s):
        ``permanent=True`` for a 5xx reply or when every recipient is refused with 5xx;
        ``permanent=False`` for a 4xx reply, a lost connection, a timeout, a server that
        cannot be reached. When some but not all recipients are refused the message
        went to the others and the error names only the refused ones.
        """
        to_addrs = _recipients(msg)
        from_header = msg["Sender"] or msg["From"]
        from_addr = from_header.addresses[0].addr_spec if from_header else ""
        self._send(from_addr, to_addrs, msg, None)

    def send_raw(self, out: Outgoing) -> None:
        """Send a message made by :meth:`IssueMail.for_recipient` (bytes ready for DATA).
        Raises as :meth:`send`."""
        self._send(out.from_addr, list(out.to_addrs), None, out.data, eightbit=out.eightbit)

    def _send(self, from_addr: str, to_addrs: list[str], msg: EmailMessage | None,
              data: bytes | None, *, eightbit: bool = False) -> None:
        resource = ", ".join(to_addrs) or "(无收件人)"
        if not to_addrs:
            raise DeliveryError("邮件没有收件人", resource=resource, permanent=True)
        if not all(a.isascii() for a in [from_addr, *to_addrs]):
            raise DeliveryError("邮件地址含非 ASCII 字符（不支持 SMTPUTF8）", resource=resource,
                                permanent=True)
        # A connection left open may have been closed by the server in the meantime.
        # Nothing can have been delivered before DATA, so a failure in MAIL FROM on a
        # reused connection is retried once on a fresh one, invisibly to the caller.
        for attempt in (1, 2):
            reused = self._smtp is not None
            if self._smtp is None:
                self._smtp = self._connect(resource)
            smtp = self._smtp
            if eightbit and not smtp.has_extn("8bitmime"):
                raise DeliveryError("邮件服务器不再支持 8BITMIME", resource=resource)
            try:
                self._mail(smtp, from_addr, to_addrs, ["BODY=8BITMIME"] if eightbit else [])
                break
            except _Stale:
                self._drop()
                if not (reused and attempt == 1):
                    raise DeliveryError("与邮件服务器的连接已断开", resource=resource) from None
        self._transaction(smtp, msg, data, to_addrs, resource)

    def _mail(self, smtp: smtplib.SMTP, from_addr: str, to_addrs: list[str],
              options: list[str] | None = None) -> None:
        """MAIL FROM. Raises _Stale when the connection turns out to be gone."""
        # Addresses are ASCII here: build_message turns IDN domains into punycode and
        # refuses non-ASCII local parts, so SMTPUTF8 is never needed.
        try:
            code, reply = smtp.mail(from_addr, options or ())
        except (smtplib.SMTPServerDisconnected, OSError):
            raise _Stale() from None
        if code == 421:                      # "closing transmission channel"
            raise _Stale()
        if code != 250:
            self._rset(smtp)
            raise _error(code, reply, ", ".join(to_addrs), "发件人被邮件服务器拒绝")

    def _transaction(self, smtp: smtplib.SMTP, msg: EmailMessage | None, data: bytes | None,
                     to_addrs: list[str], resource: str) -> None:
        """RCPT TO and DATA after a successful MAIL FROM. A connection lost here may
        have delivered the message already (after the final ".", RFC 1047); the fixed
        Message-ID lets the repeat be recognised."""
        try:
            refused: dict[str, tuple[int, bytes]] = {}
            for addr in to_addrs:
                code, reply = smtp.rcpt(addr)
                if code not in (250, 251):
                    refused[addr] = (code, reply)
                if code == 421:
                    self._drop()
                    raise _error(code, reply, resource, "邮件服务器关闭了连接")
            if len(refused) == len(to_addrs):
                self._rset(smtp)
                codes = [c for c, _ in refused.values()]
                code = max(codes) if all(c >= 500 for c in codes) else min(codes)
                raise _error(code, next(iter(refused.values()))[1], resource,
                             "收件人被邮件服务器拒绝")
            if data is None:
                assert msg is not None          # one of the two is given
                code, reply = smtp.data(_flatten(msg))
            else:
                code, reply = _data(smtp, data)
            if code == 421:
                self._drop()
            if code != 250:
                self._rset(smtp)
                raise _error(code, reply, resource, "邮件服务器拒收邮件内容")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise DeliveryError(f"与邮件服务器的连接中断：{_reply(exc)}",
                                resource=resource) from exc
        except smtplib.SMTPResponseException as exc:
            # smtplib raises this itself for a bad reply to DATA's "354" step.
            self._rset(smtp)
            raise _error(exc.smtp_code, exc.smtp_error, resource, "邮件服务器拒收邮件") from exc
        if refused:
            some = ", ".join(refused)
            code = min(c for c, _ in refused.values())
            raise _error(code, next(iter(refused.values()))[1], some,
                         "部分收件人被邮件服务器拒绝")

    def _rset(self, smtp: smtplib.SMTP) -> None:
        """End a failed transaction so the connection can carry the next message."""
        if self._smtp is not smtp:
            return
        try:
            code, _ = smtp.rset()
            if code != 250:
                self._drop()
        except (smtplib.SMTPException, OSError):
            self._drop()


class _Stale(Exception):
    """The connection was gone before anything was delivered."""


class ConnectionFailed(DeliveryError):
    """The SMTP server could not be reached, secured or logged in to: temporary, and
    every other message would fail the same way now."""


def _login_utf8(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH PLAIN (else LOGIN) with UTF-8 credentials, which smtplib's login() cannot
    send (it encodes them as ASCII). Raises as smtplib's login()."""
    import base64

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    mechanisms = smtp.esmtp_features["auth"].upper().split()
    u, p = user.encode("utf-8"), password.encode("utf-8")
    if "PLAIN" in mechanisms:
        code, reply = smtp.docmd("AUTH", "PLAIN " + b64(b"\0" + u + b"\0" + p))
    elif "LOGIN" in mechanisms:
        code, reply = smtp.docmd("AUTH", "LOGIN " + b64(u))
        if code == 334:
            code, reply = smtp.docmd(b64(p))
    else:
        raise smtplib.SMTPException("No suitable authentication method found.")
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, reply)


def _data(smtp: smtplib.SMTP, data: bytes) -> tuple[int, bytes]:
    """smtplib's ``data()`` for bytes that already have CRLF line ends and no line
    starting with "." (what IssueMail makes): no regex pass over the message."""
    code, reply = smtp.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    smtp.send(data + b".\r\n")
    return smtp.getreply()


def _flatten(msg: EmailMessage) -> bytes:
    """The message as sent: CRLF line ends, Bcc left out (as smtplib.send_message does)."""
    if msg["Bcc"] is not None:
        msg = copy.copy(msg)
        del msg["Bcc"]
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def _reply(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return f"{exc.smtp_code} {text}".strip()
    return str(exc) or type(exc).__name__


def _error(code: int, reply: bytes | str, resource: str, what: str) -> DeliveryError:
    """DeliveryError for an SMTP reply: 5xx is permanent (RFC 5321 §4.2.1), anything
    else (4xx, or a reply outside the standard) may pass later."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return DeliveryError(f"{what}：{code} {text}".strip(), resource=resource,
                         permanent=500 <= code < 600)
