"""Landing in turn: a fleet's drones come down to their pads one at a time.

Why a gate and not the separation check alone: the pads of one launch site are a few
metres apart, and drones come home on transit layers of their own, tens of metres
apart in height. Coming down at once, a drone descending from a high layer passes a
lower one a few metres beside it. The separation check would hold the later-launched
one, but only once they are already close, and the earlier one may be the one
descending onto it. So each fleet sortie waits on its way home at its own waiting
point (:mod:`dronewatch.planning.landing`), and this gate lets one waiting drone at a
time go on (MISSION_SET_CURRENT past its loiter): the one with the least battery
first, then the one that has waited longest. The next goes once the one before is
down to ``release_alt_m`` over its pad (it lands in the half minute the next needs to
come in and descend to that height), has left its landing (sent elsewhere by the
operator) or ended its flight, and once no other drone (taking off, or flying its
share across the launch site) is over the pads. A drone whose link is lost within a
kilometre of the pads keeps them for three minutes: its failsafe RTL may be landing it
there, unseen.

The autopilot bounds each wait by itself (the loiter's time, its battery failsafe): a
gate that stops answering leaves drones landing as they would without it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dronewatch.geo import distance_m
from dronewatch.link import Home, LinkError, Vehicle, VehicleState
from dronewatch.missionitem import Cmd
from dronewatch.planning import Plan
from dronewatch.planning.items import mission_items

__all__ = ["LandingGate", "Turn", "turn_of"]

_LANDING_MODES = frozenset({"AUTO", "MISSION", "RTL", "LAND", "BRAKE", "LOITER"})
# a drone whose link is lost this near the pads may be coming in to land on its own
# failsafe (RTL) unseen, for this long (vehicle s): 1 km at 10 m/s, and a landing
_LOST_NEAR_M = 1000.0
_LOST_LANDING_S = 180.0


@dataclass(frozen=True, slots=True)
class Turn:
    """Where in a drone's mission it waits to land, and the item it goes on with."""

    wait_seq: int
    go_seq: int


def turn_of(plan: Plan) -> Turn | None:
    """The waiting loiter of the plan's first sortie (the one flown), if it has one."""
    for seq, item in enumerate(mission_items(plan)):
        if item.command == Cmd.NAV_LOITER_TIME:
            return Turn(seq, seq + 1)
    return None


@dataclass
class LandingGate:
    """Call :meth:`expect` before each flight and :meth:`check` often from one thread."""

    names: Sequence[str]
    vehicles: Sequence[Vehicle]
    done: Sequence[threading.Event]  # set when a drone's flight has ended
    airborne: Callable[[int], bool]
    say: Callable[[str], None]
    pad_radius_m: float  # within this of any drone's home is over the pads
    release_alt_m: float  # a lander this low over its pad lets the next one go
    _turns: dict[int, Turn] = field(default_factory=dict)
    _arrived: dict[int, float] = field(default_factory=dict)  # monotonic, per waiting drone
    _landing: int | None = None
    _let_go: set[int] = field(default_factory=set)  # let go by the gate, not yet landed
    _lost: dict[int, float] = field(default_factory=dict)  # monotonic, when lost near
    _blocked_by: str = ""

    def expect(self, i: int, turn: Turn | None) -> None:
        """Drone ``i`` is about to fly a mission that waits at ``turn`` (None: never)."""
        self._arrived.pop(i, None)
        self._let_go.discard(i)
        if turn is None:
            self._turns.pop(i, None)
        else:
            self._turns[i] = turn

    def check(self) -> None:
        """Free the gate once the lander is down (enough); let the next waiting one go."""
        now = time.monotonic()
        states = [v.state for v in self.vehicles]
        homes = [s.home for s in states if s.home is not None]
        self._note_lost(states, homes, now)
        if self._landing is not None and self._finished(self._landing):
            self._landing = None
        waiting = [i for i in self._turns if self._waiting(i, states[i])]
        for i in waiting:
            self._arrived.setdefault(i, now)
        for i in [i for i in self._arrived if i not in waiting]:
            del self._arrived[i]
        if self._landing is not None or not waiting:
            return
        blocker = self._over_pads(states, homes, waiting)
        if blocker is None:
            blocker = self._lost_near_pads(now)
        if blocker is not None:
            if self._blocked_by != self.names[blocker]:
                self._blocked_by = self.names[blocker]
                self.say(f"{len(waiting)} waiting to land until {self._blocked_by} is clear "
                         "of the pads")
            return
        self._blocked_by = ""
        i = min(waiting, key=lambda k: (_battery(states[k]), self._arrived[k]))
        try:
            self.vehicles[i].set_current(self._turns[i].go_seq)
        except (LinkError, TimeoutError) as exc:
            self.say(f"{self.names[i]} could not be sent in to land ({exc}); trying again")
            return
        self._landing = i
        self._let_go.add(i)
        del self._arrived[i]
        others = len(waiting) - 1
        self.say(f"{self.names[i]} comes in to land" + (f"; {others} more wait their turn"
                                                        if others else ""))

    def _waiting(self, i: int, state: VehicleState) -> bool:
        return (not self.done[i].is_set() and state.armed and not state.stale
                and state.mission_seq == self._turns[i].wait_seq
                and state.mode in ("AUTO", "MISSION"))

    def _finished(self, j: int) -> bool:
        """Whether the lander no longer needs the pads to itself."""
        state = self.vehicles[j].state
        if self.done[j].is_set() or not state.armed or state.stale:
            return True  # a lost one keeps the pads as any drone lost near them does
        return (state.alt_rel_m <= self.release_alt_m or not self.airborne(j)
                or state.mode not in _LANDING_MODES)

    def _over_pads(self, states: list[VehicleState], homes: list[Home],
                   waiting: list[int]) -> int | None:
        """An airborne drone over the pads, other than those waiting and the one before
        on its last metres down, if any."""
        for k, state in enumerate(states):
            if k in waiting or not self.airborne(k):
                continue
            if k in self._let_go and state.alt_rel_m <= self.release_alt_m:
                continue  # the last one let go, on its last metres down
            if _nearest_m(state, homes) < self.pad_radius_m:
                return k
        return None

    def _note_lost(self, states: list[VehicleState], homes: list[Home], now: float) -> None:
        """Remember when an armed drone near the pads went silent; forget it once heard."""
        for k, state in enumerate(states):
            if not (state.stale and state.armed and math.isfinite(state.lat_deg)):
                self._lost.pop(k, None)
            elif k not in self._lost and _nearest_m(state, homes) < _LOST_NEAR_M:
                self._lost[k] = now
                self.say(f"{self.names[k]} lost near the launch site: no one is let in to "
                         "land while it may be landing on its own failsafe")

    def _lost_near_pads(self, now: float) -> int | None:
        for k, since in self._lost.items():
            if now - since < _LOST_LANDING_S / max(self.vehicles[k].speedup, 1.0):
                return k
        return None


def _battery(state: VehicleState) -> float:
    pct = state.battery_remaining_pct
    return pct if math.isfinite(pct) else math.inf


def _nearest_m(state: VehicleState, homes: list[Home]) -> float:
    """Ground distance from a drone to the nearest of the fleet's homes (pads)."""
    return min((distance_m(state.lat_deg, state.lon_deg, h.lat_deg, h.lon_deg) for h in homes),
               default=math.inf)
