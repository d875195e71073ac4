"""Training the person refiner on the centre network's own candidates in the train split.

Why its own candidates: the refiner must mend the errors this centre network makes, so
it learns from the boxes it draws on the train frames (true ones and false ones): every
person heat-map cell the run time looks at (not only the peaks, see
``decode_centres``), weaker peaks as what is not a person, plus labelled people with
their boxes shifted and rescaled at random, so that it also sees errors larger than the
ones this network makes on frames it was trained on.

The second stage learns the same way from the same candidates as the first stage has
redrawn and scored them (its errors are smaller, so its jitter and the overlap that
earns a box are tighter): a cascade, each stage mending what the one before leaves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from dronewatch.thermal.boxes import iou_matrix
from dronewatch.thermal.learned import BoxDetector
from dronewatch.thermal.refine import (
    PatchGeometry,
    box_deltas,
    cut_patches,
    network_patches,
    patch_sides_px,
    side_features,
)
from dronewatch.thermal.training.hituav import LabelledFrame

__all__ = ["SECOND_STAGE", "RefinerNet", "RefinerSettings", "export_refiner",
           "native_bfloat16", "train_refiner"]

PERSON = 0
_GEOMETRY = PatchGeometry()


def native_bfloat16() -> bool:
    """Whether oneDNN runs bfloat16 natively on this CPU (PyTorch has no public test);
    elsewhere it is emulated, slower than float32."""
    probe = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return bool(probe and probe())


@dataclass(frozen=True, slots=True)
class RefinerSettings:
    epochs: int = 16
    batch: int = 256
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    # every person cell from here up is a run-time candidate: 39 a frame on val (64 from
    # 0.1, for val AP50 +0.004 at 1.6x the refiner's cost)
    min_raw_score: float = 0.15
    train_cells_from: float = 0.1  # training looks at more cells than the run time
    train_min_raw_score: float = 0.05  # weaker peaks still teach what is not a person
    duplicate_iou: float = 0.6  # redrawn person boxes overlapping more repeat one another
    # and are ranked lower, not dropped: val AP50 0.8957 -> 0.9017 (people in groups)
    decay_repeats: bool = True
    # at run time a stage skips a candidate whose box overlaps a better one's more: with
    # repeats ranked lower, val AP50 0.9017 -> 0.9021 for 25 % fewer patches than at 0.8
    # (48 -> 36 a frame, both stages; 62 with none skipped)
    repeat_iou: float = 0.7
    jittered_per_label: int = 2
    jitter_shift: float = 0.12  # of the box's longer side (standard deviation)
    jitter_log_size: float = 0.2
    box_min_iou: float = 0.2  # a candidate this close to a person learns that person's box
    person_min_iou: float = 0.5  # and this close, that it is one (AP50's rule)
    # at run time (see RefinerSession): val AP50 +0.005 for twice the refiner's cost
    mirror_average: bool = False
    # in bfloat16 (a CPU with it natively, see native_bfloat16) its dense convolutions
    # train 1.8x faster, a stage 1.4x; same training loss, one run's val AP50 differs
    # (model card), so the shipped model's float32 stays the default
    bfloat16: bool = False
    seed: int = 0
    threads: int = 2
    geometry: PatchGeometry = _GEOMETRY


#: The second stage: the first stage's boxes are off by less (at IoU 0.3 and more from
#: their person, they learn its box); at run time it looks at the candidates the first
#: stage scored from 0.15 up (25 a frame on val; val AP50 as when it looks at all 37).
SECOND_STAGE = RefinerSettings(jitter_shift=0.06, jitter_log_size=0.1, box_min_iou=0.3,
                               min_raw_score=0.15)


def _conv(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class RefinerNet(nn.Module):
    """(n, 1, 32, 32) patches and (n, 2) side features -> (n, 5): box deltas (centre
    shift in patch sides, log size ratios) and the person logit. About 8 MMAC a patch,
    0.15-0.18 ms on one core: a frame's 39 candidates cost about 6 ms."""

    def __init__(self, patch_px: int = 32) -> None:
        super().__init__()
        self.features = nn.Sequential(_conv(1, 16), _conv(16, 32, 2), _conv(32, 32),
                                      _conv(32, 64, 2), _conv(64, 64), _conv(64, 64, 2))
        cells = (patch_px // 8) ** 2
        self.head = nn.Sequential(nn.Linear(64 * cells + 2, 128), nn.ReLU(inplace=True),
                                  nn.Linear(128, 5))

    def forward(self, patches: torch.Tensor, sides: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.features(patches).flatten(1), sides], dim=1))


@dataclass(frozen=True, slots=True)
class _Candidates:
    """One frame's candidates (detector's and jittered labels) with what they should be."""

    boxes_px: NDArray[np.float32]
    heat: NDArray[np.float32]
    targets_px: NDArray[np.float32]  # the nearest person's box (or the candidate's own)
    has_box: NDArray[np.bool_]
    is_person: NDArray[np.bool_]


def _candidates(boxes_px: NDArray[np.float32], heat: NDArray[np.float32],
                persons_px: NDArray[np.float32], settings: RefinerSettings,
                ) -> _Candidates:
    if len(persons_px) and len(boxes_px):
        ious = iou_matrix(boxes_px, persons_px)
        nearest = ious.argmax(axis=1)
        best = ious[np.arange(len(boxes_px)), nearest]
        targets = persons_px[nearest]
    else:
        best = np.zeros(len(boxes_px))
        targets = boxes_px
    has_box = best >= settings.box_min_iou
    return _Candidates(boxes_px, heat, np.where(has_box[:, None], targets, boxes_px),
                       has_box, best >= settings.person_min_iou)


def _jittered(persons_px: NDArray[np.float32], rng: np.random.Generator,
              settings: RefinerSettings) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    labels = np.repeat(persons_px, settings.jittered_per_label, axis=0)
    longer = np.maximum(labels[:, 2], labels[:, 3])
    centre_x = labels[:, 0] + labels[:, 2] / 2 + rng.normal(0, settings.jitter_shift,
                                                            len(labels)) * longer
    centre_y = labels[:, 1] + labels[:, 3] / 2 + rng.normal(0, settings.jitter_shift,
                                                            len(labels)) * longer
    width = labels[:, 2] * np.exp(rng.normal(0, settings.jitter_log_size, len(labels)))
    height = labels[:, 3] * np.exp(rng.normal(0, settings.jitter_log_size, len(labels)))
    boxes = np.stack([centre_x - width / 2, centre_y - height / 2, width, height], axis=1)
    heat = rng.uniform(0.2, 0.9, len(labels))
    return boxes.astype(np.float32), heat.astype(np.float32)


def _epoch_samples(images: list[NDArray[np.uint8]], frames: list[LabelledFrame],
                   found: list[tuple[NDArray[np.float32], NDArray[np.float32]]],
                   rng: np.random.Generator, settings: RefinerSettings,
                   ) -> tuple[torch.Tensor, ...]:
    """One epoch's patches, freshly jittered, mirrored, transposed and gain-jittered."""
    patches, sides, deltas, has_box, is_person = [], [], [], [], []
    for pixels, frame, (boxes, heat) in zip(images, frames, found, strict=True):
        extra_boxes, extra_heat = _jittered(frame.persons_px, rng, settings)
        cands = _candidates(np.concatenate([boxes, extra_boxes]),
                            np.concatenate([heat, extra_heat]), frame.persons_px, settings)
        if not len(cands.boxes_px):
            continue
        side = patch_sides_px(cands.boxes_px, settings.geometry)
        patches.append(cut_patches(pixels, cands.boxes_px, settings.geometry))
        sides.append(side_features(cands.heat, side))
        deltas.append(box_deltas(cands.boxes_px, cands.targets_px, side))
        has_box.append(cands.has_box)
        is_person.append(cands.is_person)
    x = network_patches(np.concatenate(patches))
    d = np.concatenate(deltas)
    n = len(x)
    mirror, flip, transpose = (rng.random(n) < 0.5 for _ in range(3))
    x[mirror] = x[mirror][..., ::-1]
    d[mirror, 0] *= -1
    x[flip] = x[flip][..., ::-1, :]
    d[flip, 1] *= -1
    x[transpose] = np.swapaxes(x[transpose], -1, -2)
    d[transpose] = d[transpose][:, [1, 0, 3, 2]]
    gain = rng.uniform(0.7, 1.3, (n, 1, 1, 1)).astype(np.float32)
    x = x * gain + rng.normal(0, 10 / 64, (n, 1, 1, 1)).astype(np.float32)
    return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in (
        x, np.concatenate(sides), d, np.concatenate(has_box).astype(np.float32),
        np.concatenate(is_person).astype(np.float32)))


def train_refiner(detector: BoxDetector, train_frames: list[LabelledFrame],
                  settings: RefinerSettings, log: Callable[[str], None] = print,
                  ) -> RefinerNet:
    """Train the next stage of ``detector``'s refiner on its person candidates in the
    frames, as the stages it has loaded (none: its raw candidates) redraw and score them."""
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    rng = np.random.default_rng(settings.seed)
    images, found = [], []
    for frame in train_frames:
        pixels = frame.read_pixels()
        cells = detector.candidates(pixels, settings.train_cells_from).of_class(PERSON)
        peaks = detector.candidates(pixels).of_class(PERSON).above(settings.train_min_raw_score)
        weak = peaks.scores < settings.train_cells_from
        boxes = np.concatenate([cells.boxes_px, peaks.boxes_px[weak]])
        scores = np.concatenate([cells.scores, peaks.scores[weak]])
        for stage in detector.refiners:
            boxes, scores = stage(pixels, boxes, scores)
        images.append(pixels)
        found.append((boxes, scores))
    log(f"refiner stage {len(detector.refiners) + 1}: {sum(len(b) for b, _ in found):,} "
        f"candidates in {len(images)} train frames"
        f"{', in bfloat16' if settings.bfloat16 else ''}")
    model = RefinerNet(settings.geometry.patch_px)
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate,
                                  weight_decay=settings.weight_decay)
    started = time.monotonic()
    for epoch in range(settings.epochs):
        patches, sides, deltas, has_box, is_person = _epoch_samples(
            images, train_frames, found, rng, settings)
        lr = settings.learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / settings.epochs))
        for group in optimiser.param_groups:
            group["lr"] = lr
        model.train()
        order = torch.from_numpy(rng.permutation(len(patches)))
        total = 0.0
        for first in range(0, len(order), settings.batch):
            pick = order[first:first + settings.batch]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=settings.bfloat16):
                out = model(patches[pick], sides[pick]).float()
            mask = has_box[pick][:, None]
            box = ((out[:, :4] - deltas[pick]).abs() * mask).sum() / mask.sum().clamp(min=1)
            person = nn.functional.binary_cross_entropy_with_logits(out[:, 4], is_person[pick])
            loss = box + person
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(pick)
        log(f"refiner epoch {epoch + 1}/{settings.epochs}: loss {total / len(order):.3f} on "
            f"{len(order):,} patches, lr {lr:.1e}, {time.monotonic() - started:.0f} s")
    return model.eval()


def export_refiner(model: RefinerNet, path: Path, patch_px: int) -> None:
    """The refiner as ONNX (opset 18) for any number of candidates."""
    model.eval()
    count = torch.export.Dim("candidates", min=1, max=4096)
    torch.onnx.export(model, (torch.zeros(2, 1, patch_px, patch_px), torch.zeros(2, 2)),
                      str(path), input_names=["patches", "sides"], output_names=["refined"],
                      opset_version=18, dynamo=True,
                      dynamic_shapes={"patches": {0: count}, "sides": {0: count}},
                      external_data=False, verbose=False)
