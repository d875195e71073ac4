"""Benchmark: person detection on REAL thermal images (HIT-UAV val split).

    python -m tests.benchmarks.hituav [--json] [--split val|train]

HIT-UAV (Suo et al., Scientific Data 10:227, 2023; CC BY 4.0) holds 640x512 8-bit AGC
frames from a UAV at 60-130 m, camera pitch 30-90°, by day and night, with labelled
persons. It is read from ``../shared/data/hit-uav`` and never copied into the project;
without it the benchmark says so and exits 0.

Ours is ``detect()`` end to end (read the file, the learned detector on one core,
place): a person detection counts as true when its centre falls inside a labelled
person box not yet taken (each box matched once), at the model's alarm confidence;
recall is over labelled persons, precision over person detections. AP50 is over every
candidate of the network (IoU >= 0.5, all-point interpolation). The frames carry no
pose, so the ground scale comes from each file name's altitude and camera angle over
level ground behind a 25° lens (the HFOV that matches the train split's person sizes).
The baseline in the same run is the rule-based detector (``persons_by="rules"``), tuned
on train. The network was trained on train and calibrated (thresholds chosen) on val,
so val figures are optimistic by that choice; held-out frames are the honest check.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from dronewatch.geo import CameraModel
from dronewatch.thermal import BoxDetector, FindingKind, Frame, default_detector, detect
from dronewatch.thermal.boxes import BoxSet, average_precision
from dronewatch.thermal.frameio import FrameError, read_frame
from dronewatch.thermal.placement import flat_ground_scale
from dronewatch.thermal.training.evaluate import (
    FrameResult,
    Scores,
    ap50,
    ap50_bootstrap,
    frame_bootstrap,
    scores_at,
)
from dronewatch.thermal.training.hituav import LabelledFrame, load_split
from tests.benchmarks._report import report, wants_json

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "hit-uav"
HFOV_DEG = 25.0
CAMERA = CameraModel(640, 512, HFOV_DEG, "hit-uav")

Method = Callable[[Frame, LabelledFrame], BoxSet]


def _persons(frame: Frame, labelled: LabelledFrame, persons_by: object,
             min_confidence: float) -> BoxSet:
    scale = flat_ground_scale(HFOV_DEG, 640, 512, labelled.altitude_m, -labelled.angle_deg)
    found = [d for d in detect(frame, scale=scale, persons_by=persons_by)  # type: ignore[arg-type]
             if d.kind is FindingKind.PERSON and d.confidence >= min_confidence]
    boxes = np.array([d.box_px or (d.u_px - 0.5, d.v_px - 0.5, 1.0, 1.0) for d in found],
                     np.float32).reshape(-1, 4)
    scores = np.array([d.confidence for d in found], np.float32)
    order = np.argsort(-scores, kind="stable")
    return BoxSet(np.zeros(len(found), np.int64), scores[order], boxes[order])


def groups_of(labelled: LabelledFrame) -> list[str]:
    return ["all", "night" if labelled.night else "day", f"alt {int(labelled.altitude_m):>3} m",
            f"angle {int(labelled.angle_deg):>2}°"]


def evaluate(frames: list[LabelledFrame], method: Method,
             ) -> tuple[dict[str, list[FrameResult]], float, int]:
    """Results by group, seconds (reading included), unreadable files."""
    groups: dict[str, list[FrameResult]] = defaultdict(list)
    skipped = 0
    started = time.perf_counter()
    for labelled in frames:
        try:
            frame = read_frame(labelled.path, camera=CAMERA)
        except FrameError:
            skipped += 1
            continue
        result = FrameResult(labelled, method(frame, labelled), labelled.persons_px)
        for key in groups_of(labelled):
            groups[key].append(result)
    return groups, time.perf_counter() - started, skipped


def network_candidates(frames: list[LabelledFrame], detector: BoxDetector) -> list[FrameResult]:
    """Every person candidate of the network, for AP50 (not timed)."""
    results = []
    for labelled in frames:
        pixels = labelled.read_pixels()
        results.append(FrameResult(labelled, detector.boxes(pixels).of_class(0),
                                   labelled.persons_px))
    return results


def _row(name: str, s: Scores, ap: float | None = None) -> tuple[str, str]:
    ap_text = f"  AP50 {ap:5.3f}" if ap is not None else ""
    return (name, f"recall {s.recall:5.3f}  precision {s.precision:5.3f}  F1 {s.f1:5.3f}"
                  f"{ap_text}   ({s.found}/{s.labels} persons)")


def main(argv: list[str] | None = None) -> None:
    as_json = wants_json(argv)
    args = sys.argv[1:] if argv is None else argv
    split = args[args.index("--split") + 1] if "--split" in args else "val"
    if not (DATA / "annotations" / f"{split}.json").exists():
        print(f"HIT-UAV not found at {DATA}: benchmark skipped")
        return
    cv2.setNumThreads(1)  # per core: one frame at a time on one thread
    detector = default_detector()
    alarm = detector.info.alarm_confidence
    frames = load_split(DATA, split)
    ours, seconds, skipped = evaluate(
        frames, lambda f, lab: _persons(f, lab, detector, alarm))
    rules, rule_seconds, _ = evaluate(frames, lambda f, lab: _persons(f, lab, "rules", 0.0))
    candidates = network_candidates(frames, detector)
    by_group: dict[str, list[FrameResult]] = defaultdict(list)
    for result in candidates:
        for key in groups_of(result.frame):
            by_group[key].append(result)
    rows = []
    for key in sorted(ours, key=lambda k: (k != "all", k)):
        rows.append(_row(f"{split} {key} (network)", scores_at(ours[key], 0.0),
                         ap50(by_group[key])))
    for key in sorted(rules, key=lambda k: (k != "all", k)):
        rows.append(_row(f"{split} {key} (rules, baseline)", scores_at(rules[key], 0.0)))
    total, base = scores_at(ours["all"], 0.0), scores_at(rules["all"], 0.0)
    fps = len(ours["all"]) / seconds
    spread = frame_bootstrap(ours["all"], 0.0)
    rows.append(("95 % interval, frames resampled (another draw of frames)",
                 "recall {:5.3f}-{:5.3f}  precision {:5.3f}-{:5.3f}  AP50 {:5.3f}-{:5.3f}".format(
                     *spread["recall"], *spread["precision"], *ap50_bootstrap(candidates))))
    rows.append(("ratio F1 network / rules", f"{total.f1 / max(base.f1, 1e-9):5.2f}"))
    rows.append(("frames per second per core (read, detect, place)",
                 f"network {fps:6.1f}   rules {len(rules['all']) / rule_seconds:6.1f}   "
                 f"({skipped} unreadable files)"))
    rows.append(("alarm confidence (calibrated on val)", f"{alarm:.3f}"))
    pairs = [(r.found, r.labels_px) for r in candidates]
    rows.append(("AP at IoU >= 0.1 / 0.3 / 0.5 (found; found with a close box)",
                 " / ".join(f"{average_precision(pairs, iou):5.3f}" for iou in (0.1, 0.3, 0.5))))
    ap = ap50(candidates)
    if detector.info.refiner is not None:
        alone = BoxDetector(detector.path, calibrated=False, refine_stages=0)
        rows.append(("AP50 of the centre network alone (no refiner)",
                     f"{ap50(network_candidates(frames, alone)):5.3f}"))
    report("HIT-UAV real thermal frames, person detector", rows,
           {"recall": round(total.recall, 4), "precision": round(total.precision, 4),
            "f1": round(total.f1, 4), "ap50": round(ap, 4), "images": len(ours["all"]),
            "fps_per_core": round(fps, 1)}, as_json=as_json)


if __name__ == "__main__":
    main()
