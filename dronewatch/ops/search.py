"""A search from an alarm: plan, check, upload, fly, find, report.

Why the loop is built this way: the drone flies its uploaded mission on its own (so a
lost link or a crashed laptop still ends in the autopilot's RTL), while this side
turns each camera shot into detections, stores every new finding at once, keeps the
live map file current, and can send the drone to hold over a person. Whatever ends
the flight (mission done, link lost, Ctrl-C), the flight record, the track and the
findings are closed out in the store and the map is written.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shapely

from dronewatch.geo import Terrain, footprint
from dronewatch.link import LinkError, Vehicle
from dronewatch.mapview import mission_map, save_map
from dronewatch.ops.feed import FrameSource, pose_from_feedback
from dronewatch.ops.launch import prepare, take_off
from dronewatch.ops.record import Announcement, FindingRecorder
from dronewatch.planning import Airframe, Plan
from dronewatch.store import Finding, FindingKind, FindingStatus, Store
from dronewatch.thermal import FrameError, default_detector, detect
from dronewatch.zones import ZoneSet

__all__ = ["DEFAULT_OPTIONS", "FlightOptions", "FlightReport", "fly_plan", "preflight_problems"]

TRACK_EVERY_M = 10.0
TRACK_EVERY_S = 10.0


@dataclass(frozen=True, slots=True)
class FlightOptions:
    """How a mission is flown and watched."""

    on_find: str = "continue"  # "loiter": hold over the first person found, then RTL
    hold_s: float = 120.0  # vehicle seconds over a found person before coming home
    link_lost_after_s: float = 15.0  # wall seconds without a heartbeat
    map_every_s: float = 3.0  # wall seconds between live map rewrites
    fence_margin_m: float = 20.0
    min_battery_pct: float = 30.0  # below this at take-off the flight is refused
    max_wind_mps: float = 12.0  # refused above this, when the wind is known
    wind_mps: float | None = None  # the wind now, from the station's anemometer
    max_flight_s: float = 7200.0  # vehicle seconds; a stuck mission is ended (RTL)
    ready_within_s: float = 120.0  # vehicle seconds to finish booting before the checks


DEFAULT_OPTIONS = FlightOptions()


@dataclass(frozen=True, slots=True)
class FlightReport:
    """What a flight achieved."""

    mission_id: int
    flight_id: int
    outcome: str  # "completed", "link lost", "aborted by operator (RTL)", "timed out"
    findings: tuple[Finding, ...]
    map_path: Path
    command_to_airborne_s: float  # wall clock, from the first upload to 2 m up
    command_to_airborne_vehicle_s: float  # the same on the vehicle's clock
    flight_time_s: float  # the vehicle's clock, take-off to landing (or to the end)
    battery_used_pct: float
    covered_share: float  # of the planned region, by frames actually taken
    pod_achieved: float
    frames: int
    frames_failed: int


def preflight_problems(vehicle: Vehicle, plan: Plan, options: FlightOptions,
                       airframe: Airframe | None = None) -> list[str]:
    """Why this vehicle must not fly this plan now (empty when it may).

    The energy check uses the pack the autopilot says it has (BATT_CAPACITY) and its
    charge now, at the airframe's voltage, keeping the airframe's reserve.
    """
    airframe = airframe or Airframe()
    state = vehicle.state
    problems = []
    if options.wind_mps is not None and options.wind_mps > options.max_wind_mps:
        problems.append(f"wind {options.wind_mps:.0f} m/s above the limit of "
                        f"{options.max_wind_mps:.0f} m/s")
    try:
        capacity_mah = vehicle.get_param("BATT_CAPACITY")
    except LinkError:
        capacity_mah = math.nan  # not an ArduPilot parameter set: only the charge is checked
    charge = state.battery_remaining_pct / 100 if math.isfinite(
        state.battery_remaining_pct) else 1.0
    if math.isfinite(capacity_mah) and capacity_mah > 0:
        usable_wh = (capacity_mah / 1000 * airframe.pack_voltage_v * charge
                     * (1 - airframe.reserve_fraction))
        need_wh = plan.sorties[0].cost.energy_wh
        if need_wh > usable_wh:
            problems.append(f"the first sortie needs {need_wh:.0f} Wh; the battery "
                            f"({capacity_mah:.0f} mAh at {charge:.0%}) gives {usable_wh:.0f} Wh "
                            f"above its {airframe.reserve_fraction:.0%} reserve")
    if state.stale:
        problems.append("no heartbeat from the vehicle")
    if not state.prearm_ok:
        why = f" (it last said {state.prearm_reason!r})" if state.prearm_reason else ""
        problems.append(f"the vehicle's pre-arm checks are failing{why}")
    if state.gps_fix_type < 3:
        problems.append(f"GPS fix type {state.gps_fix_type} (3D fix needed)")
    battery = state.battery_remaining_pct
    if math.isfinite(battery) and battery < options.min_battery_pct:
        problems.append(f"battery at {battery:.0f} % (at least {options.min_battery_pct:.0f} % "
                        "needed to launch)")
    if math.isfinite(state.lat_deg):
        home = plan.home
        d_m = math.hypot((state.lat_deg - home.lat_deg) * 111_320,
                         (state.lon_deg - home.lon_deg) * 111_320
                         * math.cos(math.radians(home.lat_deg)))
        if d_m > 100:
            problems.append(f"the vehicle is {d_m:.0f} m from the plan's launch site "
                            f"{home.name!r}")
    return problems


class _Track:
    """The flown track, thinned: a point every 10 m or 10 s."""

    def __init__(self) -> None:
        self.points: list[tuple[float, float, float, float]] = []
        self.unsaved: list[tuple[float, float, float, float]] = []

    def offer(self, t: float, lat: float, lon: float, alt: float) -> None:
        if not math.isfinite(lat):
            return
        if self.points:
            t0, lat0, lon0, _ = self.points[-1]
            moved = math.hypot((lat - lat0) * 111_320,
                               (lon - lon0) * 111_320 * math.cos(math.radians(lat)))
            if moved < TRACK_EVERY_M and t - t0 < TRACK_EVERY_S:
                return
        self.points.append((t, lat, lon, alt))
        self.unsaved.append((t, lat, lon, alt))


def fly_plan(vehicle: Vehicle, plan: Plan, zones: ZoneSet, terrain: Terrain,
             camera: FrameSource, store: Store, mission_id: int, map_path: Path, *,
             options: FlightOptions | None = None,
             announce: Callable[[Announcement], None] = lambda _: None,
             vehicle_name: str = "drone") -> FlightReport:
    """Upload and fly one sortie of a plan, detecting and storing as it goes."""
    options = options or FlightOptions()
    say = lambda text: announce(Announcement("stage", text))  # noqa: E731
    started = time.monotonic()
    # the detector's model is loaded (or refused, by name) before anything flies
    alarm = default_detector().info.alarm_confidence
    prepared = prepare(vehicle, plan, zones, fence_margin_m=options.fence_margin_m, say=say)
    flight = store.start_flight(mission_id, vehicle_name)
    recorder = FindingRecorder(store, mission_id, announce, alarm_confidence=alarm)
    feedback = vehicle.subscribe("CAMERA_FEEDBACK")
    battery_start = vehicle.state.battery_remaining_pct
    commanded = vehicle.state.time_boot_s
    try:
        airborne = take_off(vehicle, prepared).state
    except LinkError as exc:
        feedback.close()
        store.end_flight(flight.id, f"not launched: {exc}")
        raise
    to_airborne = time.monotonic() - started
    took_off = airborne.time_boot_s
    say(f"airborne {to_airborne:.1f} s after the command; flying {plan.pattern} "
        f"({plan.distance_m / 1000:.1f} km, {plan.time_s / 60:.0f} min planned)")
    track, covered = _Track(), []
    frames = failed = 0
    outcome = ""
    hold_until: float | None = None
    last_map = 0.0
    last_seq = -1
    route = [(lat, lon) for lat, lon, _ in plan.waypoints_wgs84(0)]

    def write_map() -> None:
        flown = [(lat, lon) for _, lat, lon, _ in track.points]
        history = store.findings(kind=FindingKind.HOTSPOT)
        save_map(mission_map(zones, terrain.path, findings=list(recorder.findings.values()),
                             planned=route, flown=flown, hotspot_history=history), map_path)

    def take(msg: object) -> None:
        nonlocal frames, failed, hold_until
        pose = pose_from_feedback(msg, vehicle.state)  # type: ignore[arg-type]
        when = time.time()
        try:
            frame = camera(pose, when)
            detections = detect(frame, terrain)
        except (FrameError, ValueError) as exc:
            failed += 1
            announce(Announcement("warning", f"frame skipped: {exc}"))
            return
        frames += 1
        covered.append(footprint(terrain, frame.camera, pose, samples_per_edge=2))
        for finding in recorder.add(frame, detections):
            if (finding.status is FindingStatus.ALARM and options.on_find == "loiter"
                    and hold_until is None):
                vehicle.goto(finding.lat_deg, finding.lon_deg, vehicle.state.alt_rel_m)
                vehicle.point_at(finding.lat_deg, finding.lon_deg,
                                 terrain.elevation_at(finding.lat_deg, finding.lon_deg))
                hold_until = vehicle.state.time_boot_s + options.hold_s
                say(f"holding over person #{finding.id} for {options.hold_s:.0f} s")

    try:
        while True:
            msg = feedback.get(0.05)
            if msg is not None:
                take(msg)
                continue
            state = vehicle.state
            track.offer(state.time_boot_s, state.lat_deg, state.lon_deg, state.alt_amsl_m)
            if state.mission_seq != last_seq and state.mission_total:
                last_seq = state.mission_seq
                announce(Announcement("progress", f"{state.mission_seq}/{state.mission_total}"))
            if state.stale and time.monotonic() - state.last_heartbeat_s > \
                    options.link_lost_after_s:
                outcome = "link lost"
                announce(Announcement("warning", "link to the vehicle lost: it flies its "
                                      "failsafe (RTL) on its own; findings so far are stored"))
                break
            if not state.armed and state.alt_rel_m < 1.0:
                outcome = "completed"
                break
            if hold_until is not None and state.time_boot_s >= hold_until:
                hold_until = math.inf
                say("hold over, coming home")
                vehicle.return_to_launch()
            if state.time_boot_s - took_off > options.max_flight_s:
                outcome = "timed out"
                vehicle.return_to_launch()
                break
            if time.monotonic() - last_map > options.map_every_s:
                last_map = time.monotonic()
                store.add_track(flight.id, track.unsaved)
                track.unsaved.clear()
                write_map()
    except KeyboardInterrupt:
        outcome = "aborted by operator (RTL)"
        say("Ctrl-C: returning to launch")
        try:
            vehicle.return_to_launch()
            vehicle.wait_for(lambda s: not s.armed, 600, "landed after RTL")
        except (LinkError, TimeoutError):
            pass
    finally:
        for msg in feedback.drain():  # shots taken before the end are still looked at
            take(msg)
        feedback.close()
        store.add_track(flight.id, track.unsaved)
        store.end_flight(flight.id, outcome or "interrupted")
        write_map()
    state = vehicle.state
    share = _covered_share(plan, covered)
    return FlightReport(
        mission_id, flight.id, outcome, tuple(recorder.findings.values()), map_path,
        to_airborne, took_off - commanded, state.time_boot_s - took_off,
        battery_start - state.battery_remaining_pct, share,
        plan.pod * min(share / plan.covered_share, 1.0) if plan.covered_share else 0.0,
        frames, failed)


def _covered_share(plan: Plan, footprints: list) -> float:
    """Share of the plan's region seen by the frames actually taken."""
    region = plan.region_local
    if region is None or region.is_empty or not footprints:
        return 0.0
    polygons = []
    for fp in footprints:
        if fp.polygon_wgs84.is_empty:
            continue
        lon, lat = fp.polygon_wgs84.exterior.xy
        east, north = plan.frame.to_local(list(lat), list(lon))
        polygons.append(shapely.Polygon(list(zip(east, north, strict=True))).buffer(0))
    seen = shapely.union_all(polygons)
    return float(seen.intersection(region).area / region.area)
