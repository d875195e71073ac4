"""Decoding candidates from a heat map, and keeping each redrawn box once (or ranking its
repeats lower)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewatch.thermal.boxes import (
    decayed_repeat_scores,
    decode_centres,
    distinct_boxes,
    iou_matrix,
)

STRIDE = 4


def _output(peaks: list[tuple[int, int, int, float]], n_classes: int = 2) -> np.ndarray:
    """A (classes + 4, 32, 32) network output: a Gaussian blob (sigma 1 cell) per peak
    (class, row, col, height), boxes 3 x 5 cells everywhere, no offsets."""
    out = np.zeros((n_classes + 4, 32, 32), np.float32)
    rows, cols = np.mgrid[0:32, 0:32]
    for cls, row, col, height in peaks:
        blob = height * np.exp(-((rows - row) ** 2 + (cols - col) ** 2) / 2.0)
        out[cls] = np.maximum(out[cls], blob)
    out[n_classes] = np.log(3.0)
    out[n_classes + 1] = np.log(5.0)
    return out


def test_two_people_one_cell_apart_share_a_peak_but_not_their_cells():
    out = _output([(0, 10, 10, 0.9), (0, 10, 11, 0.8), (1, 20, 20, 0.7), (1, 20, 21, 0.6)])
    peaks = decode_centres(out, 2, STRIDE, 0.05)
    assert len(peaks.of_class(0)) == 1 and len(peaks.of_class(1)) == 1
    cells = decode_centres(out, 2, STRIDE, 0.05, every_cell={0: 0.1})
    persons = cells.of_class(0)
    assert len(persons) == int((out[0] >= 0.1).sum()) > 10
    assert (persons.scores >= 0.1).all()
    assert len(cells.of_class(1)) == 1  # other classes still give their peaks only
    assert np.all(np.diff(cells.scores) <= 0)  # best first, as before
    # each cell's box is centred on its own cell
    centres = persons.boxes_px[:, :2] + persons.boxes_px[:, 2:] / 2
    assert np.allclose(centres % STRIDE, 0)
    assert np.allclose(persons.boxes_px[:, 2:], [3 * STRIDE, 5 * STRIDE])


def test_cells_are_capped_at_max_boxes_keeping_the_best():
    out = _output([(0, 16, 16, 0.9)])
    cells = decode_centres(out, 2, STRIDE, 0.05, max_boxes=5, every_cell={0: 0.01})
    assert len(cells) == 5 and cells.scores[0] == np.float32(0.9)


box = st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(1, 30), st.floats(1, 30))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(box, st.floats(0.01, 1.0)), min_size=0, max_size=25),
       st.floats(0.1, 0.9))
def test_kept_boxes_do_not_repeat_one_another_and_every_dropped_one_repeats_a_better(
        scored, max_iou):
    boxes = np.array([b for b, _ in scored], np.float32).reshape(-1, 4)
    scores = np.array([s for _, s in scored], np.float32)
    kept = distinct_boxes(boxes, scores, max_iou)
    assert len(set(kept.tolist())) == len(kept)
    if not len(boxes):
        assert len(kept) == 0
        return
    assert int(np.argmax(scores)) in kept or scores[kept].max() == scores.max()
    overlaps = iou_matrix(boxes, boxes)
    for a in kept:
        for b in kept:
            assert a == b or overlaps[a, b] <= max_iou + 1e-6
    for dropped in set(range(len(boxes))) - set(kept.tolist()):
        assert any(overlaps[dropped, k] > max_iou - 1e-6 and scores[k] >= scores[dropped]
                   for k in kept)


def test_a_repeat_is_ranked_lower_by_its_overlap_and_a_box_apart_keeps_its_score():
    boxes = np.array([[0, 0, 10, 20],  # a person
                      [1, 0, 10, 20],  # beside them, overlapping by IoU 9/11
                      [0, 0, 10, 20],  # the first one's box again
                      [50, 50, 10, 20]], np.float32)  # someone apart
    scores = np.array([0.9, 0.8, 0.5, 0.3], np.float32)
    decayed = decayed_repeat_scores(boxes, scores, 0.6)
    np.testing.assert_allclose(decayed, [0.9, 0.8 * (1 - 9 / 11), 0.0, 0.3], rtol=1e-6)
    # below the overlap that marks a repeat nothing changes
    np.testing.assert_array_equal(decayed_repeat_scores(boxes, scores, 0.99)[[0, 1, 3]],
                                  scores[[0, 1, 3]])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(box, st.floats(0.01, 1.0)), min_size=0, max_size=25),
       st.floats(0.1, 0.9))
def test_each_score_is_cut_by_the_overlap_of_every_better_box_it_repeats(scored, max_iou):
    """Soft suppression's whole rule: taken best first, a box's score is its own times
    (1 - IoU) for every box taken before it that it overlaps by more than ``max_iou``."""
    boxes = np.array([b for b, _ in scored], np.float32).reshape(-1, 4)
    scores = np.array([s for _, s in scored], np.float32)
    decayed = decayed_repeat_scores(boxes, scores, max_iou)
    assert decayed.shape == scores.shape and (decayed <= scores).all()
    if not len(boxes):
        return
    assert decayed.max() == scores.max()  # the best is never cut
    overlaps = iou_matrix(boxes, boxes)
    for k in range(len(boxes)):
        before = [j for j in range(len(boxes)) if j != k
                  and (decayed[j], -j) > (decayed[k], -k) and overlaps[j, k] > max_iou]
        expected = float(scores[k]) * float(np.prod([1.0 - overlaps[j, k] for j in before]))
        assert abs(float(decayed[k]) - expected) <= 1e-6 + 1e-5 * expected
