"""Hot ground as coal-fire mapping finds it: classical thresholds, no learning.

Why no network here: a coal fire or a hot machine is defined by its temperature, which a
radiometric frame measures; a threshold over the scene (or an absolute one) says what an
operator means by "hotspot" and can be checked against a thermometer.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from dronewatch.thermal.blobs import components, scene_stats
from dronewatch.thermal.detection import Detection, FindingKind, HotspotModel
from dronewatch.thermal.frame import Frame
from dronewatch.thermal.placement import FrameGeometry, plausible_area

__all__ = ["hotspots"]


def hotspots(frame: Frame, model: HotspotModel, geometry: FrameGeometry) -> list[Detection]:
    """Regions far above the scene or above an absolute temperature, placed and sized."""
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
            if plausible_area(np.count_nonzero(inside), *rough[k], model.min_area_m2, math.inf)]
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
            FindingKind.HOTSPOT, frame.time_unix_s, u, v, min(0.6 + 0.4 * excess, 1.0),
            area_m2, max(w * across, h * along), min(w * across, h * along),
            (peak - stats.median) * step,
            float(frame.unit.to_celsius(peak)) if radiometric else None,
            float(frame.unit.to_celsius(mean)) if radiometric else None, fix, frame.source))
    return found
