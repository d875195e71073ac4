"""The learned person and vehicle detector at run time: an ONNX network on onnxruntime.

Why a network: on real UAV thermal frames (HIT-UAV) size-and-contrast rules found half
of the people at one true alarm in five; lamp posts, skylights, canopy edges and
bicycles are warm blobs of a person's size, and only their shape and surroundings tell
them apart. The network (see ``models/MODEL_CARD.md``) was trained here from scratch;
this module only runs it: it needs onnxruntime, never PyTorch.

Why calibrated: a sidecar JSON beside the model maps each class's raw heat-map peak to
the share of such candidates that were real on frames the network never trained on, and
names the confidence that raises the alarm and the lower one that keeps a candidate
"to check". A missing, damaged or mismatched model is an error that names the file and
the command that rebuilds it: never a silent fall-back to a worse detector.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from dronewatch.errors import DronewatchError
from dronewatch.thermal.boxes import (
    BoxSet,
    decayed_repeat_scores,
    decode_centres,
    distinct_boxes,
)
from dronewatch.thermal.netinput import network_levels
from dronewatch.thermal.onnxcpu import cpu_session
from dronewatch.thermal.refine import PatchGeometry, RefinerSession

__all__ = ["DEFAULT_MODEL", "MODEL_FORMAT", "REBUILD_COMMAND", "BoxDetector", "ModelError",
           "ModelInfo", "RefinerInfo", "SecondStageInfo", "default_detector",
           "radiometric_to_agc"]

MODEL_FORMAT = 1
DEFAULT_MODEL = Path(__file__).parent / "models" / "thermal-centernet.onnx"
REBUILD_COMMAND = ("pip install -e '.[train]' && python -m dronewatch.thermal.training "
                   "--data ../shared/data/hit-uav --out dronewatch/thermal/models")
_MULTIPLE_PX = 16  # the network halves its input four times


class ModelError(DronewatchError, ValueError):
    """The detector's model file cannot be used (the message names it and the fix)."""


@dataclass(frozen=True, slots=True)
class SecondStageInfo:
    """The refiner's second stage a sidecar names: its file (beside the model), the
    first stage's joint score below which a candidate is not worth that look, and the
    float32 file it was quantized from (None: ``file`` is the network as trained)."""

    file: str
    min_score: float
    float32_file: str | None = None


@dataclass(frozen=True, slots=True)
class RefinerInfo:
    """The person refiner a sidecar names: its file (beside the model), how its patches are
    cut, the raw centre score below which a heat-map cell is not worth a look, the
    overlap (IoU) above which a redrawn person box repeats a better one, its second
    stage, if any, the overlap above which a candidate's box, before a stage, repeats
    a better one's so closely that the stage does not look at it (1: every one looked at),
    whether a repeating box is kept with a decayed score (soft suppression) rather
    than dropped, and the float32 file ``file`` was quantized from (None: ``file`` is
    the network as trained)."""

    file: str
    geometry: PatchGeometry
    min_raw_score: float
    duplicate_iou: float
    mirror_average: bool = False
    second_stage: SecondStageInfo | None = None
    repeat_iou: float = 1.0
    decay_repeats: bool = False
    float32_file: str | None = None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What the sidecar JSON says about a model."""

    classes: tuple[str, ...]
    stride: int
    min_raw_score: float
    alarm_confidence: float
    check_confidence: float
    calibration: dict[str, tuple[tuple[float, ...], tuple[float, ...]]]
    figures: dict[str, Any]
    flip_average: bool = False  # also run the mirrored frame and average (see BoxDetector)
    refiner: RefinerInfo | None = None
    float32_file: str | None = None  # the centre network as trained, when this one is int8

    def confidence(self, cls: int, raw: NDArray[np.float32]) -> NDArray[np.float32]:
        knots = self.calibration.get(self.classes[cls])
        if knots is None:
            return raw
        return np.interp(raw, knots[0], knots[1]).astype(np.float32)


def _fail(path: Path, why: str) -> ModelError:
    return ModelError(f"{path}: {why}; rebuild it with: {REBUILD_COMMAND}")


def _read_info(path: Path, sidecar: Path) -> ModelInfo:
    try:
        raw = json.loads(sidecar.read_text())
    except FileNotFoundError:
        raise _fail(sidecar, "the model's sidecar (classes, calibration) is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(sidecar, f"unreadable ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != MODEL_FORMAT:
        raise _fail(sidecar, f"not a format-{MODEL_FORMAT} model sidecar")
    try:
        calibration = {name: (tuple(map(float, c["raw"])), tuple(map(float, c["confidence"])))
                       for name, c in raw["calibration"].items()}
        info = ModelInfo(tuple(raw["classes"]), int(raw["stride"]), float(raw["min_raw_score"]),
                         float(raw["alarm_confidence"]), float(raw["check_confidence"]),
                         calibration, dict(raw.get("figures", {})),
                         bool(raw.get("flip_average", False)), _refiner_info(raw.get("refiner")),
                         _optional_name(raw.get("training", {}).get("quantized", {}).get("from")))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _fail(sidecar, f"field {exc} is missing or malformed") from None
    if "person" not in info.classes:
        raise _fail(sidecar, "the model has no 'person' class")
    for name, (xs, ys) in calibration.items():
        if len(xs) != len(ys) or not xs or any(b < a for a, b in pairwise(xs)):
            raise _fail(sidecar, f"calibration of {name!r} is not an increasing table")
    return info


def _optional_name(raw: Any) -> str | None:
    return None if raw is None else str(raw)


def _refiner_info(raw: dict[str, Any] | None) -> RefinerInfo | None:
    if raw is None:
        return None
    second = raw.get("second_stage")
    return RefinerInfo(str(raw["file"]), PatchGeometry(int(raw["patch_px"]),
                                                       float(raw["context"]),
                                                       float(raw["min_side_px"])),
                       float(raw["min_raw_score"]), float(raw["duplicate_iou"]),
                       bool(raw.get("mirror_average", False)),
                       None if second is None else SecondStageInfo(
                           str(second["file"]), float(second["min_score"]),
                           _optional_name(second.get("float32_file"))),
                       float(raw.get("repeat_iou", 1.0)),
                       bool(raw.get("decay_repeats", False)),
                       _optional_name(raw.get("float32_file")))


class BoxDetector:
    """An ONNX centre-heat-map network with its sidecar, ready to run on 8-bit frames.

    Parameters
    ----------
    path
        The ``.onnx`` file; its sidecar is the ``.json`` of the same name.
    calibrated
        False only while calibrating: scores stay raw heat-map peaks.
    threads
        Intra-op threads for the centre network in onnxruntime (1: one frame per core,
        cores for other frames). The refiners always run on one: their batches of
        32-pixel patches lose more to a second thread's hand-over than they gain (an
        analysis on 2 cores: 0.91-0.95x with them on two, 1.35x with them on one).
    flip_average
        Run the frame and its mirror image and average the answers (the
        sidecar says whether the model was calibrated so); None: as the sidecar says.
        Why: a person seen from above has no left or right, so the mirror is a second
        opinion for less than twice the cost, and averaging steadies box sizes.
    refine_stages
        How many stages of the person refiner the sidecar names give person candidates
        their second look (see ``dronewatch.thermal.refine``): None, all of them; fewer
        only while training the next stage or measuring what each adds.
    as_trained
        Run the float32 networks the sidecar says the int8 ones were quantized from
        (see ``training.quantize``), with the same sidecar: for training, whose
        refiners learn from what the networks answered as trained (so the command makes
        the shipped ones again), and for measuring the one against the other.
    """

    def __init__(self, path: Path = DEFAULT_MODEL, *, calibrated: bool = True,
                 threads: int = 1, flip_average: bool | None = None,
                 refine_stages: int | None = None, as_trained: bool = False) -> None:
        path = Path(path)
        if not path.is_file():
            raise _fail(path, "the detector's model file is missing")
        self.path = path
        self.info = _read_info(path, path.with_suffix(".json"))
        self.calibrated = calibrated
        self.flip_average = self.info.flip_average if flip_average is None else flip_average
        network = path.parent / self.info.float32_file \
            if as_trained and self.info.float32_file else path
        if not network.is_file():
            raise _fail(network, "the float32 centre network the model's sidecar names is "
                                 "missing")
        try:
            self._session = cpu_session(network, threads)
        except ImportError:
            raise ModelError("the learned detector needs onnxruntime: "
                             "pip install onnxruntime") from None
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise _fail(network,
                        f"not a loadable ONNX model ({str(exc).splitlines()[0]})") from None
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1 or len(inputs[0].shape) != 4:
            raise _fail(network, "expected one (N, 1, H, W) input and one output")
        self._input = inputs[0].name
        probe = self._session.run(None, {self._input: np.zeros((1, 1, 64, 64), np.float32)})[0]
        if probe.shape[1] != len(self.info.classes) + 4:
            raise _fail(network, f"the network answers {probe.shape[1]} channels but the sidecar "
                        f"names {len(self.info.classes)} classes (+4 box channels)")
        self.refiners: tuple[RefinerSession, ...] = ()
        if self.info.refiner is not None:
            stages: list[SecondStageInfo | RefinerInfo] = [self.info.refiner]
            if self.info.refiner.second_stage is not None:
                stages.append(self.info.refiner.second_stage)
            files = [stage.float32_file if as_trained and stage.float32_file else stage.file
                     for stage in stages]
            self.refiners = tuple(_load_refiner(path.parent / file, self.info.refiner)
                                  for file in files[:refine_stages])

    def boxes(self, pixels: NDArray[np.uint8]) -> BoxSet:
        """Candidates of every class in an 8-bit frame (brighter is warmer), boxes in the
        frame's pixels; scores calibrated (0..1) unless built with ``calibrated=False``."""
        if not self.refiners or self.info.refiner is None:
            found = self.candidates(pixels)
        else:
            padded, found = self._decoded(pixels, self.info.refiner.min_raw_score)
            found = self._refined(padded, found)
        if not self.calibrated:
            return found
        scores = found.scores.copy()
        for cls in np.unique(found.classes):
            of_class = found.classes == cls
            scores[of_class] = self.info.confidence(int(cls), found.scores[of_class])
        return BoxSet(found.classes, scores, found.boxes_px)

    def candidates(self, pixels: NDArray[np.uint8],
                   person_cells_from: float | None = None) -> BoxSet:
        """The centre network's own candidates, raw scores, no refiner: the 3x3 peaks of
        each class's heat map, and for persons, given ``person_cells_from``, every cell
        at or above it instead (what the refiner looks at)."""
        return self._decoded(pixels, person_cells_from)[1]

    def _decoded(self, pixels: NDArray[np.uint8], person_cells_from: float | None,
                 ) -> tuple[NDArray[np.uint8], BoxSet]:
        if pixels.dtype != np.uint8 or pixels.ndim != 2:
            raise ValueError(f"the detector takes 2-D uint8 display levels, got "
                             f"{pixels.dtype} {pixels.shape}")
        height, width = pixels.shape
        pad_h, pad_w = -height % _MULTIPLE_PX, -width % _MULTIPLE_PX
        if pad_h or pad_w:
            pixels = cv2.copyMakeBorder(pixels, 0, pad_h, 0, pad_w, cv2.BORDER_REPLICATE)
        tensor = network_levels(pixels)[None, None]
        if self.flip_average:
            direct = self._session.run(None, {self._input: tensor})[0][0]
            mirrored = self._session.run(None, {self._input: np.ascontiguousarray(
                tensor[..., ::-1])})[0][0]
            output = _average_with_mirror(direct, mirrored[..., ::-1], len(self.info.classes))
        else:
            output = self._session.run(None, {self._input: tensor})[0][0]
        every_cell = ({} if person_cells_from is None
                      else {self.class_index("person"): person_cells_from})
        found = decode_centres(output, len(self.info.classes), self.info.stride,
                               self.info.min_raw_score, every_cell=every_cell)
        centres_x = found.boxes_px[:, 0] + found.boxes_px[:, 2] / 2
        centres_y = found.boxes_px[:, 1] + found.boxes_px[:, 3] / 2
        inside = (centres_x < width) & (centres_y < height)
        return pixels, BoxSet(found.classes[inside], found.scores[inside],
                              found.boxes_px[inside])

    def class_index(self, name: str) -> int:
        return self.info.classes.index(name)

    def _refined(self, pixels: NDArray[np.uint8], found: BoxSet) -> BoxSet:
        """Person candidates (every heat-map cell worth a look) redrawn and re-scored by
        the refiner's stages, then each person kept once: of redrawn boxes that repeat
        one another the best scored stays as it is, and the others are dropped or, where
        the sidecar says ``decay_repeats``, ranked lower (a second person that close
        still ranks; see ``decayed_repeat_scores``). The set is re-sorted by score, as
        the decoder gave it.

        Why a second stage: it was trained on the first stage's own boxes and scores,
        so it mends what the first stage leaves (val AP50 0.885 -> 0.896, see the model
        card). It looks only at the candidates the first stage scored from its floor up
        (two in three); the others keep the first stage's box and score, which are
        below any alarm or "to check" but still tell a ranking where people are.

        Why repeats are not looked at: neighbouring cells of one person decode to nearly
        the same box, and a stage redraws nearly the same boxes alike. Before the first
        stage a cell whose box repeats a better cell's (IoU above ``repeat_iou``) is
        dropped; before the second, such a box keeps the first stage's answer. On val,
        at the shipped 0.7 with repeats ranked lower, that is 36 patches a frame instead
        of 62 for the same AP50 (model card).
        """
        refiner = self.info.refiner
        assert refiner is not None
        is_person = found.classes == self.class_index("person")
        boxes, scores = found.boxes_px.copy(), found.scores.copy()
        persons = self._unrepeated(np.flatnonzero(is_person), boxes, scores)
        second = refiner.second_stage
        floors = (None, None if second is None else second.min_score)
        for refine, floor in zip(self.refiners, floors, strict=False):
            looked = persons if floor is None else self._unrepeated(
                persons[scores[persons] >= floor], boxes, scores)
            boxes[looked], scores[looked] = refine(pixels, boxes[looked], scores[looked])
        keep = ~is_person
        if refiner.decay_repeats:
            scores[persons] = decayed_repeat_scores(boxes[persons], scores[persons],
                                                    refiner.duplicate_iou)
            keep[persons[scores[persons] > 0]] = True
        else:
            keep[persons[distinct_boxes(boxes[persons], scores[persons],
                                        refiner.duplicate_iou)]] = True
        kept = np.flatnonzero(keep)
        order = kept[np.argsort(-scores[kept], kind="stable")]
        return BoxSet(found.classes[order], scores[order], boxes[order])

    def _unrepeated(self, candidates: NDArray[np.int64], boxes: NDArray[np.float32],
                    scores: NDArray[np.float32]) -> NDArray[np.int64]:
        """``candidates`` (indices, in order) without those whose box repeats a better
        one's by more than the refiner's ``repeat_iou``."""
        assert self.info.refiner is not None
        if self.info.refiner.repeat_iou >= 1.0:
            return candidates
        return np.sort(candidates[distinct_boxes(boxes[candidates], scores[candidates],
                                                 self.info.refiner.repeat_iou)])


def _average_with_mirror(direct: NDArray[np.float32], mirrored: NDArray[np.float32],
                         n_classes: int) -> NDArray[np.float32]:
    """Average an output with the (already flipped back) output of the mirrored frame: a
    centre at cell c + o in the mirror is at cell c + (1 - o) in the frame."""
    averaged = (direct + mirrored) / 2
    x_offset = n_classes + 2
    averaged[x_offset] = (direct[x_offset] + 1.0 - mirrored[x_offset]) / 2
    return averaged


def _load_refiner(path: Path, info: RefinerInfo) -> RefinerSession:
    if not path.is_file():
        raise _fail(path, "the person refiner the model's sidecar names is missing")
    try:
        return RefinerSession(path, info.geometry, 1, info.mirror_average)
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise _fail(path, f"not a usable refiner ({str(exc).splitlines()[0]})") from None


@cache
def _cached(path: str, threads: int) -> BoxDetector:
    return BoxDetector(Path(path), threads=threads)


def default_detector(threads: int = 1) -> BoxDetector:
    """The shipped model (or ``DRONEWATCH_DETECTOR_MODEL``), loaded once per process (and
    per thread count). One thread in flight, where the link and the camera need the other
    cores; an analysis after the flight has them all."""
    return _cached(os.environ.get("DRONEWATCH_DETECTOR_MODEL", str(DEFAULT_MODEL)), threads)


#: Where :func:`radiometric_to_agc` puts a frame's 1st and 99.5th percentiles: the median
#: of the HIT-UAV train frames (measured over every 8th frame: 51 and 206).
AGC_LOW_LEVEL, AGC_HIGH_LEVEL = 51.0, 206.0


def radiometric_to_agc(values: NDArray[np.floating] | NDArray[np.integer], *,
                       low_pct: float = 1.0, high_pct: float = 99.5,
                       min_span_k: float = 10.0) -> NDArray[np.uint8]:
    """A radiometric frame (°C, or raw counts) as an 8-bit AGC camera would show it.

    A linear stretch, as the linear AGC modes of FLIR and DJI cores do, that puts the
    1st and 99.5th percentiles at levels 51 and 206: where they sit, in the median, in
    the HIT-UAV frames the network learned from. Stretching them to 0 and 255 instead
    doubles the contrast the network knows and it loses a third of the people it finds
    in the camera's own picture. Hot specks (an engine, a fire) saturate instead of
    squeezing the scene, and a span of at least ``min_span_k`` (in the values' own
    unit) keeps a flat night scene's sensor noise from being stretched into warm blobs.
    """
    sample = values[::4, ::4]
    low, high = np.percentile(sample, [low_pct, high_pct])
    high = max(float(high), float(low) + min_span_k)
    gain = np.float32((AGC_HIGH_LEVEL - AGC_LOW_LEVEL) / (high - low))
    scaled = (np.asarray(values, np.float32) - np.float32(low)) * gain + np.float32(AGC_LOW_LEVEL)
    return np.clip(scaled, 0, 255).astype(np.uint8)
