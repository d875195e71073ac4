"""Keeping drones of one search apart in the air: a launch gate and a live check.

Why a live check when the plan already keeps them apart (disjoint shares, transits on
layers of their own): the plan assumes every drone flies its mission on time, and they
do not. A drone held over a person, one slowed by wind, a transit home that meets a
neighbour still at work, or two drones coming home together all bring two drones
close. So the positions the drones report are compared several times a second; when
two airborne drones come within the minimum both horizontally and vertically (now, or
within ``lookahead_s`` at their present velocities), the later-launched of the two is
held and the operator is told. A hold stops the drone where it is (BRAKE on an
ArduCopter, LOITER on PX4), and when the other drone flies towards it, also steps it
``hold_step_m`` down (or up, away from the other; never below ``lowest_hold_m``) in
GUIDED: stopping alone is not enough then, as the earlier drone is not held and may be
on a path nobody planned, straight at the held one (its battery failsafe's return home
across a neighbour's share, say); one hovering, or coming down by its pad, is waited
for in place. It resumes what it was doing (its mission, or its return home) once
every drone it was held for is horizontally 1.5 minimums away and no longer closing in
(or has landed). The earlier drone is never held for a later one, so two holds cannot
wait on each other. A drone that takes off again (a relay,
:mod:`dronewatch.ops.relay`) is the latest from then on.

The same rule keeps a launch apart: a drone takes off only when every drone launched
before it has climbed out of its way (or has ended its flight).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dronewatch.errors import DronewatchError
from dronewatch.geo import metres_per_degree
from dronewatch.link import LinkError, Vehicle, VehicleState
from dronewatch.link.modes import Flavour, VehicleKind

__all__ = ["Breach", "Gap", "SeparationGuard", "SeparationRules", "gap"]

_CHECK_EVERY_S = 0.05  # wall seconds between two looks at the launch gate
_RELEASE_FACTOR = 1.5  # a held drone goes on once this many minimums away and not closing
_WALK_MPS = 1.0  # slower than this towards a held drone is not "coming at it"


class SeparationError(DronewatchError, ValueError):
    """A separation rule is not a sensible number; the message names the field."""


@dataclass(frozen=True, slots=True)
class SeparationRules:
    """How far apart two airborne drones must stay (either distance suffices)."""

    min_horizontal_m: float = 30.0
    min_vertical_m: float = 8.0
    lookahead_s: float = 6.0  # vehicle seconds: hold before a breach, with time to step
    airborne_above_m: float = 2.0  # below this over home a drone is taking off or landed
    hold_step_m: float = 12.0  # a held drone's climb (or descent) out of the other's way
    lowest_hold_m: float = 30.0  # a held drone never steps down below this over home

    def __post_init__(self) -> None:
        for name in ("min_horizontal_m", "min_vertical_m", "lookahead_s", "airborne_above_m",
                     "hold_step_m", "lowest_hold_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise SeparationError(f"{name}: must be a number >= 0, got {value!r}")
        if self.min_horizontal_m == 0:
            raise SeparationError("min_horizontal_m: must be above 0")
        if 0 < self.hold_step_m < self.min_vertical_m:
            raise SeparationError(f"hold_step_m: {self.hold_step_m:g} m would not reach the "
                                  f"vertical minimum ({self.min_vertical_m:g} m); 0 holds in "
                                  "place")


@dataclass(frozen=True, slots=True)
class Gap:
    """The distance between two drones, horizontal and vertical."""

    horizontal_m: float
    vertical_m: float

    def breaches(self, rules: SeparationRules) -> bool:
        return (self.horizontal_m < rules.min_horizontal_m
                and self.vertical_m < rules.min_vertical_m)


@dataclass(frozen=True, slots=True)
class Breach:
    """One hold: ``held`` was stopped for ``other`` at this gap (seen or foreseen)."""

    time_unix_s: float
    held: str
    other: str
    horizontal_m: float
    vertical_m: float
    foreseen: bool  # the gap was not yet below the minimum, only about to be


def _offset_m(a: VehicleState, b: VehicleState) -> tuple[float, float]:
    """Where ``b`` is from ``a``: metres north and east."""
    north_per_deg, east_per_deg = metres_per_degree((a.lat_deg + b.lat_deg) / 2)
    return (b.lat_deg - a.lat_deg) * north_per_deg, (b.lon_deg - a.lon_deg) * east_per_deg


def gap(a: VehicleState, b: VehicleState, ahead_s: float = 0.0) -> Gap:
    """The gap between two reported positions, or ``ahead_s`` from now at their velocities."""
    north, east = _offset_m(a, b)
    north += (b.vn_mps - a.vn_mps) * ahead_s
    east += (b.ve_mps - a.ve_mps) * ahead_s
    up = (b.alt_amsl_m - a.alt_amsl_m) - (b.vd_mps - a.vd_mps) * ahead_s
    return Gap(math.hypot(north, east), abs(up))


@dataclass
class _Held:
    resume_mode: str
    because_of: set[int] = field(default_factory=set)


@dataclass
class SeparationGuard:
    """The fleet's separation: call :meth:`check` often from one thread; drones are given
    in launch order, and ``say`` tells the operator (and the store) of each hold."""

    names: Sequence[str]
    vehicles: Sequence[Vehicle]
    rules: SeparationRules
    say: Callable[[str], None]
    done: Sequence[threading.Event]  # set when a drone's flight has ended
    breaches: list[Breach] = field(default_factory=list)
    min_gap_m: float = math.inf  # smallest horizontal gap seen without vertical separation
    _held: dict[int, _Held] = field(default_factory=dict)
    _rank: list[int] = field(default_factory=list)  # launch order: higher launched later

    def __post_init__(self) -> None:
        self._rank = list(range(len(self.vehicles)))

    def relaunch(self, i: int) -> None:
        """Drone ``i`` is about to fly again: launched after every other from now on."""
        self._rank[i] = max(self._rank) + 1
        self.done[i].clear()

    def airborne(self, i: int) -> bool:
        state = self.vehicles[i].state
        return (not self.done[i].is_set() and state.armed and not state.stale
                and math.isfinite(state.lat_deg)
                and state.alt_rel_m > self.rules.airborne_above_m)

    def launch_clear(self, i: int) -> bool:
        """Every drone launched before ``i`` has ended or climbed well clear of it."""
        me = self.vehicles[i].state
        for j in range(len(self.vehicles)):
            if self._rank[j] >= self._rank[i] or self.done[j].is_set():
                continue
            if not self.airborne(j):
                return False  # still on its way up (or not yet launched)
            if gap(me, self.vehicles[j].state).horizontal_m < 2 * self.rules.min_horizontal_m:
                return False
        return True

    def wait_launch(self, i: int, stop: threading.Event) -> None:
        """Block until drone ``i`` may take off.

        Raises
        ------
        KeyboardInterrupt
            The fleet was stopped first.
        """
        while not self.launch_clear(i):
            if stop.wait(_CHECK_EVERY_S):
                raise KeyboardInterrupt

    def check(self) -> None:
        """Compare every pair of airborne drones; hold or release the later ones."""
        up = sorted((i for i in range(len(self.vehicles)) if self.airborne(i)),
                    key=self._rank.__getitem__)
        states = {i: self.vehicles[i].state for i in up}
        conflicts: dict[int, dict[int, tuple[Gap, bool]]] = {}
        still_near: set[int] = set()  # held drones not yet horizontally clear
        for n, i in enumerate(up):
            for j in up[n + 1:]:  # i launched before j
                now = gap(states[i], states[j])
                if now.vertical_m < self.rules.min_vertical_m:
                    self.min_gap_m = min(self.min_gap_m, now.horizontal_m)
                ahead = gap(states[i], states[j], self.rules.lookahead_s)
                if now.breaches(self.rules) or ahead.breaches(self.rules):
                    conflicts.setdefault(j, {})[i] = (now, not now.breaches(self.rules))
                elif j in self._held and i in self._held[j].because_of and (
                        ahead.horizontal_m < now.horizontal_m  # still closing
                        or now.horizontal_m < _RELEASE_FACTOR * self.rules.min_horizontal_m):
                    still_near.add(j)  # apart in height by its step: stays there till past
        for j, others in conflicts.items():
            self._hold(j, others, states)
        for j in [j for j in self._held if j not in conflicts and j not in still_near]:
            self._release(j)

    def _hold(self, j: int, others: dict[int, tuple[Gap, bool]],
              states: dict[int, VehicleState]) -> None:
        held = self._held.get(j)
        new = set(others) - (held.because_of if held else set())
        if held is None or new:  # a new hold, or one more drone to step away from
            me = states[j]
            nearest = min(others, key=lambda i: others[i][0].horizontal_m)
            other = states[nearest]
            step_m = self._step_m(me, other) if _coming_at(other, me) else 0.0
            try:
                how = _hold_here(self.vehicles[j], step_m)
            except (LinkError, TimeoutError) as exc:
                self.say(f"{self.names[j]} could not be held ({exc}); trying again")
                return
            if held is None:
                held = self._held[j] = _Held(me.mode)
        else:
            how = "still held"
        held.because_of |= set(others)
        for i in new:
            now, foreseen = others[i]
            self.breaches.append(Breach(time.time(), self.names[j], self.names[i],
                                        now.horizontal_m, now.vertical_m, foreseen))
            self.say(f"SEPARATION: {self.names[j]} held ({how}): "
                     f"{now.horizontal_m:.0f} m from {self.names[i]} horizontally, "
                     f"{now.vertical_m:.0f} m vertically (minimum "
                     f"{self.rules.min_horizontal_m:.0f} m / {self.rules.min_vertical_m:.0f} m)")

    def _release(self, j: int) -> None:
        held = self._held[j]
        vehicle = self.vehicles[j]
        try:
            if held.resume_mode == "RTL":
                vehicle.return_to_launch()
            else:
                vehicle.set_mode(held.resume_mode, timeout_s=_mode_wait_s(vehicle))
        except (LinkError, TimeoutError) as exc:
            self.say(f"{self.names[j]} could not resume {held.resume_mode} ({exc}); trying "
                     "again")
            return
        del self._held[j]
        self.say(f"{self.names[j]} clear again: resuming {held.resume_mode}")

    def _step_m(self, me: VehicleState, other: VehicleState) -> float:
        """Down by the step (away from the legal ceiling) unless the other is, or is about
        to be, below (one coming down to land) or there is no room; then up (the fence's
        ceiling is 25 m above the plan's top)."""
        step = self.rules.hold_step_m
        other_soon_m = other.alt_amsl_m - other.vd_mps * self.rules.lookahead_s
        if (min(other.alt_amsl_m, other_soon_m) >= me.alt_amsl_m
                and me.alt_rel_m - step >= self.rules.lowest_hold_m):
            return -step
        return step


def _coming_at(other: VehicleState, me: VehicleState) -> bool:
    """Whether ``other`` flies towards ``me`` (faster than a walk): then stopping alone
    leaves ``me`` in its way. A drone hovering or coming straight down (to land by its
    pad) is waited for where one is."""
    north, east = _offset_m(other, me)
    distance = math.hypot(north, east)
    if distance < 1e-6:
        return True
    return (other.vn_mps * north + other.ve_mps * east) / distance > _WALK_MPS


def _mode_wait_s(vehicle: Vehicle) -> float:
    return max(10.0 / max(vehicle.speedup, 1.0), 1.0)


def _hold_mode(vehicle: Vehicle) -> str:
    """The mode that stops a drone where it is, as its autopilot names it."""
    state = vehicle.state
    if state.flavour is Flavour.PX4:
        return "LOITER"
    if state.flavour is Flavour.ARDUPILOT and state.vehicle_kind is VehicleKind.COPTER:
        return "BRAKE"
    return "GUIDED"


def _hold_here(vehicle: Vehicle, step_m: float) -> str:
    """Stop the drone where it is, ``step_m`` higher (lower when negative): a reposition
    there; with no step, its own hold mode. Returns what it was told, for the operator."""
    mode = _hold_mode(vehicle)
    if step_m == 0 and mode != "GUIDED":
        try:
            vehicle.set_mode(mode, timeout_s=_mode_wait_s(vehicle))
            return mode
        except LinkError:
            pass  # refused (PX4 without a position, an odd firmware): reposition instead
    state = vehicle.state
    vehicle.goto(state.lat_deg, state.lon_deg, state.alt_rel_m + step_m)
    if step_m == 0:
        return "GUIDED, here"
    return f"GUIDED, {'up' if step_m > 0 else 'down'} {abs(step_m):.0f} m"
