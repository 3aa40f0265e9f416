"""Signed links: a personal reader link or an unsubscribe link carries who it is for,
signed with the site's key, so that no password is needed and nobody can forge one.

A token is ``<payload>.<mac>``: the payload as compact JSON in URL-safe base64, the MAC
the first 128 bits of HMAC-SHA256 over the purpose and the payload. Tokens of one purpose
are refused for another. Hand-made rather than itsdangerous because a push signs one link
per recipient: itsdangerous spends ~0.2 ms compressing each, this ~5 µs, which is the
difference between 2 s and 0.05 s of a 10,000-recipient issue.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field

from zhuanlan.errors import AuthError

READER = "reader"            # personal link to the web reader
UNSUBSCRIBE = "unsubscribe"  # one-click unsubscribe from a column
MAX_TOKEN = 512


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class LinkSigner:
    secret_key: str
    _key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Derive the MAC key so that the raw secret (also the session key) is never used
        # for two things.
        object.__setattr__(self, "_key", hashlib.sha256(
            b"zhuanlan.links\0" + self.secret_key.encode()).digest())

    def _mac(self, purpose: str, body: str) -> str:
        digest = hmac.new(self._key, f"{purpose}\0{body}".encode(), hashlib.sha256).digest()
        return _b64(digest[:16])

    def sign(self, purpose: str, payload: dict | list | int | str) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def verify(self, purpose: str, token: str):
        """The payload, or AuthError when the token is forged or of another purpose."""
        body, dot, mac = token.partition(".")
        if not dot or len(token) > MAX_TOKEN or not hmac.compare_digest(
                mac.encode(), self._mac(purpose, body).encode()):
            raise AuthError("链接无效", resource=purpose)
        try:
            return json.loads(_unb64(body))
        except (ValueError, UnicodeDecodeError):
            raise AuthError("链接无效", resource=purpose) from None
