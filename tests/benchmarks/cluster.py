"""Benchmark: frames analysed in process against two workers of a local Ray cluster.

    python -m tests.benchmarks.cluster [--json] [--frames N] [--offer-fps F]

The frames are a fixed set: the first N real frames of HIT-UAV's val split (read from
``../shared/data/hit-uav``, as tests.benchmarks.hituav), each posed at its file's
altitude and camera angle over the south Gobi so that georeferencing runs too; without
HIT-UAV, N frames of the simulated night world (a lawnmower 90 m over 25 people, sheep,
camels, vehicles and fires, as tests.benchmarks.detection). Detection and
georeferencing is :func:`dronewatch.thermal.detect`, one thread per worker.

- ``frames_per_s_local``: the frames analysed one after the other in this process
  (:class:`~dronewatch.ops.analysis.InProcessAnalysis`, what a flight does without
  ``--analysis``);
- ``frames_per_s_ray_2_workers``: the same frames through
  :class:`~dronewatch.ops.rayanalysis.RayAnalysis` on a cluster this process starts
  with 2 CPUs, offered as fast as the workers take them (nothing dropped), from the
  first frame sent to the last result back here; ``scaling`` is the ratio;
- ``p95_latency_ms`` and ``dropped``: the frames offered again at a camera's steady rate
  (``--offer-fps``, by default twice the local rate: a camera one core cannot keep up
  with), the 95th percentile of submit-to-result time of the frames analysed, and how
  many the bounded queue dropped (oldest first).

Start-up (Ray, the workers loading the detector) is not timed. On a 2-core machine the
flying process, Ray's own services and the workers share the cores, so 2 workers
cannot double the rate; more machines are untested.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import Attitude, CameraPose, GimbalAttitude, LocalFrame, Terrain
from dronewatch.ops.analysis import (
    Analysed,
    Analysis,
    AnalysisOutcome,
    Dropped,
    InProcessAnalysis,
)
from dronewatch.ops.rayanalysis import RayAnalysis
from dronewatch.thermal import Frame, default_detector
from dronewatch.thermal.frameio import read_frame
from dronewatch.zones import load_zones
from tests.benchmarks._report import report, wants_json
from tests.benchmarks.hituav import CAMERA, DATA

RAY_WORKERS = 2


def hituav_frames(terrain: Terrain, count: int) -> list[Frame]:
    """The first ``count`` val frames, posed over the south Gobi (8-bit AGC)."""
    from dronewatch.thermal.training.hituav import load_split

    centre = load_zones(default_zones_path()).get("rp-south-gobi").geometry.centroid
    local = LocalFrame(centre.y, centre.x)
    frames = []
    for k, labelled in enumerate(load_split(DATA, "val")[:count]):
        lat, lon = (float(v) for v in local.to_wgs84(40.0 * (k % 10), 40.0 * (k // 10)))
        pose = CameraPose(lat, lon, terrain.elevation_at(lat, lon) + labelled.altitude_m,
                          Attitude(0.0, 0.0, 0.0), GimbalAttitude(-labelled.angle_deg))
        frames.append(read_frame(labelled.path, camera=CAMERA).with_pose(pose))
    return frames


def simulated_frames(terrain: Terrain, count: int) -> list[Frame]:
    """``count`` frames of the simulated night world, 90 m over a populated square."""
    from dronewatch.geo import camera_preset
    from simulators.thermal import Clock, ThermalCamera, ThermalWorld
    from simulators.thermal.scenario import Population, populate, survey_poses

    zones = load_zones(default_zones_path())
    centre = zones.get("rp-south-gobi").geometry.centroid
    world = ThermalWorld(default_dem_path(), zones, Clock(2.0), seed=19)
    populate(world, centre.y, centre.x, 300.0, Population(25, 30, 4, 4, 2, 3), seed=19,
             square=True)
    camera = ThermalCamera(world, terrain, camera_preset("dji-m30t"), seed=19)
    poses = survey_poses(terrain, camera.camera, centre.y, centre.x, 600.0, 90.0)
    return [camera.render(poses[k % len(poses)], 1_000.0 + k) for k in range(count)]


def offer(analysis: Analysis, frames: list[Frame], *, every_s: float = 0.0,
          room: Callable[[], bool] = lambda: True) -> tuple[list[AnalysisOutcome], float]:
    """Submit the frames ``every_s`` apart (and only when there is ``room``), taking
    results as they come; (every outcome, seconds from the first submit to the last)."""
    outcomes: list[AnalysisOutcome] = []
    started = time.perf_counter()
    for k, frame in enumerate(frames):
        while time.perf_counter() < started + k * every_s or not room():
            if not (done := analysis.collect(wait_s=0.002)):
                time.sleep(0.002)
            outcomes += done
        analysis.submit(frame)
        outcomes += analysis.collect()
    while analysis.pending:
        outcomes += analysis.collect(wait_s=0.002)
    return outcomes, time.perf_counter() - started


def run(count: int, offer_fps: float | None) -> tuple[dict[str, float], str]:
    cv2.setNumThreads(1)  # one thread per frame, as each worker
    default_detector()  # loaded before the clock starts, as in a flight
    with Terrain(default_dem_path()) as terrain:
        real = (DATA / "annotations" / "val.json").exists()
        frames = (hituav_frames if real else simulated_frames)(terrain, count)
        source = "HIT-UAV val" if real else "simulated night world"
        local = InProcessAnalysis(terrain)
        offer(local, frames[:1])  # warm the caches
        _, local_s = offer(local, frames)
        local_fps = len(frames) / local_s
        cluster = RayAnalysis.start(None, terrain, workers=RAY_WORKERS)
        try:
            offer(cluster, frames[:RAY_WORKERS * 2])  # each worker's first frames
            busy = RAY_WORKERS * cluster.in_flight_per_worker
            _, ray_s = offer(cluster, frames, room=lambda: cluster.held < busy)
            rate = offer_fps or 2 * local_fps
            steady, _ = offer(cluster, frames, every_s=1.0 / rate)
        finally:
            cluster.ray.shutdown()
    latencies_ms = [o.latency_s * 1000 for o in steady if isinstance(o, Analysed)]
    ray_fps = len(frames) / ray_s
    return {
        "frames_per_s_local": round(local_fps, 2),
        "frames_per_s_ray_2_workers": round(ray_fps, 2),
        "scaling": round(ray_fps / local_fps, 2),
        "p95_latency_ms": round(float(np.percentile(latencies_ms, 95)), 1)
        if latencies_ms else float("nan"),
        "dropped": sum(isinstance(o, Dropped) for o in steady),
    }, f"{len(frames)} frames of the {source}, offered at {rate:.1f} frames/s for the " \
       f"latency (median {statistics.median(latencies_ms or [float('nan')]):.0f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--offer-fps", type=float, default=None,
                        help="the camera's rate for the latency [default: 2x local]")
    args = parser.parse_args()
    figures, what = run(args.frames, args.offer_fps)
    report(f"frame analysis, in process and on a local Ray cluster ({what})",
           [("in process", f"{figures['frames_per_s_local']:.2f} frames/s"),
            (f"Ray, {RAY_WORKERS} workers", f"{figures['frames_per_s_ray_2_workers']:.2f} "
                                           f"frames/s ({figures['scaling']:.2f}x)"),
            ("latency p95", f"{figures['p95_latency_ms']:.0f} ms"),
            ("dropped", f"{figures['dropped']} of {args.frames}")],
           figures, as_json=wants_json() or args.json)


if __name__ == "__main__":
    main()
