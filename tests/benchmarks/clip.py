"""Benchmark: a recorded thermal clip analysed after the flight, frames looked at per second.

    python -m tests.benchmarks.clip [--json]

The clip: the simulated M30T's view of a night scene in the south Gobi (people, sheep,
vehicles, coal fires) from 90 m, as its white-hot video shows it, 60 s at 30 frames/s
(640x512, H.264), with DJI-layout subtitles giving every frame's pose; a frame looked at
every 0.5 s (``dronewatch analyse``'s default). Ours: ``analyse_flight`` as the command
runs it, the detector on every core. Baseline, same clip in the same run: the same
analysis with the detector on one thread, as it runs in flight. Also shown: the clip's
decoding alone (every frame decoded, the chosen ones turned to grey).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import Terrain, camera_preset
from dronewatch.ops.analyse import AnalysisOptions, analyse_flight
from dronewatch.store import Store
from dronewatch.thermal.learned import radiometric_to_agc
from dronewatch.thermal.sources.clip import ClipReader, clip_shots
from dronewatch.zones import load_zones
from tests.benchmarks._report import report, wants_json
from tests.benchmarks.thermal import scene_frames
from tests.thermal.djisrt import write_subtitles
from tests.thermal.videosend import write_video

FPS, SECONDS, EVERY_S = 30, 60, 0.5
WALL = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)


def make_clip(folder: Path, terrain: Terrain) -> Path:
    """The scene's 40 views, each held 1.5 s with the sensor's own noise frame to frame."""
    rng = np.random.default_rng(5)
    views = scene_frames(terrain)
    pictures, poses = [], []
    for i in range(FPS * SECONDS):
        view = views[i * len(views) // (FPS * SECONDS)]
        grey = radiometric_to_agc(view.pixels).astype(np.int16)
        pictures.append(np.clip(grey + rng.integers(-2, 3, grey.shape), 0, 255)
                        .astype(np.uint8))
        poses.append(view.pose)
    clip = write_video(folder / "DJI_20261130220000_0001_T.MP4", pictures, FPS, "libx264")
    write_subtitles(clip.with_suffix(".SRT"), poses, FPS, WALL.timestamp())
    return clip


def _analysed_per_s(clip: Path, terrain: Terrain, threads: int, folder: Path) -> float:
    zones = load_zones(default_zones_path())
    options = AnalysisOptions(camera=camera_preset("dji-m30t"), clip_every_s=EVERY_S,
                              detector_threads=threads)
    with Store(folder / f"store-{threads}.sqlite") as store:
        started = time.perf_counter()
        done = analyse_flight([clip], None, zones, terrain, store,
                              folder / f"map-{threads}.html", options=options)
        elapsed = time.perf_counter() - started
    return done.frames / elapsed


def main(argv: list[str] | None = None) -> None:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp, Terrain(default_dem_path()) as terrain:
        folder = Path(tmp)
        clip = make_clip(folder, terrain)
        shots = clip_shots(clip, EVERY_S).shots
        started = time.perf_counter()
        with ClipReader(camera_preset("dji-m30t")) as reader:
            for shot in shots:
                reader.frame(shot)
        decoded = FPS * SECONDS / (time.perf_counter() - started)
        base = _analysed_per_s(clip, terrain, 1, folder)
        ours = _analysed_per_s(clip, terrain, cores, folder)
    rows = [
        ("clip", f"{SECONDS} s at {FPS} frames/s, 640x512 H.264; a frame every {EVERY_S} s "
                 f"({len(shots)} frames)"),
        ("decoding alone: video frames/s", f"{decoded:8.0f}"),
        (f"ours, detector on {cores} core(s): frames analysed/s", f"{ours:8.1f}"),
        ("baseline, detector on one thread: frames analysed/s", f"{base:8.1f}"),
        ("speed-up", f"{ours / base:8.2f}x"),
        ("a 20-minute clip at the default, ours", f"{1200 / EVERY_S / ours / 60:8.1f} min"),
    ]
    report("Post-flight analysis of a thermal clip", rows,
           {"frames_per_s": round(ours, 2), "one_thread_frames_per_s": round(base, 2),
            "decode_fps": round(decoded, 1), "speedup": round(ours / base, 2)},
           as_json=wants_json(argv))


if __name__ == "__main__":
    main()
