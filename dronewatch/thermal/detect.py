"""Persons and hotspots in one frame, measured in metres and placed on the ground.

Why size on the ground and not in pixels: at 60 m a lying person is 20 pixels long
and at 120 m 10; only the ground sample distance at the blob's own pixel (from the
pose and terrain, or a flat-ground scale when there is no pose) makes "person-sized"
one rule at every altitude and view angle. Why temperature bands as well: a sheep's
wool and a car's body are warm blobs too, and in a radiometric frame their surface
temperature and size tell them apart from a person, where an 8-bit AGC frame can
only go by size and contrast.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from dronewatch.geo.terrain import Terrain
from dronewatch.thermal.blobs import Blob, components, scene_stats, warm_blobs
from dronewatch.thermal.frame import Frame
from dronewatch.thermal.georef import TYPICAL_POSE, GroundFix, Locator, PoseUncertainty

__all__ = ["Detection", "DetectionKind", "GroundScale", "HotspotModel", "PersonModel",
           "detect", "flat_ground_scale"]

GroundScale = Callable[[float, float], tuple[float, float]]
"""(u, v) -> metres per pixel (across, along the look direction), for frames without pose."""


class DetectionKind(StrEnum):
    PERSON = "person"
    HOTSPOT = "hotspot"


@dataclass(frozen=True, slots=True)
class PersonModel:
    """What a person looks like from above at night or in the day.

    Sizes cover standing (head and shoulders, ~0.5 x 0.35 m), sitting (~0.9 x 0.7 m)
    and lying (~1.8 x 0.5 m) people; the temperature band is a clothed body's apparent
    surface temperature, from a cold night (well below skin) to a sunny day.
    """

    min_area_m2: float = 0.06
    max_area_m2: float = 1.3
    max_length_m: float = 2.3
    max_width_m: float = 1.1
    min_contrast_k: float = 8.0  # wool-covered sheep stay below this over their ground
    min_peak_c: float = 5.0
    max_peak_c: float = 42.0
    agc_min_contrast: float = 60.0  # display levels of 8-bit AGC frames (HIT-UAV train)
    agc_min_sigmas: float = 2.5  # ... and this many scene sigmas


@dataclass(frozen=True, slots=True)
class HotspotModel:
    """Hot ground as coal-fire mapping finds it: an absolute threshold, or far above the
    scene (median + k·sigma, and at least ``min_rise_k``), over at least ``min_area_m2``."""

    absolute_c: float = 60.0
    k_sigma: float = 4.0
    min_rise_k: float = 25.0
    min_area_m2: float = 3.0
    agc_min_rise: float = 80.0  # display levels above the scene median, for 8-bit frames


@dataclass(frozen=True, slots=True)
class Detection:
    """One thing seen in one frame."""

    kind: DetectionKind
    time_unix_s: float
    u_px: float
    v_px: float
    confidence: float
    area_m2: float
    length_m: float
    width_m: float
    contrast: float  # kelvin for radiometric frames, display levels for AGC
    peak_c: float | None  # None for AGC frames
    mean_c: float | None
    fix: GroundFix | None  # None when the frame had no pose
    source: str = ""


def flat_ground_scale(camera_hfov_deg: float, width_px: int, height_px: int,
                      height_agl_m: float, pitch_deg: float = -90.0) -> GroundScale:
    """Ground scale over level ground for a camera at a height and a pitch (no pose)."""
    focal = (width_px / 2.0) / math.tan(math.radians(camera_hfov_deg) / 2.0)
    cv = (height_px - 1) / 2.0

    def scale(u: float, v: float) -> tuple[float, float]:
        depression = math.radians(-pitch_deg) - math.atan((v - cv) / focal)
        depression = min(max(depression, math.radians(5.0)), math.radians(90.0))
        slant = height_agl_m / math.sin(depression)
        across = slant / focal
        return across, across / math.sin(depression)

    return scale


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


class _Geometry:
    """Ground scale and placement for one frame: from its pose, or from a flat scale."""

    def __init__(self, frame: Frame, terrain: Terrain | None, scale: GroundScale | None,
                 uncertainty: PoseUncertainty) -> None:
        self.locator = None
        if frame.pose is not None and terrain is not None:
            self.locator = Locator(terrain, frame.camera, frame.pose, uncertainty)
        elif scale is None:
            raise ValueError(f"{frame.source or 'frame'}: detection needs a pose and "
                             "terrain, or a ground scale")
        self.scale = scale

    def rough(self, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """Scale over level ground below the camera (see ``Locator.rough_scales``)."""
        if self.locator is None:
            return [self.scale(u, v) for u, v in points]  # type: ignore[misc]
        return self.locator.rough_scales([p[0] for p in points], [p[1] for p in points])

    def place(self, points: list[tuple[float, float]],
              ) -> list[tuple[GroundFix | None, float, float] | None]:
        """Exact placement and scale; None where a pixel sees no ground."""
        if self.locator is None:
            return [(None, *self.scale(u, v)) for u, v in points]  # type: ignore[misc]
        fixes = self.locator.locate([p[0] for p in points], [p[1] for p in points])
        return [(f, f.gsd_across_m, f.gsd_along_m) if f is not None else None for f in fixes]


def _plausible_area(area_px: float, across: float, along: float, low_m2: float,
                    high_m2: float) -> bool:
    """Whether a roughly scaled area could be within [low, high] (x3 either way)."""
    area = area_px * across * along
    return not (area < low_m2 / 3 or area > high_m2 * 3)  # NaN (no scale yet) passes


def _hotspots(frame: Frame, model: HotspotModel, geometry: _Geometry) -> list[Detection]:
    pixels = frame.pixels
    stats = scene_stats(pixels)
    if frame.unit.radiometric:
        step = frame.unit.kelvin_per_count
        rise = max(model.k_sigma * stats.sigma, model.min_rise_k / step)
        absolute = float(frame.unit.from_celsius(model.absolute_c))
        level = min(absolute, stats.median + rise)
    else:
        level = stats.median + max(model.k_sigma * stats.sigma, model.agc_min_rise)
    if float(pixels.max()) < level:
        return []
    mask = cv2.compare(pixels, np.array(level, dtype=np.float64), cv2.CMP_GE)
    # the coarsest pixel of the frame bounds how few pixels a hotspot can cover
    w, h = frame.camera.width_px - 1, frame.camera.height_px - 1
    corners = geometry.rough([(0, 0), (w, 0), (0, h), (w, h), (w / 2, h / 2)])
    largest_px_m2 = max(a * b for a, b in corners)
    min_px = int(model.min_area_m2 / 3 / largest_px_m2) if math.isfinite(largest_px_m2) else 2
    regions = list(components(mask, max(min_px, 2)))
    if not regions:
        return []
    centres = []
    for x, y, inside in regions:
        rows, cols = np.nonzero(inside)
        centres.append((x + float(cols.mean()), y + float(rows.mean())))
    rough = geometry.rough(centres)
    keep = [k for k, (x, y, inside) in enumerate(regions)
            if _plausible_area(np.count_nonzero(inside), *rough[k], model.min_area_m2, math.inf)]
    regions = [regions[k] for k in keep]
    centres = [centres[k] for k in keep]
    placed = geometry.place(centres)
    found = []
    radiometric = frame.unit.radiometric
    step = frame.unit.kelvin_per_count if radiometric else 1.0
    for (x, y, inside), (u, v), where in zip(regions, centres, placed, strict=True):
        if where is None:
            continue
        fix, across, along = where
        area_m2 = float(np.count_nonzero(inside)) * across * along
        if area_m2 < model.min_area_m2:
            continue
        h, w = inside.shape
        values = pixels[y:y + h, x:x + w][inside]
        peak, mean = float(values.max()), float(values.mean(dtype=np.float64))
        excess = (peak - level) / max(level - stats.median, 1e-6)
        found.append(Detection(
            DetectionKind.HOTSPOT, frame.time_unix_s, u, v, min(0.6 + 0.4 * excess, 1.0),
            area_m2, max(w * across, h * along), min(w * across, h * along),
            (peak - stats.median) * step,
            float(frame.unit.to_celsius(peak)) if radiometric else None,
            float(frame.unit.to_celsius(mean)) if radiometric else None, fix, frame.source))
    return found


def detect(
    frame: Frame,
    terrain: Terrain | None = None,
    *,
    persons: PersonModel = PersonModel(),
    hotspots: HotspotModel = HotspotModel(),
    uncertainty: PoseUncertainty = TYPICAL_POSE,
    scale: GroundScale | None = None,
) -> list[Detection]:
    """Persons and hotspots in a frame, placed on the terrain when the frame has a pose.

    Raises
    ------
    ValueError
        The frame has no pose (or no terrain is given) and no ``scale`` either.
    """
    geometry = _Geometry(frame, terrain, scale, uncertainty)
    unit = frame.unit
    if unit.radiometric:
        min_contrast = persons.min_contrast_k / unit.kelvin_per_count
    else:  # AGC stretches a quiet scene's grain over the levels: stand above it too
        min_contrast = max(persons.agc_min_contrast,
                           persons.agc_min_sigmas * scene_stats(frame.pixels).sigma)
    blobs = warm_blobs(frame, min_contrast)
    if blobs:
        rough = geometry.rough([(b.u_px, b.v_px) for b in blobs])
        blobs = [b for b, (across, along) in zip(blobs, rough, strict=True)
                 if _plausible_area(b.area_px, across, along, persons.min_area_m2,
                                    persons.max_area_m2)]
    found: list[Detection] = []
    if blobs:
        placed = geometry.place([(b.u_px, b.v_px) for b in blobs])
        for blob, where in zip(blobs, placed, strict=True):
            if where is None:
                continue
            fix, across, along = where
            confidence = _person(blob, frame, across, along, persons)
            if confidence is None:
                continue
            gsd = math.sqrt(across * along)
            radiometric = unit.radiometric
            found.append(Detection(
                DetectionKind.PERSON, frame.time_unix_s, blob.u_px, blob.v_px, confidence,
                blob.area_px * across * along, blob.major_px * gsd, blob.minor_px * gsd,
                blob.contrast * unit.kelvin_per_count,
                float(unit.to_celsius(blob.peak)) if radiometric else None,
                float(unit.to_celsius(blob.mean)) if radiometric else None, fix, frame.source))
    found.extend(_hotspots(frame, hotspots, geometry))
    return found
