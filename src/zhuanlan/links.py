"""Signed links: a personal reader link or an unsubscribe link carries who it is for,
signed with the site's key, so that no password is needed and nobody can forge one.

A token is ``itsdangerous`` URL-safe: the payload, a timestamp and an HMAC. Tokens of one
purpose are refused for another (the purpose is the salt).
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from zhuanlan.errors import AuthError

READER = "reader"            # personal link to the web reader
UNSUBSCRIBE = "unsubscribe"  # one-click unsubscribe from a column


@dataclass(frozen=True)
class LinkSigner:
    secret_key: str

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=f"zhuanlan.{purpose}")

    def sign(self, purpose: str, payload: dict | list | int | str) -> str:
        return self._serializer(purpose).dumps(payload)

    def verify(self, purpose: str, token: str, *, max_age_s: float | None = None):  # noqa: ANN201
        """The payload, or AuthError when the token is forged, of another purpose or
        older than ``max_age_s``."""
        try:
            return self._serializer(purpose).loads(token, max_age=max_age_s)
        except SignatureExpired:
            raise AuthError("链接已过期", resource=purpose) from None
        except BadSignature:
            raise AuthError("链接无效", resource=purpose) from None
