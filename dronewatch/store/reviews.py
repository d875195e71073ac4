"""What the operators decided about each finding, as an audit log only ever added to.

Why a log and no status column: "who said this was a false alarm, and when" must still
be answerable after the finding was closed, and nobody may rewrite it afterwards. A
finding's review state is the state of its newest row (``new`` when it has none); this
module has no UPDATE or DELETE for ``finding_reviews``. Why a check inside the write
transaction: two operators clicking at once must not both move a finding from the same
old state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from dronewatch.errors import DronewatchError
from dronewatch.store.backends import Backend
from dronewatch.store.sqlstore import Store

__all__ = ["NEXT", "Review", "ReviewError", "ReviewState", "review", "review_states",
           "reviews"]


class ReviewError(DronewatchError, ValueError):
    """A review that is not allowed (unknown finding, a step out of order); nothing changed."""


class ReviewState(StrEnum):
    NEW = "new"
    CONFIRMED = "confirmed"  # a person really there / a hazard real: act on it
    DISMISSED = "dismissed"  # a false alarm: kept (and exportable), never deleted
    CLOSED = "closed"  # person reached / hazard rectified


#: The steps an operator may take from each state.
NEXT: dict[ReviewState, tuple[ReviewState, ...]] = {
    ReviewState.NEW: (ReviewState.CONFIRMED, ReviewState.DISMISSED),
    ReviewState.CONFIRMED: (ReviewState.CLOSED,),
    ReviewState.DISMISSED: (ReviewState.CLOSED,),
    ReviewState.CLOSED: (),
}


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    finding_id: int
    time_unix_s: float
    operator: str
    state: ReviewState
    note: str


def _state(db: Backend, finding_id: int) -> ReviewState:
    rows = db.execute("SELECT state FROM finding_reviews WHERE finding_id = ? "
                      "ORDER BY id DESC LIMIT 1", (finding_id,))
    return ReviewState(rows[0][0]) if rows else ReviewState.NEW


def review(store: Store, finding_id: int, state: ReviewState | str, *, operator: str,
           note: str = "", expected: ReviewState | str | None = None) -> Review:
    """Record an operator's decision on a finding.

    ``expected`` is the state the operator saw; when the finding has moved on since,
    nothing is recorded.

    Raises
    ------
    ReviewError
        Unknown finding or state, an empty operator name, a step :data:`NEXT` does not
        allow, or the finding no longer in ``expected``.
    """
    try:
        state = ReviewState(state)
        expected = None if expected is None else ReviewState(expected)
    except ValueError:
        raise ReviewError(f"state: use one of {', '.join(s.value for s in ReviewState)}") \
            from None
    if not operator.strip():
        raise ReviewError("operator: say who decides")
    now = time.time()
    with store._write() as db:
        if not db.execute("SELECT 1 FROM findings WHERE id = ?", (finding_id,)):
            raise ReviewError(f"finding {finding_id}: no such finding")
        current = _state(db, finding_id)
        if expected is not None and current is not expected:
            raise ReviewError(f"finding {finding_id} is {current.value} now, not "
                              f"{expected.value}: someone else decided first")
        if state not in NEXT[current]:
            raise ReviewError(f"finding {finding_id} is {current.value}: it cannot become "
                              f"{state.value}")
        review_id = int(db.execute(
            "INSERT INTO finding_reviews (finding_id, time_unix_s, operator, state, note, "
            "station) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (finding_id, now, operator, state.value, note, store.station))[0][0])
    return Review(review_id, finding_id, now, operator, state, note)


def reviews(store: Store, finding_id: int | None = None,
            after_id: int = 0) -> list[Review]:
    """The audit log, oldest first (of one finding, or every row after ``after_id``)."""
    sql = ("SELECT id, finding_id, time_unix_s, operator, state, note FROM finding_reviews "
           "WHERE id > ?")
    args: list[object] = [after_id]
    if finding_id is not None:
        sql += " AND finding_id = ?"
        args.append(finding_id)
    return [Review(i, f, t, o, ReviewState(s), n)
            for i, f, t, o, s, n in store._db.execute(sql + " ORDER BY id", args)]


def review_states(store: Store) -> dict[int, ReviewState]:
    """Every reviewed finding's current state (findings missing here are ``new``)."""
    states: dict[int, ReviewState] = {}
    for review_ in reviews(store):
        states[review_.finding_id] = review_.state
    return states
