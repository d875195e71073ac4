"""Arm, take off and start the mission as ArduPilot expects, over a link that loses packets.

Why not "arm, then MISSION_START": those are two commands, and when the second is lost
a few times ArduCopter disarms itself (DISARM_DELAY, 10 s of vehicle time: 1 wall
second at 10x) and the flight dies waiting for an altitude that never comes. The
working sequence, observed on ArduCopter 4.7 SITL, is GUIDED -> ARM -> NAV_TAKEOFF at
once -> climb -> AUTO (the mission starts at its current item). Each step is checked
against the vehicle's own state, so a lost ACK (the command worked) is told apart from
a refusal; a vehicle that disarmed itself is armed again; waits and retries run on the
vehicle's clock (its speed-up); and a failure names the step.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dronewatch.link._mavutil import MavCmd
from dronewatch.link.errors import CommandError, LaunchError, LinkError
from dronewatch.link.modes import mode_params
from dronewatch.link.state import VehicleState

if TYPE_CHECKING:
    from dronewatch.link.vehicle import Vehicle

__all__ = ["LaunchReport", "launch"]

_ARM_PARAM = 1.0


@dataclass(frozen=True, slots=True)
class LaunchReport:
    """How a launch went."""

    seconds: float  # wall clock, first command to airborne
    vehicle_seconds: float  # the same on the vehicle's clock
    rearms: int  # times the vehicle disarmed itself and was armed again
    state: VehicleState  # when airborne, in the mission's mode


class _Disarmed(Exception):
    """The vehicle disarmed itself on the ground: arm again."""


def _climbing(s: VehicleState) -> bool:
    return s.armed and (s.landed_state in ("TAKEOFF", "IN_AIR") or s.alt_rel_m > 0.3)


class _Launch:
    def __init__(self, vehicle: Vehicle) -> None:
        self.v = vehicle
        if not math.isfinite(vehicle.state.clock_rate):  # a moment to measure the speed-up
            with contextlib.suppress(LinkError):
                vehicle.wait_for(lambda s: math.isfinite(s.clock_rate), 1.0, "clock rate")
        # Long enough for a few of the vehicle's heartbeats (1 Hz on its clock).
        self.settle_s = max(4.0 / vehicle.speedup, 0.4)

    def step(self, name: str, send: Callable[[], None],
             done: Callable[[VehicleState], bool]) -> None:
        """``send`` unless already ``done``; a refusal or silence is checked against state."""
        if done(self.v.state):
            return
        try:
            send()
            return
        except CommandError as exc:
            failure = exc
        try:
            self.v.wait_for(done, self.settle_s, name)
        except LinkError:
            if name == "take-off" and not self.v.state.armed:
                raise _Disarmed from None
            raise LaunchError(name, str(failure)) from failure

    def mode(self, name: str) -> None:
        v = self.v
        params = mode_params(v.state.flavour, name, v.state.vehicle_kind)
        self.step(f"{name} mode", lambda: v.command(MavCmd.DO_SET_MODE, *params),
                  lambda s: s.mode == name)

    def climb(self, airborne_m: float, budget_vehicle_s: float) -> VehicleState:
        """Wait for ``airborne_m``; a heartbeat sent after the take-off showing the
        vehicle disarmed on the ground means arming again."""
        since = time.monotonic()
        deadline = since + budget_vehicle_s / self.v.speedup + self.settle_s
        while True:
            s = self.v.state
            if s.armed and s.alt_rel_m > airborne_m:
                return s
            if not s.armed and s.last_heartbeat_s > since and not s.alt_rel_m > airborne_m:
                raise _Disarmed
            if time.monotonic() > deadline:
                raise LaunchError("climb", f"{airborne_m:g} m not reached in "
                                  f"{budget_vehicle_s:g} s of vehicle time (at "
                                  f"{s.alt_rel_m:.1f} m, mode {s.mode})")
            time.sleep(0.005)


def launch(vehicle: Vehicle, takeoff_alt_m: float, *, airborne_m: float = 2.0,
           mission_mode: str = "AUTO", max_rearms: int = 3,
           climb_budget_s: float = 60.0) -> LaunchReport:
    """GUIDED, arm, take off to ``takeoff_alt_m`` (above home), then ``mission_mode``.

    Returns once the vehicle is above ``airborne_m``, armed, in ``mission_mode``; the
    mission continues from its current item (set it first, e.g. to the take-off).

    Raises
    ------
    LaunchError
        A step was refused or never happened; ``step`` names it and the message
        carries the vehicle's answer (e.g. "Arm: ..." reasons).
    """
    started, v = time.monotonic(), vehicle
    started_vehicle_s = v.state.time_boot_s
    run = _Launch(v)
    for rearms in range(max_rearms + 1):
        try:
            run.mode("GUIDED")
            run.step("arm", lambda: v.command(MavCmd.COMPONENT_ARM_DISARM, _ARM_PARAM),
                     lambda s: s.armed)
            run.step("take-off", lambda: v.takeoff(takeoff_alt_m), _climbing)
            up = run.climb(airborne_m, climb_budget_s)
        except _Disarmed:
            continue  # DISARM_DELAY ran out before the take-off got through
        airborne = time.monotonic()
        run.mode(mission_mode)
        try:
            state = v.wait_for(lambda s: s.mode == mission_mode and s.armed, run.settle_s,
                               f"{mission_mode}, armed")
        except LinkError as exc:
            raise LaunchError(f"{mission_mode} mode", str(exc)) from exc
        return LaunchReport(airborne - started, up.time_boot_s - started_vehicle_s,
                            rearms, state)
    raise LaunchError("take-off", f"the vehicle disarmed itself {max_rearms + 1} times "
                      "before the take-off got through (DISARM_DELAY)")
