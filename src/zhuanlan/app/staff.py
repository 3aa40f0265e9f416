"""Staff accounts: who may do what on the desk and through the API.

Roles: ``admin`` (everything: sources, users, the audit log, every column), ``editor``
(the desk of the columns granted to them) and ``viewer`` (reads the desk, changes
nothing). A viewer or editor may be limited to department subtrees (``departments``):
the statistics, their exports, the API and 催学 then cover those units only
(``study.scope``); an administrator always sees everything. Passwords are argon2id; API
tokens are random and only their SHA-256 is kept.
Login attempts are limited and sessions kept in the store (``zhuanlan.store.staff``), so
both hold across every web process.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from zhuanlan.errors import AuthError, ConfigError, NotFoundError, PermissionDenied
from zhuanlan.jobs.context import Context
from zhuanlan.people.departments import canonical
from zhuanlan.people.importing import valid_email
from zhuanlan.store import staff as store
from zhuanlan.store.audit import record as _audit_record
from zhuanlan.store.columns import column_by_slug
from zhuanlan.store.people import department_by_path
from zhuanlan.store.staff import (
    SESSION_TOUCH,
    end_session,
    end_sessions,
    forget_old_attempts,
    live_sessions,
    reserve_attempt,
    session_row,
    start_session,
    succeeded,
    touch_session,
)
from zhuanlan.study.scope import Scope

ROLES = ("admin", "editor", "viewer")
ROLE_NAMES = {"admin": "管理员", "editor": "编辑", "viewer": "只读"}
TOKEN_PREFIX = "zl_"
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown name as slow as for a known one,
# so the answer time does not tell which user names exist.
_DUMMY_HASH = _hasher.hash("zhuanlan-dummy-password")


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    display_name: str
    role: str
    column_ids: frozenset[int] = field(default_factory=frozenset)
    epoch: int = 0
    departments: tuple[str, ...] = ()      # the subtrees a viewer or editor is limited to

    @property
    def scope(self) -> Scope:
        """What the user may see of the organisation in the statistics."""
        return Scope() if self.is_admin else Scope.of(self.departments)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def label(self) -> str:
        return self.display_name or self.username

    def can_edit(self, column_id: int) -> bool:
        return self.role == "admin" or (self.role == "editor" and column_id in self.column_ids)

    def require_edit(self, column_id: int, slug: str = "") -> None:
        if not self.can_edit(column_id):
            raise PermissionDenied("没有编辑此专栏的权限", resource=f"column {slug or column_id}")

    def require_whole_organisation(self, what: str) -> None:
        """For what covers every department at once (the delivery report): refused to a
        user limited to some."""
        if self.scope.limited:
            raise PermissionDenied(f"{what}涵盖全部单位，您只能查看本人管辖单位的统计",
                                   resource=self.username)

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("需要管理员权限", resource=self.username)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Staff:
    def __init__(self, ctx: Context) -> None:
        self.db = ctx.db
        self.clock = ctx.clock
        self.login_attempts = ctx.cfg["web.login_attempts"]
        self.session_age = timedelta(hours=ctx.cfg["web.session_hours"])

    # -- users ---------------------------------------------------------------------

    def add_user(self, username: str, password: str, *, role: str = "editor",
                 display_name: str = "", columns_: Sequence[str] = (),
                 departments: Sequence[str] = (), by: str = "admin") -> int:
        _check_username(username)
        _check_role(role)
        _check_password(password)
        now = self.clock()
        with self.db.write() as conn:
            if store.user_by_name(conn, username) is not None:
                raise ConfigError("username", f"用户 {username} 已存在")
            user_id = store.insert_user(
                conn, username=username, display_name=display_name, role=role, active=True,
                password_hash=_hasher.hash(password), session_epoch=0, created_at=now)
            store.set_grants(conn, user_id, [column_by_slug(conn, slug)["id"]
                                             for slug in columns_], replace=False)
            scope = _scope(conn, departments)
            store.set_scope(conn, user_id, scope.departments)
            _audit_record(conn, by, "add_user", f"user {username}",
                          _account_detail(role=role, columns_=columns_,
                                          scope=scope.label if scope.limited else None),
                          at=now)
        return user_id

    def list_users(self) -> list[dict]:
        with self.db.read() as conn:
            rows = store.user_rows(conn)
            by_user = store.granted_slugs(conn)
            scopes = store.scopes_by_user(conn)
        for row in rows:
            row["columns"] = sorted(by_user.get(row["id"], []))
            row["departments"] = scopes.get(row["id"], [])
        return rows

    def count_users(self) -> int:
        with self.db.read() as conn:
            return store.count_users(conn)

    def get(self, user_id: int) -> StaffUser | None:
        """The active user, or None."""
        with self.db.read() as conn:
            row = store.user_by_id(conn, user_id)
            if row is None or not row["active"]:
                return None
            return _user(conn, row)

    def by_name(self, username: str) -> StaffUser:
        with self.db.read() as conn:
            row = store.user_by_name(conn, username)
            if row is None:
                raise NotFoundError("没有这个用户", resource=f"user {username}")
            return _user(conn, row)

    def set_password(self, username: str, password: str, *, by: str = "admin",
                     keep_session: str | None = None) -> dict[str, int]:
        """Set a new password. Every session of the user but ``keep_session`` (the one
        changing it) ends and every API token is revoked: whoever knew the old password
        may have made them. Returns how many of each."""
        _check_password(password)
        now = self.clock()
        with self.db.write() as conn:
            user_id = store.user_id(conn, username)
            store.update_user(conn, user_id, end_epoch=True,
                              password_hash=_hasher.hash(password))
            sessions = end_sessions(conn, user_id, now, keep=keep_session)
            tokens = store.revoke_tokens_of(conn, user_id, now)
            _audit_record(conn, by, "set_password", f"user {username}",
                          f"结束 {sessions} 个会话，吊销 {tokens} 个 API 令牌", at=now)
        return {"sessions": sessions, "tokens": tokens}

    def update_user(self, username: str, *, role: str | None = None,
                    active: bool | None = None, columns_: list[str] | None = None,
                    display_name: str | None = None, departments: Sequence[str] | None = None,
                    by: str = "admin") -> None:
        """Change what is given; ``departments`` replaces the user's department scope (empty:
        the whole organisation)."""
        values: dict = {}
        if role is not None:
            _check_role(role)
            values["role"] = role
        if active is not None:
            values["active"] = active
        if display_name is not None:
            values["display_name"] = display_name
        with self.db.write() as conn:
            row = store.user_by_name(conn, username)
            if row is None:
                raise NotFoundError("没有这个用户", resource=f"user {username}")
            demoting = (role not in (None, "admin") or active is False) and row["role"] == "admin"
            if demoting and store.active_admins(conn) <= 1:
                raise PermissionDenied("不能停用或降级最后一位管理员", resource=f"user {username}")
            if values:
                store.update_user(conn, row["id"], end_epoch=active is False or role is not None,
                                  **values)
                if active is False:
                    end_sessions(conn, row["id"], self.clock())
            if columns_ is not None:
                store.set_grants(conn, row["id"], [column_by_slug(conn, slug)["id"]
                                                   for slug in columns_])
            scope_note = None
            if departments is not None:
                scope = _scope(conn, departments)
                before = Scope(store.scope_paths(conn, row["id"]))
                if scope != before:
                    store.set_scope(conn, row["id"], scope.departments)
                    scope_note = f"{before.label} → {scope.label}"
            detail = _account_detail(role=role, active=active, columns_=columns_,
                                     scope=scope_note)
            _audit_record(conn, by, "update_user", f"user {username}", detail, at=self.clock())

    # -- the user's own addresses for test sends (发送测试给我) ----------------------------

    TEST_FIELDS = ("email", "wecom_userid", "dingtalk_userid", "feishu_open_id")

    def test_addresses(self, username: str) -> dict[str, str]:
        """Where the user's test sends go: ``email`` and the app ids ("" when unset)."""
        with self.db.read() as conn:
            row = store.user_by_name(conn, username)
        if row is None:
            raise NotFoundError("没有这个用户", resource=f"user {username}")
        return {k: row.get(k) or "" for k in self.TEST_FIELDS}

    def set_test_addresses(self, username: str, *, by: str | None = None,
                           **given: str) -> None:
        """Set the user's test addresses (an empty value clears one). Raises ConfigError
        for a malformed e-mail address or an id too long."""
        values: dict[str, Any] = {}
        for key in self.TEST_FIELDS:
            value = " ".join(str(given.get(key) or "").split())
            if key == "email" and value and not valid_email(value):
                raise ConfigError("email", "不是有效的邮箱地址")
            if key != "email" and len(value) > 100:
                raise ConfigError(key, "账号 ID 最长 100 个字符")
            values[key] = value or None
        with self.db.write() as conn:
            user_id_ = store.user_id(conn, username)
            store.update_user(conn, user_id_, **values)
            detail = " ".join(f"{k}={v}" for k, v in values.items() if v)
            _audit_record(conn, by or username, "set_test_addresses", f"user {username}",
                          detail or "（已清空）", at=self.clock())

    # -- login ---------------------------------------------------------------------

    def authenticate(self, username: str, password: str, *, client: str = "") -> StaffUser:
        """The user, or AuthError; RateLimited once too many attempts failed lately (the
        policy is in ``zhuanlan.store.staff``)."""
        now = self.clock()
        name, address = username[:64], (client or "-")[:64]
        with self.db.write() as conn:
            row = store.user_by_name(conn, name) if _USERNAME.match(name) else None
            attempt = reserve_attempt(conn, name, address, user_id=row["id"] if row else None,
                                      attempts=self.login_attempts, now=now)
        ok = False
        try:
            ok = _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None or not row["active"]:
            with self.db.write() as conn:
                forget_old_attempts(conn, now)
            raise AuthError("用户名或密码错误", resource=name)
        with self.db.write() as conn:
            values: dict[str, Any] = {"last_login_at": now}
            if _hasher.check_needs_rehash(row["password_hash"]):
                values["password_hash"] = _hasher.hash(password)
            store.update_user(conn, row["id"], **values)
            succeeded(conn, attempt, name, address, row["id"], now)
            _audit_record(conn, name, "login", f"user {name}", client, at=now)
            return _user(conn, row)

    # -- sessions --------------------------------------------------------------------

    def start_session(self, user: StaffUser, *, client: str = "") -> str:
        """A new session of the user; the token goes into the signed cookie."""
        with self.db.write() as conn:
            return start_session(conn, user.id, client or "-", self.clock())

    def session_user(self, token: str) -> StaffUser | None:
        """The user of a live session (not ended, not older than ``session_hours``, the
        user active), or None."""
        now = self.clock()
        with self.db.read() as conn:
            row = session_row(conn, token, now=now, max_age=self.session_age)
            if row is None:
                return None
            user = _user(conn, row)
        if now - row["session_seen_at"] > SESSION_TOUCH:      # not a write per request
            with self.db.write() as conn:
                touch_session(conn, row["session_id"], now)
        return user

    def end_session(self, token: str, *, user: StaffUser | None = None) -> None:
        now = self.clock()
        with self.db.write() as conn:
            end_session(conn, token, now)
            if user is not None:
                _audit_record(conn, user.username, "logout", f"user {user.username}", "",
                              at=now)

    def end_sessions(self, username: str, *, keep: str | None = None,
                     by: str | None = None) -> int:
        """End every session of the user but ``keep``; returns how many ended."""
        now = self.clock()
        with self.db.write() as conn:
            user_id = store.user_id(conn, username)
            ended = end_sessions(conn, user_id, now, keep=keep)
            _audit_record(conn, by or username, "end_sessions", f"user {username}",
                          f"结束 {ended} 个会话", at=now)
        return ended

    def sessions(self, username: str) -> list[dict]:
        with self.db.read() as conn:
            return live_sessions(conn, store.user_id(conn, username), now=self.clock(),
                                 max_age=self.session_age)

    # -- API tokens ----------------------------------------------------------------

    def create_token(self, username: str, name: str, *, by: str | None = None) -> tuple[int, str]:
        """(token id, token). The token is shown once; only its hash is kept."""
        name = name.strip() or "API"
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.write() as conn:
            token_id = store.insert_token(
                conn, user_id=store.user_id(conn, username), name=name[:100],
                token_hash=hash_token(token), prefix=token[:10], created_at=now)
            _audit_record(conn, by or username, "create_token", f"user {username}", name, at=now)
        return token_id, token

    def list_tokens(self, username: str) -> list[dict]:
        with self.db.read() as conn:
            return store.token_rows(conn, username)

    def revoke_token(self, token_id: int, *, user: StaffUser) -> None:
        with self.db.write() as conn:
            row = store.token_owner(conn, token_id)
            if row is None:
                raise NotFoundError("没有这个令牌", resource=f"token {token_id}")
            if row.user_id != user.id and not user.is_admin:
                raise PermissionDenied("只能吊销自己的令牌", resource=f"token {token_id}")
            store.revoke_token(conn, token_id, self.clock())
            _audit_record(conn, user.username, "revoke_token", f"token {token_id}", row.name,
                          at=self.clock())

    def user_for_token(self, token: str) -> StaffUser:
        if not token.startswith(TOKEN_PREFIX):
            raise AuthError("API 令牌无效", resource="token")
        now = self.clock()
        with self.db.read() as conn:
            row = store.user_by_token_hash(conn, hash_token(token))
            if row is None or not row["active"]:
                raise AuthError("API 令牌无效或已吊销", resource="token")
            user = _user(conn, row)
        last = row["last_used_at"]
        if last is None or now - last > timedelta(minutes=5):   # not a write per request
            with self.db.write() as conn:
                store.touch_token(conn, row["token_id"], now)
        return user


def _user(conn, row) -> StaffUser:
    return StaffUser(id=row["id"], username=row["username"],
                     display_name=row["display_name"], role=row["role"],
                     column_ids=store.granted_ids(conn, row["id"]),
                     epoch=row["session_epoch"],
                     departments=store.scope_paths(conn, row["id"]))


def _scope(conn, departments: Sequence[str]) -> Scope:
    """The scope of these department paths (written with / › or >), each one known."""
    paths = []
    for text in departments:
        if not text.strip():
            continue
        try:
            path = canonical(text)
        except ValueError as exc:
            raise ConfigError("departments", str(exc)) from exc
        if department_by_path(conn, path) is None:
            raise ConfigError("departments", f"没有这个部门：{path[:100]}")
        paths.append(path)
    return Scope.of(paths)


def _check_username(username: str) -> None:
    if not _USERNAME.match(username):
        raise ConfigError("username", "用户名须为 2–64 个字母、数字或 _ . @ -")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ConfigError("role", f"角色须为 {', '.join(ROLES)} 之一")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ConfigError("password", f"密码至少 {MIN_PASSWORD} 个字符")


def _account_detail(*, role: str | None = None, active: bool | None = None,
                    columns_: Sequence[str] | None = None, scope: str | None = None) -> str:
    """What changed on an account, as the audit log shows it."""
    parts = []
    if role is not None:
        parts.append(f"角色：{ROLE_NAMES.get(role, role)}")
    if active is not None:
        parts.append("启用" if active else "停用")
    if columns_ is not None:
        parts.append(f"专栏：{'、'.join(columns_) or '无'}")
    if scope is not None:
        parts.append(f"管辖单位：{scope}")
    return "；".join(parts)
