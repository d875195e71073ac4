"""What the network should answer for a crop: a Gaussian per centre, sizes and offsets.

Why an elliptical Gaussian sized by the box: a lying person is three times as long as
wide, and a round blob of the long side would teach the network to fire beside them.

Why the box is learned around the centre, not only on it: a person is 3x5 cells, and
the heat map's peak lands a cell beside the labelled centre often enough; a box head
taught on the centre cell alone answers there with an untrained guess (IoU < 0.5 while
the centre is right). Cells where the object's Gaussian is at least 0.1, inside its
box, learn its size and their own offset to its centre, weighted by the Gaussian
(TTFNet's Gaussian-weighted regression, Liu et al. 2020).
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
    box_weight: NDArray[np.float32]  # (h, w) how much each cell's box counts (1 at centres)
    ignore: NDArray[np.float32]  # (h, w) 1 inside DontCare boxes


def render_targets(boxes_px: NDArray[np.float32], classes: NDArray[np.int64], size_px: int,
                   stride: int, n_classes: int) -> Targets:
    cells = size_px // stride
    heat = np.zeros((n_classes, cells, cells), np.float32)
    size = np.zeros((2, cells, cells), np.float32)
    offset = np.zeros((2, cells, cells), np.float32)
    box_weight = np.zeros((cells, cells), np.float32)
    ignore = np.zeros((cells, cells), np.float32)
    grid = np.arange(cells, dtype=np.float32)
    centre_of_cell = (grid + 0.5) * stride
    by_area = np.argsort(-(boxes_px[:, 2] * boxes_px[:, 3]), kind="stable")
    for (x, y, w, h), cls in zip(boxes_px[by_area], classes[by_area], strict=True):
        # largest first, so where boxes overlap the smaller object's box is the one learned
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
        gauss = np.outer(gy, gx)
        np.maximum(heat[cls], gauss, out=heat[cls])
        heat[cls, row, col] = 1.0
        inside = np.outer((centre_of_cell >= y) & (centre_of_cell <= y + h),
                          (centre_of_cell >= x) & (centre_of_cell <= x + w))
        region = (gauss >= 0.1) & inside
        region[row, col] = True
        weight = np.where(region, gauss, 0.0)
        weight[row, col] = 1.0
        rr, cc = np.nonzero(region)
        size[0, rr, cc] = np.log(max(w, 1.0) / stride)
        size[1, rr, cc] = np.log(max(h, 1.0) / stride)
        offset[0, rr, cc] = cx - cc
        offset[1, rr, cc] = cy - rr
        box_weight[rr, cc] = weight[rr, cc]
    return Targets(heat, size, offset, box_weight, ignore)
