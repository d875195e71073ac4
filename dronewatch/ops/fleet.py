"""One search, several drones: shares planned, checked, flown at once, and kept apart.

Why threads around :func:`dronewatch.ops.search.fly_plan`: each drone is flown exactly
as a lone one is (its own upload, fence and rally points, checks, fault policy and RTL
on every error path), only with a :class:`~dronewatch.ops.crew.Crew`: the fleet's one
recorder (one detector, one fuser: a person seen by two drones is one finding), its
stop, and its turn to launch. pymavlink blocks, so each drone has its own thread, and
this (main) thread keeps the drones apart (:mod:`dronewatch.ops.separation`) and takes
Ctrl-C for all of them.

Why relays: a drone that comes home before its share is done leaves the rest to the
next drone free to fly it, or to itself after a battery swap the operator confirms
(:mod:`dronewatch.ops.relay`); the report has a row per flight and the POD of the
whole search. When a person is found, the nearest drone holds over them and the others
search on or come home, by the operator's ``on_find`` (:mod:`dronewatch.ops.fleetfind`).

Why failures stay local: a drone that fails its checks is left out and the area is
split again among the rest before anything flies; a drone whose upload is refused,
whose launch fails or whose link is lost ends its own flight (on the ground, or in its
RTL) while the others fly on; each is recorded as an alert in the store and reported.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dronewatch.geo import Terrain, camera_preset
from dronewatch.link import NotReadyError
from dronewatch.ops.alarm import SearchRequest, nearest_launch_site
from dronewatch.ops.faults import Outcome
from dronewatch.ops.feed import FrameSource
from dronewatch.ops.fleetflight import DroneResult, FleetDrone, FleetFlight
from dronewatch.ops.launch import PreflightError
from dronewatch.ops.record import Announcement, AnnouncementKind
from dronewatch.ops.recovery import recover
from dronewatch.ops.relay import Relay
from dronewatch.ops.search import DEFAULT_OPTIONS, FlightOptions, preflight_problems
from dronewatch.ops.separation import Breach, SeparationRules
from dronewatch.planning import AltitudePolicy, Plan, PlanningContext, airframe_preset
from dronewatch.planning.fleetsplit import DroneCapacity, FleetPlan, plan_fleet
from dronewatch.store import Finding, Journal, MissionKind, Store
from dronewatch.store.journal import is_store_failure
from dronewatch.zones import ZoneSet

__all__ = ["DroneResult", "FleetDrone", "FleetReport", "fleet_context", "plan_for_fleet",
           "run_fleet_search", "shared_camera"]

@dataclass(frozen=True, slots=True)
class FleetReport:
    """What the fleet achieved together."""

    mission_id: int
    drones: tuple[DroneResult, ...]
    findings: tuple[Finding, ...]
    breaches: tuple[Breach, ...]  # every hold for separation
    min_gap_m: float  # smallest horizontal gap between two airborne drones not apart in height
    plan: FleetPlan
    relays: tuple[DroneResult, ...] = ()  # flights of what other flights left, in order
    unsearched: tuple[str, ...] = ()  # what nobody flew, and why
    recalled: str = ""  # why the operator's on-find choice called the drones home

    @property
    def lost(self) -> tuple[str, ...]:
        return tuple(d.name for d in (*self.drones, *self.relays)
                     if d.report is not None and d.report.outcome is Outcome.LINK_LOST)

    @property
    def pod(self) -> float:
        """The POD of the whole search area from every flight (own shares and relays),
        each weighted by the area it was to search."""
        area = self.plan.region_local.area
        best = max((s.pod for s in self.plan.shares), default=0.0)
        flown = sum(d.pod_area_m2 for d in (*self.drones, *self.relays))
        return min(flown / area, best) if area > 0 else 0.0


def shared_camera(source: FrameSource) -> FrameSource:
    """One camera source several drones' threads may call: one frame at a time.

    Why: the simulated world and a camera folder keep state between frames (the world's
    noise, the folder's newest file) that two threads must not change at once.
    """
    lock = threading.Lock()

    def frame(*args: object, **kwargs: object) -> object:
        with lock:
            return source(*args, **kwargs)
    return frame  # type: ignore[return-value]


def _capacity(drone: FleetDrone, request: SearchRequest) -> DroneCapacity:
    """What a drone can give now: the airframe's usable energy at its present charge."""
    airframe = airframe_preset(request.airframe)
    charge = drone.vehicle.state.battery_remaining_pct
    charge = charge / 100 if math.isfinite(charge) and charge > 0 else 1.0
    seconds = airframe.usable_wh * charge * 3600 / airframe.power_w(airframe.cruise_speed_mps,
                                                                      0.0)
    return DroneCapacity(drone.name, seconds, airframe.cruise_speed_mps)


def fleet_context(zones: ZoneSet, terrain: Terrain, request: SearchRequest) -> PlanningContext:
    """The planning context of a fleet's search (shares and relays alike)."""
    site = request.launch_site or nearest_launch_site(zones, request.lat_deg, request.lon_deg)
    altitude = None if request.agl_m is None else AltitudePolicy(target_agl_m=request.agl_m)
    return PlanningContext(zones, terrain, camera_preset(request.camera),
                           airframe=airframe_preset(request.airframe), altitude=altitude,
                           launch_site=site)


def plan_for_fleet(zones: ZoneSet, terrain: Terrain, request: SearchRequest,
                   drones: Sequence[FleetDrone], *, layer_m: float = 10.0,
                   rules: SeparationRules | None = None) -> FleetPlan:
    """Shares of the request's search area, one per drone, from its launch site."""
    rules = rules or SeparationRules()
    return plan_fleet(fleet_context(zones, terrain, request),
                      [_capacity(d, request) for d in drones], lat_deg=request.lat_deg,
                      lon_deg=request.lon_deg, radius_m=request.radius_m, layer_m=layer_m,
                      min_horizontal_m=rules.min_horizontal_m)


def run_fleet_search(request: SearchRequest, drones: Sequence[FleetDrone], zones: ZoneSet,
                     terrain: Terrain, store: Store, out_dir: Path, *,
                     options: FlightOptions = DEFAULT_OPTIONS,
                     rules: SeparationRules | None = None, layer_m: float = 10.0,
                     announce: Callable[[Announcement], None] = lambda _: None,
                     relays: bool = True,
                     confirm_swap: Callable[[str], bool] | None = None) -> FleetReport:
    """Check every drone, split the search among those fit to fly, fly them at once.

    With ``relays``, what a drone leaves unsearched is flown by the next free drone, or
    by itself once ``confirm_swap(name)`` (the operator) says its battery was swapped.
    ``options.on_find`` is the fleet's: the nearest drone holds over a person found, and
    the others search on (``loiter``) or come home (``recall``).

    Raises
    ------
    PreflightError
        No drone may fly (each one's reason is given), or the store cannot record the
        mission; nothing flew.
    PlanningError
        The area cannot be split among the drones fit to fly.
    """
    rules = rules or SeparationRules()
    if len({d.name for d in drones}) != len(drones):
        raise PreflightError("drones: every drone needs its own name (URL)")
    journal = Journal(options.journal_path or out_dir / "findings-journal.jsonl")
    recover(store, journal, announce)
    warn = lambda text: announce(Announcement(AnnouncementKind.WARNING, text))  # noqa: E731
    for drone in drones:
        with contextlib.suppress(NotReadyError):  # not ready: the checks say why
            drone.vehicle.wait_ready(options.ready_within_s / drone.vehicle.speedup)
    flying, fleet_plan, left_out = _fit_to_fly(request, list(drones), zones, terrain,
                                               options, rules, layer_m, warn)
    try:  # nothing flies unless its mission is on record
        mission = store.add_mission(MissionKind.SEARCH, fleet_plan.shares[0].name.rsplit(
            " (", 1)[0], launched_by=request.launched_by, reason=request.reason,
            plan_json=_summary(fleet_plan))
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        raise PreflightError(f"the store cannot record the mission: {exc}") from exc
    for name, why in left_out:
        store.add_alert("warning", f"{name} left out of mission {mission.id}: {why}")
    flight = FleetFlight(flying, fleet_plan, zones, terrain, store, mission.id, out_dir,
                          options, rules, journal, announce)
    relay = Relay(fleet_context(zones, terrain, request), [d.name for d in flying],
                  [d.vehicle for d in flying], fleet_plan.shares, fleet_plan.offsets_m,
                  options=options, airframe=airframe_preset(request.airframe),
                  layer_m=layer_m, min_horizontal_m=rules.min_horizontal_m, stop=flight.stop,
                  say=warn, confirm_swap=confirm_swap) if relays else None
    own, relayed = flight.fly(relay)
    leftover = tuple(relay.leftover()) if relay is not None else ()
    for text in leftover:
        warn(f"left unsearched: {text}")
        with contextlib.suppress(Exception):
            flight.db.add_alert("warning", f"left unsearched: {text}")
    return FleetReport(
        mission.id, (*own, *(DroneResult(n, "", 0.0, None, why) for n, why in left_out)),
        flight.findings(), tuple(flight.guard.breaches), flight.guard.min_gap_m, fleet_plan,
        tuple(relayed), leftover, flight.finds.recalled)


def _fit_to_fly(request: SearchRequest, drones: list[FleetDrone], zones: ZoneSet,
                terrain: Terrain, options: FlightOptions, rules: SeparationRules,
                layer_m: float, warn: Callable[[str], None]
                ) -> tuple[list[FleetDrone], FleetPlan, list[tuple[str, str]]]:
    """Split among the drones, check each on its share, leave out those that fail and
    split again among the rest, until every drone left passes."""
    airframe = airframe_preset(request.airframe)
    left_out: list[tuple[str, str]] = []
    while drones:
        fleet_plan = plan_for_fleet(zones, terrain, request, drones, layer_m=layer_m,
                                    rules=rules)
        failing = []
        for drone, share in zip(drones, fleet_plan.shares, strict=True):
            problems = preflight_problems(drone.vehicle, share, options, airframe)
            if problems:
                failing.append(drone)
                why = "failed pre-flight: " + "; ".join(problems)
                left_out.append((drone.name, why))
                warn(f"{drone.name} left out of the search: {why}")
        if not failing:
            return drones, fleet_plan, left_out
        drones = [d for d in drones if d not in failing]
    raise PreflightError("no drone may fly: " + "; ".join(f"{n}: {w}" for n, w in left_out))


def _summary(fleet_plan: FleetPlan) -> str:
    return json.dumps({"drones": [d.name for d in fleet_plan.drones],
                       "shares": [_share_summary(s, d) for s, d in
                                  zip(fleet_plan.shares, fleet_plan.offsets_m, strict=True)],
                       "layer_m": fleet_plan.layer_m})


def _share_summary(plan: Plan, offset_m: float) -> dict[str, object]:
    return {"name": plan.name, "launch_site": plan.home.id, "sorties": len(plan.sorties),
            "time_s": round(plan.time_s), "pod": round(plan.pod, 3),
            "transit_offset_m": offset_m}
