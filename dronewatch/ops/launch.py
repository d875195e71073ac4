"""From checked vehicle to airborne: upload, fence on, launch; one place for each rule.

Why here and not in the flight loop: what happens between "the checks passed" and "the
drone is in the air" is the same for a search and a patrol, and each step has been
seen to go wrong on a real ArduCopter: an uploaded fence that was never switched on
(so FENCE_ENABLE is set and read back, and a fence that is not on stops the launch
like any failed pre-flight check), and a take-off that died when a command was lost
(so the launch is :meth:`dronewatch.link.Vehicle.launch`, which checks every step).
Where the vehicle keeps a terrain database (ArduPilot's TERRAIN_ENABLE) and the
station serves its DEM, the waypoints go up in terrain frames and the launch waits
until the vehicle holds the terrain of the route, which it would otherwise refuse to
arm without ("PreArm: waiting for terrain data").
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dronewatch.errors import DronewatchError
from dronewatch.link import FenceError, FenceSettings, LaunchReport, LinkError, Vehicle
from dronewatch.link.camera import stop_triggering
from dronewatch.link.terrain import (
    TerrainServer,
    mission_places,
    terrain_enabled,
    wait_for_terrain,
)
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
    terrain_frames: bool = False  # waypoints above the vehicle's terrain, not AMSL


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
            say: Callable[[str], None] = lambda _: None,
            terrain: TerrainServer | None = None) -> Prepared:
    """Upload mission, fence and rally points, switch the fence on, start at the take-off.

    With a ``terrain`` server running and a vehicle that keeps terrain, the waypoints are
    sent as heights above terrain (the planner's heights above our DEM) and the vehicle's
    terrain is loaded before returning; otherwise as heights above sea level.

    Raises
    ------
    PreflightError
        The fence could not be switched on (or does not read back as on), or the
        vehicle's GCS-loss and battery failsafes could not be set to the station's
        policy (see :mod:`dronewatch.ops.autopilot`), or the vehicle did not get the
        terrain of the route in time.
    MissionTransferError
        An upload was refused.
    """
    spacing_m = terrain_enabled(vehicle) if terrain is not None else None
    items = mission_items(plan, terrain_frame=spacing_m is not None)
    with contextlib.suppress(LinkError):  # a trigger left on by an earlier (crashed) run
        stop_triggering(vehicle)
    say(f"uploading {plan.name}: mission, fence and rally points")
    vehicle.upload(items)
    vehicle.upload(fence_items(zones, margin_m=fence_margin_m), MissionType.FENCE)
    rally = rally_items(zones)
    vehicle.upload(rally, MissionType.RALLY)
    # the ceiling from the heights above sea level, whichever frame went up
    ceiling_m = fence_ceiling_m(mission_items(plan), plan.home.home_alt_amsl_m)
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
    if terrain is not None and spacing_m is not None:
        _load_terrain(vehicle, terrain, [*items, *rally], spacing_m, say)
    vehicle.set_current(1)  # from the take-off, whatever an earlier mission left current
    return Prepared(tuple(items), fence, failsafes, spacing_m is not None)


def _load_terrain(vehicle: Vehicle, server: TerrainServer, items: Sequence[MissionItem],
                  spacing_m: int, say: Callable[[str], None]) -> None:
    """Wait (60 s of vehicle time at most) until the vehicle holds the route's terrain,
    then a moment for its own pre-arm check to see it.

    Raises
    ------
    PreflightError
        The vehicle still lacks terrain; the message says how much and why.
    """
    places = mission_places(items, spacing_m)
    places += [(i.lat_deg, i.lon_deg) for i in items if i.command == Cmd.NAV_RALLY_POINT]
    wait = wait_for_terrain(vehicle, places, spacing_m, max(60.0 / vehicle.speedup, 5.0))
    if not wait.loaded:
        beyond = (f"; {server.blocks_unknown} requested sub-grids lie beyond the DEM"
                  if server.blocks_unknown else "")
        raise PreflightError(
            f"the vehicle has no terrain for {wait.missing} of {wait.blocks} grid blocks of "
            f"the route ({wait.pending} sub-grids pending, {server.blocks_sent} sent from the "
            f"DEM{beyond}): it would refuse to arm a terrain-frame mission")
    with contextlib.suppress(LinkError):  # not ready for another reason: the launch says
        vehicle.wait_for(lambda s: s.prearm_ok, max(10.0 / vehicle.speedup, 1.0),
                         "pre-arm checks with terrain")
    say(f"terrain of the route loaded on the vehicle from the DEM ({wait.blocks} grid "
        f"blocks, {server.blocks_sent} sub-grids sent, {wait.seconds:.1f} s)")


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
