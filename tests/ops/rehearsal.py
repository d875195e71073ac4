"""A small rehearsal for the flight tests: a person near an alarm, a simulated drone."""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import LocalFrame, Terrain, camera_preset
from dronewatch.link import connect
from dronewatch.ops import SearchRequest, plan_for_alarm
from dronewatch.zones import load_zones
from simulators.thermal import Clock, Posture, ThermalCamera, ThermalWorld, ThingKind, make_thing
from simulators.vehicle.process import SimulatedVehicle

SPEEDUP = 40.0


@dataclass
class Rehearsal:
    zones: object
    terrain: Terrain
    request: SearchRequest
    plan: object
    camera: ThermalCamera
    person: tuple[float, float]

    def distance_m(self, lat: float, lon: float) -> float:
        return float(math.hypot(*LocalFrame(*self.person).to_local(lat, lon)))


@contextmanager
def rehearsal(*, person_offset_m=(60.0, 40.0), radius_m=200.0, seed=7,
              posture=Posture.SITTING):
    """A night search 200 m around an alarm in the south Gobi, the person close by."""
    zones = load_zones(default_zones_path())
    post = next(s for s in zones.launch_sites if s.id == "launch-south-post")
    alarm = LocalFrame(post.lat_deg, post.lon_deg).to_wgs84(-900.0, 300.0)
    alarm = (float(alarm[0]), float(alarm[1]))
    person = LocalFrame(*alarm).to_wgs84(*person_offset_m)
    person = (float(person[0]), float(person[1]))
    with Terrain(default_dem_path()) as terrain:
        world = ThermalWorld(default_dem_path(), zones, Clock(2.0), seed=seed)
        world.place([make_thing(ThingKind.PERSON, *person, -9.0, True,
                                np.random.default_rng(seed), posture=posture)])
        request = SearchRequest(*alarm, radius_m=radius_m, pattern="expanding-square")
        plan = plan_for_alarm(zones, terrain, request)
        camera = ThermalCamera(world, terrain, camera_preset(request.camera), seed=seed)
        yield Rehearsal(zones, terrain, request, plan, camera, person)


def drone(site, *extra: str, speedup: float = SPEEDUP) -> SimulatedVehicle:
    return SimulatedVehicle(site, speedup=speedup, extra=("--param", "BATT_CAPACITY=24000",
                                                          *extra))


def link(url: str, speedup: float = SPEEDUP):
    return connect(url, heartbeat_hz=speedup / 5, telemetry_scale=10 / speedup,
                   stale_after_s=1.0)


def store_path(tmp: Path) -> Path:
    return tmp / "store.sqlite"
