"""Staff logins: the attempt limits, and sessions that the store can end.

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

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import Connection

from zhuanlan.errors import RateLimited
from zhuanlan.store.schema import login_addresses, login_failures, staff_sessions, users

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
                   login_failures.c.at > now - LOGIN_WINDOW)).first()
        if count >= limit:
            wait = (oldest + LOGIN_WINDOW - now).total_seconds()
            raise RateLimited(f"登录失败次数过多，请 {max(1, int(wait // 60) + 1)} 分钟后再试",
                              retry_after=max(1.0, wait), resource=username)
    keys = [*limits, f"user:{username}"] if known else list(limits)
    return [conn.execute(login_failures.insert().values(key=key, at=now))
            .inserted_primary_key[0] for key in keys]


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
