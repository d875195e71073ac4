"""The centre network in 8-bit integers: what the station runs, calibrated on train frames.

Why: one CPU core must keep up with a 30 Hz camera. In float32 the centre network is two
thirds of the detector's time (21 ms of 31 a frame on an AMD EPYC core, where the whole
pipeline read 25-28 frames a second); onnxruntime's int8 convolutions run it in 12 ms
there, for the same val AP50 after the refiner (model card). Static quantization: the
activation ranges are measured once, on train frames, and fixed in the file, so that
the run time measures nothing of its own and every run answers alike.

Kept in float32: the first convolution, which sees the 8-bit frame through one channel
(nothing to gain, its int8 kernel is slower), and the three output heads, whose
answers are the scores and the boxes: at 8 bits a heat map would have 256 levels, ties
in the ranking, and box sizes in 1.6 % steps.

Why 7-bit weights (``reduce_range``): CPUs without VNNI (AVX2 only, as many an office
PC) multiply uint8 by int8 with an instruction that adds each pair of products into 16
signed bits, saturating: 2 · 255 · 127 does not fit, 2 · 255 · 63 does. On val it costs
nothing measurable (AP50 0.8957 against 0.8950 with 8-bit weights) and runs as fast.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from dronewatch.thermal.netinput import network_levels
from dronewatch.thermal.training.hituav import LabelledFrame

__all__ = ["CALIBRATION_EVERY", "float_kept_convolutions", "quantize_centre_network"]

#: every 20th train frame (102 of 2,029) measures the activation ranges
CALIBRATION_EVERY = 20


def float_kept_convolutions(model: Any) -> list[str]:
    """The names of the convolutions of an ONNX ``model`` to leave in float32: the one
    that reads the graph's input, and those whose output reaches a graph output without
    passing another convolution (the heads)."""
    graph = model.graph
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    outputs = {o.name for o in graph.output}
    inputs = {i.name for i in graph.input}

    def reaches_output(tensor: str, seen: set[str]) -> bool:
        if tensor in outputs:
            return True
        for node in consumers.get(tensor, []):
            if node.op_type == "Conv" or node.name in seen:
                continue
            seen.add(node.name)
            if any(reaches_output(out, seen) for out in node.output):
                return True
        return False

    return [node.name for node in graph.node if node.op_type == "Conv"
            and (node.input[0] in inputs or reaches_output(node.output[0], set()))]


def quantize_centre_network(float_path: Path, int8_path: Path,
                            train_frames: list[LabelledFrame],
                            log: Callable[[str], None] = print) -> dict[str, Any]:
    """Write the int8 version of the float32 network at ``float_path`` to ``int8_path``,
    its activation ranges measured (min and max) on every ``CALIBRATION_EVERY``-th train
    frame; what was done, for the sidecar. Deterministic: the same float network and
    frames give the same file."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    frames = train_frames[::CALIBRATION_EVERY]

    class _Frames(CalibrationDataReader):
        def __init__(self, name: str) -> None:
            self._feeds: Iterator[dict[str, np.ndarray]] = (
                {name: network_levels(frame.read_pixels())[None, None]} for frame in frames)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._feeds, None)

    with tempfile.TemporaryDirectory() as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        # batch norms folded into their convolutions first, as onnxruntime would
        quant_pre_process(str(float_path), str(prepared), skip_symbolic_shape=True)
        model = onnx.load(str(prepared))
        kept = float_kept_convolutions(model)
        quantize_static(str(prepared), str(int8_path), _Frames(model.graph.input[0].name),
                        quant_format=QuantFormat.QOperator, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=kept,
                        reduce_range=True)
    log(f"quantized {float_path.name} -> {int8_path.name} (int8; ranges from "
        f"{len(frames)} train frames; {len(kept)} convolutions kept in float32)")
    return {"from": float_path.name, "calibration_frames": len(frames),
            "calibration": "min-max, per-channel int8 weights (7-bit range), uint8 activations",
            "float_convolutions": len(kept)}
