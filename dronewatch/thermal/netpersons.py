"""Persons and vehicles from the learned detector, placed and (in radiometric frames)
checked against temperature.

Why the temperature check: the network judges shape and surroundings in display levels,
as trained; a radiometric frame also knows how warm the thing is, and a 300 °C exhaust
or a wool-covered sheep barely above the ground is never a person whatever its shape.
Why a size check only with temperature: both need a radiometric, posed frame to mean
anything; an 8-bit frame with a guessed scale would lose real people to it. Sizes are
measured on the warm pixels (at half the peak's rise over the ground around, at most
half the person model's minimum contrast), not on the box: a box holds blur and margin,
and a camel's warm back is longer than any person.
Why a person cut by the frame's edge is only a candidate "to check": its warm shape is
as long as the part in view, so the size check cannot tell a person from the end of a
camel (the simulated Gobi's one false alarm by day was a camel's back across the top
edge of a frame). Overlapping frames see the whole of it: a person there alarms from
that sighting, a camel is rejected by it, and what is only ever seen cut is kept for
the operator to look at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from dronewatch.thermal.boxes import BoxSet, inside_box
from dronewatch.thermal.detection import Detection, FindingKind, PersonModel
from dronewatch.thermal.frame import Frame
from dronewatch.thermal.learned import BoxDetector, radiometric_to_agc
from dronewatch.thermal.placement import FrameGeometry

__all__ = ["network_detections", "network_input"]

VEHICLE_MIN_CONFIDENCE = 0.5
TRAINED_GSD_M = 0.05  # a person as big as the larger ones in HIT-UAV (25° HFOV at 70 m)
ENLARGE_ABOVE_GSD_M = 0.1  # coarser frames are enlarged to TRAINED_GSD_M first ...
MAX_ENLARGE = 3.0  # ... by at most this much (the network's cost grows with its square)
NADIR_SINE = math.sin(math.radians(60.0))  # across / along pixel size of a 60° look-down


def network_input(frame: Frame) -> NDArray[np.uint8]:
    """The frame as the network sees it: 8-bit frames as they are, radiometric ones
    through :func:`radiometric_to_agc`."""
    if frame.unit.radiometric:
        return radiometric_to_agc(frame.celsius())
    return frame.pixels


def _temperatures(frame: Frame, box_px: NDArray[np.float32]) -> tuple[float, float, float]:
    """Peak and mean inside a box and the median of a ring one box wide around it, in
    frame units."""
    height, width = frame.pixels.shape
    x, y, w, h = (float(v) for v in box_px)
    x0, y0 = max(int(x), 0), max(int(y), 0)
    x1, y1 = min(math.ceil(x + w), width), min(math.ceil(y + h), height)
    if x1 <= x0 or y1 <= y0:
        x0, y0 = min(max(int(x + w / 2), 0), width - 1), min(max(int(y + h / 2), 0), height - 1)
        x1, y1 = x0 + 1, y0 + 1
    inside = frame.pixels[y0:y1, x0:x1]
    pad = max(int(max(w, h)), 2)
    ry0, rx0 = max(y0 - pad, 0), max(x0 - pad, 0)
    window = frame.pixels[ry0:y1 + pad, rx0:x1 + pad]
    top, bottom, left, right = y0 - ry0, y1 - ry0, x0 - rx0, x1 - rx0
    ring = np.concatenate([window[:top].ravel(), window[bottom:].ravel(),
                           window[top:bottom, :left].ravel(),
                           window[top:bottom, right:].ravel()])
    around = _median(ring) if ring.size else float(inside.min())
    return float(inside.max()), float(inside.mean(dtype=np.float64)), around


def _median(values: NDArray) -> float:
    """np.median's answer at a fraction of its cost on the few thousand values of a ring
    (it is taken for every candidate of every frame)."""
    half = values.size // 2
    if values.size % 2:
        return float(np.partition(values, half)[half])
    low, high = np.partition(values, (half - 1, half))[half - 1:half + 1]
    return (float(low) + float(high)) / 2


@dataclass(frozen=True, slots=True)
class _WarmShape:
    area_px: float
    length_px: float
    width_px: float
    cut: bool  # it reaches the frame's edge: the sizes are of the part in view


def _warm_shape(frame: Frame, box_px: NDArray[np.float32], peak: float, around: float,
                rise_cap: float) -> _WarmShape:
    """Area, length and width in pixels of what is warmer than half the peak's rise over
    its surroundings (at most ``rise_cap`` above them, so a hot head or a camel's warm
    neck measures with its body), inside the box grown by a quarter (blur spreads it),
    and whether it runs out of the frame."""
    height, width = frame.pixels.shape
    x, y, w, h = (float(v) for v in box_px)
    x0, y0 = max(int(x - w / 4), 0), max(int(y - h / 4), 0)
    x1, y1 = min(math.ceil(x + w * 1.25), width), min(math.ceil(y + h * 1.25), height)
    window = frame.pixels[y0:y1, x0:x1].astype(np.float64)
    warm = (window >= around + min((peak - around) / 2, rise_cap)).astype(np.uint8)
    moments = cv2.moments(warm, binaryImage=True)
    area = moments["m00"]
    if area < 1:
        return _WarmShape(0.0, 0.0, 0.0, False)
    cut = bool((y0 == 0 and warm[0].any()) or (y1 == height and warm[-1].any())
               or (x0 == 0 and warm[:, 0].any()) or (x1 == width and warm[:, -1].any()))
    mu20, mu02, mu11 = (moments[k] / area for k in ("mu20", "mu02", "mu11"))
    spread = math.sqrt(max((mu20 - mu02) ** 2 + 4 * mu11 ** 2, 0.0))
    major = 4 * math.sqrt(max((mu20 + mu02 + spread) / 2, 1 / 12))  # full ellipse axes
    minor = 4 * math.sqrt(max((mu20 + mu02 - spread) / 2, 1 / 12))
    return _WarmShape(float(area), major, minor, cut)


def _is_warm_person(frame: Frame, peak: float, around: float, length_m: float,
                    width_m: float, model: PersonModel) -> bool:
    unit = frame.unit
    peak_c = float(unit.to_celsius(peak))
    contrast_k = (peak - around) * unit.kelvin_per_count
    if not model.min_peak_c <= peak_c <= model.max_peak_c or contrast_k < model.min_contrast_k:
        return False
    if not math.isfinite(length_m):
        return True  # no scale: temperature alone
    return length_m <= model.max_length_m and width_m <= model.max_width_m


def _enlargement(frame: Frame, geometry: FrameGeometry) -> float:
    """How much to enlarge a frame so a person has about the pixels the network learned.

    Why: a wide lens high up (the M30T's 61° at 120 m: 0.17 m a pixel) shows a standing
    person as 3 pixels, fewer than any person in the training frames; enlarged to the
    training scale they look as the network knows them. Frames as fine as the training
    data are left alone. Only near-nadir views (looking down steeper than 60°) are
    enlarged: in an oblique view a standing person shows their height, and the training
    frames' oblique people (HIT-UAV at 30-50°) are already at the scale the network knows.
    """
    across, along = geometry.rough([(frame.camera.width_px / 2,
                                     frame.camera.height_px / 2)])[0]
    steep = math.isfinite(along) and along > 0 and across / along >= NADIR_SINE
    gsd = math.sqrt(across * along)
    if not steep or not math.isfinite(gsd) or gsd <= ENLARGE_ABOVE_GSD_M:
        return 1.0
    return min(gsd / TRAINED_GSD_M, MAX_ENLARGE)


def _network_boxes(frame: Frame, geometry: FrameGeometry, detector: BoxDetector) -> BoxSet:
    """The network on the frame, and on the frame enlarged when it is coarse: the native
    scale keeps the large (a lying person fills 15 px at 0.12 m), the enlarged one the
    small (a standing one is 4 px there); one box per object survives the merge."""
    pixels = network_input(frame)
    native = _reportable(detector.boxes(pixels), detector)
    factor = _enlargement(frame, geometry)
    if factor == 1.0:
        return native
    height, width = pixels.shape
    size = (round(width * factor), round(height * factor))
    enlarged = _reportable(
        detector.boxes(cv2.resize(pixels, size, interpolation=cv2.INTER_LINEAR)), detector)
    return _merge(native, BoxSet(enlarged.classes, enlarged.scores,
                                 enlarged.boxes_px / np.float32(factor)))


def _reportable(found: BoxSet, detector: BoxDetector) -> BoxSet:
    """The candidates worth a report: persons from the "to check" confidence up, vehicles
    from theirs. Why before merging: the detector ranks a person's repeats low rather than
    dropping them (36 candidates a frame on HIT-UAV val, 0.8 of them "to check" or
    more), and a weaker box never removes a better one in the merge."""
    person = detector.class_index("person")
    keep = np.where(found.classes == person, found.scores >= detector.info.check_confidence,
                    found.scores >= VEHICLE_MIN_CONFIDENCE)
    return BoxSet(found.classes[keep], found.scores[keep], found.boxes_px[keep])


def _merge(a: BoxSet, b: BoxSet) -> BoxSet:
    """Both sets' boxes, best first, without a box whose centre lies in a better box of
    its class (or that holds the better box's centre): the same object seen twice."""
    classes = np.concatenate([a.classes, b.classes])
    scores = np.concatenate([a.scores, b.scores])
    boxes = np.concatenate([a.boxes_px, b.boxes_px]).reshape(-1, 4)
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    kept: list[int] = []
    for k in np.argsort(-scores, kind="stable"):
        same = [j for j in kept if classes[j] == classes[k]]
        if not any(inside_box(*centres[k], boxes[j]) or inside_box(*centres[j], boxes[k])
                   for j in same):
            kept.append(int(k))
    keep = np.array(kept, np.int64)
    return BoxSet(classes[keep], scores[keep], boxes[keep])


def network_detections(frame: Frame, geometry: FrameGeometry, detector: BoxDetector,
                       model: PersonModel) -> list[Detection]:
    """Persons (down to the model's "to check" confidence) and vehicles in a frame."""
    found = _network_boxes(frame, geometry, detector)
    person = detector.class_index("person")
    if not len(found):
        return []
    centres = [(float(x + w / 2), float(y + h / 2)) for x, y, w, h in found.boxes_px]
    placed = geometry.place(centres)
    unit, radiometric = frame.unit, frame.unit.radiometric
    detections = []
    for cls, score, box, (u, v), where in zip(found.classes, found.scores, found.boxes_px,
                                              centres, placed, strict=True):
        if where is None:
            continue
        fix, across, along = where
        peak, mean, around = _temperatures(frame, box)
        is_person = cls == person
        gsd = math.sqrt(across * along)
        rise_cap = model.min_contrast_k / 2 / unit.kelvin_per_count if radiometric else np.inf
        shape = _warm_shape(frame, box, peak, around, rise_cap)
        area_px, major_px, minor_px = shape.area_px, shape.length_px, shape.width_px
        if area_px == 0:  # nothing stands out of its surroundings: the box's own extent
            area_px = math.pi / 4 * float(box[2]) * float(box[3])
            major_px, minor_px = float(max(box[2], box[3])), float(min(box[2], box[3]))
        length_m, width_m = major_px * gsd, minor_px * gsd
        if is_person and radiometric:
            if not _is_warm_person(frame, peak, around, length_m, width_m, model):
                continue
            if shape.cut:  # its size is unknown: at most a candidate to check
                score = min(score, detector.info.check_confidence)
        detections.append(Detection(
            FindingKind.PERSON if is_person else FindingKind.VEHICLE, frame.time_unix_s,
            u, v, float(score), area_px * across * along, length_m, width_m,
            (peak - around) * unit.kelvin_per_count,
            float(unit.to_celsius(peak)) if radiometric else None,
            float(unit.to_celsius(mean)) if radiometric else None, fix, frame.source,
            tuple(float(b) for b in box)))  # type: ignore[arg-type]
    return detections
