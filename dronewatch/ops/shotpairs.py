"""Which logged camera shot each frame is: one to one, in time order, within a window.

Why not each frame's nearest shot: the log stamps a shot when the ground station
received it, the camera when it took the frame, so the two clocks differ by the link's
lag. Once that lag is more than half the time between shots, a frame's nearest shot
is its neighbour's; nearest-first pairing then hands every frame the pose of a shot
taken a moment later (a wrong place on the map) and leaves the last frames without
one. Frames and shots both happen in order, so the pairing is the one that never
crosses (frame a before frame b means shot a before shot b), pairs as many frames as
can be paired within ``within_s``, and among those pairings has the least total time
difference. For one-dimensional times the least-difference pairing never crosses
anyway, so nothing is given up by asking for order.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from itertools import pairwise

__all__ = ["pair_shots"]

# A state is "the next shot that may still be paired"; its value is (frames paired,
# minus their total time difference), compared as a tuple: count first.
_Value = tuple[int, float]


def pair_shots(frame_times_s: Sequence[float], shot_times_s: Sequence[float],
               within_s: float) -> list[int | None]:
    """For each frame (times ascending), the index of its shot (times ascending) or None.

    Dynamic programming over frames whose state is the next free shot. Only the shots
    within ``within_s`` of the frame can change anything, and every state before them
    is as good as the earliest of them, so a frame costs the number of shots in its
    window, not the number of shots.
    """
    if any(b < a for times in (frame_times_s, shot_times_s) for a, b in pairwise(times)):
        raise ValueError("frame and shot times must be in ascending order")
    states: dict[int, _Value] = {0: (0, 0.0)}  # next free shot -> best value
    choices: list[dict[int, tuple[int, int | None]]] = []  # per frame: state -> (from, shot)
    for t in frame_times_s:
        lo = bisect.bisect_left(shot_times_s, t - within_s)
        hi = bisect.bisect_right(shot_times_s, t + within_s)
        states, came_from = _collapse_before(states, lo)
        step: dict[int, tuple[int, int | None]] = {k: (came_from[k], None) for k in states}
        ordered = sorted(states)
        best_key, best, i = None, None, 0
        new_states = dict(states)
        for j in range(lo, hi):
            while i < len(ordered) and ordered[i] <= j:  # states that may still take shot j
                if best is None or states[ordered[i]] > best:
                    best_key, best = ordered[i], states[ordered[i]]
                i += 1
            if best_key is None or best is None:
                continue  # no state may take shot j: the window starts before them
            value = (best[0] + 1, best[1] - abs(shot_times_s[j] - t))
            if j + 1 not in new_states or value > new_states[j + 1]:
                new_states[j + 1] = value
                step[j + 1] = (came_from[best_key], j)
        states = new_states
        choices.append(step)
    return _walk_back(states, choices)


def _collapse_before(states: dict[int, _Value], lo: int) -> tuple[dict[int, _Value],
                                                                   dict[int, int]]:
    """States before ``lo`` merged into ``lo`` (none of them can take an earlier shot
    any more); each kept state's key in the previous frame's states."""
    kept: dict[int, _Value] = {}
    came_from: dict[int, int] = {}
    for k, value in states.items():
        key = max(k, lo)
        if key not in kept or value > kept[key]:
            kept[key], came_from[key] = value, k
    return kept, came_from


def _walk_back(states: dict[int, _Value],
               choices: list[dict[int, tuple[int, int | None]]]) -> list[int | None]:
    pairs: list[int | None] = [None] * len(choices)
    key = max(states, key=lambda k: states[k])
    for frame in range(len(choices) - 1, -1, -1):
        key, pairs[frame] = choices[frame][key]
    return pairs
