"""The demo: a worker lost at night in the south Gobi, found by the built-in simulator.

Why it is the README's main job: it runs everything the station would run for a real
alarm (plan, checks, uploads over UDP MAVLink, the flight, thermal detection, fusion,
the store and the live map) against the simulated vehicle and thermal world, and then
says how close the pin came to where the person really was.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import LocalFrame, Terrain, camera_preset
from dronewatch.link import connect_paced
from dronewatch.ops.alarm import SearchRequest, plan_for_alarm, run_search
from dronewatch.ops.record import Announcement, AnnouncementKind
from dronewatch.ops.search import FlightOptions, FlightReport
from dronewatch.store import FindingStatus, Store
from dronewatch.zones import load_zones
from simulators.vehicle.process import SimulatedVehicle

__all__ = ["DemoResult", "run_demo"]

ALARM_FROM_SOUTH_POST_M = (-1800.0, 600.0)  # east, north: out in the rescue-prone Gobi


@dataclass(frozen=True, slots=True)
class DemoResult:
    report: FlightReport
    person_lat_deg: float
    person_lon_deg: float
    found_lat_deg: float | None
    found_lon_deg: float | None
    error_m: float | None  # the pin's distance from the truth
    store_path: Path


def run_demo(out_dir: Path, *, seed: int = 20261123, speedup: float = 30.0,
             radius_m: float = 400.0,
             announce: Callable[[Announcement], None] = lambda _: None) -> DemoResult:
    """Place a lost person and coal fires, raise the alarm, search, and score the pin."""
    from simulators.thermal import (
        Clock,
        Posture,
        ThermalCamera,
        ThermalWorld,
        ThingKind,
    )
    from simulators.thermal.scenario import Population, place_thing, populate

    zones = load_zones(default_zones_path())
    rng = np.random.default_rng(seed)
    post = next(s for s in zones.launch_sites if s.id == "launch-south-post")
    alarm = LocalFrame(post.lat_deg, post.lon_deg).to_wgs84(*ALARM_FROM_SOUTH_POST_M)
    alarm_lat, alarm_lon = float(alarm[0]), float(alarm[1])
    bearing, distance = rng.uniform(0, 2 * math.pi), rng.uniform(80, radius_m * 0.7)
    person = LocalFrame(alarm_lat, alarm_lon).to_wgs84(distance * math.sin(bearing),
                                                       distance * math.cos(bearing))
    person_lat, person_lon = float(person[0]), float(person[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    # The demo's own store beside its map, never the station's: a rehearsal's findings
    # must not mix with real ones, and the operator is told where they are.
    store_path = out_dir / "dronewatch.sqlite"
    announce(Announcement(
        AnnouncementKind.STAGE,
        f"store: {store_path.resolve()} (the demo's own)"))
    with Terrain(default_dem_path()) as terrain, Store(store_path) as store:
        world = ThermalWorld(default_dem_path(), zones, Clock(2.0), seed=seed)
        place_thing(world, ThingKind.PERSON, person_lat, person_lon, rng,
                    posture=Posture.LYING, ident="lost worker")
        populate(world, alarm_lat, alarm_lon, radius_m, Population(0, 15, 2, 1, 1, 2),
                 seed=seed)
        request = SearchRequest(alarm_lat, alarm_lon, radius_m=radius_m, lost_hours=2.0,
                                reason="demo: worker reported lost at night")
        announce(Announcement(AnnouncementKind.STAGE, f"alarm at {alarm_lat:.5f}, {alarm_lon:.5f}: "
                              f"planning a {radius_m:.0f} m search"))
        plan = plan_for_alarm(zones, terrain, request)
        camera = ThermalCamera(world, terrain, camera_preset(request.camera), seed=seed)
        announce(Announcement(
            AnnouncementKind.STAGE,
            f"starting the simulated drone at {plan.home.name} "
            f"({speedup:.0f}x real time)"))
        with SimulatedVehicle(plan.home, speedup=speedup, seed=seed) as sim, \
                connect_paced(sim.url, speedup) as vehicle:
            vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 60, "ready")
            report = run_search(request, vehicle, zones, terrain, camera.render, store,
                                out_dir / "mission-map.html", plan=plan,
                                options=FlightOptions(), announce=announce,
                                vehicle_name=sim.url)
    people = [f for f in report.findings if f.status is FindingStatus.ALARM]
    if not people:
        return DemoResult(report, person_lat, person_lon, None, None, None, store_path)
    frame = LocalFrame(person_lat, person_lon)
    best = min(people, key=lambda f: math.hypot(*frame.to_local(f.lat_deg, f.lon_deg)))
    error = float(math.hypot(*frame.to_local(best.lat_deg, best.lon_deg)))
    return DemoResult(report, person_lat, person_lon, best.lat_deg, best.lon_deg, error,
                      store_path)
