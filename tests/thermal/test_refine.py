"""The person refiner: patches cut alike for every candidate, box deltas that invert, and
on real val frames boxes that fit the labelled people better than the centre network's."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewatch.thermal.boxes import iou_matrix
from dronewatch.thermal.learned import DEFAULT_MODEL, BoxDetector
from dronewatch.thermal.refine import (
    PatchGeometry,
    RefinerSession,
    apply_deltas,
    box_deltas,
    cut_patches,
    joint_score,
    patch_sides_px,
)

boxes = st.tuples(st.floats(0, 600), st.floats(0, 480), st.floats(3, 60), st.floats(3, 60))


@settings(max_examples=200, deadline=None)
@given(boxes, st.floats(-15, 15), st.floats(-15, 15), st.floats(0.55, 1.8), st.floats(0.55, 1.8))
def test_deltas_lead_from_a_box_back_to_its_target(box, shift_x, shift_y, grow_w, grow_h):
    start = np.array([box], np.float32)
    x, y, w, h = box
    target = np.array([[x + shift_x + w * (1 - grow_w) / 2, y + shift_y + h * (1 - grow_h) / 2,
                        w * grow_w, h * grow_h]], np.float32)
    sides = patch_sides_px(start, PatchGeometry())
    redrawn = apply_deltas(start, box_deltas(start, target, sides), sides)
    np.testing.assert_allclose(redrawn, target, atol=2e-3, rtol=1e-4)


def test_a_redrawn_box_never_grows_or_shrinks_more_than_twice():
    start = np.array([[100, 100, 10, 20]], np.float32)
    redrawn = apply_deltas(start, np.array([[0, 0, 5.0, -5.0]], np.float32),
                           np.array([25.0], np.float32))
    np.testing.assert_allclose(redrawn[0, 2:], [20, 10], rtol=1e-5)


def test_every_candidate_fills_its_patch_alike_whatever_its_size():
    """A warm ellipse 8 px and one 32 px across look the same in their patches: the
    refiner learns shapes, not the altitude they were seen from."""
    frame = np.full((512, 640), 60, np.uint8)
    cv2.ellipse(frame, (100, 100), (4, 8), 0, 0, 360, 220, -1)
    cv2.ellipse(frame, (400, 300), (16, 32), 0, 0, 360, 220, -1)
    geometry = PatchGeometry(patch_px=32, context=2.5, min_side_px=1.0)
    small, large = cut_patches(frame, np.array([[96, 92, 8, 16], [384, 268, 32, 64]],
                                               np.float32), geometry)
    assert small[16, 16] > 200 and large[16, 16] > 200 and small[0, 0] == 60
    warm_small, warm_large = (small > 140).sum(), (large > 140).sum()
    assert abs(warm_small - warm_large) <= 0.15 * warm_large
    # and a box off its object's centre shows the object off the patch's centre
    shifted = cut_patches(frame, np.array([[104, 92, 8, 16]], np.float32), geometry)[0]
    assert shifted[16, 16] == 60 and shifted[16, 10] > 200


def test_the_joint_score_is_held_down_by_either_network_doubting():
    heat = np.array([0.9, 0.9, 0.1], np.float32)
    logit = np.array([4.0, -4.0, 4.0], np.float32)
    joint = joint_score(heat, logit)
    assert joint[0] > 0.85 and joint[1] < 0.2 and joint[2] < 0.35


@pytest.fixture(scope="module")
def val_frames(hituav_val):
    return [f for f in hituav_val[::6] if len(f.persons_px)]


def test_refined_boxes_fit_real_people_better_than_the_centre_networks(val_frames):
    """The same candidates (the heat-map cells the run time refines), before and after
    the second look."""
    raw = BoxDetector(DEFAULT_MODEL, calibrated=False, refine_stages=0)
    assert raw.info.refiner is not None
    refiner = RefinerSession(DEFAULT_MODEL.parent / raw.info.refiner.file,
                             raw.info.refiner.geometry)
    before, after = [], []
    for frame in val_frames:
        pixels = frame.read_pixels()
        found = raw.candidates(pixels, raw.info.refiner.min_raw_score).of_class(0).above(0.3)
        if not len(found):
            continue
        redrawn, joint = refiner(pixels, found.boxes_px, found.scores)
        assert ((joint >= 0) & (joint <= 1)).all()
        fit_before = iou_matrix(found.boxes_px, frame.persons_px).max(axis=1)
        fit_after = iou_matrix(redrawn, frame.persons_px).max(axis=1)
        near = fit_before >= 0.2  # candidates on a person, not the false ones
        before.extend(fit_before[near])
        after.extend(fit_after[near])
    assert len(before) > 50
    # measured: mean IoU 0.673 -> 0.712, share at IoU >= 0.5 0.866 -> 0.887
    assert np.mean(after) > np.mean(before) + 0.02, (np.mean(after), np.mean(before))
    assert np.mean(np.array(after) >= 0.5) > np.mean(np.array(before) >= 0.5)


def _people_with_a_box_of_their_own(found_px: np.ndarray, persons_px: np.ndarray) -> np.ndarray:
    """For each person: whether a box fits them (IoU >= 0.5) better than anyone else."""
    if not len(found_px):
        return np.zeros(len(persons_px), bool)
    fit = iou_matrix(found_px, persons_px)
    own = fit.argmax(axis=1)
    return np.array([bool((fit[own == j, j] >= 0.5).any()) for j in range(len(persons_px))])


def test_people_side_by_side_each_get_a_box_of_their_own(hituav_val):
    """Two people closer than a body length often share one heat-map peak at stride 4;
    every cell the refiner looks at is a candidate, so each gets redrawn onto its own
    person (val, measured: 94 % of such people against 79 % from the peaks alone)."""
    detector = BoxDetector(DEFAULT_MODEL, calibrated=False)
    assert detector.info.refiner is not None
    refiner = RefinerSession(DEFAULT_MODEL.parent / detector.info.refiner.file,
                             detector.info.refiner.geometry)
    from_peaks, from_cells = [], []
    for frame in hituav_val[::2]:
        persons = frame.persons_px
        centres = persons[:, :2] + persons[:, 2:] / 2
        gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
        np.fill_diagonal(gaps, np.inf)
        close = gaps.min(axis=1, initial=np.inf) < persons[:, 2:].max(axis=1, initial=0)
        if not close.any():
            continue
        pixels = frame.read_pixels()
        peaks = detector.candidates(pixels).of_class(0).above(0.1)
        redrawn, _ = refiner(pixels, peaks.boxes_px, peaks.scores)
        found = detector.boxes(pixels).of_class(0)
        from_peaks.extend(_people_with_a_box_of_their_own(redrawn, persons)[close])
        from_cells.extend(_people_with_a_box_of_their_own(found.boxes_px, persons)[close])
    assert len(from_cells) > 100
    assert np.mean(from_cells) > np.mean(from_peaks) + 0.08, (np.mean(from_cells),
                                                              np.mean(from_peaks))


def test_the_second_stage_ranks_real_people_better_than_the_first_alone(hituav_val):
    """The second stage learned from the first stage's own boxes and scores: on each half
    of val AP50 rises (measured with the int8 stages 0.878 -> 0.887 and 0.913 -> 0.918;
    on thirds +0.002 to +0.016, never down), and the shipped sidecar names both stages."""
    from dronewatch.thermal.boxes import average_precision

    one = BoxDetector(DEFAULT_MODEL, calibrated=False, refine_stages=1)
    both = BoxDetector(DEFAULT_MODEL, calibrated=False)
    assert len(one.refiners) == 1 and len(both.refiners) == 2
    for frames in (hituav_val[::2], hituav_val[1::2]):
        first, second = ([(d.boxes(f.read_pixels()).of_class(0), f.persons_px)
                          for f in frames] for d in (one, both))
        assert average_precision(second, 0.5) > average_precision(first, 0.5) + 0.004


class _Counting:
    """A refiner stage that counts the patches it is shown."""

    def __init__(self, stage):
        self.stage, self.patches = stage, 0

    def __call__(self, pixels, boxes_px, heat):
        self.patches += len(boxes_px)
        return self.stage(pixels, boxes_px, heat)


def test_a_candidate_repeating_a_better_one_is_not_looked_at_again(hituav_val, tmp_path):
    """Neighbouring heat-map cells of one person decode to nearly one box: looking at
    each costs patches and finds nobody new (val, measured with repeats ranked lower:
    66 -> 36 patches a frame, AP50 0.9012 -> 0.9021)."""
    from dronewatch.thermal.boxes import average_precision

    for path in DEFAULT_MODEL.parent.glob("*.onnx"):
        shutil.copy(path, tmp_path / path.name)
    sidecar = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    assert sidecar["refiner"]["repeat_iou"] < 1.0
    sidecar["refiner"]["repeat_iou"] = 1.0
    (tmp_path / DEFAULT_MODEL.with_suffix(".json").name).write_text(json.dumps(sidecar))
    shipped = BoxDetector(DEFAULT_MODEL, calibrated=False)
    every = BoxDetector(tmp_path / DEFAULT_MODEL.name, calibrated=False)
    for detector in (shipped, every):
        detector.refiners = tuple(_Counting(stage) for stage in detector.refiners)
    frames = hituav_val[1::3]
    found = [[(d.boxes(f.read_pixels()).of_class(0), f.persons_px) for f in frames]
             for d in (shipped, every)]
    counts = [sum(stage.patches for stage in d.refiners) for d in (shipped, every)]
    assert counts[0] < 0.65 * counts[1], counts
    assert average_precision(found[0], 0.5) >= average_precision(found[1], 0.5) - 0.005
