"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives; optionally
with STARTTLS or implicit TLS (a self-signed certificate made with the openssl CLI) and
AUTH LOGIN/PLAIN."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class SinkHandler:
    delay: float = 0.0     # seconds per message, to make a run long enough to interrupt
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio
            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_cert(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """(certificate, key) PEM files of a fresh self-signed certificate for ``host``."""
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={host}",
                    "-addext", f"subjectAltName=IP:{host}"],
                   check=True, capture_output=True)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def client_context(cert: Path) -> ssl.SSLContext:
    """A client context that trusts only ``cert`` (and checks the host name)."""
    return ssl.create_default_context(cafile=str(cert))


class Authenticator:
    """aiosmtpd authenticator accepting one user name and password; records the
    mechanisms used."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()
        self.mechanisms: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.mechanisms.append(mechanism)
        ok = (getattr(auth_data, "login", None) == self.username
              and getattr(auth_data, "password", None) == self.password)
        return AuthResult(success=ok, handled=False)


class SmtpSink:
    """``with SmtpSink() as sink: … sink.port … sink.messages``

    ``tls_context`` offers STARTTLS (``require_starttls`` refuses mail without it),
    ``ssl_context`` makes the whole connection TLS (smtp.security = ssl),
    ``authenticator`` offers AUTH (``auth_required`` refuses mail without it).
    """

    def __init__(self, delay: float = 0.0, *, tls_context: ssl.SSLContext | None = None,
                 require_starttls: bool = False, ssl_context: ssl.SSLContext | None = None,
                 authenticator=None, auth_required: bool = False) -> None:
        self.handler = SinkHandler(delay=delay)
        self.port = free_port()
        kwargs: dict = {}
        if tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=require_starttls)
        if ssl_context is not None:
            kwargs["ssl_context"] = ssl_context
        if authenticator is not None:
            kwargs.update(authenticator=authenticator, auth_required=auth_required,
                          # With implicit TLS aiosmtpd does not know the connection is
                          # secure; it is, so AUTH may be offered at once.
                          auth_require_tls=tls_context is not None)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **kwargs)

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                break
            time.sleep(0.05)
        return self.messages

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
