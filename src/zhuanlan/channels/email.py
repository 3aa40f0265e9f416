"""E-mail channel: MIME messages of a rendered issue, and one SMTP connection that sends
many of them.

Thin shell around ``email`` and ``smtplib``; what to send and to whom is decided by the
delivery outbox, not here. Every failure of :meth:`SmtpSender.send` is a DeliveryError
whose ``permanent`` flag tells the outbox whether trying again later can help.
"""

from __future__ import annotations

import copy
import email.policy
import smtplib
import ssl
from datetime import datetime, timezone
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from zhuanlan.errors import ConfigError, DeliveryError
from zhuanlan.publish.render import RenderedEmail

__all__ = ["message_id", "build_message", "SmtpSender"]


_POLICY = email.policy.default.clone(cte_type="7bit")


def message_id(issue_id: int, recipient_id: int, domain: str) -> str:
    """``<zl.issue-{issue_id}.r-{recipient_id}@{domain}>``.

    Fixed per issue and recipient: when a connection breaks after the final "." the
    server may have delivered a message that we send again (RFC 1047); the repeated
    Message-ID lets the recipient's server or client recognise the duplicate.
    """
    return f"<zl.issue-{int(issue_id)}.r-{int(recipient_id)}@{domain.strip().lower()}>"


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
    msg["Date"] = format_datetime((date or datetime.now(timezone.utc)).astimezone())
    msg["Message-ID"] = message_id
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url.strip()}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Pushed issues are bulk mail: this keeps out-of-office replies away (RFC 3834).
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg


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
    def from_config(cls, cfg: Any) -> "SmtpSender":
        """From the ``smtp.*`` settings of a :class:`zhuanlan.config.Config`."""
        return cls(cfg["smtp.host"], cfg["smtp.port"], security=cfg["smtp.security"],
                   username=cfg["smtp.username"] or None,
                   password=cfg["smtp.password"] or None, timeout=cfg["smtp.timeout"])

    def __enter__(self) -> "SmtpSender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connection

    def _connect(self, resource: str) -> smtplib.SMTP:
        """Open, secure and log in. Raises DeliveryError, always temporary: a server
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
                    smtp.login(self.username, self.password or "")
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"登录邮件服务器 {where} 失败（{_reply(exc)}），请检查 smtp.username "
                                "和 smtp.password", resource=resource) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"邮件服务器 {where} 不支持所需功能（{exc}），请检查 smtp.security",
                                resource=resource) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"无法连接邮件服务器 {where}：{_reply(exc)}",
                                resource=resource) from exc
        self.connections += 1
        return smtp

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
        resource = ", ".join(to_addrs) or "(无收件人)"
        if not to_addrs:
            raise DeliveryError("邮件没有收件人", resource=resource, permanent=True)
        from_header = msg["Sender"] or msg["From"]
        from_addr = from_header.addresses[0].addr_spec if from_header else ""
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
            try:
                self._mail(smtp, from_addr, to_addrs)
                break
            except _Stale:
                self._drop()
                if not (reused and attempt == 1):
                    raise DeliveryError("与邮件服务器的连接已断开", resource=resource) from None
        self._transaction(smtp, msg, from_addr, to_addrs, resource)

    def _mail(self, smtp: smtplib.SMTP, from_addr: str, to_addrs: list[str]) -> None:
        """MAIL FROM. Raises _Stale when the connection turns out to be gone."""
        # Addresses are ASCII here: build_message turns IDN domains into punycode and
        # refuses non-ASCII local parts, so SMTPUTF8 is never needed.
        try:
            code, reply = smtp.mail(from_addr)
        except (smtplib.SMTPServerDisconnected, OSError):
            raise _Stale() from None
        if code == 421:                      # "closing transmission channel"
            raise _Stale()
        if code != 250:
            self._rset(smtp)
            raise _error(code, reply, ", ".join(to_addrs), "发件人被邮件服务器拒绝")

    def _transaction(self, smtp: smtplib.SMTP, msg: EmailMessage, from_addr: str,
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
            code, reply = smtp.data(_flatten(msg))
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
