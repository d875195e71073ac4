"""What a drone flying with others shares with them: one fuser, one stop, a turn to launch.

Why a value handed to :func:`dronewatch.ops.search.fly_plan` rather than a second
flight loop: a drone of a fleet is flown exactly as a lone one (the same checks, the
same fault policy, the same RTL on every error path), and only four things differ.
Its frames' findings go to the fleet's one recorder, so the same person seen by two
drones is one finding with the evidence of both; the fleet can stop it (Ctrl-C in the
main thread reaches every drone, as a signal does a lone one); and it takes off only
when the fleet says its airspace is clear; and its uploads wait for the others'. And it
takes orders from the fleet while it flies: hold over a person another drone found (it
is the nearest), or come home (the operator recalled the others).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from dronewatch.ops.record import FindingRecorder
from dronewatch.store import Finding
from dronewatch.thermal import Detection, Frame

__all__ = ["Crew", "HoldOver", "Order", "Recall", "SharedRecorder"]


@dataclass(frozen=True, slots=True)
class HoldOver:
    """Go over this person and hold there, camera on them, then come home."""

    finding: Finding


@dataclass(frozen=True, slots=True)
class Recall:
    """Stop searching and come home; ``reason`` is recorded with the flight."""

    reason: str


Order = HoldOver | Recall


def no_orders() -> Order | None:
    return None


class SharedRecorder(FindingRecorder):
    """A :class:`FindingRecorder` several flight threads add to: one fuser, one lock.

    Why a lock: the fuser merges each detection into the findings so far, and two
    threads merging at once could each make a new finding of the same person.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lock = threading.Lock()

    def add(self, frame: Frame, detections: list[Detection]) -> list:
        with self._lock:
            return super().add(frame, detections)

    def snapshot(self) -> list[Finding]:
        """The findings so far, read while no thread adds to them."""
        with self._lock:
            return list(self.findings.values())


@dataclass(frozen=True, slots=True)
class Crew:
    """A fleet member's share of the fleet: the recorder, the stop, and its launch turn.

    ``wait_turn`` blocks until the drone may take off; it raises KeyboardInterrupt when
    the fleet is stopped first (nothing has flown: the flight ends "not launched").
    ``uploading`` is held while a drone's mission, fence, rally points and terrain go
    up: one drone at a time, as several at once (hundreds of terrain sub-grids each)
    swamped a busy station and uploads failed for want of answers in time.
    ``orders`` is polled by the flight loop: the fleet's next order for this drone.
    """

    recorder: FindingRecorder
    stop: threading.Event
    wait_turn: Callable[[], None]
    uploading: threading.Lock
    orders: Callable[[], Order | None] = no_orders
