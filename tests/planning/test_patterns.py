"""IAMSAR pattern geometry: leg lengths, turn directions, spacing."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dronewatch.planning.patterns import (
    creeping_line,
    expanding_square,
    parallel_track,
    sector_search,
)


def legs(points):
    return [(math.dist(a, b), math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360)
            for a, b in itertools.pairwise(points)]


def turn(h1, h2):
    return (h2 - h1 + 180) % 360 - 180  # positive = right (clockwise)


@given(spacing=st.floats(20, 200), radius=st.floats(100, 2000), first=st.floats(0, 359))
def test_expanding_square_legs_grow_s_s_2s_2s_and_turn_right(spacing, radius, first):
    points = expanding_square((0.0, 0.0), spacing, radius, first_heading_deg=first)
    got = legs(points)
    for k, (length, _) in enumerate(got, start=1):
        assert length == pytest.approx(((k + 1) // 2) * spacing)
    assert got[0][1] == pytest.approx(first % 360, abs=1e-6)
    for (_, h1), (_, h2) in itertools.pairwise(got):
        assert turn(h1, h2) == pytest.approx(90.0, abs=1e-6)
    reach = max(max(abs(x), abs(y)) for x, y in points)
    assert reach >= radius - spacing  # reaches the requested radius
    assert len(got) % 2 == 0


def test_expanding_square_first_leg_into_the_wind():
    points = expanding_square((0.0, 0.0), 50, 300, first_heading_deg=270)  # wind from the west
    (x, y) = points[1]
    assert x == pytest.approx(-50) and y == pytest.approx(0, abs=1e-9)


def test_sector_search_nine_legs_of_r_through_the_datum_then_rotated_30():
    radius = 500.0
    points = sector_search((10.0, 20.0), radius, first_heading_deg=0)
    got = legs(points)
    assert len(got) == 18
    assert all(length == pytest.approx(radius) for length, _ in got)
    for k in (3, 6, 9, 12, 15, 18):
        assert points[k] == pytest.approx((10.0, 20.0), abs=1e-6)
    for i in (0, 1, 3, 4, 6, 7):
        assert turn(got[i][1], got[i + 1][1]) == pytest.approx(120.0, abs=1e-6)
    assert got[9][1] == pytest.approx(30.0, abs=1e-6)  # second pass rotated 30°
    outbound = {round(got[i][1]) % 360 for i in (0, 3, 6)}
    assert outbound == {0, 120, 240}


@pytest.mark.parametrize("builder", [parallel_track, creeping_line])
def test_box_patterns_space_tracks_evenly_half_a_spacing_inside(builder):
    length, width, spacing = 2000.0, 1000.0, 100.0
    points = builder((0.0, 0.0), length, width, spacing, major_axis_deg=0.0)
    tracks = list(zip(points[::2], points[1::2], strict=True))
    if builder is parallel_track:  # along the long (north) side, stepping east
        xs = sorted(a[0] for a, _ in tracks)
        assert all(a[0] == pytest.approx(b[0]) for a, b in tracks)
        assert all(abs(a[1] - b[1]) == pytest.approx(length) for a, b in tracks)
        assert xs[0] == pytest.approx(-width / 2 + spacing / 2)
        assert len(tracks) == 10
    else:  # across: tracks east-west, creeping north
        ys = sorted(a[1] for a, _ in tracks)
        assert all(a[1] == pytest.approx(b[1]) for a, b in tracks)
        assert all(abs(a[0] - b[0]) == pytest.approx(width) for a, b in tracks)
        assert ys[0] == pytest.approx(-length / 2 + spacing / 2)
        assert len(tracks) == 20
    steps = [math.dist(tracks[i][1], tracks[i + 1][0]) for i in range(len(tracks) - 1)]
    assert all(s == pytest.approx(spacing) for s in steps)


def test_patterns_refuse_nonsense():
    with pytest.raises(ValueError):
        expanding_square((0, 0), 0, 100)
    with pytest.raises(ValueError):
        sector_search((0, 0), -5)
