"""HIT-UAV as labelled frames: images, boxes per class, and the flight in each file name.

HIT-UAV (Suo et al., Scientific Data 10:227, 2023; CC BY 4.0) is COCO-like with two
quirks: the annotation list is called ``annotation`` and images carry ``filename``.
Categories are 0 Person, 1 Car, 2 Bicycle, 3 OtherVehicle and 4 DontCare; file names are
``{night}_{altitude m}_{camera angle deg}_{weather}_{index}.jpg``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["DONT_CARE", "LabelledFrame", "load_split"]

DONT_CARE = 4


@dataclass(frozen=True, slots=True)
class LabelledFrame:
    """One frame's file, boxes ``[x, y, w, h]`` px with their class, and its flight."""

    path: Path
    boxes_px: NDArray[np.float32]  # (n, 4)
    classes: NDArray[np.int64]  # (n,) 0..3, or DONT_CARE
    altitude_m: float
    angle_deg: float
    night: bool

    @property
    def persons_px(self) -> NDArray[np.float32]:
        return self.boxes_px[self.classes == 0]

    def read_pixels(self) -> NDArray[np.uint8]:
        """The frame's 8-bit levels (a ValueError naming the file if it cannot be read)."""
        pixels = cv2.imread(str(self.path), cv2.IMREAD_GRAYSCALE)
        if pixels is None:
            raise ValueError(f"{self.path}: not a readable image")
        return pixels


def load_split(root: Path, split: str) -> list[LabelledFrame]:
    """Every frame of ``split`` ("train" or "val") under ``root``, in file order.

    Raises
    ------
    FileNotFoundError
        The annotation file is missing (the message names it).
    ValueError
        An annotation names an unknown image or category.
    """
    labels_path = root / "annotations" / f"{split}.json"
    if not labels_path.is_file():
        raise FileNotFoundError(f"{labels_path}: no HIT-UAV annotations for split {split!r}")
    labels = json.loads(labels_path.read_text())
    by_image: dict[int, list[tuple[list[float], int]]] = defaultdict(list)
    for ann in labels["annotation"]:
        if not 0 <= ann["category_id"] <= DONT_CARE:
            raise ValueError(f"{labels_path}: annotation {ann['id']} has unknown category "
                             f"{ann['category_id']}")
        by_image[ann["image_id"]].append((ann["bbox"], ann["category_id"]))
    frames = []
    for image in sorted(labels["images"], key=lambda i: i["filename"]):
        path = root / split / image["filename"]
        parts = path.stem.split("_")
        found = by_image.get(image["id"], [])
        boxes = np.array([b for b, _ in found], dtype=np.float32).reshape(-1, 4)
        classes = np.array([c for _, c in found], dtype=np.int64)
        frames.append(LabelledFrame(path, boxes, classes, float(parts[1]), float(parts[2]),
                                    parts[0] == "1"))
    return frames
