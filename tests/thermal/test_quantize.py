"""The refiner's stages in int8: made from their float32 files, the same every time, with
the convolution that reads the patches and everything after the trunk left in float32."""

from __future__ import annotations

import json
import shutil

import pytest

from dronewatch.thermal.learned import DEFAULT_MODEL

onnx = pytest.importorskip("onnx", reason="quantizing needs the [train] extra")


def test_the_refiner_keeps_its_first_convolution_and_head_in_float32():
    from dronewatch.thermal.training.quantize import refiner_float_nodes

    trained = onnx.load(str(DEFAULT_MODEL.with_name("thermal-refiner-float32.onnx")))
    kept = {node.name: node.op_type for node in trained.graph.node
            if node.name in set(refiner_float_nodes(trained))}
    convolutions = [node.name for node in trained.graph.node if node.op_type == "Conv"]
    assert [op for op in kept.values() if op == "Conv"] == ["Conv"]
    assert convolutions[0] in kept
    assert sorted(kept.values()) == ["Concat", "Conv", "Gemm", "Gemm", "Relu", "Reshape"]


def test_int8_names_come_from_float32_names():
    from dronewatch.thermal.training.quantize import int8_name

    assert int8_name("thermal-refiner2-float32.onnx") == "thermal-refiner2.onnx"
    with pytest.raises(ValueError, match=r"thermal-refiner\.onnx: .*-float32"):
        int8_name("thermal-refiner.onnx")


def test_both_stages_quantize_alike_every_time(hituav_val, tmp_path):
    """Ranges measured on the patches each stage sees behind the networks as trained;
    run twice, the same files byte for byte; the float32 files are left as they were."""
    from dronewatch.thermal.training.quantize import quantize_refiners

    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODEL.parent, models)
    model = models / DEFAULT_MODEL.name
    shipped = json.loads(model.with_suffix(".json").read_text())["refiner"]
    trained = [(models / name).read_bytes() for name in
               (shipped["float32_file"], shipped["second_stage"]["float32_file"])]
    frames = hituav_val[:60]  # every 20th: 3 frames
    made = []
    for _ in range(2):
        entry, done = quantize_refiners(model, frames, log=lambda _: None)
        made.append([(models / name).read_bytes() for name in
                     (entry["file"], entry["second_stage"]["file"])])
    assert made[0] == made[1]
    assert entry == shipped  # the same names and settings as the shipped sidecar's
    assert done["calibration_frames"] == 3 and all(n > 0 for n in done["patches"])
    assert [(models / name).read_bytes() for name in
            (entry["float32_file"], entry["second_stage"]["float32_file"])] == trained
    ops = [node.op_type for node in onnx.load(str(models / entry["file"])).graph.node]
    assert ops.count("QLinearConv") == 5 and ops.count("Conv") == 1 and "Gemm" in ops
    assert not any(op.startswith("QLinear") for op in ops[ops.index("DequantizeLinear"):])
