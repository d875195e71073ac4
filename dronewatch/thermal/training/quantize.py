"""The networks in 8-bit integers: what the station runs, calibrated on train frames.

Why: one CPU core must keep up with a 30 Hz camera. In float32 the centre network is two
thirds of the detector's time (21 ms of 31 a frame on an AMD EPYC core, where the whole
pipeline read 25-28 frames a second); onnxruntime's int8 convolutions run it in 12 ms
there, for the same val AP50 after the refiner (model card). Static quantization: the
activation ranges are measured once, on train frames, and fixed in the file, so that
the run time measures nothing of its own and every run answers alike.

Kept in float32: the first convolution, which sees the 8-bit frame through one channel
(nothing to gain, its int8 kernel is slower), and the three output heads with the
sigmoid and concatenation after them, whose answers are the scores and the boxes: on 8
bits the one output scale of the concatenation put the heat map in 0.017 steps (some 60
levels, ties in the ranking), box sizes in 1.7 % steps and centres in 1/60 of a cell.
Until 2026-12-03 only the heads' convolutions were kept, and the quantizer put their
answers back on 8 bits; keeping the rest took val AP50 from 0.9021 to 0.9036 at the
same speed (model card).

The refiner's two stages likewise (:func:`quantize_refiners`), their five inner
convolutions only: the one that reads the patch and the fully connected head after the
trunk stay float32, for the same reasons.

Why 7-bit weights (``reduce_range``): CPUs without VNNI (AVX2 only, as many an office
PC) multiply uint8 by int8 with an instruction that adds each pair of products into 16
signed bits, saturating: 2 · 255 · 127 does not fit, 2 · 255 · 63 does. On val it costs
nothing measurable (AP50 0.8957 against 0.8950 with 8-bit weights) and runs as fast.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from dronewatch.thermal.learned import BoxDetector
from dronewatch.thermal.netinput import network_levels
from dronewatch.thermal.training.hituav import LabelledFrame

__all__ = ["CALIBRATION_EVERY", "FLOAT32_SUFFIX", "float_kept_nodes", "int8_name",
           "quantize_centre_network", "quantize_refiners", "refiner_float_nodes"]

#: every 20th train frame (102 of 2,029) measures the activation ranges
CALIBRATION_EVERY = 20
#: what a network's file name ends in (before ``.onnx``) as trained, before quantization
FLOAT32_SUFFIX = "-float32"
_CALIBRATION = "min-max, per-channel int8 weights (7-bit range), uint8 activations"


def float_kept_nodes(model: Any) -> list[str]:
    """The names of the nodes of an ONNX ``model`` to leave in float32: the convolution
    that reads the graph's input, and the output heads: each convolution whose output
    reaches a graph output without passing another convolution, with every node on the
    way (the heat map's sigmoid, the concatenation). Leaving the heads' convolutions alone
    is not enough: a quantized sigmoid or concatenation after them puts their answers
    back on 8 bits."""
    graph = model.graph
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    outputs = {o.name for o in graph.output}
    inputs = {i.name for i in graph.input}

    def path_to_output(tensor: str) -> list[str] | None:
        """Names of the non-convolution nodes from ``tensor`` to a graph output, or None
        when every way there passes a convolution."""
        if tensor in outputs:
            return []
        found: list[str] | None = None
        for node in consumers.get(tensor, []):
            if node.op_type == "Conv":
                continue
            for out in node.output:
                rest = path_to_output(out)
                if rest is not None:
                    found = [*(found or []), node.name, *rest]
        return found

    kept: list[str] = []
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        if node.input[0] in inputs:
            kept.append(node.name)
        elif (on_way := path_to_output(node.output[0])) is not None:
            kept += [node.name, *on_way]
    return list(dict.fromkeys(kept))


def refiner_float_nodes(model: Any) -> list[str]:
    """The names of the nodes of a refiner's ONNX ``model`` to leave in float32: the
    convolution that reads the patches (one channel, as the centre network's first) and
    everything after the convolutional trunk (the flatten, the side features joined to
    it, the fully connected head), whose answers are the box changes and the person
    logit: on 8 bits the logit would rank candidates in ties."""
    nodes = list(model.graph.node)
    trunk = 0
    while trunk < len(nodes) and nodes[trunk].op_type in ("Conv", "Relu"):
        trunk += 1
    first = next(node.name for node in nodes if node.op_type == "Conv")
    return [first, *(node.name for node in nodes[trunk:])]


def quantize_centre_network(float_path: Path, int8_path: Path,
                            train_frames: list[LabelledFrame],
                            log: Callable[[str], None] = print) -> dict[str, Any]:
    """Write the int8 version of the float32 network at ``float_path`` to ``int8_path``,
    its activation ranges measured (min and max) on every ``CALIBRATION_EVERY``-th train
    frame; what was done, for the sidecar. Deterministic: the same float network and
    frames give the same file."""
    frames = train_frames[::CALIBRATION_EVERY]
    feeds = ({"pixels": network_levels(frame.read_pixels())[None, None]} for frame in frames)
    model, kept = _quantize(float_path, int8_path, feeds, float_kept_nodes)
    float_names = set(kept)
    convolutions = sum(node.op_type == "Conv" for node in model.graph.node
                       if node.name in float_names)
    log(f"quantized {float_path.name} -> {int8_path.name} (int8; ranges from "
        f"{len(frames)} train frames; {len(kept)} nodes kept in float32, "
        f"{convolutions} of them convolutions)")
    return {"from": float_path.name, "calibration_frames": len(frames),
            "calibration": _CALIBRATION, "float_convolutions": convolutions,
            "float_nodes": len(kept)}


def int8_name(float32_name: str) -> str:
    """``thermal-refiner-float32.onnx`` -> ``thermal-refiner.onnx``."""
    stem, dot, suffix = float32_name.rpartition(".")
    if not stem.endswith(FLOAT32_SUFFIX):
        raise ValueError(f"{float32_name}: a float32 network's file name ends in "
                         f"{FLOAT32_SUFFIX}.{suffix}")
    return stem.removesuffix(FLOAT32_SUFFIX) + dot + suffix


def quantize_refiners(model_path: Path, train_frames: list[LabelledFrame],
                      log: Callable[[str], None] = print) -> tuple[dict[str, Any],
                                                                   dict[str, Any]]:
    """Write the int8 version of each of the refiner's stages beside ``model_path``, its
    ranges measured on the patches the stage sees in every ``CALIBRATION_EVERY``-th
    train frame behind the networks as trained; the sidecar's refiner entry naming the
    int8 files (each stage's ``float32_file`` the one it was made from), and what was
    done. Deterministic, as :func:`quantize_centre_network`.

    Why: the two stages are a quarter of the detector's time on one core. In int8 with
    their first convolution and head in float32 they take 2 ms a frame less (one AVX2
    core) for val AP50 -0.0009 (model card)."""
    sidecar = json.loads(model_path.with_suffix(".json").read_text())
    entry = dict(sidecar["refiner"])
    stages = [entry] + ([dict(entry["second_stage"])] if "second_stage" in entry else [])
    detector = BoxDetector(model_path, calibrated=False, as_trained=True)
    recorders = [_Recorder(session) for session in detector.refiners]
    detector.refiners = tuple(recorders)
    frames = train_frames[::CALIBRATION_EVERY]
    for frame in frames:
        detector.boxes(frame.read_pixels())
    for stage, recorder in zip(stages, recorders, strict=True):
        trained = stage.get("float32_file", stage["file"])
        if not recorder.feeds:  # only where a tiny training set gives a stage nothing
            stage["float32_file"] = stage["file"] = trained
            log(f"{trained}: no patches in {len(frames)} train frames to measure ranges on; "
                "left in float32")
            continue
        stage["float32_file"], stage["file"] = trained, int8_name(trained)
        _quantize(model_path.parent / trained, model_path.parent / stage["file"],
                  iter(recorder.feeds), refiner_float_nodes)
        log(f"quantized {trained} -> {stage['file']} (int8; ranges from "
            f"{recorder.patches:,} patches of {len(frames)} train frames)")
    if len(stages) > 1:
        entry["second_stage"] = stages[1]
    return entry, {"calibration_frames": len(frames), "calibration": _CALIBRATION,
                   "patches": [r.patches for r in recorders]}



class _Recorder:
    """A refiner stage that keeps what it was fed: its calibration data."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.feeds: list[dict[str, np.ndarray]] = []
        self.patches = 0

    def __call__(self, pixels: np.ndarray, boxes_px: np.ndarray,
                 heat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(boxes_px):
            self.feeds.append(self.session.feeds(pixels, boxes_px, heat))
            self.patches += len(boxes_px)
        return self.session(pixels, boxes_px, heat)  # type: ignore[no-any-return]


def _quantize(float_path: Path, int8_path: Path, feeds: Iterator[dict[str, np.ndarray]],
              float_nodes: Callable[[Any], list[str]]) -> tuple[Any, list[str]]:
    """Static int8 quantization of ``float_path`` to ``int8_path`` on ``feeds`` (QOperator,
    min-max ranges, per-channel 7-bit weights), ``float_nodes`` of the model left alone;
    the prepared model and those nodes' names."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class _Feeds(CalibrationDataReader):
        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(feeds, None)

    with tempfile.TemporaryDirectory() as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        # batch norms folded into their convolutions first, as onnxruntime would
        quant_pre_process(str(float_path), str(prepared), skip_symbolic_shape=True)
        model = onnx.load(str(prepared))
        kept = float_nodes(model)
        quantize_static(str(prepared), str(int8_path), _Feeds(),
                        quant_format=QuantFormat.QOperator, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=kept,
                        reduce_range=True)
    return model, kept
