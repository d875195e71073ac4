"""Benchmark: one 4 km² search flown by 8 drones at once, against one drone.

    python -m tests.benchmarks.fleet [--json] [--drones N] [--speedup S]

The search is the disc of 4 km² (radius 1128 m) around a point 1.5 km north-west of the
south forward post. Eight simulated copters (one simulator process, ``--instances 8``:
separate system ids and ports, pads 5 m apart) are flown by one process through
:func:`dronewatch.ops.fleet.run_fleet_search`: the shares split by reach, transits on
8 m layers, the live separation check at 30 m / 6 m. Their cameras write no frames
(an empty camera folder, the blind-camera policy set to fly on): this measures the
flying, and 8 drones' frames at a high speed-up are more than one detector on this
2-core machine can look at.

Time to POD 0.6 is simulated time. For the fleet, on the vehicles' own clocks from the
first take-off (the drones' uploads go one at a time and their launches wait for the
one before to climb clear: both are counted): the ground swept so far is every stretch flown along a
survey leg of its share, as wide as the camera's footprint across track (the same
footprint a flight report counts), and POD is the plan's POD times the share of the
area swept (capped at what the plan itself covers). For one drone, from the planner's
own time model of the one-drone plan (every sortie back to back: battery swaps cost
nothing, which flatters the one drone). The minimum separation is the smallest
horizontal gap seen between two airborne drones less than the vertical minimum apart.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import LocalFrame, Terrain, camera_preset
from dronewatch.link import connect
from dronewatch.ops import FlightOptions, SafeAction, SearchRequest
from dronewatch.ops.feed import directory_source
from dronewatch.ops.fleet import FleetDrone, run_fleet_search
from dronewatch.ops.separation import SeparationRules, gap
from dronewatch.planning import Plan, PlanningContext, airframe_preset
from dronewatch.planning.energy import path_cost
from dronewatch.planning.fleetsplit import DroneCapacity, plan_fleet
from dronewatch.store import Store
from dronewatch.zones import load_zones
from simulators.vehicle.process import SimulatedVehicle
from tests.benchmarks._report import report

AREA_M2 = 4e6
TARGET_POD = 0.6
RULES = SeparationRules(min_horizontal_m=30.0, min_vertical_m=6.0)
LAYER_M = 8.0
SAMPLE_EVERY_S = 0.05  # wall
ON_LEG_M = 15.0  # a position this close to a survey leg is sweeping it


@dataclass
class _Sampler:
    """Every drone's reported position on its own clock, several times a second."""

    vehicles: list
    samples: list[list[tuple[float, float, float, float]]] = field(default_factory=list)
    min_gap_m: float = math.inf
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.samples = [[] for _ in self.vehicles]
        self._zero = [v.state.time_boot_s for v in self.vehicles]
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            states = [v.state for v in self.vehicles]
            for i, s in enumerate(states):
                if s.armed and s.alt_rel_m > RULES.airborne_above_m:
                    self.samples[i].append((s.time_boot_s - self._zero[i], s.lat_deg,
                                            s.lon_deg, s.alt_rel_m))
            up = [s for s in states if s.armed and not s.stale
                  and s.alt_rel_m > RULES.airborne_above_m]
            for a, b in ((a, b) for k, a in enumerate(up) for b in up[k + 1:]):
                g = gap(a, b)
                if g.vertical_m < RULES.min_vertical_m:
                    self.min_gap_m = min(self.min_gap_m, g.horizontal_m)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _survey_legs(plan: Plan, sortie: int | None = None) -> list[tuple[tuple, tuple]]:
    legs = []
    for k, s in enumerate(plan.sorties):
        if sortie is not None and k != sortie:
            continue
        legs += [((a.east_m, a.north_m), (b.east_m, b.north_m))
                 for a, b in zip(s.points[:-1], s.points[1:], strict=True) if b.survey]
    return legs


def _pod_curve(pieces: list[tuple[float, shapely.Geometry]], region: shapely.Geometry,
               pod: float, planned_share: float) -> list[tuple[float, float]]:
    """(time, POD) after each piece of swept ground, pieces sorted by time."""
    pieces.sort(key=lambda p: p[0])
    out, swept = [], shapely.Polygon()
    batch: list[shapely.Geometry] = []
    for n, (t, geom) in enumerate(pieces):
        batch.append(geom)
        if len(batch) >= 50 or n == len(pieces) - 1:
            swept = shapely.union_all([swept, *batch])
            batch = []
            share = swept.intersection(region).area / region.area
            out.append((t, pod * min(share / planned_share, 1.0)))
    return out


def _first_time(curve: list[tuple[float, float]], target: float) -> float:
    return next((t for t, p in curve if p >= target), math.nan)


def _one_drone_curve(ctx: PlanningContext, plan: Plan, region: shapely.Geometry,
                     width_m: float) -> list[tuple[float, float]]:
    """POD over the planner's time for the one-drone plan, sorties back to back."""
    pieces, elapsed = [], 0.0
    for sortie in plan.sorties:
        pts = sortie.points
        costs = np.array([path_cost(pts[:k + 1], ctx.airframe).time_s if k else 0.0
                          for k in range(len(pts))])
        for k in range(1, len(pts)):
            if pts[k].survey:
                leg = shapely.LineString([(pts[k - 1].east_m, pts[k - 1].north_m),
                                          (pts[k].east_m, pts[k].north_m)])
                pieces.append((elapsed + costs[k], leg.buffer(width_m / 2, cap_style="flat")))
        elapsed += sortie.cost.time_s
    return _pod_curve(pieces, region, plan.pod, plan.covered_share)


def _fleet_pieces(sampler: _Sampler, shares: tuple[Plan, ...],
                  width_m: float) -> list[tuple[float, shapely.Geometry]]:
    pieces = []
    for samples, share in zip(sampler.samples, shares, strict=True):
        legs = shapely.MultiLineString(_survey_legs(share, 0))
        near = legs.buffer(ON_LEG_M)
        shapely.prepare(near)
        if not samples:
            continue
        t, lat, lon, _ = (np.array(c) for c in zip(*samples, strict=True))
        east, north = share.frame.to_local(lat, lon)
        on = shapely.contains_xy(near, east, north)
        for k in range(1, len(t)):
            if on[k - 1] and on[k] and (east[k], north[k]) != (east[k - 1], north[k - 1]):
                seg = shapely.LineString([(east[k - 1], north[k - 1]), (east[k], north[k])])
                pieces.append((float(t[k]), seg.buffer(width_m / 2, cap_style="flat")))
    return pieces


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--drones", type=int, default=8)
    parser.add_argument("--speedup", type=float, default=10.0)
    args = parser.parse_args(argv)
    n, speedup = args.drones, args.speedup
    zones = load_zones(default_zones_path())
    post = next(s for s in zones.launch_sites if s.id == "launch-south-post")
    lat, lon = (float(v) for v in LocalFrame(post.lat_deg, post.lon_deg).to_wgs84(-1100.0,
                                                                                   1100.0))
    radius = math.sqrt(AREA_M2 / math.pi)
    request = SearchRequest(lat, lon, radius_m=radius, launch_site=post.id)
    airframe = airframe_preset(request.airframe)
    with Terrain(default_dem_path()) as terrain, tempfile.TemporaryDirectory() as tmp:
        ctx = PlanningContext(zones, terrain, camera_preset(request.camera), airframe=airframe,
                              launch_site=post.id)
        width_m = ctx.footprint_m()[0]
        full_s = airframe.usable_wh * 3600 / airframe.power_w(airframe.cruise_speed_mps, 0.0)
        alone = plan_fleet(ctx, [DroneCapacity("one", full_s, airframe.cruise_speed_mps)],
                           lat_deg=lat, lon_deg=lon, radius_m=radius, layer_m=LAYER_M,
                           min_horizontal_m=RULES.min_horizontal_m)
        region = alone.region_local
        t1 = _first_time(_one_drone_curve(ctx, alone.shares[0], region, width_m), TARGET_POD)
        folder = Path(tmp) / "camera"
        folder.mkdir()
        options = FlightOptions(camera_blind_action=SafeAction.CONTINUE,
                                recover_lost_shots=False, link_lost_after_s=30.0,
                                max_flight_s=4 * 3600)
        with SimulatedVehicle(post, speedup=speedup, boot_time_s=5.0, extra=(
                "--param", "BATT_CAPACITY=24000", "--instances", str(n))) as sim, \
                Store(Path(tmp) / "s.sqlite") as store:
            base = int(sim.url.rsplit(":", 1)[1])
            vehicles = [connect(f"udpout:127.0.0.1:{base + 10 * i}", heartbeat_hz=speedup / 5,
                                telemetry_scale=10 / speedup, stale_after_s=2.0)
                        for i in range(n)]
            try:
                for v in vehicles:
                    v.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 120, "ready")
                drones = [FleetDrone(f"drone-{i + 1}", v, directory_source(folder))
                          for i, v in enumerate(vehicles)]
                sampler = _Sampler(vehicles)
                started = time.monotonic()
                fleet = run_fleet_search(request, drones, zones, terrain, store, Path(tmp),
                                         options=options, rules=RULES, layer_m=LAYER_M)
                wall_s = time.monotonic() - started
                sampler.stop()
            finally:
                for v in vehicles:
                    v.close()
        shares = tuple(fleet.plan.shares)
        curve = _pod_curve(_fleet_pieces(sampler, shares, width_m), region, shares[0].pod,
                           float(np.mean([s.covered_share for s in shares])))
        first_up = min(s[0][0] for s in sampler.samples if s)
        tn = _first_time(curve, TARGET_POD) - first_up
    completed = sum(d.flew_share for d in fleet.drones)
    min_gap = min(sampler.min_gap_m, fleet.min_gap_m)
    def number(value: float, digits: int) -> float | None:  # JSON has no NaN: null
        return round(value, digits) if math.isfinite(value) else None

    # tn is NaN when a drone failed and its share was never swept: POD 0.6 not reached
    figures = {"drones": n, "time_to_pod_0_6_s_1": number(t1, 1),
               "time_to_pod_0_6_s_n": number(tn, 1), "speedup": number(t1 / tn, 2),
               "min_separation_m": number(min_gap, 1)}
    rows = [
        ("search area", f"{region.area / 1e6:.2f} km² flyable of a {AREA_M2 / 1e6:.0f} km² "
                        f"disc, POD of the lanes {shares[0].pod:.2f}"),
        ("one drone to POD 0.6 (planned, sorties back to back)",
         f"{t1:.0f} s in {len(alone.shares[0].sorties)} sorties"),
        (f"{n} drones to POD 0.6 (flown, vehicle clocks)", f"{tn:.0f} s"),
        ("speed-up (goal >= 0.7 x N)", f"{t1 / tn:.2f} (goal {0.7 * n:.1f})"),
        ("shares flown to the end", f"{completed} of {n}"),
        ("transit layers", ", ".join(f"{d:+.0f} m" for d in fleet.plan.offsets_m)),
        ("separation holds", f"{len(fleet.breaches)}"),
        ("closest two drones at one height", f"{min_gap:.0f} m (minimum "
                                             f"{RULES.min_horizontal_m:.0f} m)"),
        ("wall time of the flight", f"{wall_s:.0f} s at {speedup:g}x"),
    ]
    report(f"fleet search, {n} drones, one process", rows, figures, as_json=args.json)


if __name__ == "__main__":
    main()
