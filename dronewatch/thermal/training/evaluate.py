"""Scoring a detector on labelled frames: recall and precision at a threshold, AP50.

Free of any learning library so that training, calibration and the benchmark score the
same way (``infer`` is whatever turns 8-bit pixels into the network's output).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewatch.thermal.boxes import (
    BoxSet,
    average_precision,
    centre_hits,
    iou_matches,
    precision_area,
)
from dronewatch.thermal.training.hituav import LabelledFrame

__all__ = ["FrameResult", "Scores", "ap50", "ap50_bootstrap", "frame_bootstrap",
           "hits_and_scores", "run_frames", "scores_at"]

PERSON = 0


@dataclass(frozen=True, slots=True)
class FrameResult:
    """One frame's candidates of one class (all above the decoder's floor) and labels."""

    frame: LabelledFrame
    found: BoxSet
    labels_px: NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Scores:
    labels: int
    found: int
    detections: int
    true_detections: int

    @property
    def recall(self) -> float:
        return self.found / self.labels if self.labels else float("nan")

    @property
    def precision(self) -> float:
        return self.true_detections / self.detections if self.detections else float("nan")

    @property
    def f1(self) -> float:
        r, p = self.recall, self.precision
        return 2 * r * p / (r + p) if r + p > 0 else 0.0


def run_frames(frames: Iterable[LabelledFrame], detect: Callable[[NDArray[np.uint8]], BoxSet],
               classes: Sequence[int] = (PERSON,)) -> dict[int, list[FrameResult]]:
    """Run ``detect`` once on every frame; for each of ``classes`` its candidates and
    labels, frame by frame."""
    results: dict[int, list[FrameResult]] = {cls: [] for cls in classes}
    for frame in frames:
        found = detect(frame.read_pixels())
        for cls in classes:
            results[cls].append(FrameResult(frame, found.of_class(cls),
                                            frame.boxes_px[frame.classes == cls]))
    return results


def scores_at(results: Iterable[FrameResult], threshold: float) -> Scores:
    labelled = found = detections = true = 0
    for result in results:
        kept = result.found.above(threshold)
        labels = result.labels_px
        hits = centre_hits(kept.boxes_px, labels)
        labelled += len(labels)
        found += int(hits.sum())
        detections += len(kept)
        true += int(hits.sum())
    return Scores(labelled, found, detections, true)


def ap50(results: Iterable[FrameResult]) -> float:
    return average_precision([(r.found, r.labels_px) for r in results], 0.5)


def hits_and_scores(results: Iterable[FrameResult]) -> tuple[NDArray[np.float64],
                                                             NDArray[np.bool_]]:
    """Every candidate's score and whether it is a true one (the centre rule)."""
    scores, hits = [], []
    for result in results:
        scores.append(result.found.scores)
        hits.append(centre_hits(result.found.boxes_px, result.labels_px))
    return (np.concatenate(scores).astype(np.float64) if scores else np.zeros(0),
            np.concatenate(hits) if hits else np.zeros(0, bool))


def frame_bootstrap(results: Sequence[FrameResult], threshold: float, *, draws: int = 1000,
                    seed: int = 0, level: float = 0.95,
                    ) -> dict[str, tuple[float, float]]:
    """Intervals of recall and precision at ``threshold`` over frames drawn again with
    replacement (``level`` central share of ``draws`` resamples).

    Why frames, not detections: people and clutter come in groups (a crowd on a square,
    a row of lamp posts), so one frame's detections are not independent; the held-out
    frames the station will be judged on are another draw of frames, and this says how
    far such a draw may land from the figures measured here.
    """
    counts = np.array([[s.labels, s.found, s.detections, s.true_detections]
                       for s in (scores_at([r], threshold) for r in results)], np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(counts), (draws, len(counts)))
    totals = counts[picks].sum(axis=1)
    recall = totals[:, 1] / np.maximum(totals[:, 0], 1)
    precision = totals[:, 3] / np.maximum(totals[:, 2], 1)
    tail = (1 - level) / 2 * 100
    return {name: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail)))
            for name, v in (("recall", recall), ("precision", precision))}


def ap50_bootstrap(results: Sequence[FrameResult], *, draws: int = 1000, seed: int = 0,
                   level: float = 0.95) -> tuple[float, float]:
    """The interval of AP50 over frames drawn again with replacement, as
    :func:`frame_bootstrap` does for recall and precision: how far another draw of
    frames like these may put it (val's 0.90 is no floor for held-out frames)."""
    matched = [iou_matches(r.found, r.labels_px, 0.5) for r in results]
    labels = [len(r.labels_px) for r in results]
    rng = np.random.default_rng(seed)
    values = []
    for picks in rng.integers(0, len(matched), (draws, len(matched))):
        values.append(precision_area(np.concatenate([matched[k][0] for k in picks]),
                                     np.concatenate([matched[k][1] for k in picks]),
                                     sum(labels[k] for k in picks)))
    tail = (1 - level) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))
