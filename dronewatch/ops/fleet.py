"""One search, several drones: shares planned, checked, flown at once, and kept apart.

Why threads around :func:`dronewatch.ops.search.fly_plan`: each drone is flown exactly
as a lone one is (its own upload, fence and rally points, checks, fault policy and RTL
on every error path), only with a :class:`~dronewatch.ops.crew.Crew`: the fleet's one
recorder (one detector, one fuser: a person seen by two drones is one finding), its
stop, and its turn to launch. pymavlink blocks, so each drone has its own thread, and
this (main) thread keeps the drones apart (:mod:`dronewatch.ops.separation`) and takes
Ctrl-C for all of them.

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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dronewatch.geo import Terrain, camera_preset
from dronewatch.link import NotReadyError, Vehicle
from dronewatch.ops.alarm import SearchRequest, nearest_launch_site
from dronewatch.ops.crew import Crew, SharedRecorder
from dronewatch.ops.faults import Outcome, bring_home
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
from dronewatch.ops.separation import Breach, SeparationGuard, SeparationRules
from dronewatch.planning import AltitudePolicy, Plan, PlanningContext, airframe_preset
from dronewatch.planning.fleetsplit import DroneCapacity, FleetPlan, plan_fleet
from dronewatch.store import Finding, Journal, JournaledStore, MissionKind, Store
from dronewatch.store.journal import is_store_failure
from dronewatch.thermal import default_detector
from dronewatch.zones import ZoneSet

__all__ = ["DroneResult", "FleetDrone", "FleetReport", "plan_for_fleet", "run_fleet_search",
           "shared_camera"]

_WATCH_EVERY_S = 0.05  # wall seconds between two separation checks


@dataclass(frozen=True, slots=True)
class FleetDrone:
    """One drone of the fleet: its name (its URL, say), its link, and its camera."""

    name: str
    vehicle: Vehicle
    camera: FrameSource


@dataclass(frozen=True, slots=True)
class DroneResult:
    """How one drone's part went: its share and flight, or why it did not fly."""

    name: str
    share: str  # the share's name; "" when the drone was left out before the split
    transit_offset_m: float
    report: FlightReport | None
    error: str = ""  # why it was left out, or what ended its flight without a report

    @property
    def flew_share(self) -> bool:
        return self.report is not None and self.report.outcome is Outcome.COMPLETED


@dataclass(frozen=True, slots=True)
class FleetReport:
    """What the fleet achieved together."""

    mission_id: int
    drones: tuple[DroneResult, ...]
    findings: tuple[Finding, ...]
    breaches: tuple[Breach, ...]  # every hold for separation
    min_gap_m: float  # smallest horizontal gap between two airborne drones not apart in height
    plan: FleetPlan

    @property
    def lost(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.drones
                     if d.report is not None and d.report.outcome is Outcome.LINK_LOST)


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


def plan_for_fleet(zones: ZoneSet, terrain: Terrain, request: SearchRequest,
                   drones: Sequence[FleetDrone], *, layer_m: float = 10.0,
                   rules: SeparationRules | None = None) -> FleetPlan:
    """Shares of the request's search area, one per drone, from its launch site."""
    rules = rules or SeparationRules()
    site = request.launch_site or nearest_launch_site(zones, request.lat_deg, request.lon_deg)
    altitude = None if request.agl_m is None else AltitudePolicy(target_agl_m=request.agl_m)
    ctx = PlanningContext(zones, terrain, camera_preset(request.camera),
                          airframe=airframe_preset(request.airframe), altitude=altitude,
                          launch_site=site)
    return plan_fleet(ctx, [_capacity(d, request) for d in drones], lat_deg=request.lat_deg,
                      lon_deg=request.lon_deg, radius_m=request.radius_m, layer_m=layer_m,
                      min_horizontal_m=rules.min_horizontal_m)


def run_fleet_search(request: SearchRequest, drones: Sequence[FleetDrone], zones: ZoneSet,
                     terrain: Terrain, store: Store, out_dir: Path, *,
                     options: FlightOptions = DEFAULT_OPTIONS,
                     rules: SeparationRules | None = None, layer_m: float = 10.0,
                     announce: Callable[[Announcement], None] = lambda _: None) -> FleetReport:
    """Check every drone, split the search among those fit to fly, fly them at once.

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
    findings, guard, outcomes = _fly(flying, fleet_plan, zones, terrain, store, mission.id,
                                     out_dir, options, rules, journal, announce)
    return FleetReport(
        mission.id,
        (*outcomes, *(DroneResult(n, "", 0.0, None, why) for n, why in left_out)),
        findings, tuple(guard.breaches), guard.min_gap_m, fleet_plan)


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


def _fly(drones: list[FleetDrone], fleet_plan: FleetPlan, zones: ZoneSet, terrain: Terrain,
         store: Store, mission_id: int, out_dir: Path, options: FlightOptions,
         rules: SeparationRules, journal: Journal, announce: Callable[[Announcement], None]
         ) -> tuple[tuple[Finding, ...], SeparationGuard, list[DroneResult]]:
    """Every drone in its own thread; this thread keeps them apart until all have ended."""
    warn = lambda text: announce(Announcement(AnnouncementKind.WARNING, text))  # noqa: E731
    db = JournaledStore(store, journal, warn=warn)
    recorder = SharedRecorder(db, mission_id, announce,
                              alarm_confidence=default_detector().info.alarm_confidence)
    stop, uploading = threading.Event(), threading.Lock()
    done = [threading.Event() for _ in drones]

    def say_breach(text: str) -> None:
        announce(Announcement(AnnouncementKind.ALERT if text.startswith("SEPARATION")
                              else AnnouncementKind.WARNING, text))
        if text.startswith("SEPARATION"):
            with contextlib.suppress(Exception):  # the alert is a record; the hold is done
                db.add_alert("warning", text)

    guard = SeparationGuard([d.name for d in drones], [d.vehicle for d in drones], rules,
                            say_breach, done)
    results: list[DroneResult | None] = [None] * len(drones)

    def fly_one(i: int) -> None:
        drone, share = drones[i], fleet_plan.shares[i]
        crew = Crew(recorder, stop, lambda: guard.wait_launch(i, stop), uploading)
        tagged = _tagged(announce, drone.name)
        try:
            report = fly_plan(drone.vehicle, share, zones, terrain, drone.camera, store,
                              mission_id, out_dir / f"mission-map-{i + 1}.html",
                              options=options, announce=tagged, vehicle_name=drone.name,
                              crew=crew)
            error = report.fault
        except BaseException as exc:  # local to this drone: the others fly on
            report, error = None, f"{type(exc).__name__}: {exc}"
            _never_abandoned(drone.vehicle, tagged, options)
        finally:
            done[i].set()
        if report is not None and report.outcome is Outcome.LINK_LOST:
            text = (f"drone lost: {drone.name} (link lost during {share.name}); the others "
                    "fly on")
        elif report is None:
            text = f"{drone.name} did not fly {share.name}: {error}"
        else:
            text = ""
        if text:
            warn(text)
            with contextlib.suppress(Exception):
                db.add_alert("warning", text)
        results[i] = DroneResult(drone.name, share.name, fleet_plan.offsets_m[i], report, error)

    threads = [threading.Thread(target=fly_one, args=(i,), name=f"fleet-{d.name}", daemon=True)
               for i, d in enumerate(drones)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        try:
            guard.check()
            time.sleep(_WATCH_EVERY_S)
        except KeyboardInterrupt:  # every drone's thread brings its drone home
            if not stop.is_set():
                warn("Ctrl-C: every drone returns to launch")
            stop.set()
        except Exception as exc:  # the separation check must go on whatever happens
            warn(f"separation check failed: {type(exc).__name__}: {exc}")
    for thread in threads:
        thread.join()
    findings = tuple(replace(f, id=db.resolve(f.id)) for f in recorder.findings.values())
    return findings, guard, [r for r in results if r is not None]


def _never_abandoned(vehicle: Vehicle, say: Callable[[Announcement], None],
                     options: FlightOptions) -> None:
    """A drone left armed by an error outside the flight's own policy is sent home."""
    if vehicle.state.armed:
        bring_home(vehicle, lambda t: say(Announcement(AnnouncementKind.WARNING, t)),
                   land_within_s=options.land_within_s / max(vehicle.speedup, 1.0))


def _tagged(announce: Callable[[Announcement], None],
            name: str) -> Callable[[Announcement], None]:
    """Announcements of one drone, its name in front (a finding's stays as it is)."""
    def say(a: Announcement) -> None:
        announce(replace(a, text=f"[{name}] {a.text}"))
    return say


def _summary(fleet_plan: FleetPlan) -> str:
    return json.dumps({"drones": [d.name for d in fleet_plan.drones],
                       "shares": [_share_summary(s, d) for s, d in
                                  zip(fleet_plan.shares, fleet_plan.offsets_m, strict=True)],
                       "layer_m": fleet_plan.layer_m})


def _share_summary(plan: Plan, offset_m: float) -> dict[str, object]:
    return {"name": plan.name, "launch_site": plan.home.id, "sorties": len(plan.sorties),
            "time_s": round(plan.time_s), "pod": round(plan.pod, 3),
            "transit_offset_m": offset_m}
