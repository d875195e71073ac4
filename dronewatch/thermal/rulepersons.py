"""The rule-based person detector: warm blobs of a person's size, contrast and warmth.

Kept as the baseline the learned detector is measured against (``python -m
tests.benchmarks.hituav`` prints both) and as the detector of ``detect(...,
persons_by="rules")``; on real frames it finds about half of the people at one true
alarm in five, so searches use the network.
"""

from __future__ import annotations

import math

from dronewatch.thermal.blobs import Blob, scene_stats, warm_blobs
from dronewatch.thermal.detection import Detection, FindingKind, PersonModel
from dronewatch.thermal.frame import Frame
from dronewatch.thermal.placement import FrameGeometry, plausible_area

__all__ = ["rule_persons"]


def _score(value: float, low: float, high: float, margin: float) -> float:
    """1 when ``margin`` or more inside [low, high], falling linearly to 0 at the edges."""
    inside = min(value - low, high - value)
    return float(min(max(inside / margin, 0.0), 1.0))


def _person(blob: Blob, frame: Frame, across: float, along: float,
            model: PersonModel) -> float | None:
    """Confidence that a blob is a person (None when it is not).

    A blob cut by the image edge cannot be measured and is left to the next,
    overlapping frame: a half-seen truck is person-sized.
    """
    if blob.touches_edge:
        return None
    gsd = math.sqrt(across * along)
    area = blob.area_px * across * along
    length, width = blob.major_px * gsd, blob.minor_px * gsd
    if not model.min_area_m2 <= area <= model.max_area_m2:
        return None
    if length > model.max_length_m or width > model.max_width_m:
        return None
    if frame.unit.radiometric:
        contrast_k = blob.contrast * frame.unit.kelvin_per_count
        peak_c = float(frame.unit.to_celsius(blob.peak))
        if contrast_k < model.min_contrast_k:
            return None
        if not model.min_peak_c <= peak_c <= model.max_peak_c:
            return None
        s_contrast = min(contrast_k / (2 * model.min_contrast_k), 1.0)
        s_temp = _score(peak_c, model.min_peak_c, model.max_peak_c, 4.0)
    else:
        if blob.contrast < model.agc_min_contrast:  # (the caller also applies the sigmas)
            return None
        s_contrast = min(blob.contrast / (2 * model.agc_min_contrast), 1.0)
        s_temp = 0.6  # no temperature: size and contrast only
    s_size = _score(area, model.min_area_m2, model.max_area_m2, 0.1)
    return 0.3 + 0.7 * (s_contrast + s_size + s_temp) / 3.0


def rule_persons(frame: Frame, geometry: FrameGeometry, model: PersonModel) -> list[Detection]:
    """Person-like warm blobs, placed and scored (confidence from size, contrast, warmth)."""
    unit = frame.unit
    if unit.radiometric:
        min_contrast = model.min_contrast_k / unit.kelvin_per_count
    else:  # AGC stretches a quiet scene's grain over the levels: stand above it too
        min_contrast = max(model.agc_min_contrast,
                           model.agc_min_sigmas * scene_stats(frame.pixels).sigma)
    blobs = warm_blobs(frame, min_contrast)
    if blobs:
        rough = geometry.rough([(b.u_px, b.v_px) for b in blobs])
        blobs = [b for b, (across, along) in zip(blobs, rough, strict=True)
                 if plausible_area(b.area_px, across, along, model.min_area_m2,
                                    model.max_area_m2)]
    found: list[Detection] = []
    if blobs:
        placed = geometry.place([(b.u_px, b.v_px) for b in blobs])
        for blob, where in zip(blobs, placed, strict=True):
            if where is None:
                continue
            fix, across, along = where
            confidence = _person(blob, frame, across, along, model)
            if confidence is None:
                continue
            gsd = math.sqrt(across * along)
            radiometric = unit.radiometric
            found.append(Detection(
                FindingKind.PERSON, frame.time_unix_s, blob.u_px, blob.v_px, confidence,
                blob.area_px * across * along, blob.major_px * gsd, blob.minor_px * gsd,
                blob.contrast * unit.kelvin_per_count,
                float(unit.to_celsius(blob.peak)) if radiometric else None,
                float(unit.to_celsius(blob.mean)) if radiometric else None, fix, frame.source))
    return found
