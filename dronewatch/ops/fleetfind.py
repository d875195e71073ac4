"""When a drone of the fleet finds a person: the nearest drone goes over them.

Why the fleet decides and not the drone that saw them: with several drones up, the one
whose frame raised the alarm is not always the closest (a person at the edge of two
shares is seen by both, and a drone on its way home can see one too), and only the
fleet knows where every drone is. So each drone's flight loop only searches and
reports (its own on-find is "continue"), and the fleet's thread gives the orders: the
nearest airborne drone not already holding goes over each new person and holds there,
camera on them (:meth:`dronewatch.ops.flightloop.Watch.hold_over`, as a lone drone
does), while the others search on (``loiter``) or come home (``recall``), by the
operator's choice; ``continue`` sends nobody. Every drone that sees the person adds
its sightings to the one fused finding, so its position improves with each of them.
"""

from __future__ import annotations

import math
import queue
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dronewatch.geo import distance_m
from dronewatch.ops.crew import HoldOver, Order, Recall, SharedRecorder
from dronewatch.ops.flightloop import OnFind
from dronewatch.store import FindingStatus

__all__ = ["FindOrders"]


@dataclass
class FindOrders:
    """The fleet's orders on a find. Call :meth:`check` often from one thread.

    ``airborne(i)`` says whether drone ``i`` flies now; ``on_recall(why)`` is told once
    when the operator's choice recalls the fleet (no more relays then).
    """

    names: Sequence[str]
    positions: Sequence[Callable[[], tuple[float, float]]]  # each drone's (lat, lon) now
    airborne: Callable[[int], bool]
    recorder: SharedRecorder
    on_find: OnFind
    say: Callable[[str], None]
    on_recall: Callable[[str], None] = lambda _: None
    holders: dict[int, int] = field(default_factory=dict)  # finding id -> drone holding
    recalled: str = ""
    _seen: set[int] = field(default_factory=set)
    _mail: list[queue.SimpleQueue[Order]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._mail = [queue.SimpleQueue() for _ in self.names]

    def orders_for(self, i: int) -> Callable[[], Order | None]:
        """Drone ``i``'s mailbox, for its :class:`~dronewatch.ops.crew.Crew`."""
        box = self._mail[i]

        def take() -> Order | None:
            try:
                return box.get_nowait()
            except queue.Empty:
                return None
        return take

    def fresh(self, i: int) -> None:
        """Drone ``i`` flies again (a relay): orders meant for its last flight are void."""
        while not self._mail[i].empty():
            self._mail[i].get_nowait()
        self.holders = {f: d for f, d in self.holders.items() if d != i}

    def check(self) -> None:
        """Send the nearest free drone over each new person alarm; recall the rest."""
        if self.on_find is OnFind.CONTINUE:
            return
        for finding in self.recorder.snapshot():
            if finding.status is not FindingStatus.ALARM or finding.id in self._seen:
                continue
            self._seen.add(finding.id)
            nearest = self._nearest(finding.lat_deg, finding.lon_deg)
            if nearest is None:
                self.say(f"person #{finding.id} found; no drone in the air is free to go "
                         "over them")
            else:
                self.holders[finding.id] = nearest
                self._mail[nearest].put(HoldOver(finding))
                self.say(f"{self.names[nearest]} goes over person #{finding.id} (the "
                         "nearest drone)")
            if self.on_find is OnFind.RECALL and not self.recalled:
                self._recall(finding.id, nearest)

    def _nearest(self, lat_deg: float, lon_deg: float) -> int | None:
        holding = set(self.holders.values())
        best, best_m = None, math.inf
        for i in range(len(self.names)):
            if i in holding or not self.airborne(i):
                continue
            lat, lon = self.positions[i]()
            if not (math.isfinite(lat) and math.isfinite(lon)):
                continue
            d_m = distance_m(lat, lon, lat_deg, lon_deg)
            if d_m < best_m:
                best, best_m = i, d_m
        return best

    def _recall(self, finding_id: int, holder: int | None) -> None:
        """Every drone but the holder home, and no more relays (even with none in the
        air: the search is over)."""
        self.recalled = (f"recalled: person #{finding_id} found" if holder is None else
                         f"recalled: person #{finding_id} found, {self.names[holder]} holds "
                         "over them")
        self.on_recall(self.recalled)
        for i in range(len(self.names)):
            if i != holder:
                self._mail[i].put(Recall(self.recalled))
        self.say(f"{self.recalled}; every other drone comes home")
