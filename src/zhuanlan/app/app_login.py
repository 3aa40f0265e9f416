"""Readers identified inside 企业微信, 钉钉 and 飞书: a link opened in the app goes through
the platform's web login (企业微信 网页授权 snsapi_base, 钉钉 and 飞书 web-app authorization
codes), which tells us the person's id in the app; the people directory tells us who that
is. From then on the web knows the reader as if they had come by their personal link.

The round trip and what guards it:

* :meth:`AppLogin.start` makes the platform's authorize URL, with the fixed callback
  URL an administrator registers. Its ``state`` is a fresh nonce, the time and a MAC over
  the app, the nonce and the time (56 letters and digits: 企业微信 allows ``[a-zA-Z0-9]``
  and 128 bytes). The nonce and the page to return to go into a short-lived signed
  cookie of this browser.
* :meth:`AppLogin.finish` checks the MAC, the age (``STATE_SECONDS``) and that this
  browser's cookie holds the same nonce (a login started in another browser — an
  attacker's link that would make the victim read as the attacker — is refused), uses
  the nonce once and the code once (``store.logins.use_once``: a replayed callback is refused), asks
  the platform who the code belongs to (a code of another corporation or app is refused
  by the platform, since it is exchanged with this app's credentials), and finds the
  person. Someone not in the directory reads anonymously, as today.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from zhuanlan.channels.apps import APP_KINDS, AppChannel, app_from_config
from zhuanlan.errors import AuthError, NotFoundError
from zhuanlan.jobs.chat_delivery import guarded_client
from zhuanlan.jobs.context import Context
from zhuanlan.model import APP_ID_FIELDS
from zhuanlan.store import logins
from zhuanlan.store import targets as target_store

STATE_SECONDS = 600        # a login must come back within ten minutes
LOGIN_COOKIE_PURPOSE = "app-login"


@dataclass(frozen=True)
class Identified:
    subscriber_id: int | None     # None: the app knows them, our directory does not
    platform_user: str
    next_path: str                # where the reader was going (checked by the web)


class AppLogin:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._key = hashlib.sha256(b"zhuanlan.app-login\0" + ctx.cfg.secret_key.encode()).digest()

    # -- which app ------------------------------------------------------------------

    @contextmanager
    def app(self, app_id: int) -> Iterator[tuple[dict, AppChannel]]:
        """The enabled app target and its channel, over the SSRF-guarded client.
        NotFoundError when there is no such enabled app."""
        with self.ctx.db.read() as conn:
            row = target_store.target_row(conn, app_id)        # NotFoundError
        if row.kind not in APP_KINDS or not row.enabled:
            raise NotFoundError("没有这个应用，或应用已停用", resource=f"app {app_id}")
        with guarded_client(self.ctx.cfg) as http:
            channel = app_from_config(json.loads(row.config), client=http,
                                      where=f"应用“{row.name}”")
            try:
                yield {"id": row.id, "name": row.name, "kind": row.kind}, channel
            finally:
                channel.close()

    def app_for(self, kind: str) -> int | None:
        """The first enabled app of a platform (``wecom_app`` …), for a page opened inside
        that platform's app without saying which app."""
        with self.ctx.db.read() as conn:
            for row in target_store.target_rows(conn):
                if row.kind == kind and row.enabled:
                    return int(row.id)
        return None

    # -- the round trip -------------------------------------------------------------

    def _mac(self, app_id: int, nonce: str, at: int) -> str:
        message = f"{app_id}\0{nonce}\0{at}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:30]

    def callback_url(self, app_id: int) -> str:
        """Where the platform sends the reader back: fixed per app, so that it can be
        registered as it is (飞书 重定向 URL, 钉钉 回调域名)."""
        return f"{self.ctx.cfg.base_url}/app-login/{app_id}/callback"

    def start(self, app_id: int, next_path: str) -> tuple[str, str]:
        """The platform's authorize URL for a reader opening ``next_path``, and the value
        of the short-lived cookie that binds the login to this browser (it carries the
        nonce and the page to return to, signed)."""
        with self.app(app_id) as (_target, channel):
            nonce = secrets.token_hex(8)
            at = int(time.time())
            state = f"{nonce}{at:010d}{self._mac(app_id, nonce, at)}"
            cookie = self.ctx.links.sign(LOGIN_COOKIE_PURPOSE, {"n": nonce, "x": next_path})
            return channel.authorize_url(self.callback_url(app_id), state), cookie

    def finish(self, app_id: int, *, code: str, state: str, cookie: str | None) -> Identified:
        """Check the callback and identify the reader. AuthError when the state is forged,
        old, used or not this browser's (no login cookie with its nonce: a login started
        elsewhere, e.g. an attacker's link), or the code was used; the platform's error
        when it refuses the code. ``Identified.next_path`` is where the reader was going."""
        nonce, at_text, mac = state[:16], state[16:26], state[26:]
        try:
            bound = self.ctx.links.verify(LOGIN_COOKIE_PURPOSE, cookie or "")
        except AuthError:
            bound = None
        if (len(state) != 56 or not at_text.isdigit()
                or not hmac.compare_digest(mac, self._mac(app_id, nonce, int(at_text)))
                or not isinstance(bound, dict) or bound.get("n") != nonce):
            raise AuthError("登录请求无效，请从消息重新打开", resource="app-login")
        if not 0 <= time.time() - int(at_text) <= STATE_SECONDS:
            raise AuthError("登录请求已过期，请从消息重新打开", resource="app-login")
        if not code or len(code) > 512:
            raise AuthError("平台没有给出登录码", resource="app-login")
        next_path = str(bound.get("x") or "/")
        now = self.ctx.clock()
        with self.app(app_id) as (target, channel):
            with self.ctx.db.write() as conn:
                logins.prune(conn, now)
                fresh = logins.use_once(conn, f"state:{nonce}", now) and logins.use_once(
                    conn, "code:" + hashlib.sha256(code.encode()).hexdigest(), now)
            if not fresh:
                raise AuthError("这个登录请求已经用过，请从消息重新打开", resource="app-login")
            user = channel.identify(code)
        with self.ctx.db.read() as conn:
            person = logins.person_by_app_id(conn, APP_ID_FIELDS[target["kind"]], user)
        return Identified(person, user, next_path)
