"""Frames paired with logged shots: one to one, in order, as many as the window allows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewatch.ops.shotpairs import pair_shots


def _exhaustive(frames: list[float], shots: list[float], within_s: float) -> tuple[int, float]:
    """(pairs, total time difference) of the best non-crossing pairing, by trying all."""
    def best(i: int, j: int) -> tuple[int, float]:
        if i == len(frames):
            return 0, 0.0
        count, cost = best(i + 1, j)  # frame i unpaired
        for k in range(j, len(shots)):
            if abs(shots[k] - frames[i]) <= within_s:
                c, d = best(i + 1, k + 1)
                if (c + 1, -(d + abs(shots[k] - frames[i]))) > (count, -cost):
                    count, cost = c + 1, d + abs(shots[k] - frames[i])
        return count, cost
    return best(0, 0)


times = st.lists(st.floats(0, 10, allow_nan=False), max_size=6).map(sorted)


@settings(max_examples=300, deadline=None)
@given(times, times, st.floats(0.05, 3))
def test_the_pairing_is_the_best_that_keeps_order(frames, shots, within_s):
    pairs = pair_shots(frames, shots, within_s)
    assert len(pairs) == len(frames)
    used = [j for j in pairs if j is not None]
    assert used == sorted(set(used))  # each shot once, never crossing
    assert all(abs(shots[j] - frames[i]) <= within_s
               for i, j in enumerate(pairs) if j is not None)
    count, cost = _exhaustive(frames, shots, within_s)
    assert len(used) == count
    assert sum(abs(shots[j] - frames[i]) for i, j in enumerate(pairs) if j is not None) \
        == pytest.approx(cost, abs=1e-9)


@pytest.mark.parametrize("lag_s", [-0.9, -0.5, 0.0, 0.3, 0.5, 0.9])
def test_a_steady_lag_under_the_window_keeps_every_frame_on_its_own_shot(lag_s):
    """Shots 0.2 s apart stamped up to 0.9 s late or early: the nearest shot is a
    neighbour's, the pairing still each frame's own."""
    shots = [0.2 * k for k in range(50)]
    frames = [t - lag_s for t in shots]
    assert pair_shots(frames, shots, 1.0) == list(range(50))


def test_a_lost_frame_leaves_its_shot_unpaired_and_the_rest_in_place():
    shots = [1.0 * k for k in range(10)]
    frames = [t + 0.4 for k, t in enumerate(shots) if k != 4]
    assert pair_shots(frames, shots, 1.0) == [0, 1, 2, 3, 5, 6, 7, 8, 9]


def test_times_out_of_order_are_refused():
    with pytest.raises(ValueError, match="ascending"):
        pair_shots([2.0, 1.0], [1.0, 2.0], 1.0)
