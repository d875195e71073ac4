"""Benchmark: planning time, and flight distance against a naive lawnmower.

    python -m tests.benchmarks.planner [--json]

1. A 10 km² zone with 20 holes (and two no-fly zones) over rolling synthetic terrain:
   wall time of a full coverage plan (lanes, sweep direction search, routing, terrain
   following, sorties). The baseline, measured in the same run, is the naive plan:
   lanes fixed east-west, no direction search.
2. Every patrol zone of mapdata/, from its nearest launch site: total flight distance
   of our plan against the naive fixed-direction lawnmower; the figure is the ratio
   averaged over the zones (below 1 is better).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import Terrain, camera_preset
from dronewatch.planning import PlanningContext, plan_coverage
from dronewatch.zones import ZoneKind, load_zones
from tests.benchmarks._report import report, wants_json
from tests.planning.world import FRAME, circle, write_dem, zone_set


def _holey_zone(seed: int = 5) -> shapely.Polygon:
    rng = np.random.default_rng(seed)
    shell = shapely.box(-2000, -1250, 2000, 1250)  # 10 km²
    holes: list[shapely.Polygon] = []
    while len(holes) < 20:
        hole = circle(rng.uniform(-1800, 1800), rng.uniform(-1050, 1050), rng.uniform(40, 120))
        if not any(h.buffer(20).intersects(hole) for h in holes):
            holes.append(hole)
    return shapely.Polygon(shell.exterior, [h.exterior for h in holes])


def _timed(ctx: PlanningContext, **kwargs: object) -> tuple[float, float]:
    started = time.perf_counter()
    plans = plan_coverage(ctx, **kwargs)
    return time.perf_counter() - started, sum(p.distance_m for p in plans)


def _cpu_s(ctx: PlanningContext, **kwargs: object) -> float:
    """Processor time of one plan: on a machine shared with other work, wall time swells
    with the load while this does not, so the two side by side tell the plan's own cost."""
    started = time.process_time()
    plan_coverage(ctx, **kwargs)
    return time.process_time() - started


def main(argv: list[str] | None = None) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, Terrain(write_dem(Path(tmp) / "d.tif")) as dem:
        zones = zone_set([circle(600, 300, 250), circle(-900, -600, 200)])
        ctx = PlanningContext(zones, dem, camera_preset("dji-m30t"))
        zone = FRAME.geometry_to_wgs84(_holey_zone())
        _timed(ctx, polygon_wgs84=zone, angle_deg=0.0)  # warm caches
        ours = [_timed(ctx, polygon_wgs84=zone) for _ in range(3)]
        naive = [_timed(ctx, polygon_wgs84=zone, angle_deg=0.0) for _ in range(3)]
        cpu_s = statistics.median(_cpu_s(ctx, polygon_wgs84=zone) for _ in range(3))
    plan_s = statistics.median(t for t, _ in ours)
    naive_s = statistics.median(t for t, _ in naive)
    rows.append(("10 km², 20 holes: plan time s", f"{plan_s:6.2f}   (naive fixed-direction "
                                                   f"{naive_s:.2f} s, {plan_s / naive_s:.1f} x)"))
    rows.append(("10 km², 20 holes: processor time s", f"{cpu_s:6.2f}"))
    rows.append(("10 km², 20 holes: distance km", f"{ours[0][1] / 1000:6.1f}   (naive "
                                                   f"{naive[0][1] / 1000:.1f} km)"))
    district = load_zones(default_zones_path())
    ratios = []
    with Terrain(default_dem_path()) as dem:
        for zone in district.of_kind(ZoneKind.PATROL_AREA):
            area = district.local_geometry(zone.id)
            site = min(district.launch_sites, key=lambda s: area.distance(
                shapely.Point(district.frame.to_local(s.lat_deg, s.lon_deg))))
            ctx = PlanningContext(district, dem, camera_preset("dji-h20t"), launch_site=site.id)
            seconds, distance = _timed(ctx, zone_id=zone.id)
            _, naive_distance = _timed(ctx, zone_id=zone.id, angle_deg=0.0)
            ratios.append(distance / naive_distance)
            rows.append((f"{zone.id} from {site.id}", f"{seconds:6.2f} s, "
                         f"{distance / 1000:.0f} km vs naive {naive_distance / 1000:.0f} km "
                         f"({distance / naive_distance:.2f})"))
    ratio = statistics.mean(ratios)
    rows.append(("distance vs naive, mean over patrol zones", f"{ratio:6.3f}"))
    report("coverage planner", rows, {"plan_seconds_10km2_20holes": round(plan_s, 3),
                                      "distance_vs_naive": round(ratio, 3)},
           as_json=wants_json(argv))



if __name__ == "__main__":
    main()
