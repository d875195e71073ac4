"""Warm blobs in a frame's own pixel units: the cheap first look at every frame.

Why in raw units: converting a 640x512 frame to °C costs more than finding its warm
blobs; thresholds are converted to counts once per frame instead. Why a coarse
background: the ground temperature drifts slowly across a frame (slopes, spoil heaps,
vignetting) while a person or a fire is small; an area-averaged 1/16 image brought
back to full size is a local background in two cheap resizes, and the contrast
above it is what stands out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from dronewatch.thermal.frame import Frame

__all__ = ["Blob", "SceneStats", "background", "components", "scene_stats", "warm_blobs"]

BACKGROUND_CELL_PX = 16


@dataclass(frozen=True, slots=True)
class Blob:
    """A connected warm region, measured in pixels and in the frame's units."""

    u_px: float  # centroid of the measured region (half the mean contrast)
    v_px: float
    area_px: float  # pixels at or above half the peak contrast
    major_px: float  # full length of the equivalent ellipse
    minor_px: float
    peak: float  # hottest pixel, frame units
    mean: float  # mean of the measured region, frame units
    contrast: float  # peak above the local background, frame units (kelvin-sized steps)
    background: float  # local background at the peak, frame units
    touches_edge: bool


@dataclass(frozen=True, slots=True)
class SceneStats:
    """Robust level and spread of the frame, in frame units."""

    median: float
    sigma: float


def background(pixels: NDArray, cell_px: int = BACKGROUND_CELL_PX,
               offset: float = 0.0) -> NDArray:
    """The local background (plus ``offset``): area mean over cells, bilinearly back to
    full size. The offset is added on the small image, where it costs nothing."""
    height, width = pixels.shape
    # every 4th pixel each way is plenty for a cell's mean and a tenth of the cost
    stride = 4 if cell_px % 4 == 0 and min(height, width) >= 4 * cell_px else 1
    sample = np.ascontiguousarray(pixels[stride // 2::stride, stride // 2::stride])
    small = cv2.resize(sample, (max(width // cell_px, 1), max(height // cell_px, 1)),
                       interpolation=cv2.INTER_AREA)
    if offset:
        if small.dtype.kind == "f":
            small = small + small.dtype.type(offset)
        else:
            top = np.iinfo(small.dtype).max
            small = np.minimum(small.astype(np.int64) + round(offset), top).astype(small.dtype)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def scene_stats(pixels: NDArray) -> SceneStats:
    """Median and MAD-based sigma from a 1/16 grid of pixels (1,280 of a 640x512 frame):
    hot spots barely move either, and the scene's level needs no more."""
    sample = pixels[::16, ::16].astype(np.float32).ravel()
    middle = sample.size // 2
    median = float(np.partition(sample, middle)[middle])  # np.median's sort, without its checks
    deviation = np.abs(sample - np.float32(median))
    sigma = 1.4826 * float(np.partition(deviation, middle)[middle])
    return SceneStats(median, sigma)


def _measure(inside: NDArray[np.bool_], values: NDArray, back: NDArray, x0: int,
             y0: int, edge: bool, min_contrast: float) -> Blob | None:
    diff = values - back
    rise = diff[inside]
    region = values[inside]
    peak_at = int(region.argmax())
    peak = float(region[peak_at])
    contrast = float(rise[peak_at])
    if contrast < min_contrast:
        return None
    # the outline at half the body's (mean) contrast: a hot head on a cool body, or a
    # faint and a strong person, then measure the whole body alike
    level = max(float(rise.mean()) / 2.0, min_contrast / 2.0)
    half = diff >= level
    half &= inside
    moments = cv2.moments(half.view(np.uint8), binaryImage=True)
    area = moments["m00"]
    if area <= 0:
        return None
    mu20, mu02, mu11 = moments["mu20"] / area, moments["mu02"] / area, moments["mu11"] / area
    spread = math.sqrt(((mu20 - mu02) / 2.0) ** 2 + mu11**2)
    major = 4.0 * math.sqrt(max((mu20 + mu02) / 2.0 + spread, 1.0 / 12.0))
    minor = 4.0 * math.sqrt(max((mu20 + mu02) / 2.0 - spread, 1.0 / 12.0))
    return Blob(
        x0 + moments["m10"] / area, y0 + moments["m01"] / area, float(area), major, minor,
        peak, float(values[half].mean()), contrast, peak - contrast, edge)


def warm_blobs(frame: Frame, min_contrast: float, *, min_area_px: int = 2,
               max_blobs: int = 200) -> list[Blob]:
    """Blobs whose peak stands ``min_contrast`` frame units above the local background.

    Each is measured at half its own mean contrast, so a faint and a strong person
    measure the same size. Only the ``max_blobs`` most contrasted are kept: a frame of
    noise must not stall the feed.
    """
    pixels = frame.pixels
    # segment at half the contrast asked for, so a blob's half-maximum region is whole
    offset = min_contrast / 2.0 if pixels.dtype.kind == "f" else max(round(min_contrast / 2), 1)
    level = background(pixels, offset=offset)
    mask = cv2.compare(pixels, level, cv2.CMP_GT)
    height, width = pixels.shape
    blobs = []
    for x, y, inside in components(mask, min_area_px):
        h, w = inside.shape
        edge = x == 0 or y == 0 or x + w == width or y + h == height
        roi = np.s_[y:y + h, x:x + w]
        back = level[roi].astype(np.float32) - np.float32(offset)
        blob = _measure(inside, pixels[roi].astype(np.float32), back, x, y, edge, min_contrast)
        if blob is not None:
            blobs.append(blob)
    blobs.sort(key=lambda b: -b.contrast)
    return blobs[:max_blobs]


def components(mask: NDArray[np.uint8],
               min_area_px: int = 1) -> Iterator[tuple[int, int, NDArray[np.bool_]]]:
    """Each 8-connected component of a sparse mask: (x0, y0, its pixels in its box).

    Why contours first: labelling a whole 640x512 frame with statistics costs about
    2 ms whatever it holds, tracing the outer contours of a sparse mask some 30 µs;
    only each component's own box is then labelled.
    """
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if w * h < min_area_px:
            continue
        _, labels = cv2.connectedComponents(mask[y:y + h, x:x + w], connectivity=8)
        px, py = contour[0][0]
        inside = labels == labels[py - y, px - x]
        if np.count_nonzero(inside) >= min_area_px:
            yield x, y, inside
