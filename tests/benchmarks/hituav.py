"""Benchmark: the person detector on REAL thermal images (HIT-UAV val split).

    python -m tests.benchmarks.hituav [--json] [--split val|train]

HIT-UAV (Suo et al., Scientific Data 10:227, 2023; CC BY 4.0) holds 640x512 8-bit AGC
frames from a UAV at 60-130 m, camera pitch 30-90°, by day and night, with labelled
persons. It is read from ``../shared/data/hit-uav`` and never copied into the project;
without it the benchmark says so and exits 0.

A detection counts as a true positive when its centre falls inside a labelled person
box (each box matched once); recall is over labelled persons, precision over our
person detections. The frames carry no pose, so the ground scale comes from each file
name's altitude and camera angle over level ground, with the camera taken as a 640 px
core behind a 13 mm lens (45° HFOV, the Zenmuse XT2 option closest to the dataset's
footprints). The detector's settings were chosen on the train split (``--split
train``); the figures reported are for val. The plain baseline in the same run is a
global threshold at mean + 3 sigma with the same size rule.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dronewatch.geo import CameraModel
from dronewatch.thermal import Frame, detect, flat_ground_scale
from dronewatch.thermal.frameio import FrameError, read_frame
from tests.benchmarks._report import report, wants_json

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "hit-uav"
HFOV_DEG = 25.0
PERSON = 0


@dataclass
class Score:
    persons: int = 0
    found: int = 0
    detections: int = 0
    true_detections: int = 0
    images: int = 0

    def add(self, other: Score) -> None:
        for name in ("persons", "found", "detections", "true_detections", "images"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float:
        return self.found / self.persons if self.persons else float("nan")

    @property
    def precision(self) -> float:
        return self.true_detections / self.detections if self.detections else float("nan")


def load_split(split: str) -> list[tuple[Path, list[list[float]]]]:
    """(image path, person boxes [x, y, w, h]) for every image of a split."""
    labels = json.loads((DATA / "annotations" / f"{split}.json").read_text())
    boxes: dict[int, list[list[float]]] = defaultdict(list)
    for ann in labels["annotation"]:
        if ann["category_id"] == PERSON:
            boxes[ann["image_id"]].append(ann["bbox"])
    return [(DATA / split / img["filename"], boxes[img["id"]]) for img in labels["images"]]


def altitude_angle(path: Path) -> tuple[float, float]:
    """From the file name ``{daynight}_{alt}_{angle}_{w}_{idx}``."""
    parts = path.stem.split("_")
    return float(parts[1]), float(parts[2])


def score_image(centres: list[tuple[float, float]], boxes: list[list[float]]) -> Score:
    matched = set()
    true = 0
    for u, v in centres:
        for k, (x, y, w, h) in enumerate(boxes):
            if k not in matched and x <= u <= x + w and y <= v <= y + h:
                matched.add(k)
                true += 1
                break
    return Score(len(boxes), len(matched), len(centres), true, 1)


def ours(frame: Frame, altitude_m: float, angle_deg: float) -> list[tuple[float, float]]:
    scale = flat_ground_scale(HFOV_DEG, 640, 512, altitude_m, -angle_deg)
    return [(d.u_px, d.v_px) for d in detect(frame, scale=scale) if d.kind == "person"]


def baseline(frame: Frame, altitude_m: float, angle_deg: float) -> list[tuple[float, float]]:
    """Global mean + 3 sigma threshold, components of person size in pixels."""
    pixels = frame.pixels.astype(np.float32)
    mask = (pixels > pixels.mean() + 3 * pixels.std()).astype(np.uint8)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(mask)
    scale = flat_ground_scale(HFOV_DEG, 640, 512, altitude_m, -angle_deg)
    found = []
    for i in range(1, count):
        across, along = scale(*centroids[i])
        area = stats[i, cv2.CC_STAT_AREA] * across * along
        if 0.06 <= area <= 1.3:
            found.append((float(centroids[i][0]), float(centroids[i][1])))
    return found


def evaluate(split: str, method: Callable[[Frame, float, float], list[tuple[float, float]]],
             ) -> tuple[dict[str, Score], float, int]:
    """Scores by group ("all", "day"/"night", "alt 60"...), seconds, skipped files."""
    camera = CameraModel(640, 512, HFOV_DEG, "hit-uav")
    groups: dict[str, Score] = defaultdict(Score)
    skipped = 0
    started = time.perf_counter()
    for path, boxes in load_split(split):
        try:
            frame = read_frame(path, camera=camera)
        except FrameError:
            skipped += 1
            continue
        altitude, angle = altitude_angle(path)
        score = score_image(method(frame, altitude, angle), boxes)
        for key in ("all", "night" if path.name.startswith("1_") else "day",
                    f"alt {int(altitude):>3} m"):
            groups[key].add(score)
    return groups, time.perf_counter() - started, skipped


def main(argv: list[str] | None = None) -> None:
    as_json = wants_json(argv)
    args = sys.argv[1:] if argv is None else argv
    split = args[args.index("--split") + 1] if "--split" in args else "val"
    if not (DATA / "annotations" / f"{split}.json").exists():
        print(f"HIT-UAV not found at {DATA}: benchmark skipped")
        return
    groups, seconds, skipped = evaluate(split, ours)
    base, _, _ = evaluate(split, baseline)
    rows = []
    for key in sorted(groups, key=lambda k: (k != "all", k)):
        g = groups[key]
        rows.append((f"{split} {key}: recall / precision",
                     f"{g.recall:5.3f} / {g.precision:5.3f}   ({g.found}/{g.persons} persons, "
                     f"{g.images} images)"))
    b = base["all"]
    rows.append(("baseline (global mean+3σ): recall / precision",
                 f"{b.recall:5.3f} / {b.precision:5.3f}"))
    rows.append(("ratio recall ours / baseline", f"{groups['all'].recall / b.recall:5.2f}"))
    rows.append(("frames per second (ours, reading included)",
                 f"{groups['all'].images / seconds:7.1f}   ({skipped} unreadable files)"))
    total = groups["all"]
    report("HIT-UAV real thermal frames, person detector", rows,
           {"recall": round(total.recall, 4), "precision": round(total.precision, 4),
            "images": total.images}, as_json=as_json)


if __name__ == "__main__":
    main()
