"""Benchmark: person recall, false findings and location error in the simulated world.

    python -m tests.benchmarks.detection [--json]

Six scenarios, night (02:00) and day (13:00) at 60, 90 and 120 m above ground: a
300 x 300 m square of the south Gobi with 25 people (standing, sitting, lying; 30 %
partly hidden), a flock of 30 sheep, 4 camels, 4 vehicles with hot engines, 2 hot
machines and 3 coal fires, flown as a lawnmower of nadir frames (30 % overlap) with
the M30T's thermal camera and an exact pose. Each frame is detected, placed and fused
into findings. A person finding that raises the alarm (at or above the learned
detector's calibrated alarm confidence) within 5 m of a person is a hit; any other
alarm is false; candidates kept "to check" are counted apart (false ones per km²). The
baseline in the same run is the plain rule detector without the person model (any warm
blob of 8 K contrast is a person), to show what the detector buys.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import LocalFrame, Terrain, camera_preset
from dronewatch.thermal import (
    EXACT_POSE,
    FindingKind,
    Fuser,
    PersonModel,
    default_detector,
    detect,
)
from dronewatch.zones import load_zones
from simulators.thermal import Clock, ThermalCamera, ThermalWorld, ThingKind
from simulators.thermal.scenario import Population, populate, survey_poses
from tests.benchmarks._report import report, wants_json

SIDE_M = 300.0
HIT_M = 5.0
POPULATION = Population(25, 30, 4, 4, 2, 3, hidden_share=0.3)
ANY_WARM_BLOB = PersonModel(min_area_m2=0.0, max_area_m2=1e9, max_length_m=1e9,
                            max_width_m=1e9, min_peak_c=-100, max_peak_c=1000)


def run(terrain: Terrain, hour: float, agl: float, seed: int,
        model: PersonModel | None = None) -> dict[str, float | list[float]]:
    """One scenario with the learned detector, or with ``model`` as rules (baseline)."""
    persons_by = "network" if model is None else "rules"
    model = model or PersonModel()
    alarm = default_detector().info.alarm_confidence if persons_by == "network" else 0.0
    zones = load_zones(default_zones_path())
    centre = zones.get("rp-south-gobi").geometry.centroid
    world = ThermalWorld(default_dem_path(), zones, Clock(hour), seed=seed)
    truth = populate(world, centre.y, centre.x, SIDE_M / 2, POPULATION, seed=seed, square=True)
    camera = ThermalCamera(world, terrain, camera_preset("dji-m30t"), seed=seed)
    fuser = Fuser()
    poses = survey_poses(terrain, camera.camera, centre.y, centre.x, SIDE_M, agl)
    for k, pose in enumerate(poses):
        frame = camera.render(pose, 1_000.0 + k)
        fuser.add(detect(frame, terrain, persons=model, uncertainty=EXACT_POSE,
                         persons_by=persons_by))  # type: ignore[arg-type]
    persons = [t for t in truth if t.kind is ThingKind.PERSON]
    candidates = [f for f in fuser.findings() if f.kind is FindingKind.PERSON]
    found = [f for f in candidates if f.confidence >= alarm]
    to_check = [f for f in candidates if f.confidence < alarm]
    local = LocalFrame(centre.y, centre.x)
    te, tn = local.to_local([p.lat_deg for p in persons], [p.lon_deg for p in persons])
    if found:
        fe, fn = local.to_local([f.lat_deg for f in found], [f.lon_deg for f in found])
        d = np.hypot(np.atleast_1d(fe)[:, None] - te, np.atleast_1d(fn)[:, None] - tn)
    else:
        d = np.full((0, len(persons)), np.inf)
    nearest = d.min(axis=0) if len(found) else np.full(len(persons), np.inf)
    hits = nearest < HIT_M
    false = int((d.min(axis=1) >= HIT_M).sum()) if len(found) else 0
    false_checks = 0
    if to_check:
        ce, cn = local.to_local([f.lat_deg for f in to_check], [f.lon_deg for f in to_check])
        dc = np.hypot(np.atleast_1d(ce)[:, None] - te, np.atleast_1d(cn)[:, None] - tn)
        false_checks = int((dc.min(axis=1) >= HIT_M).sum())
    km2 = SIDE_M**2 / 1e6
    return {"recall": float(hits.mean()), "false": false, "false_per_km2": false / km2,
            "false_checks_per_km2": false_checks / km2, "errors": nearest[hits].tolist(),
            "frames": len(poses)}


def main(argv: list[str] | None = None) -> None:
    rows = []
    results: dict[tuple[str, float], dict] = {}
    started = time.perf_counter()
    with Terrain(default_dem_path()) as terrain:
        for name, hour in (("night", 2.0), ("day", 13.0)):
            for k, agl in enumerate((60.0, 90.0, 120.0)):
                r = run(terrain, hour, agl, seed=100 + k)
                b = run(terrain, hour, agl, seed=100 + k, model=ANY_WARM_BLOB)
                results[(name, agl)] = r
                errors = r["errors"] or [float("nan")]
                rows.append((f"{name} {agl:.0f} m AGL ({r['frames']} frames)",
                             f"recall {r['recall']:.3f}  false {r['false']:2d} "
                             f"({r['false_per_km2']:5.1f}/km²)  to check, false "
                             f"{r['false_checks_per_km2']:5.1f}/km²  error median "
                             f"{statistics.median(errors):.2f} m p95 "
                             f"{np.percentile(errors, 95):.2f} m   | baseline: recall "
                             f"{b['recall']:.3f} false {b['false_per_km2']:6.1f}/km²"))

    def pooled(name: str, key: str) -> float:
        runs = [r for (n, _), r in results.items() if n == name]
        return statistics.mean(r[key] for r in runs)

    errors = [e for (n, _), r in results.items() if n == "night" for e in r["errors"]]
    errors += [e for (n, _), r in results.items() if n == "day" for e in r["errors"]]
    rows.append(("night: recall, false/km² (targets >= 0.95, <= 1)",
                 f"{pooled('night', 'recall'):.3f}, {pooled('night', 'false_per_km2'):.2f}"))
    rows.append(("day: recall, false/km²",
                 f"{pooled('day', 'recall'):.3f}, {pooled('day', 'false_per_km2'):.2f}"))
    rows.append(("location error, exact pose: median / p95 (target median <= 3 m)",
                 f"{statistics.median(errors):.2f} / {np.percentile(errors, 95):.2f} m"))
    rows.append(("wall time", f"{time.perf_counter() - started:.0f} s"))
    report("Person detection in the simulated Gobi (M30T thermal, exact pose)", rows, {
        "night_recall": round(pooled("night", "recall"), 4),
        "day_recall": round(pooled("day", "recall"), 4),
        "false_per_km2": round(pooled("night", "false_per_km2"), 3),
        "median_error_m": round(statistics.median(errors), 3),
        "p95_error_m": round(float(np.percentile(errors, 95)), 3),
    }, as_json=wants_json(argv))


if __name__ == "__main__":
    main()
