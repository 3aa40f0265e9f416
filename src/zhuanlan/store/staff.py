"""Queries of staff accounts: users and their columns, API tokens, and the logins — the
attempt limits and sessions that the store can end.

Limits, as mature systems keep them (Django-axes, Keycloak): every attempt is recorded
*before* the password is checked, in the same transaction that counts the earlier ones,
so thirty parallel guesses cannot all slip under the limit; a right password removes its
own record. Three counts over the last 15 minutes:

- per (user, address): ``attempts`` (default 5) — the guesser is stopped;
- per address: 4 × ``attempts`` — one address trying many names is stopped;
- per user: 10 × ``attempts`` — and only for addresses the user never logged in from, so
  failures from elsewhere slow an attacker down but never lock the right password out
  from the user's usual office or home.

A session is a random token in the signed cookie and its SHA-256 in ``staff_sessions``:
logging out ends the row (a copied cookie is dead), a password change ends every other.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import Connection

from zhuanlan.errors import NotFoundError, RateLimited
from zhuanlan.store.db import inserted_id
from zhuanlan.store.schema import (
    api_tokens,
    column_grants,
    columns,
    login_addresses,
    login_failures,
    staff_sessions,
    user_departments,
    users,
)

LOGIN_WINDOW = timedelta(minutes=15)
ADDRESS_FACTOR = 4
USER_FACTOR = 10
SESSION_TOUCH = timedelta(minutes=5)     # last_seen_at is written at most this often


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reserve_attempt(conn: Connection, username: str, address: str, *, user_id: int | None,
                    attempts: int, now: datetime) -> list[int]:
    """Count the recent attempts and record this one, or raise RateLimited. Returns the
    ids of the recorded rows (removed again when the password was right)."""
    if conn.dialect.name == "postgresql":
        # Serialise attempts for one name across processes; SQLite's BEGIN IMMEDIATE
        # already serialises every writer.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                     {"k": f"login:{username}"})
    known = user_id is not None and conn.execute(
        select(login_addresses.c.id).where(login_addresses.c.user_id == user_id,
                                           login_addresses.c.address == address)).first()
    limits = {f"pair:{username}|{address}": attempts,
              f"addr:{address}": attempts * ADDRESS_FACTOR}
    if not known:
        limits[f"user:{username}"] = attempts * USER_FACTOR
    for key, limit in limits.items():
        count, oldest = conn.execute(
            select(func.count(), func.min(login_failures.c.at))
            .where(login_failures.c.key == key,
                   login_failures.c.at > now - LOGIN_WINDOW)).one()
        if count >= limit:
            wait = (oldest + LOGIN_WINDOW - now).total_seconds()
            raise RateLimited(f"登录失败次数过多，请 {max(1, int(wait // 60) + 1)} 分钟后再试",
                              retry_after=max(1.0, wait), resource=username)
    keys = [*limits, f"user:{username}"] if known else list(limits)
    return [inserted_id(conn.execute(login_failures.insert().values(key=key, at=now))) for key in keys]


def forget_old_attempts(conn: Connection, now: datetime) -> None:
    conn.execute(delete(login_failures).where(login_failures.c.at < now - LOGIN_WINDOW))


def succeeded(conn: Connection, attempt_ids: list[int], username: str, address: str,
              user_id: int, now: datetime) -> None:
    """A right password: its attempt and the pair's earlier failures no longer count,
    and the address is one the user logs in from."""
    conn.execute(delete(login_failures).where(login_failures.c.id.in_(attempt_ids)))
    conn.execute(delete(login_failures).where(
        login_failures.c.key == f"pair:{username}|{address}"))
    found = conn.execute(update(login_addresses).where(
        login_addresses.c.user_id == user_id, login_addresses.c.address == address)
        .values(last_at=now)).rowcount
    if not found:
        conn.execute(login_addresses.insert().values(user_id=user_id, address=address,
                                                     last_at=now))


# -- sessions ------------------------------------------------------------------------

def start_session(conn: Connection, user_id: int, address: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    conn.execute(staff_sessions.insert().values(
        token_hash=_hash(token), user_id=user_id, address=address[:64], created_at=now,
        last_seen_at=now))
    return token


def session_row(conn: Connection, token: str, *, now: datetime, max_age: timedelta):
    """The live session's user row (with ``session_id`` and ``last_seen_at``), or None."""
    return conn.execute(
        select(users, staff_sessions.c.id.label("session_id"),
               staff_sessions.c.last_seen_at.label("session_seen_at"))
        .join(staff_sessions, staff_sessions.c.user_id == users.c.id)
        .where(staff_sessions.c.token_hash == _hash(token),
               staff_sessions.c.ended_at.is_(None),
               staff_sessions.c.created_at > now - max_age,
               users.c.active.is_(True))).mappings().first()


def touch_session(conn: Connection, session_id: int, now: datetime) -> None:
    conn.execute(update(staff_sessions).where(staff_sessions.c.id == session_id)
                 .values(last_seen_at=now))


def end_session(conn: Connection, token: str, now: datetime) -> None:
    conn.execute(update(staff_sessions).where(staff_sessions.c.token_hash == _hash(token),
                                              staff_sessions.c.ended_at.is_(None))
                 .values(ended_at=now))


def end_sessions(conn: Connection, user_id: int, now: datetime, *,
                 keep: str | None = None) -> int:
    """End every live session of the user (but ``keep``'s); returns how many."""
    query = update(staff_sessions).where(staff_sessions.c.user_id == user_id,
                                         staff_sessions.c.ended_at.is_(None))
    if keep:
        query = query.where(staff_sessions.c.token_hash != _hash(keep))
    return conn.execute(query.values(ended_at=now)).rowcount


def live_sessions(conn: Connection, user_id: int, *, now: datetime,
                  max_age: timedelta) -> list[dict]:
    return [dict(r) for r in conn.execute(
        select(staff_sessions.c.id, staff_sessions.c.address, staff_sessions.c.created_at,
               staff_sessions.c.last_seen_at)
        .where(staff_sessions.c.user_id == user_id, staff_sessions.c.ended_at.is_(None),
               staff_sessions.c.created_at > now - max_age)
        .order_by(staff_sessions.c.last_seen_at.desc())).mappings()]


# -- users -----------------------------------------------------------------------------

def user_by_name(conn: Connection, username: str) -> dict | None:
    row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    return dict(row) if row else None


def user_by_id(conn: Connection, user_id: int) -> dict | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def user_id(conn: Connection, username: str) -> int:
    """Raises NotFoundError."""
    row = conn.execute(select(users.c.id).where(users.c.username == username)).first()
    if row is None:
        raise NotFoundError("没有这个用户", resource=f"user {username}")
    return row.id


def insert_user(conn: Connection, **values: Any) -> int:
    return inserted_id(conn.execute(users.insert().values(**values)))


def update_user(conn: Connection, user_id_: int, *, end_epoch: bool = False,
                **values: Any) -> None:
    """``end_epoch``: raise the user's session epoch (older signed state stops working)."""
    if end_epoch:
        values["session_epoch"] = users.c.session_epoch + 1
    conn.execute(update(users).where(users.c.id == user_id_).values(**values))


def user_rows(conn: Connection) -> list[dict]:
    return [dict(r) for r in conn.execute(
        select(users.c.id, users.c.username, users.c.display_name, users.c.role,
               users.c.active, users.c.last_login_at, users.c.created_at)
        .order_by(users.c.username)).mappings()]


def count_users(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(users)).scalar_one()


def active_admins(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(users).where(
        users.c.role == "admin", users.c.active.is_(True))).scalar_one()


def granted_slugs(conn: Connection) -> dict[int, list[str]]:
    """User id → the slugs of the columns the user may edit."""
    out: dict[int, list[str]] = {}
    for uid, slug in conn.execute(select(column_grants.c.user_id, columns.c.slug)
                                  .join(columns, columns.c.id == column_grants.c.column_id)):
        out.setdefault(uid, []).append(slug)
    return out


def editors_of(conn: Connection, column_id: int) -> list[str]:
    """The names (display name, else user name) of the active editors of a column."""
    rows = conn.execute(
        select(users.c.display_name, users.c.username)
        .join(column_grants, column_grants.c.user_id == users.c.id)
        .where(column_grants.c.column_id == column_id, users.c.active.is_(True),
               users.c.role == "editor").order_by(users.c.username)).all()
    return [r.display_name or r.username for r in rows]


def granted_ids(conn: Connection, user_id_: int) -> frozenset[int]:
    return frozenset(conn.execute(select(column_grants.c.column_id)
                                  .where(column_grants.c.user_id == user_id_)).scalars())


def set_grants(conn: Connection, user_id_: int, column_ids: list[int], *,
               replace: bool = True) -> None:
    if replace:
        conn.execute(delete(column_grants).where(column_grants.c.user_id == user_id_))
    for cid in column_ids:
        conn.execute(column_grants.insert().values(user_id=user_id_, column_id=cid))


def scope_paths(conn: Connection, user_id_: int) -> tuple[str, ...]:
    """The department subtrees the user is limited to; () for the whole organisation."""
    return tuple(sorted(conn.execute(select(user_departments.c.path)
                                     .where(user_departments.c.user_id == user_id_)).scalars()))


def scopes_by_user(conn: Connection) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for uid, path in conn.execute(select(user_departments.c.user_id, user_departments.c.path)
                                  .order_by(user_departments.c.path)):
        out.setdefault(uid, []).append(path)
    return out


def set_scope(conn: Connection, user_id_: int, paths: tuple[str, ...]) -> None:
    conn.execute(delete(user_departments).where(user_departments.c.user_id == user_id_))
    for path in paths:
        conn.execute(user_departments.insert().values(user_id=user_id_, path=path))


# -- API tokens ----------------------------------------------------------------------------

def insert_token(conn: Connection, **values: Any) -> int:
    return inserted_id(conn.execute(api_tokens.insert().values(**values)))


def token_rows(conn: Connection, username: str) -> list[dict]:
    return [dict(r) for r in conn.execute(
        select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.prefix,
               api_tokens.c.created_at, api_tokens.c.last_used_at, api_tokens.c.revoked_at)
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(users.c.username == username)
        .order_by(api_tokens.c.id.desc())).mappings()]


def token_owner(conn: Connection, token_id: int):
    """(user_id, name) of the token, or None."""
    return conn.execute(select(api_tokens.c.user_id, api_tokens.c.name)
                        .where(api_tokens.c.id == token_id)).first()


def revoke_token(conn: Connection, token_id: int, now: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id,
                                          api_tokens.c.revoked_at.is_(None))
                 .values(revoked_at=now))


def revoke_tokens_of(conn: Connection, user_id_: int, now: datetime) -> int:
    """Revoke every live token of the user; returns how many."""
    return conn.execute(update(api_tokens).where(
        api_tokens.c.user_id == user_id_, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)).rowcount


def user_by_token_hash(conn: Connection, token_hash: str) -> dict | None:
    """The user of a live token, with ``token_id`` and ``last_used_at``, or None."""
    row = conn.execute(
        select(users, api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == token_hash,
               api_tokens.c.revoked_at.is_(None))).mappings().first()
    return dict(row) if row else None


def touch_token(conn: Connection, token_id: int, now: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now))
