"""A search from an alarm: plan, check, upload, fly, find, report.

Why the loop is built this way: the drone flies its uploaded mission on its own (so a
lost link or a crashed laptop still ends in the autopilot's RTL), while this side
turns each camera shot into detections, stores every new finding at once, keeps the
live map file current, and can send the drone to hold over a person. Whatever ends
the flight (mission done, link lost, Ctrl-C), the flight record, the track and the
findings are closed out in the store and the map is written.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import tzinfo
from pathlib import Path

import shapely

from dronewatch.geo import Terrain, distance_m
from dronewatch.link import LinkError, ShotFeed, Vehicle
from dronewatch.link.camera import check_camera
from dronewatch.link.terrain import serve_terrain
from dronewatch.map.mission import STATION_ZONE
from dronewatch.ops.analysis import LOCAL, open_analysis
from dronewatch.ops.crew import Crew
from dronewatch.ops.dronelock import holds_drone
from dronewatch.ops.faults import (
    POLICY,
    Fault,
    FaultClass,
    Outcome,
    SafeAction,
    bring_home,
    signals_interrupt,
)
from dronewatch.ops.feed import FrameSource
from dronewatch.ops.flightloop import OnFind, Watch
from dronewatch.ops.launch import PreflightError, Prepared, prepare, take_off
from dronewatch.ops.record import Announcement, AnnouncementKind, FindingRecorder
from dronewatch.ops.shots import ShotHandler
from dronewatch.planning import Airframe, Plan
from dronewatch.store import Finding, Journal, JournaledStore, Store
from dronewatch.store.journal import is_store_failure
from dronewatch.thermal import default_detector
from dronewatch.zones import ZoneSet

__all__ = ["DEFAULT_OPTIONS", "FlightOptions", "FlightReport", "fly_plan", "preflight_problems"]



@dataclass(frozen=True, slots=True)
class FlightOptions:
    """How a mission is flown and watched."""

    on_find: OnFind = OnFind.CONTINUE
    hold_s: float = 120.0  # vehicle seconds over a found person before coming home
    link_lost_after_s: float = 15.0  # wall seconds without a heartbeat
    map_every_s: float = 3.0  # wall seconds between live map rewrites
    fence_margin_m: float = 20.0
    min_battery_pct: float = 30.0  # below this at take-off the flight is refused
    max_wind_mps: float = 12.0  # refused above this, when the wind is known
    wind_mps: float | None = None  # the wind now, from the station's anemometer
    max_flight_s: float = 7200.0  # vehicle seconds; a stuck mission is ended (RTL)
    ready_within_s: float = 120.0  # vehicle seconds to finish booting before the checks
    max_frame_age_s: float = 1.0  # wall seconds between a shot and its frame's capture
    blind_after_shots: int = 5  # failed shots in a row that make the camera "blind"
    recover_lost_shots: bool = True  # look lost CAMERA_FEEDBACK up in the camera's record
    frame_settle_s: float = 1.0  # wall seconds a camera may take to write a frame
    camera_blind_action: SafeAction = POLICY[FaultClass.CAMERA_BLIND]
    land_within_s: float = 900.0  # vehicle seconds to wait for landing after Ctrl-C
    journal_path: Path | None = None  # default: findings-journal.jsonl beside the map
    time_zone: tzinfo = STATION_ZONE  # the live map's popups: the station's clock, UTC beside
    analysis: str = LOCAL  # where frames are analysed: "local", "ray" or "ray://HOST:PORT"


DEFAULT_OPTIONS = FlightOptions()


@dataclass(frozen=True, slots=True)
class FlightReport:
    """What a flight achieved."""

    mission_id: int
    flight_id: int
    outcome: Outcome
    findings: tuple[Finding, ...]
    map_path: Path
    command_to_airborne_s: float  # wall clock, from the first upload to 2 m up
    command_to_airborne_vehicle_s: float  # the same on the vehicle's clock
    flight_time_s: float  # the vehicle's clock, take-off to landing (or to the end)
    battery_used_pct: float
    covered_share: float  # of the planned region, by frames actually taken
    pod_achieved: float
    frames: int  # shots analysed
    frames_failed: int  # every shot not analysed, including those lost on the link
    skipped: tuple[tuple[str, int], ...] = ()  # (reason, count) of the shots not analysed
    fault: str = ""  # what ended the flight early, if anything did
    journaled: int = 0  # records (findings, updates, alerts) journaled while the store was down
    recovered: int = 0  # shots lost on the link whose frame was found in the camera's record


def preflight_problems(vehicle: Vehicle, plan: Plan, options: FlightOptions,
                       airframe: Airframe | None = None) -> list[str]:
    """Why this vehicle must not fly this plan now (empty when it may).

    The energy check uses the pack the autopilot says it has (BATT_CAPACITY) and its
    charge now, at the airframe's voltage, keeping the airframe's reserve. The camera
    must answer a test shot (:func:`dronewatch.link.camera.check_camera`): a camera
    set up at run time but not rebooted takes no frames, and the search would fly blind.
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
    else:
        camera = check_camera(vehicle).problem()
        if camera:
            problems.append(camera)
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
        d_m = distance_m(state.lat_deg, state.lon_deg, home.lat_deg, home.lon_deg)
        if d_m > 100:
            problems.append(f"the vehicle is {d_m:.0f} m from the plan's launch site "
                            f"{home.name!r}")
    return problems


@holds_drone  # one mission per drone, across processes too: refused before any upload
def fly_plan(vehicle: Vehicle, plan: Plan, zones: ZoneSet, terrain: Terrain,
             camera: FrameSource, store: Store, mission_id: int, map_path: Path, *,
             options: FlightOptions | None = None,
             announce: Callable[[Announcement], None] = lambda _: None,
             vehicle_name: str = "drone", crew: Crew | None = None) -> FlightReport:
    """Upload and fly one sortie of a plan, detecting and storing as it goes.

    A drone of a fleet (:mod:`dronewatch.ops.fleet`) is given its ``crew``: the fleet's
    one recorder, its stop, and its turn to take off.

    From the first arm command on, every error and signal ends in the fault policy's
    safe action (:mod:`dronewatch.ops.faults`), the flight is closed in the store
    with its outcome, and this returns only once the drone has landed, is on its way
    home, or the link is lost.

    Raises
    ------
    DroneBusyError
        Another flight, in this process or another, is flying the drone: nothing was
        uploaded and no flight recorded (:mod:`dronewatch.ops.dronelock`).
    PreflightError
        Nothing flew: a check after the upload failed, or the operator stopped it.
    LaunchError
        The launch failed with the drone still (or again) on the ground.
    """
    options = options or FlightOptions()
    say = lambda text: announce(Announcement(AnnouncementKind.STAGE, text))  # noqa: E731
    warn = lambda text: announce(Announcement(AnnouncementKind.WARNING, text))  # noqa: E731
    started = time.monotonic()
    # the detector's model is loaded (or refused, by name) before anything flies
    alarm = default_detector().info.alarm_confidence
    journal = Journal(options.journal_path or map_path.parent / "findings-journal.jsonl")
    db = JournaledStore(store, journal, warn=warn)
    try:  # nothing flies unless its flight is on record
        flight = store.start_flight(mission_id, vehicle_name)
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        raise PreflightError(f"the store cannot record the flight: {exc}") from exc
    # the vehicle's TERRAIN_REQUESTs are answered from our DEM for the whole flight, on
    # the server's own thread (so with its own handle on the DEM)
    with signals_interrupt(), Terrain(terrain.path) as dem, \
            serve_terrain(vehicle, dem.elevation_or_nan) as served, \
            contextlib.ExitStack() as held:
        try:  # the analysis cluster is reached (or refused) before anything is uploaded
            analysis = held.enter_context(open_analysis(options.analysis, terrain, warn=warn))
            with crew.uploading if crew is not None else contextlib.nullcontext():
                prepared = prepare(vehicle, plan, zones,
                                   fence_margin_m=options.fence_margin_m, say=say,
                                   terrain=served)
            if crew is not None:
                crew.wait_turn()
        except BaseException as exc:
            fault = Fault.of(exc)
            db.end_flight(flight.id, f"{Outcome.NOT_LAUNCHED}: {fault.message}")
            if fault.fault_class is FaultClass.SIGNAL:
                raise PreflightError(f"{fault.message} during the upload: nothing flew") \
                    from None
            raise
        recorder = crew.recorder if crew is not None else FindingRecorder(
            db, mission_id, announce, alarm_confidence=alarm)  # type: ignore[arg-type]
        shots = ShotHandler(vehicle, camera, terrain, recorder, announce,
                            max_frame_age_s=options.max_frame_age_s,
                            blind_after=options.blind_after_shots,
                            blind_action=options.camera_blind_action,
                            recover=options.recover_lost_shots,
                            settle_s=options.frame_settle_s, analysis=analysis)
        with vehicle.camera_shots() as feed:
            battery_start = vehicle.state.battery_remaining_pct
            commanded = vehicle.state.time_boot_s
            watch = Watch(vehicle, db, flight.id, recorder, shots, announce, terrain, zones,
                          [(lat, lon) for lat, lon, _ in plan.waypoints_wgs84(0)], map_path,
                          prepared.failsafes, commanded, on_find=options.on_find,
                          hold_s=options.hold_s, link_lost_after_s=options.link_lost_after_s,
                          map_every_s=options.map_every_s, max_flight_s=options.max_flight_s,
                          stop=crew.stop if crew is not None else None,
                          orders=crew.orders if crew is not None else None,
                          time_zone=options.time_zone)
            outcome, to_airborne, took_off = _launch_and_watch(
                vehicle, prepared, watch, feed, db, flight.id, options, say, warn, started)
            watch.closing = True
            watch.stop_camera()  # at the end of every flight, however it ended
            for msg in feed.drain():  # shots taken before the end are still looked at
                with contextlib.suppress(Exception):
                    watch.on_message(msg)
            with contextlib.suppress(Exception):  # and shots the link lost, in the record
                shots.finish()
    watch.track.finish()
    with contextlib.suppress(Exception):
        watch.save_track()
    detail = f": {watch.fault.message}" if watch.fault and outcome is not Outcome.COMPLETED \
        else ""
    try:  # a view of the flight: never a reason to leave it open in the store
        share = _covered_share(plan, shots.covered)
    except Exception as exc:
        warn(f"the covered area could not be computed: {exc}")
        share = 0.0
    region_m2 = plan.region_local.area if plan.region_local is not None else 0.0
    db.end_flight(flight.id, f"{outcome}{detail}", covered_m2=share * region_m2)
    try:
        watch.write_map()
    except Exception as exc:  # the flight is over; the map is a view
        warn(f"the mission map could not be written: {exc}")
    state = vehicle.state
    findings = tuple(replace(f, id=db.resolve(f.id)) for f in recorder.findings.values())
    return FlightReport(
        mission_id, flight.id, outcome, findings, map_path,
        to_airborne, took_off - commanded, state.time_boot_s - took_off,
        battery_start - state.battery_remaining_pct, share,
        plan.pod * min(share / plan.covered_share, 1.0) if plan.covered_share else 0.0,
        shots.analysed, shots.skipped_total, tuple(sorted(shots.skipped.items())),
        watch.fault.message if watch.fault else "", db.journaled, shots.recovered)


def _launch_and_watch(vehicle: Vehicle, prepared: Prepared, watch: Watch, feed: ShotFeed,
                      db: JournaledStore, flight_id: int, options: FlightOptions,
                      say: Callable[[str], None], warn: Callable[[str], None],
                      started: float) -> tuple[Outcome, float, float]:
    """Take off and watch; (outcome, wall s to airborne, vehicle time of take-off)."""
    land_wait_s = options.land_within_s / max(vehicle.speedup, 1.0)
    try:
        airborne = take_off(vehicle, prepared).state
    except BaseException as exc:
        fault = Fault.of(exc)
        warn(f"take-off stopped: {fault.message}")
        ended = bring_home(vehicle, warn, land_within_s=land_wait_s)
        if vehicle.state.alt_rel_m < 1.0 and ended != "returning":
            db.end_flight(flight_id, f"{Outcome.NOT_LAUNCHED}: {fault.message}")
            if fault.fault_class is FaultClass.SIGNAL:
                raise PreflightError(f"{fault.message} during the take-off: the drone is on "
                                     "the ground, disarmed") from None
            raise
        watch.fault = fault
        say(f"the drone is {ended} (RTL)")
        outcome = Outcome.ABORTED if fault.fault_class is FaultClass.SIGNAL \
            else Outcome.FAULT_RTL
        return outcome, math.nan, vehicle.state.time_boot_s
    to_airborne = time.monotonic() - started
    watch.took_off_s = airborne.time_boot_s
    plan_text = f"airborne {to_airborne:.1f} s after the command"
    say(plan_text)
    try:
        return watch.run(feed), to_airborne, airborne.time_boot_s
    except KeyboardInterrupt as exc:
        watch.fault = Fault.of(exc)
        say(f"{watch.fault.message}: returning to launch")
        ended = bring_home(vehicle, warn, land_within_s=land_wait_s)
        say(f"the drone is {ended}")
        return Outcome.ABORTED, to_airborne, airborne.time_boot_s


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
