"""The operator console's accounts and sessions, in the store.

Why in the store and not a file beside the console: the station's records already say
who launched a mission; the people who may launch, confirm and dismiss from the
console are part of the same record, and a session must survive a console restart
(an officer mid-search is not logged out by an update). Only password *hashes* are
kept (the hashing is the console's, :mod:`dronewatch.console.auth`), and only the
SHA-256 of a session token: a copied database file opens no session.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from enum import StrEnum

from dronewatch.errors import DronewatchError
from dronewatch.store.sqlstore import Store

__all__ = ["Role", "Session", "User", "UserError", "add_session", "add_user", "drop_session",
           "get_user", "session_for", "users"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class UserError(DronewatchError, ValueError):
    """An account operation that is not allowed (bad name, unknown role, a duplicate)."""


class Role(StrEnum):
    """What a console user may do. Why two: most of the command room watches; only a
    named operator launches drones and decides what a finding was."""

    OPERATOR = "operator"  # launches, commands drones, reviews findings
    VIEWER = "viewer"  # sees everything, changes nothing


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    password_hash: str
    created_unix_s: float


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in user; ``csrf_token`` must come back with every state-changing request."""

    user: User
    csrf_token: str
    expires_unix_s: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(store: Store, name: str, role: Role | str, password_hash: str) -> User:
    """Create an account, or replace the password and role of an existing one.

    Why replace: ``console adduser`` is also how a forgotten password is reset; every
    session of that user ends with it.

    Raises
    ------
    UserError
        The name is not 1-64 letters, digits, ``.``, ``_`` or ``-``, or the role is unknown.
    """
    if not _NAME.match(name):
        raise UserError(f"user name {name!r}: use 1-64 letters, digits, '.', '_' or '-'")
    try:
        role = Role(role)
    except ValueError:
        raise UserError(f"role {role!r}: use one of {', '.join(r.value for r in Role)}") from None
    now = time.time()
    with store._write() as db:
        db.execute("DELETE FROM console_sessions WHERE user_name = ?", (name,))
        db.execute("DELETE FROM console_users WHERE name = ?", (name,))
        db.execute("INSERT INTO console_users (name, role, password_hash, created_unix_s) "
                   "VALUES (?, ?, ?, ?)", (name, role.value, password_hash, now))
    return User(name, role, password_hash, now)


def get_user(store: Store, name: str) -> User | None:
    rows = store._db.execute("SELECT name, role, password_hash, created_unix_s "
                             "FROM console_users WHERE name = ?", (name,))
    return User(rows[0][0], Role(rows[0][1]), rows[0][2], rows[0][3]) if rows else None


def users(store: Store) -> list[User]:
    return [User(n, Role(r), h, t) for n, r, h, t in store._db.execute(
        "SELECT name, role, password_hash, created_unix_s FROM console_users ORDER BY name")]


def add_session(store: Store, user: User, token: str, csrf_token: str,
                expires_unix_s: float) -> Session:
    """Record a session under the token's hash; expired sessions are swept on the way."""
    with store._write() as db:
        db.execute("DELETE FROM console_sessions WHERE expires_unix_s < ?", (time.time(),))
        db.execute("INSERT INTO console_sessions (token_sha256, user_name, csrf_token, "
                   "expires_unix_s) VALUES (?, ?, ?, ?)",
                   (_digest(token), user.name, csrf_token, expires_unix_s))
    return Session(user, csrf_token, expires_unix_s)


def session_for(store: Store, token: str, now_unix_s: float | None = None) -> Session | None:
    """The live session of a token, or None (unknown, or expired)."""
    now = time.time() if now_unix_s is None else now_unix_s
    rows = store._db.execute(
        "SELECT u.name, u.role, u.password_hash, u.created_unix_s, s.csrf_token, "
        "s.expires_unix_s FROM console_sessions s JOIN console_users u ON u.name = s.user_name "
        "WHERE s.token_sha256 = ?", (_digest(token),))
    if not rows or rows[0][5] <= now:
        return None
    name, role, password_hash, created, csrf, expires = rows[0]
    return Session(User(name, Role(role), password_hash, created), csrf, expires)


def drop_session(store: Store, token: str) -> None:
    with store._write() as db:
        db.execute("DELETE FROM console_sessions WHERE token_sha256 = ?", (_digest(token),))
