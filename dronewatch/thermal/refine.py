"""A second look at each person candidate: its box redrawn and its score re-judged from
the frame's own pixels around it.

Why: the centre network answers at a quarter of the frame's resolution, and a person
8-20 pixels across is 2-5 of its cells. It finds and ranks people well (AP 0.91 at IoU
0.1 on HIT-UAV val) but draws their boxes loosely (0.83 at IoU 0.5): an 11 x 19 px box
2 px off on two sides no longer counts. A small network that sees each candidate at full
resolution, scaled so that every candidate fills its patch alike, redraws the box and
says how likely it is that a person is in it; that judgement, joined with the centre
network's, ranks the candidates. Patches are cut here, without any learning library,
so that training and the run time cut them the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from dronewatch.thermal.netinput import network_levels
from dronewatch.thermal.onnxcpu import cpu_session

__all__ = ["PatchGeometry", "RefinerSession", "apply_deltas", "box_deltas", "cut_patches",
           "joint_score", "patch_sides_px"]

#: the patch side that ``log(side / SIDE_SCALE_PX)`` is measured from (network input)
SIDE_SCALE_PX = 32.0


@dataclass(frozen=True, slots=True)
class PatchGeometry:
    """How a candidate's patch is cut: a square around the box's centre, ``context`` times
    the box's longer side (at least ``min_side_px``), resampled to ``patch_px``."""

    patch_px: int = 32
    context: float = 2.5
    min_side_px: float = 24.0


def patch_sides_px(boxes_px: NDArray[np.float32], geometry: PatchGeometry,
                   ) -> NDArray[np.float32]:
    """The side of each box's patch in frame pixels."""
    longer = np.maximum(boxes_px[:, 2], boxes_px[:, 3])
    return np.maximum(geometry.context * longer, geometry.min_side_px).astype(np.float32)


def cut_patches(pixels: NDArray[np.uint8], boxes_px: NDArray[np.float32],
                geometry: PatchGeometry) -> NDArray[np.uint8]:
    """(n, patch_px, patch_px) patches of an 8-bit frame, one per box, edges replicated."""
    size = geometry.patch_px
    patches = np.empty((len(boxes_px), size, size), np.uint8)
    sides = patch_sides_px(boxes_px, geometry)
    for k, ((x, y, w, h), side) in enumerate(zip(boxes_px, sides, strict=True)):
        scale = size / float(side)
        warp = np.array([[scale, 0.0, size / 2 - scale * (x + w / 2)],
                         [0.0, scale, size / 2 - scale * (y + h / 2)]], np.float32)
        patches[k] = cv2.warpAffine(pixels, warp, (size, size), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)
    return patches


def box_deltas(boxes_px: NDArray[np.float32], targets_px: NDArray[np.float32],
               sides_px: NDArray[np.float32]) -> NDArray[np.float32]:
    """What the refiner learns: centre shift in patch sides, log size ratios."""
    shift_x = (targets_px[:, 0] + targets_px[:, 2] / 2 - boxes_px[:, 0] - boxes_px[:, 2] / 2)
    shift_y = (targets_px[:, 1] + targets_px[:, 3] / 2 - boxes_px[:, 1] - boxes_px[:, 3] / 2)
    return np.stack([shift_x / sides_px, shift_y / sides_px,
                     np.log(targets_px[:, 2] / boxes_px[:, 2]),
                     np.log(targets_px[:, 3] / boxes_px[:, 3])], axis=1).astype(np.float32)


def apply_deltas(boxes_px: NDArray[np.float32], deltas: NDArray[np.float32],
                 sides_px: NDArray[np.float32]) -> NDArray[np.float32]:
    """The boxes ``box_deltas`` describes (its inverse); size changes are capped at 2x."""
    centre_x = boxes_px[:, 0] + boxes_px[:, 2] / 2 + deltas[:, 0] * sides_px
    centre_y = boxes_px[:, 1] + boxes_px[:, 3] / 2 + deltas[:, 1] * sides_px
    limit = math.log(2.0)
    width = boxes_px[:, 2] * np.exp(np.clip(deltas[:, 2], -limit, limit))
    height = boxes_px[:, 3] * np.exp(np.clip(deltas[:, 3], -limit, limit))
    return np.stack([centre_x - width / 2, centre_y - height / 2, width, height],
                    axis=1).astype(np.float32)


def network_patches(patches: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Patches at the refiner's input scale (as the centre network's: about -2..2)."""
    return network_levels(patches)[:, None]


def side_features(heat: NDArray[np.float32], sides_px: NDArray[np.float32],
                  ) -> NDArray[np.float32]:
    """What the patch cannot show: the centre network's score, and how large the patch
    was in the frame (a person is a size, not only a shape)."""
    return np.stack([heat, np.log(sides_px / SIDE_SCALE_PX)], axis=1).astype(np.float32)


def joint_score(heat: NDArray[np.float32], person_logit: NDArray[np.float32],
                ) -> NDArray[np.float32]:
    """The geometric mean of the two networks' beliefs: either one's doubt pulls the
    candidate down (measured on val: above either score alone)."""
    person = 1.0 / (1.0 + np.exp(-person_logit.astype(np.float64)))
    return np.sqrt(heat.astype(np.float64) * person).astype(np.float32)


class RefinerSession:
    """The refiner's ONNX network: (patches, side features) -> (deltas, person logit).

    With ``mirror_average`` every patch is also looked at mirrored and the two answers
    averaged: a person seen from above has no left or right. The second opinion doubles
    the refiner's cost for val AP50 +0.005 (measured), so the shipped model does without.
    """

    def __init__(self, path: Path, geometry: PatchGeometry, threads: int = 1,
                 mirror_average: bool = False) -> None:
        self.geometry = geometry
        self.mirror_average = mirror_average
        self._session = cpu_session(path, threads)
        names = [i.name for i in self._session.get_inputs()]
        if len(names) != 2 or len(self._session.get_outputs()) != 1:
            raise ValueError("expected inputs (patches, side features) and one output")
        self._patches, self._sides = names

    def feeds(self, pixels: NDArray[np.uint8], boxes_px: NDArray[np.float32],
              heat: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        """The network's inputs for ``boxes_px`` (at least one): what it sees of them, and
        what quantizing it calibrates on."""
        return self._feeds(pixels, boxes_px, heat, patch_sides_px(boxes_px, self.geometry))

    def _feeds(self, pixels: NDArray[np.uint8], boxes_px: NDArray[np.float32],
               heat: NDArray[np.float32], sides_px: NDArray[np.float32],
               ) -> dict[str, NDArray[np.float32]]:
        return {self._patches: network_patches(cut_patches(pixels, boxes_px, self.geometry)),
                self._sides: side_features(heat, sides_px)}

    def __call__(self, pixels: NDArray[np.uint8], boxes_px: NDArray[np.float32],
                 heat: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Redrawn boxes and joint scores of ``boxes_px`` (raw centre-network ``heat``)."""
        if len(boxes_px) == 0:
            return boxes_px, heat
        sides = patch_sides_px(boxes_px, self.geometry)
        feeds = self._feeds(pixels, boxes_px, heat, sides)
        patches, features = feeds[self._patches], feeds[self._sides]
        if self.mirror_average:
            count = len(patches)
            both = self._session.run(None, {
                self._patches: np.concatenate([patches, patches[..., ::-1]]),
                self._sides: np.concatenate([features, features])})[0]
            mirrored = both[count:]
            mirrored[:, 0] *= -1  # a shift to the right in the mirror is one to the left
            output = (both[:count] + mirrored) / 2
        else:
            output = self._session.run(None, {self._patches: patches,
                                              self._sides: features})[0]
        return (apply_deltas(boxes_px, output[:, :4], sides), joint_score(heat, output[:, 4]))
