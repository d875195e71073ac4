"""Seeded scenarios: a lost person among sheep, camels, trucks and coal fires.

Why here: tests, benchmarks and the demo must all face the same kind of scene, drawn
from one seed, with the ground truth to score against. ``survey_poses`` flies a
camera over a square without a vehicle (a lawnmower of nadir frames), for measuring
the detector alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dronewatch.geo import Attitude, CameraModel, CameraPose, LocalFrame, Terrain
from simulators.thermal.things import Posture, Thing, ThingKind, make_thing
from simulators.thermal.world import ThermalWorld

__all__ = ["Population", "place_thing", "populate", "survey_poses"]


@dataclass(frozen=True, slots=True)
class Population:
    """How many of each kind to scatter."""

    persons: int = 1
    sheep: int = 0
    camels: int = 0
    vehicles: int = 0
    machines: int = 0
    coal_fires: int = 0
    hidden_share: float = 0.2  # persons partly hidden (up to 40 % covered)


def place_thing(world: ThermalWorld, kind: ThingKind, lat_deg: float, lon_deg: float,
                rng: np.random.Generator, *, ident: str = "", **kw: object) -> Thing:
    """Put one thing on the ground at a place, its temperatures drawn for the ground
    there (warm spoil, sunny slope or cold night sand); returns it (also placed).

    Why one function: the demo's lost worker, a rehearsal's planted people and fires,
    and a scenario's crowd must all be drawn the same way from the same world.
    """
    ground = float(world.ground_c(np.array([[lat_deg]]), np.array([[lon_deg]]))[0, 0])
    made = make_thing(kind, float(lat_deg), float(lon_deg), ground, world.clock.night, rng,
                      ident=ident, **kw)  # type: ignore[arg-type]
    world.place([made])
    return made


def populate(world: ThermalWorld, centre_lat: float, centre_lon: float, radius_m: float,
             population: Population, *, seed: int, square: bool = False) -> list[Thing]:
    """Scatter things around a centre (in a disc, or a square of side 2·radius), keeping
    them apart; sheep graze in one flock. Returns the new things (also placed)."""
    rng = np.random.default_rng(seed)
    frame = LocalFrame(centre_lat, centre_lon)
    taken: list[tuple[float, float, float]] = []

    def spot(clearance_m: float, near: tuple[float, float] | None = None,
             spread_m: float = 0.0, reserve: bool = True) -> tuple[float, float]:
        for _ in range(500):
            if near is not None:
                e, n = near[0] + rng.normal(0, spread_m), near[1] + rng.normal(0, spread_m)
            elif square:
                e, n = rng.uniform(-radius_m, radius_m, 2)
            else:
                r, a = radius_m * math.sqrt(rng.uniform()), rng.uniform(0, 2 * math.pi)
                e, n = r * math.cos(a), r * math.sin(a)
            if all(math.hypot(e - te, n - tn) > clearance_m + tc for te, tn, tc in taken):
                if reserve:
                    taken.append((float(e), float(n), clearance_m))
                return float(e), float(n)
        raise ValueError(f"no room for another thing within {radius_m} m")

    def thing(kind: ThingKind, e: float, n: float, ident: str, **kw: object) -> Thing:
        lat, lon = frame.to_wgs84(e, n)
        return place_thing(world, kind, float(lat), float(lon), rng, ident=ident, **kw)

    made: list[Thing] = []
    for k in range(population.coal_fires):
        radius = float(rng.uniform(2.0, 8.0))
        made.append(thing(ThingKind.COAL_FIRE, *spot(radius + 15), f"fire-{k + 1}",
                          radius_m=radius))
    for kind, count in ((ThingKind.VEHICLE, population.vehicles),
                        (ThingKind.MACHINE, population.machines),
                        (ThingKind.CAMEL, population.camels)):
        for k in range(count):
            made.append(thing(kind, *spot(6.0), f"{kind.value}-{k + 1}"))
    if population.sheep:
        flock = spot(15.0, reserve=False)
        for k in range(population.sheep):
            made.append(thing(ThingKind.SHEEP, *spot(1.5, flock, 6.0), f"sheep-{k + 1}"))
    postures = list(Posture)
    for k in range(population.persons):
        hidden = float(rng.uniform(0.1, 0.4)) if rng.uniform() < population.hidden_share else 0.0
        made.append(thing(ThingKind.PERSON, *spot(4.0), f"person-{k + 1}",
                          posture=postures[k % 3], hidden=hidden))
    return made


def survey_poses(terrain: Terrain, camera: CameraModel, centre_lat: float, centre_lon: float,
                 side_m: float, height_agl_m: float, *, overlap: float = 0.3,
                 ) -> list[CameraPose]:
    """Nadir poses on a lawnmower over a square, at a height above the ground below.

    Lanes run north-south with the camera's long side across them; frames overlap by
    ``overlap`` both ways, so every point of the square is seen at least once.
    """
    frame = LocalFrame(centre_lat, centre_lon)
    gsd = camera.nadir_gsd_m(height_agl_m)
    across = camera.width_px * gsd * (1 - overlap)
    along = camera.height_px * gsd * (1 - overlap)
    lanes = max(math.ceil(side_m / across), 1)
    shots = max(math.ceil(side_m / along), 1)
    poses = []
    for i in range(lanes + 1):
        e = -side_m / 2 + i * side_m / lanes
        order = range(shots + 1) if i % 2 == 0 else range(shots, -1, -1)
        for j in order:
            n = -side_m / 2 + j * side_m / shots
            lat, lon = frame.to_wgs84(e, n)
            ground = terrain.elevation_at(float(lat), float(lon))
            yaw = 0.0 if i % 2 == 0 else 180.0
            poses.append(CameraPose(float(lat), float(lon), ground + height_agl_m,
                                    Attitude(0.0, 0.0, yaw)))
    return poses
