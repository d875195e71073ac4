"""The log-in throttle: after a run of wrong passwords, the console stops checking them.

Why: an argon2 hash makes each guess slow, but a console left reachable on the station's
network would still let a script try passwords all night. After :data:`MAX_FAILURES`
wrong passwords for one name from one address within :data:`WINDOW_S` (or
:data:`MAX_FAILURES_PER_CLIENT` for any names from one address: someone guessing
names), that address is refused for :data:`LOCKOUT_S` with a 429 and the password is
not even checked, so a right guess during the lock-out tells nothing.

Why count from the store's audit (``store.logins``) and not in memory: a restart of the
console must not hand out a fresh set of tries, and the same rows show afterwards who
tried what from where. Refused attempts are recorded but not counted, so a user who
keeps retrying is not locked out for ever by their own retries. Why per address and
not per name alone: a guesser elsewhere must not be able to lock the duty officer out of
the console at their own desk. The address is the connection's own (``console.serve``
turns uvicorn's proxy headers off), so a client cannot pick a new one per guess.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from dronewatch.store import Store
from dronewatch.store.logins import LoginAttempt, LoginOutcome, login_attempts

__all__ = ["LOCKOUT_S", "MAX_FAILURES", "MAX_FAILURES_PER_CLIENT", "WINDOW_S", "Refusal",
           "refusal"]

MAX_FAILURES = 5
MAX_FAILURES_PER_CLIENT = 20
WINDOW_S = 15 * 60.0
LOCKOUT_S = 15 * 60.0


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a log-in is not checked now, and for how long."""

    reason: str
    wait_s: float

    @property
    def retry_after(self) -> str:
        """The HTTP ``Retry-After`` value: whole seconds, rounded up."""
        return str(math.ceil(self.wait_s))


def _locked_until(attempts: Sequence[LoginAttempt], limit: int) -> float:
    """When the lock-out set off by these attempts ends (0 when none was).

    The lock-out starts at the failure that makes ``limit`` within :data:`WINDOW_S`; a
    successful log-in starts the count again.
    """
    failures: list[float] = []
    until = 0.0
    for attempt in attempts:
        if attempt.outcome is LoginOutcome.OK:
            failures = []
        elif attempt.outcome is LoginOutcome.WRONG:
            failures = [t for t in failures if t > attempt.time_unix_s - WINDOW_S]
            failures.append(attempt.time_unix_s)
            if len(failures) >= limit:
                until = attempt.time_unix_s + LOCKOUT_S
    return until


def refusal(store: Store, name: str, client: str,
            now_unix_s: float | None = None) -> Refusal | None:
    """Why ``name`` may not try a password from ``client`` now, or None when it may."""
    now = time.time() if now_unix_s is None else now_unix_s
    recent = login_attempts(store, since_unix_s=now - WINDOW_S - LOCKOUT_S, client=client)
    of_name = [a for a in recent if a.user_name == name]
    waits = [(_locked_until(of_name, MAX_FAILURES) - now,
              f"{MAX_FAILURES} wrong passwords for {name} from {client}"),
             (_locked_until([a for a in recent if a.outcome is not LoginOutcome.OK],
                            MAX_FAILURES_PER_CLIENT) - now,
              f"{MAX_FAILURES_PER_CLIENT} wrong log-ins from {client}")]
    wait_s, reason = max(waits)
    if wait_s <= 0:
        return None
    return Refusal(f"{reason}: log-ins from there are refused for "
                   f"{math.ceil(wait_s / 60)} min", wait_s)
