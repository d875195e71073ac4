"""Who may use the console: passwords, sessions, roles and CSRF checks.

Why each piece:
- passwords are hashed with argon2id (argon2-cffi), the winner of the Password Hashing
  Competition, so a copied store gives nobody a password;
- a session is a random token in an HttpOnly, SameSite=Strict cookie, stored only as its
  hash and expiring after one shift, so a forgotten logged-in PC does not stay open;
- every state-changing request also carries the session's CSRF token in a header that a
  page from another site cannot set, so a link in an e-mail cannot launch a drone;
- a viewer sees everything and changes nothing: the command room watches, the duty
  officer decides.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request

from dronewatch.store import Store
from dronewatch.store.users import Role, Session, User, add_session, add_user, get_user
from dronewatch.store.users import session_for as _session_for

__all__ = ["COOKIE", "CSRF_HEADER", "SESSION_TTL_S", "create_user", "login", "operator",
           "signed_in"]

COOKIE = "dronewatch_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_TTL_S = 12 * 3600.0  # one shift
MIN_PASSWORD_CHARS = 8

_hasher = PasswordHasher()
# Checked against when the user does not exist, so a wrong name costs as long as a
# wrong password and answers cannot be timed to find the names.
_DUMMY_HASH = _hasher.hash("no such user, no such password")


def create_user(store: Store, name: str, role: Role | str, password: str) -> User:
    """Create (or reset) an account with an argon2id hash of ``password``.

    Raises
    ------
    UserError
        A bad name or role, or a password shorter than 8 characters.
    """
    from dronewatch.store.users import UserError

    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"password: at least {MIN_PASSWORD_CHARS} characters")
    return add_user(store, name, role, _hasher.hash(password))


def login(store: Store, name: str, password: str,
          ttl_s: float = SESSION_TTL_S) -> tuple[str, Session] | None:
    """A new session token and its session, or None when the name or password is wrong."""
    user = get_user(store, name)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    return token, add_session(store, user, token, secrets.token_urlsafe(24),
                              time.time() + ttl_s)


def _session(request: Request) -> Session:
    token = request.cookies.get(COOKIE)
    session = _session_for(request.app.state.console.store, token) if token else None
    if session is None:
        raise HTTPException(401, "log in first (no session, or it expired)")
    return session


def signed_in(request: Request) -> Session:
    """A FastAPI dependency: any logged-in user (reads)."""
    return _session(request)


def _changer(role: Role | None) -> Callable[[Request], Session]:
    def check(request: Request) -> Session:
        session = _session(request)
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise HTTPException(403, f"missing or wrong {CSRF_HEADER}: reload the console")
        if role is not None and session.user.role is not role:
            raise HTTPException(403, f"{session.user.name} is a {session.user.role.value}: "
                                     f"only an {role.value} may do this")
        return session
    return check


operator = _changer(Role.OPERATOR)
"""A FastAPI dependency: a logged-in operator, with the session's CSRF token."""
anyone_changing = _changer(None)
"""A FastAPI dependency: any logged-in user changing their own session (logout)."""
