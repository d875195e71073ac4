"""From checked vehicle to airborne: upload, fence on, launch; one place for each rule.

Why here and not in the flight loop: what happens between "the checks passed" and "the
drone is in the air" is the same for a search and a patrol, and each step has been
seen to go wrong on a real ArduCopter: an uploaded fence that was never switched on
(so FENCE_ENABLE is set and read back, and a fence that is not on stops the launch
like any failed pre-flight check), and a take-off that died when a command was lost
(so the launch is :meth:`dronewatch.link.Vehicle.launch`, which checks every step).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dronewatch.errors import DronewatchError
from dronewatch.link import FenceError, FenceSettings, LaunchReport, LinkError, Vehicle
from dronewatch.link.camera import stop_triggering
from dronewatch.missionitem import Cmd, Frame, MissionItem, MissionType
from dronewatch.ops.autopilot import FailsafeError, VehicleFailsafes, ensure_failsafes
from dronewatch.planning import Plan, fence_items, mission_items, rally_items
from dronewatch.zones import ZoneSet

__all__ = ["PreflightError", "Prepared", "fence_ceiling_m", "prepare", "take_off"]

#: Metres of the fence's ceiling above the highest planned point (climbs overshoot a bit).
CEILING_MARGIN_M = 25.0
#: ArduCopter's default FENCE_ALT_MAX: never set a lower ceiling than that.
MIN_CEILING_M = 100.0


class PreflightError(DronewatchError):
    """The vehicle may not fly this mission now; the message says why."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """What was put on the vehicle for a flight."""

    items: tuple[MissionItem, ...]
    fence: FenceSettings
    failsafes: VehicleFailsafes


def fence_ceiling_m(items: Sequence[MissionItem], home_alt_amsl_m: float) -> float:
    """FENCE_ALT_MAX for a mission: its highest point above home plus a margin.

    Why from the plan: the terrain-following waypoints of a search over rising ground
    can be well above ArduCopter's default 100 m ceiling over home, and a ceiling the
    plan itself breaches would send the drone home mid-search.
    """
    highest = 0.0
    for item in items[1:]:
        if item.frame in (Frame.GLOBAL, Frame.GLOBAL_INT):
            highest = max(highest, item.z - home_alt_amsl_m)
        elif item.frame in (Frame.GLOBAL_RELATIVE_ALT, Frame.GLOBAL_RELATIVE_ALT_INT):
            highest = max(highest, item.z)
    return float(max(MIN_CEILING_M, math.ceil(highest + CEILING_MARGIN_M)))


def prepare(vehicle: Vehicle, plan: Plan, zones: ZoneSet, *, fence_margin_m: float,
            say: Callable[[str], None] = lambda _: None) -> Prepared:
    """Upload mission, fence and rally points, switch the fence on, start at the take-off.

    Raises
    ------
    PreflightError
        The fence could not be switched on (or does not read back as on), or the
        vehicle's GCS-loss and battery failsafes could not be set to the station's
        policy (see :mod:`dronewatch.ops.autopilot`).
    MissionTransferError
        An upload was refused.
    """
    items = mission_items(plan)
    with contextlib.suppress(LinkError):  # a trigger left on by an earlier (crashed) run
        stop_triggering(vehicle)
    say(f"uploading {plan.name}: mission, fence and rally points")
    vehicle.upload(items)
    vehicle.upload(fence_items(zones, margin_m=fence_margin_m), MissionType.FENCE)
    vehicle.upload(rally_items(zones), MissionType.RALLY)
    ceiling_m = fence_ceiling_m(items, plan.home.home_alt_amsl_m)
    try:
        fence = vehicle.enable_fence(alt_max_m=ceiling_m)
    except FenceError as exc:
        raise PreflightError(f"the geofence is not on: {exc}") from exc
    problems = fence.problems(alt_max_m=ceiling_m)  # the pre-flight check, from read-back
    if problems:
        raise PreflightError("the geofence is not on: " + "; ".join(problems))
    say(f"geofence on: no-fly zones and a {ceiling_m:.0f} m ceiling, RTL on a breach")
    try:
        failsafes = ensure_failsafes(vehicle)
    except FailsafeError as exc:
        raise PreflightError(str(exc)) from exc
    say(f"vehicle failsafes: {failsafes.on_link_loss}; {failsafes.on_low_battery}")
    vehicle.set_current(1)  # from the take-off, whatever an earlier mission left current
    return Prepared(tuple(items), fence, failsafes)


def take_off(vehicle: Vehicle, prepared: Prepared) -> LaunchReport:
    """Launch to the mission's take-off altitude and hand over to AUTO.

    Raises
    ------
    LaunchError
        A step failed; ``step`` names it.
    """
    takeoff = next((i for i in prepared.items if i.command == Cmd.NAV_TAKEOFF), None)
    alt_m = takeoff.z if takeoff is not None and takeoff.z > 0 else 20.0
    return vehicle.launch(alt_m)
