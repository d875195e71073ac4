"""A search launched from an alarm: the plan, the checks, and the flight.

Why the checks refuse rather than warn: a drone that takes off with a weak battery or
no GPS fix over the Gobi at night is a second emergency. What fails is named, so the
officer can fix it (swap the battery, wait for the fix) and launch again. A vehicle
still booting is waited for (bounded) first, and when it will not become ready the
check carries the autopilot's own "PreArm: ..." reason.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dronewatch.config import DEFAULT_AIRFRAME, DEFAULT_CAMERA
from dronewatch.geo import Terrain, camera_preset, distance_m
from dronewatch.link import NotReadyError, Vehicle
from dronewatch.ops.feed import FrameSource
from dronewatch.ops.launch import PreflightError
from dronewatch.ops.record import Announcement, AnnouncementKind
from dronewatch.ops.recovery import recover
from dronewatch.ops.search import (
    DEFAULT_OPTIONS,
    FlightOptions,
    FlightReport,
    fly_plan,
    preflight_problems,
)
from dronewatch.planning import AltitudePolicy, Plan, PlanningContext, airframe_preset, plan_search
from dronewatch.store import Journal, MissionKind, Store
from dronewatch.store.journal import is_store_failure
from dronewatch.zones import ZoneSet

__all__ = ["PreflightError", "SearchRequest", "nearest_launch_site", "plan_for_alarm",
           "run_search"]


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """An alarm: where the person was last known, and how to search."""

    lat_deg: float
    lon_deg: float
    radius_m: float = 800.0
    pattern: str = "auto"
    lost_hours: float | None = None
    camera: str = DEFAULT_CAMERA  # preset names; the CLI passes the station's settings
    airframe: str = DEFAULT_AIRFRAME
    launch_site: str | None = None  # default: the nearest to the alarm
    agl_m: float | None = None  # flying height above ground; default: the planner's
    wind_from_deg: float | None = None  # lanes across the wind when known
    launched_by: str = "duty officer"
    reason: str = "alarm: person reported lost"


def nearest_launch_site(zones: ZoneSet, lat_deg: float, lon_deg: float) -> str:
    """The launch site closest to a place: the drone that gets there first."""
    return min(zones.launch_sites,
               key=lambda s: distance_m(s.lat_deg, s.lon_deg, lat_deg, lon_deg)).id


def plan_for_alarm(zones: ZoneSet, terrain: Terrain, request: SearchRequest) -> Plan:
    """The search plan, from the request's launch site or else the nearest one.

    Why one function: ``plan search`` (files for QGroundControl) and ``search`` (the
    flight) both plan through here, so the files show exactly the mission that flies.
    """
    site = request.launch_site or nearest_launch_site(zones, request.lat_deg, request.lon_deg)
    altitude = None if request.agl_m is None else AltitudePolicy(target_agl_m=request.agl_m)
    ctx = PlanningContext(zones, terrain, camera_preset(request.camera),
                          airframe=airframe_preset(request.airframe), altitude=altitude,
                          launch_site=site)
    return plan_search(ctx, lat_deg=request.lat_deg, lon_deg=request.lon_deg,
                       radius_m=request.radius_m, pattern=request.pattern,
                       lost_hours=request.lost_hours, wind_from_deg=request.wind_from_deg)


def _plan_summary(plan: Plan) -> str:
    return json.dumps({"name": plan.name, "pattern": plan.pattern,
                       "launch_site": plan.home.id, "sorties": len(plan.sorties),
                       "distance_m": round(plan.distance_m), "time_s": round(plan.time_s),
                       "pod": round(plan.pod, 3), "waypoints": plan.waypoints_wgs84(0)})


def run_search(request: SearchRequest, vehicle: Vehicle, zones: ZoneSet, terrain: Terrain,
               camera: FrameSource, store: Store, map_path: Path, *,
               plan: Plan | None = None, options: FlightOptions = DEFAULT_OPTIONS,
               announce: Callable[[Announcement], None] = lambda _: None,
               vehicle_name: str = "drone") -> FlightReport:
    """Plan (unless given), check the vehicle, record the mission, fly it.

    Raises
    ------
    PreflightError
        The vehicle failed a check (nothing was uploaded), or its geofence could not
        be switched on after the upload.
    LaunchError
        Arming, take-off or the start of the mission failed; ``step`` names which.
    """
    plan = plan or plan_for_alarm(zones, terrain, request)
    recover(store, Journal(options.journal_path or map_path.parent / "findings-journal.jsonl"),
            announce)
    with contextlib.suppress(NotReadyError):  # not ready: the checks below say why
        vehicle.wait_ready(options.ready_within_s / vehicle.speedup)
    problems = preflight_problems(vehicle, plan, options, airframe_preset(request.airframe))
    if problems:
        raise PreflightError(f"{vehicle_name} may not fly: " + "; ".join(problems))
    if len(plan.sorties) > 1:
        announce(Announcement(
            AnnouncementKind.WARNING,
            f"the search needs {len(plan.sorties)} sorties on "
            "one battery each; flying the first now"))
    try:  # nothing flies unless its mission is on record
        mission = store.add_mission(MissionKind.SEARCH, plan.name, launched_by=request.launched_by,
                                    reason=request.reason, plan_json=_plan_summary(plan))
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        raise PreflightError(f"the store cannot record the mission: {exc}") from exc
    return fly_plan(vehicle, plan, zones, terrain, camera, store, mission.id, map_path,
                    options=options, announce=announce, vehicle_name=vehicle_name)
