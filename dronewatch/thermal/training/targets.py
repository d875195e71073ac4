"""What the network should answer for a crop: a Gaussian per centre, sizes and offsets.

Why an elliptical Gaussian sized by the box: a lying person is three times as long as
wide, and a round blob of the long side would teach the network to fire beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewatch.thermal.training.hituav import DONT_CARE

__all__ = ["Targets", "render_targets"]


@dataclass(frozen=True, slots=True)
class Targets:
    heat: NDArray[np.float32]  # (classes, h, w), 1 at each centre cell
    size: NDArray[np.float32]  # (2, h, w) log(w, h in cells) at centre cells
    offset: NDArray[np.float32]  # (2, h, w) sub-cell offset at centre cells
    centres: NDArray[np.float32]  # (h, w) 1 at centre cells
    ignore: NDArray[np.float32]  # (h, w) 1 inside DontCare boxes


def render_targets(boxes_px: NDArray[np.float32], classes: NDArray[np.int64], size_px: int,
                   stride: int, n_classes: int) -> Targets:
    cells = size_px // stride
    heat = np.zeros((n_classes, cells, cells), np.float32)
    size = np.zeros((2, cells, cells), np.float32)
    offset = np.zeros((2, cells, cells), np.float32)
    centres = np.zeros((cells, cells), np.float32)
    ignore = np.zeros((cells, cells), np.float32)
    grid = np.arange(cells, dtype=np.float32)
    for (x, y, w, h), cls in zip(boxes_px, classes, strict=True):
        if cls == DONT_CARE:
            x0, y0 = int(max(x // stride, 0)), int(max(y // stride, 0))
            x1, y1 = int(min((x + w) // stride + 1, cells)), int(min((y + h) // stride + 1, cells))
            ignore[y0:y1, x0:x1] = 1.0
            continue
        cx, cy = (x + w / 2) / stride, (y + h / 2) / stride
        col, row = min(int(cx), cells - 1), min(int(cy), cells - 1)
        sx, sy = max(w / stride / 6, 0.5), max(h / stride / 6, 0.5)
        gx = np.exp(-((grid - col) ** 2) / (2 * sx * sx))
        gy = np.exp(-((grid - row) ** 2) / (2 * sy * sy))
        np.maximum(heat[cls], np.outer(gy, gx), out=heat[cls])
        heat[cls, row, col] = 1.0
        size[:, row, col] = np.log(max(w, 1.0) / stride), np.log(max(h, 1.0) / stride)
        offset[:, row, col] = cx - col, cy - row
        centres[row, col] = 1.0
    return Targets(heat, size, offset, centres, ignore)
