"""8-bit display levels on the networks' input scale, one way for training and run time.

Why one place: the centre network and the refiner learned levels as
``(level - 128) / 64`` (about -2..2); a frame fed on another scale is a frame they never
saw. Why a look-up table: a level has 256 values, so a table read is one pass over the
frame instead of a conversion, a subtraction and a division (a millisecond of a 30 Hz
frame's budget on one core).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["network_levels"]

_TABLE = ((np.arange(256, dtype=np.float32) - 128.0) / 64.0).reshape(1, 256)


def network_levels(levels: NDArray[np.uint8]) -> NDArray[np.float32]:
    """``levels`` (any shape, uint8) as float32 network input of the same shape."""
    if levels.dtype != np.uint8:
        raise ValueError(f"network input takes uint8 display levels, got {levels.dtype}")
    if levels.size == 0:
        return np.zeros(levels.shape, np.float32)
    rows = np.ascontiguousarray(levels).reshape(-1, levels.shape[-1])
    return cv2.LUT(rows, _TABLE).reshape(levels.shape)
