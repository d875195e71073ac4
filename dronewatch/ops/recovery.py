"""What a crashed ground process left behind, put right at the next start.

Why at the start of every flight: a ground process killed mid-flight (kill -9, power
loss) leaves its flight open in the store, and findings that only reached the local
journal while the store was down. Before anything new flies, open flights are closed
as "interrupted" and the journal is replayed, and the operator is told of both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dronewatch.ops.faults import Outcome
from dronewatch.ops.record import Announcement, AnnouncementKind
from dronewatch.store import Flight, Journal, Store, replay_journal
from dronewatch.store.journal import is_store_failure

__all__ = ["Recovered", "recover"]


@dataclass(frozen=True, slots=True)
class Recovered:
    """What was put right: flights closed as interrupted, journal records replayed."""

    interrupted: tuple[Flight, ...]
    replayed: int


def recover(store: Store, journal: Journal,
            announce: Callable[[Announcement], None] = lambda _: None) -> Recovered:
    """Replay the journal into the store, then close flights left open by a crash.

    The journal goes first: it may hold the proper end of a flight that only looked
    open because the store was down when it ended. A store that still cannot take
    the journal leaves it for the next start (and says so).
    """
    replayed = 0
    if waiting := journal.entries():
        try:
            ids = replay_journal(store, journal)
            replayed = len(waiting)
            announce(Announcement(
                AnnouncementKind.WARNING,
                f"the journal {journal.path} replayed into the "
                f"store: {len(ids)} new finding(s), "
                f"{replayed} record(s) in all"))
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            announce(Announcement(
                AnnouncementKind.WARNING,
                f"the journal {journal.path} could not be "
                f"replayed yet ({exc}); it is kept"))
    closed = tuple(store.close_open_flights(Outcome.INTERRUPTED.value))
    for flight in closed:
        announce(Announcement(
            AnnouncementKind.WARNING,
            f"flight {flight.id} (mission {flight.mission_id}, "
            f"{flight.vehicle}) was left open by a crash: closed as "
            f"{Outcome.INTERRUPTED.value!r}"))
    return Recovered(closed, replayed)
