"""Every console log-in attempt, kept: who tried, from which address, and what came of it.

Why in the store: a run of wrong passwords is an incident the station must be able to
show afterwards (the audit), and the log-in throttle of the console counts from the same
rows, so a console restart does not hand a password guesser a fresh set of tries. Rows
are only ever added; this module has no UPDATE or DELETE for ``console_logins``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from dronewatch.store.sqlstore import Store

__all__ = ["LoginAttempt", "LoginOutcome", "login_attempts", "record_login"]


class LoginOutcome(StrEnum):
    OK = "ok"  # a session was opened
    WRONG = "wrong"  # wrong name or password
    REFUSED = "refused"  # not even checked: too many wrong ones lately


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    id: int
    time_unix_s: float
    user_name: str
    client: str  # the address the attempt came from
    outcome: LoginOutcome


def record_login(store: Store, user_name: str, client: str, outcome: LoginOutcome,
                 now_unix_s: float | None = None) -> LoginAttempt:
    """Add one attempt to the audit."""
    now = time.time() if now_unix_s is None else now_unix_s
    with store._write() as db:
        attempt_id = int(db.execute(
            "INSERT INTO console_logins (time_unix_s, user_name, client, outcome) "
            "VALUES (?, ?, ?, ?) RETURNING id", (now, user_name, client, outcome.value))[0][0])
    return LoginAttempt(attempt_id, now, user_name, client, outcome)


def login_attempts(store: Store, *, since_unix_s: float = 0.0, client: str | None = None,
                   user_name: str | None = None, limit: int | None = None,
                   ) -> list[LoginAttempt]:
    """Attempts since a time, oldest first (the newest ``limit`` when given), of one
    address and/or one name when asked."""
    sql = ("SELECT id, time_unix_s, user_name, client, outcome FROM console_logins "
           "WHERE time_unix_s >= ?")
    args: list[object] = [since_unix_s]
    if client is not None:
        sql += " AND client = ?"
        args.append(client)
    if user_name is not None:
        sql += " AND user_name = ?"
        args.append(user_name)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    rows = store._db.execute(sql, args)
    return [LoginAttempt(i, t, n, c, LoginOutcome(o)) for i, t, n, c, o in reversed(rows)]
