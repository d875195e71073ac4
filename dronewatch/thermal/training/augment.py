"""Training crops that look like the field: other heights, headings, AGC and sensors.

Why each change: scale stands for flying 60-130 m (and a coarser camera: the station's
61° lens at 80 m sees people smaller than HIT-UAV does); rotation and flips for any
heading; gamma, gain and offset for the camera's AGC picking another window; noise and
blur for a warmer sensor, vibration and focus. Boxes follow the geometry: a rotated
box's extent is that of its inscribed ellipse, not of its corners (which would grow
every box by up to 41 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["Augment", "Crop", "random_crop"]


@dataclass(frozen=True, slots=True)
class Augment:
    crop_px: int = 256
    scale_range: tuple[float, float] = (0.7, 1.4)
    object_centred: float = 0.7  # share of crops centred near a labelled object
    rotate_any: float = 0.1  # share of crops turned by any angle (else a few degrees)
    gamma_range: tuple[float, float] = (0.6, 1.6)
    contrast_range: tuple[float, float] = (0.6, 1.3)
    offset_levels: float = 25.0
    noise_levels_max: float = 6.0
    blur_chance: float = 0.3
    blur_sigma_max_px: float = 1.2


@dataclass(frozen=True, slots=True)
class Crop:
    pixels: NDArray[np.uint8]  # (crop, crop)
    boxes_px: NDArray[np.float32]  # (n, 4) x, y, w, h in the crop
    classes: NDArray[np.int64]


def random_crop(image: NDArray[np.uint8], boxes_px: NDArray[np.float32],
                classes: NDArray[np.int64], rng: np.random.Generator,
                aug: Augment = Augment()) -> Crop:
    """One augmented square crop of ``image`` with its boxes (centres inside only)."""
    height, width = image.shape
    size = aug.crop_px
    scale = math.exp(rng.uniform(*np.log(aug.scale_range)))
    angle = rng.uniform(-180, 180) if rng.random() < aug.rotate_any else rng.normal(0, 4)
    if len(boxes_px) and rng.random() < aug.object_centred:
        x, y, w, h = boxes_px[rng.integers(len(boxes_px))]
        centre = (x + w / 2 + rng.normal(0, size / 4 / scale),
                  y + h / 2 + rng.normal(0, size / 4 / scale))
    else:
        centre = (rng.uniform(0, width), rng.uniform(0, height))
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale)
    matrix[:, 2] += (size / 2 - centre[0], size / 2 - centre[1])
    if rng.random() < 0.5:  # mirror: x -> size - x
        matrix[0] = -matrix[0]
        matrix[0, 2] += size
    fill = float(np.median(image[::8, ::8]))
    pixels = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    out_boxes, out_classes = _move_boxes(boxes_px, classes, matrix, angle, scale, size)
    return Crop(_photometric(pixels, rng, aug), out_boxes, out_classes)


def _move_boxes(boxes_px: NDArray[np.float32], classes: NDArray[np.int64],
                matrix: NDArray[np.float64], angle_deg: float, scale: float,
                size: int) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    if not len(boxes_px):
        return boxes_px.reshape(0, 4), classes
    x, y, w, h = boxes_px.T.astype(np.float64)
    # Boxes are in edge coordinates (pixel i spans i..i+1), the warp in pixel-centre
    # ones (pixel i sits at i): a mirror moved every box a whole pixel off its object.
    cx, cy = x + w / 2 - 0.5, y + h / 2 - 0.5
    ncx = matrix[0, 0] * cx + matrix[0, 1] * cy + matrix[0, 2] + 0.5
    ncy = matrix[1, 0] * cx + matrix[1, 1] * cy + matrix[1, 2] + 0.5
    c, s = abs(math.cos(math.radians(angle_deg))), abs(math.sin(math.radians(angle_deg)))
    nw = scale * np.sqrt((w * c) ** 2 + (h * s) ** 2)
    nh = scale * np.sqrt((w * s) ** 2 + (h * c) ** 2)
    inside = (ncx >= 0) & (ncx < size) & (ncy >= 0) & (ncy < size)
    moved = np.stack([ncx - nw / 2, ncy - nh / 2, nw, nh], axis=1)[inside]
    return moved.astype(np.float32), classes[inside]


def _photometric(pixels: NDArray[np.uint8], rng: np.random.Generator,
                 aug: Augment) -> NDArray[np.uint8]:
    gamma = math.exp(rng.uniform(*np.log(aug.gamma_range)))
    contrast = rng.uniform(*aug.contrast_range)
    offset = rng.uniform(-aug.offset_levels, aug.offset_levels)
    levels = np.arange(256, dtype=np.float64) / 255.0
    table = 127.5 + contrast * (255.0 * levels ** gamma - 127.5) + offset
    out = cv2.LUT(pixels, np.clip(table, 0, 255).astype(np.uint8))
    if rng.random() < aug.blur_chance:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, aug.blur_sigma_max_px))
    noise_sd = rng.uniform(0, aug.noise_levels_max)
    if noise_sd > 0.5:
        noisy = out.astype(np.float32) + rng.normal(0, noise_sd, out.shape).astype(np.float32)
        out = np.clip(noisy, 0, 255).astype(np.uint8)
    return out
