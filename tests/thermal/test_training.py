"""Training runs end to end on a tiny made-up HIT-UAV: crops, loss, export, calibration,
and the run-time detector loads what it wrote (so the training code cannot rot)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from dronewatch.thermal import BoxDetector
from dronewatch.thermal.training.augment import Augment, random_crop
from dronewatch.thermal.training.calibrate import isotonic_knots
from dronewatch.thermal.training.targets import render_targets

torch = pytest.importorskip("torch", reason="training needs the [train] extra")
onnx_lib = pytest.importorskip("onnx", reason="training needs the [train] extra")


def make_hituav(root, rng, splits=(("train", 3), ("val", 2))):
    """HIT-UAV's layout and quirks: ``annotation`` list, ``filename``, names that carry
    night, altitude and angle."""
    (root / "annotations").mkdir(parents=True)
    for split, count in splits:
        (root / split).mkdir()
        images, annotations = [], []
        for k in range(count):
            pixels = rng.normal(90, 6, (512, 640)).clip(0, 255).astype(np.uint8)
            name = f"1_60_90_0_{k:05d}.jpg"
            for j in range(6):
                x, y = int(rng.integers(40, 580)), int(rng.integers(40, 460))
                if j % 3 == 2:  # a car: a big warm rectangle
                    cv2.rectangle(pixels, (x, y), (x + 30, y + 16), 170, -1)
                    box, cls = [x, y, 31, 17], 1
                else:  # a person: a small hot ellipse
                    cv2.ellipse(pixels, (x + 5, y + 7), (4, 6), 0, 0, 360, 230, -1)
                    box, cls = [x, y, 11, 15], 0
                annotations.append({"id": len(annotations), "image_id": k, "bbox": box,
                                    "category_id": cls, "area": box[2] * box[3]})
            cv2.imwrite(str(root / split / name), pixels)
            images.append({"id": k, "filename": name, "width": 640, "height": 512})
        (root / "annotations" / f"{split}.json").write_text(json.dumps(
            {"images": images, "annotation": annotations, "categories": []}))


def test_training_end_to_end_on_a_tiny_set_writes_a_model_the_detector_loads(tmp_path, capsys):
    from dronewatch.thermal.training.__main__ import main
    from dronewatch.thermal.training.refiner import native_bfloat16

    make_hituav(tmp_path / "data", np.random.default_rng(0))
    out = tmp_path / "model"
    assert main(["--data", str(tmp_path / "data"), "--out", str(out), "--epochs", "2",
                 "--refiner-epochs", "1", "--second-stage-epochs", "1"]) == 0
    onnx, sidecar = out / "thermal-centernet.onnx", out / "thermal-centernet.json"
    assert onnx.stat().st_size > 10_000
    card = json.loads(sidecar.read_text())
    assert card["training"]["epochs"] == 2 and card["training"]["seed"] == 0
    assert card["training"]["refiner"]["epochs"] == 1
    assert card["training"]["refiner_second_stage"]["epochs"] == 1
    second = card["refiner"]["second_stage"]
    assert (out / card["refiner"]["file"]).stat().st_size > 10_000
    assert (out / second["file"]).stat().st_size > 10_000
    assert second["file"] != card["refiner"]["file"] and second["min_score"] > 0
    assert set(card["calibration"]) == {"person", "car", "bicycle", "other_vehicle"}
    # what runs is the int8 network, made from the float32 one kept beside it
    trained = out / card["training"]["quantized"]["from"]
    assert trained.stat().st_size > 2 * onnx.stat().st_size
    assert card["training"]["quantized"]["calibration_frames"] == 1  # every 20th of 3
    # the first convolution and the heads stay float32, with the sigmoid and concatenation
    # after them: nothing between the heads and the output is on 8 bits
    assert card["training"]["quantized"]["float_convolutions"] == 4
    assert card["training"]["quantized"]["float_nodes"] == 6
    ops = [node.op_type for node in onnx_lib.load(str(onnx)).graph.node]
    assert "QLinearSigmoid" not in ops and "QLinearConcat" not in ops and "Sigmoid" in ops
    detector = BoxDetector(onnx)
    assert len(detector.refiners) == 2
    found = detector.boxes(cv2.imread(str(tmp_path / "data" / "val" / "1_60_90_0_00000.jpg"),
                                      cv2.IMREAD_GRAYSCALE))
    assert ((found.scores >= 0) & (found.scores <= 1)).all()
    # the refiner's stages are kept as trained, and run in int8 where the calibration
    # frame gave them patches to measure ranges on (a stage given none stays float32)
    quantized = card["training"]["refiners_quantized"]
    assert quantized["calibration_frames"] == 1
    for stage, patches in zip((card["refiner"], second), quantized["patches"], strict=True):
        assert stage["float32_file"].endswith("-float32.onnx")
        assert stage["file"] == (stage["float32_file"].replace("-float32", "") if patches
                                 else stage["float32_file"])
        assert (out / stage["file"]).is_file() and (out / stage["float32_file"]).is_file()
    assert card["training"]["refiner"]["bfloat16"] is False  # the shipped model's float32
    # the second stage alone, again, on the first stage already there (in bfloat16 where
    # this CPU has it; elsewhere the option is refused, naming itself)
    (out / second["file"]).unlink()
    bfloat16 = native_bfloat16()
    assert main(["--data", str(tmp_path / "data"), "--out", str(out),
                 "--second-stage-epochs", "1", "--second-stage-only",
                 "--refiner-bfloat16"]) == (0 if bfloat16 else 1)
    if not bfloat16:
        assert "--refiner-bfloat16" in capsys.readouterr().err
        assert main(["--data", str(tmp_path / "data"), "--out", str(out),
                     "--second-stage-epochs", "1", "--second-stage-only"]) == 0
    again = json.loads(sidecar.read_text())
    assert again["refiner"] == card["refiner"]
    assert again["training"]["refiner_second_stage"]["bfloat16"] is bfloat16
    # each stage names the command that made it, the centre network keeps its own
    assert "--second-stage-only" in again["training"]["refiner_second_stage"]["command"]
    assert "--second-stage-only" not in again["training"]["command"]
    assert len(BoxDetector(onnx).refiners) == 2
    # quantized again from the float32 network: the same file, the refiner kept
    made = [path.read_bytes() for path in (onnx, out / card["refiner"]["file"])]
    assert main(["--data", str(tmp_path / "data"), "--out", str(out), "--quantize-only"]) == 0
    assert [path.read_bytes() for path in (onnx, out / card["refiner"]["file"])] == made
    requantized = json.loads(sidecar.read_text())
    assert requantized["refiner"] == card["refiner"]
    assert "--quantize-only" in requantized["training"]["quantized"]["command"]
    assert requantized["training"]["epochs"] == 2
    # a refiner cannot be trained without the network it refines, nor a network
    # quantized without the float32 one
    assert main(["--data", str(tmp_path / "data"), "--out", str(tmp_path / "empty"),
                 "--refine-only"]) == 1
    trained.unlink()
    assert main(["--data", str(tmp_path / "data"), "--out", str(out), "--quantize-only"]) == 1
    assert trained.name in capsys.readouterr().err


def test_crops_keep_their_boxes_on_the_objects():
    rng = np.random.default_rng(3)
    image = np.full((512, 640), 50, np.uint8)
    image[200:230, 300:310] = 250  # a 10 x 30 px lying person
    boxes = np.array([[300, 200, 10, 30]], np.float32)
    for _ in range(40):
        crop = random_crop(image, boxes, np.array([0]), rng, Augment(gamma_range=(1, 1),
                           contrast_range=(1, 1), offset_levels=0, noise_levels_max=0,
                           blur_chance=0, object_centred=1.0))
        for x, y, w, h in crop.boxes_px:
            cx, cy = int(x + w / 2), int(y + h / 2)
            if 1 <= cx < 255 and 1 <= cy < 255:
                assert crop.pixels[cy, cx] > 150  # the centre is on the warm object
            assert min(w, h) >= 0.45 * 10 * 0.9 and max(w, h) <= 1.7 * 30 * 1.01


def test_crop_boxes_are_centred_on_their_object_to_a_tenth_of_a_pixel():
    """Mirrored, turned and scaled crops: the box centre is the warm object's centroid
    (a whole-pixel slip is a tenth of a small person's width, and costs AP50)."""
    rng = np.random.default_rng(5)
    image = np.full((512, 640), 0, np.uint8)
    image[200:219, 300:311] = 200  # an 11 x 19 px person: centre (305.5, 209.5) in edges
    boxes = np.array([[300, 200, 11, 19]], np.float32)
    still = Augment(gamma_range=(1, 1), contrast_range=(1, 1), offset_levels=0,
                    noise_levels_max=0, blur_chance=0, object_centred=1.0, rotate_any=0.5)
    for _ in range(60):
        crop = random_crop(image, boxes, np.array([0]), rng, still)
        if len(crop.boxes_px) != 1:
            continue
        x, y, w, h = crop.boxes_px[0]
        weights = crop.pixels.astype(np.float64)
        if weights[:2].sum() + weights[-2:].sum() + weights[:, :2].sum() + weights[:, -2:].sum():
            continue  # the object touches the crop's edge: its centroid is cut
        rows, cols = np.indices(weights.shape)
        centroid = ((cols * weights).sum() / weights.sum() + 0.5,
                    (rows * weights).sum() / weights.sum() + 0.5)
        assert abs(centroid[0] - (x + w / 2)) < 0.1 and abs(centroid[1] - (y + h / 2)) < 0.1


def test_targets_peak_at_one_on_each_centre_and_ignore_dont_care():
    boxes = np.array([[40, 40, 12, 20], [100, 100, 30, 30]], np.float32)
    t = render_targets(boxes, np.array([0, 4]), 256, 4, 4)
    assert t.heat[0].max() == 1.0 and t.heat[0][12, 11] == 1.0
    assert t.centres.sum() == 1 and t.ignore[26, 26] == 1.0
    assert np.isclose(np.exp(t.size[0, 12, 11]) * 4, 12)


def test_isotonic_calibration_is_monotone_and_matches_hit_rates():
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 1, 5000)
    hits = rng.uniform(0, 1, 5000) < scores ** 2  # true probability: score squared
    xs, ys = isotonic_knots(scores, hits)
    assert xs == sorted(xs) and ys == sorted(ys)
    for s in (0.3, 0.6, 0.9):
        assert abs(np.interp(s, xs, ys) - s ** 2) < 0.08


def test_box_loss_is_zero_for_the_right_box_and_grows_as_it_drifts():
    """The GIoU term sees a 2-cell shift of a 3-cell box as the big miss it is."""
    from dronewatch.thermal.training.loss import centernet_loss

    heat = torch.zeros(1, 1, 8, 8)
    heat[0, 0, 4, 4] = 1.0
    centres = heat[:, 0].clone()
    size = torch.zeros(1, 2, 8, 8)
    size[0, :, 4, 4] = torch.log(torch.tensor(3.0))
    offset = torch.full((1, 2, 8, 8), 0.5)
    ignore = torch.zeros(1, 8, 8)

    def box_loss(shift_cells: float) -> float:
        output = torch.cat([heat.clamp(0.01, 0.99), size, offset + shift_cells], dim=1)
        return float(centernet_loss(output, heat, size, offset, centres, ignore, 1)["giou"])

    assert box_loss(0.0) == pytest.approx(0.0, abs=1e-6)
    assert 0.0 < box_loss(0.5) < box_loss(2.0) < box_loss(4.0)
    assert box_loss(4.0) > 1.0  # apart: GIoU below zero


def test_the_alarm_is_the_lowest_confidence_still_precise_enough():
    """Recall first, once alarms are mostly right: of 0.3 / 0.5 / 0.7, the lowest whose
    precision is at least 0.80 (0.5 here), not the best F1."""
    from dronewatch.thermal.boxes import BoxSet
    from dronewatch.thermal.training.calibrate import alarm_threshold
    from dronewatch.thermal.training.evaluate import FrameResult

    labels = np.array([[10.0 * k, 0.0, 5.0, 5.0] for k in range(10)], np.float32)
    # persons 0-7 found at 0.7, persons 8-9 at 0.5, then false ones at 0.5 and 0.3
    boxes = [[10.0 * k + 1, 1, 3, 3] for k in range(10)] + [[500, 500, 3, 3]] * 4
    scores = [0.7] * 8 + [0.5] * 2 + [0.5] * 2 + [0.3] * 2
    found = BoxSet(np.zeros(len(scores), np.int64), np.array(scores, np.float32),
                   np.array(boxes, np.float32))
    result = FrameResult(None, found, labels)  # type: ignore[arg-type]
    alarm, scores_there = alarm_threshold([result], [0.3, 0.5, 0.7])
    assert alarm == 0.5 and scores_there.recall == 1.0
    assert abs(scores_there.precision - 10 / 12) < 1e-9
    strict, _ = alarm_threshold([FrameResult(None, found, labels[:1])], [0.3, 0.5, 0.7])  # type: ignore[arg-type]
    assert strict == 0.7  # never that precise: the best F1


def test_frame_bootstrap_brackets_the_figures_and_widens_with_uneven_frames():
    """Frames alike give a narrow interval around the pooled figure; one frame holding all
    the misses makes recall swing with whether it is drawn."""
    from dronewatch.thermal.boxes import BoxSet
    from dronewatch.thermal.training.evaluate import FrameResult, frame_bootstrap, scores_at

    def frame(found_people: int, false_alarms: int) -> FrameResult:
        labels = np.array([[10.0 * k, 0.0, 5.0, 5.0] for k in range(4)], np.float32)
        boxes = ([[10.0 * k + 1, 1, 3, 3] for k in range(found_people)]
                 + [[500, 500, 3, 3]] * false_alarms)
        found = BoxSet(np.zeros(len(boxes), np.int64), np.full(len(boxes), 0.9, np.float32),
                       np.array(boxes, np.float32).reshape(-1, 4))
        return FrameResult(None, found, labels)  # type: ignore[arg-type]

    even = [frame(3, 1) for _ in range(40)]
    low, high = frame_bootstrap(even, 0.5)["recall"]
    assert low == high == scores_at(even, 0.5).recall == 0.75
    uneven = [frame(4, 1) for _ in range(30)] + [frame(0, 1) for _ in range(10)]
    intervals = frame_bootstrap(uneven, 0.5, seed=3)
    pooled = scores_at(uneven, 0.5)
    assert intervals["recall"][0] < pooled.recall < intervals["recall"][1]
    assert intervals["recall"][1] - intervals["recall"][0] > 0.1
    assert intervals["precision"][0] <= pooled.precision <= intervals["precision"][1]
    assert frame_bootstrap(uneven, 0.5, seed=3) == intervals  # seeded


def test_ap50_bootstrap_brackets_ap50_and_is_exact_for_frames_alike():
    """AP50 over frames drawn again: frames alike give AP50 itself; a few frames whose
    only box misses its person make it swing with how many of them are drawn."""
    from dronewatch.thermal.boxes import BoxSet
    from dronewatch.thermal.training.evaluate import FrameResult, ap50, ap50_bootstrap

    def frame(box: list[float], score: float) -> FrameResult:
        found = BoxSet(np.zeros(1, np.int64), np.array([score], np.float32),
                       np.array([box], np.float32))
        return FrameResult(None, found, np.array([[0, 0, 10, 20]], np.float32))  # type: ignore[arg-type]

    alike = [frame([0, 0, 10, 20], 0.9) for _ in range(20)]
    assert ap50_bootstrap(alike) == (ap50(alike), ap50(alike)) == (1.0, 1.0)
    mixed = alike + [frame([6, 12, 10, 20], 0.95) for _ in range(5)]  # IoU 0.09: a miss
    low, high = ap50_bootstrap(mixed, seed=2)
    assert low < ap50(mixed) < high and high - low > 0.05
    assert ap50_bootstrap(mixed, seed=2) == (low, high)  # seeded


def test_the_alarm_keeps_a_margin_where_false_alarms_crowd_into_few_frames():
    """Two val sets with the same pooled precision at 0.5 (0.83): spread evenly over 40
    frames it is safe to alarm there; crowded into four frames another draw of frames may
    well fall below 0.80, so the alarm moves up to where every alarm was right."""
    from dronewatch.thermal.boxes import BoxSet
    from dronewatch.thermal.training.calibrate import alarm_threshold
    from dronewatch.thermal.training.evaluate import FrameResult

    def frame(false_at_half: int) -> FrameResult:
        labels = np.array([[10.0 * k, 0.0, 5.0, 5.0] for k in range(5)], np.float32)
        boxes = [[10.0 * k + 1, 1, 3, 3] for k in range(5)] + [[500, 500, 3, 3]] * false_at_half
        scores = [0.9] * 5 + [0.5] * false_at_half
        found = BoxSet(np.zeros(len(scores), np.int64), np.array(scores, np.float32),
                       np.array(boxes, np.float32))
        return FrameResult(None, found, labels)  # type: ignore[arg-type]

    even = [frame(1) for _ in range(40)]
    crowded = [frame(10) for _ in range(4)] + [frame(0) for _ in range(36)]
    assert alarm_threshold(even, [0.5, 0.9])[0] == 0.5
    level, scores = alarm_threshold(crowded, [0.5, 0.9])
    assert level == 0.9 and scores.precision == 1.0 and scores.recall == 1.0
