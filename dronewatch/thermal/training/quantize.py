"""The centre network in 8-bit integers: what the station runs, calibrated on train frames.

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

__all__ = ["CALIBRATION_EVERY", "float_kept_nodes", "quantize_centre_network"]

#: every 20th train frame (102 of 2,029) measures the activation ranges
CALIBRATION_EVERY = 20


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
        kept = float_kept_nodes(model)
        quantize_static(str(prepared), str(int8_path), _Frames(model.graph.input[0].name),
                        quant_format=QuantFormat.QOperator, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=kept,
                        reduce_range=True)
    convolutions = sum(node.op_type == "Conv" for node in model.graph.node
                       if node.name in set(kept))
    log(f"quantized {float_path.name} -> {int8_path.name} (int8; ranges from "
        f"{len(frames)} train frames; {len(kept)} nodes kept in float32, "
        f"{convolutions} of them convolutions)")
    return {"from": float_path.name, "calibration_frames": len(frames),
            "calibration": "min-max, per-channel int8 weights (7-bit range), uint8 activations",
            "float_convolutions": convolutions, "float_nodes": len(kept)}
