"""Scores to probabilities, and the operating thresholds, fitted on the val split.

Why isotonic: a network's heat-map peak is a ranking, not a probability; the operator's
"85 % sure" must mean that 85 of 100 such candidates were people on frames the network
never trained on. Pool-adjacent-violators gives the best monotone step function from
score to observed hit rate, with no assumption about its shape. The fit runs on the
ONNX model through the run-time detector, so what is calibrated is what flies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewatch.thermal.boxes import BoxSet
from dronewatch.thermal.learned import MODEL_FORMAT, BoxDetector
from dronewatch.thermal.training.evaluate import (
    FrameResult,
    Scores,
    ap50,
    frame_bootstrap,
    hits_and_scores,
    run_frames,
    scores_at,
)
from dronewatch.thermal.training.hituav import LabelledFrame
from dronewatch.thermal.training.net import CLASSES, STRIDE

__all__ = ["ALARM_MIN_PRECISION", "alarm_threshold", "calibrate", "isotonic_knots"]

# below the alarm, above this: kept as "to check" (on val, with the refiner: one such
# candidate in three frames, one in five of them a person; 1.5 % more of the people)
CHECK_CONFIDENCE = 0.1
MIN_RAW_SCORE = 0.05
ALARM_MIN_PRECISION = 0.80  # the goal, met by another draw of frames 39 times in 40


def alarm_threshold(results: list[FrameResult], levels: list[float]) -> tuple[float, Scores]:
    """The lowest confidence whose alarms would still be right ``ALARM_MIN_PRECISION`` of
    the time on another draw of frames like val (the lower end of the 95 % interval over
    val's frames resampled), and its scores (the best-F1 one if none is that precise).

    Why the lowest such and not the best F1: a person missed at night costs a life, a
    false alarm a look at a thumbnail; once alarms are mostly right, every person more
    is worth the extra false ones. Why the interval and not val's own precision: the
    threshold is chosen on val, and the frames the station flies are other frames; how
    far their precision may fall depends on how unevenly val's false alarms are spread
    over its frames, which a fixed margin cannot know.
    """
    scored = [(t, scores_at(results, t)) for t in sorted(levels) if t > 0]
    if not scored:  # no candidate is worth an alarm (an untrained network)
        return 1.0, scores_at(results, 1.0)
    for level, scores in scored:
        if scores.precision < ALARM_MIN_PRECISION:
            continue
        if frame_bootstrap(results, level)["precision"][0] >= ALARM_MIN_PRECISION:
            return level, scores
    return max(scored, key=lambda pair: pair[1].f1)


def isotonic_knots(scores: NDArray[np.float64], hits: NDArray[np.bool_],
                   ) -> tuple[list[float], list[float]]:
    """Pool-adjacent-violators fit of hit rate against score, as interpolation knots
    (mean score of each pooled block, its hit rate), increasing in both."""
    order = np.argsort(scores, kind="stable")
    x, y = scores[order], hits[order].astype(np.float64)
    blocks: list[list[float]] = []  # [sum of y, count, sum of x]
    for xi, yi in zip(x, y, strict=True):
        blocks.append([yi, 1.0, xi])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            s, n, sx = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += n
            blocks[-1][2] += sx
    knots_x = [b[2] / b[1] for b in blocks]
    knots_y = [b[0] / b[1] for b in blocks]
    return [round(v, 5) for v in knots_x], [round(v, 5) for v in knots_y]


def calibrate(onnx_path: Path, val_frames: list[LabelledFrame], training: dict[str, Any],
              log: Callable[[str], None] = print, *, flip_average: bool = False,
              refiner: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fit calibration and thresholds on ``val_frames`` and write the model's sidecar
    (for the detector run as it will fly: with or without the mirrored second look, and
    with the person ``refiner`` it names, if any)."""
    sidecar = onnx_path.with_suffix(".json")
    provisional = {"format": MODEL_FORMAT, "classes": list(CLASSES), "stride": STRIDE,
                   "min_raw_score": MIN_RAW_SCORE, "calibration": {}, "alarm_confidence": 0.5,
                   "check_confidence": CHECK_CONFIDENCE, "training": training, "figures": {},
                   "flip_average": flip_average, **({"refiner": refiner} if refiner else {})}
    sidecar.write_text(json.dumps(provisional, indent=1))
    detector = BoxDetector(onnx_path, calibrated=False)
    by_class = run_frames(val_frames, detector.boxes, range(len(CLASSES)))
    results = by_class[0]
    calibration = {}
    for cls, name in enumerate(CLASSES):
        scores, hits = hits_and_scores(by_class[cls])
        knots = isotonic_knots(scores, hits) if len(scores) else ([0.0, 1.0], [0.0, 1.0])
        calibration[name] = {"raw": knots[0], "confidence": knots[1]}
    person = calibration["person"]
    calibrated = [FrameResult(r.frame, BoxSet(r.found.classes, np.interp(
        r.found.scores, person["raw"], person["confidence"]).astype(np.float32),
        r.found.boxes_px), r.labels_px) for r in results]
    # the alarm is chosen among the confidences the run time compares, so the figures
    # below are exactly what the station gets at that threshold
    alarm, best = alarm_threshold(calibrated, sorted(
        c for c in set(person["confidence"]) if c > CHECK_CONFIDENCE))
    figures = {"val": {"recall": round(best.recall, 4), "precision": round(best.precision, 4),
                       "f1": round(best.f1, 4), "ap50": round(ap50(results), 4)}}
    sidecar_data = {**provisional, "calibration": calibration,
                    "alarm_confidence": alarm, "figures": figures}
    sidecar.write_text(json.dumps(sidecar_data, indent=1))
    log(f"calibrated on {len(val_frames)} val frames: {figures['val']}, alarm at confidence "
        f"{alarm:.3f}; wrote {sidecar}")
    return sidecar_data
