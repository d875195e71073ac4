"""The array strip cutter agrees with a polygon overlay per strip, for any polygon with holes.

Lanes are only as complete as these spans: a span too short leaves an unflown edge, a
span too long flies over ground outside the area.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dronewatch.planning._strips import edges, merge_spans, strip_spans
from tests.planning.world import circle


def _overlay_spans(region: shapely.Geometry, first_y: float, spacing_m: float,
                   count: int) -> list[tuple[int, float, float]]:
    """The reference: intersect each strip with the region, join the pieces' x-extents."""
    out = []
    for k in range(count):
        y = first_y + k * spacing_m
        inside = region.intersection(shapely.box(-1e5, y - spacing_m / 2, 1e5, y + spacing_m / 2))
        pieces = sorted(part.bounds[::2] for part in getattr(inside, "geoms", [inside])
                        if not part.is_empty and part.area > 1e-6)
        for a, b in pieces:
            if out and out[-1][0] == k and a <= out[-1][2] + 1e-6:
                out[-1] = (k, out[-1][1], max(out[-1][2], b))
            else:
                out.append((k, a, b))
    return out


@st.composite
def regions(draw):
    # Whole metres: a sliver 10 µm wide is not an area anyone plans over, and there
    # the overlay's "area below 1e-6 m²" and our "span below 1e-6 m" part ways.
    n = draw(st.integers(3, 12))
    points = [(draw(st.integers(-500, 500)), draw(st.integers(-500, 500))) for _ in range(n)]
    shell = shapely.Polygon(points).buffer(0)
    holes = [circle(draw(st.integers(-300, 300)), draw(st.integers(-300, 300)),
                    draw(st.integers(10, 120))) for _ in range(draw(st.integers(0, 4)))]
    return shell.difference(shapely.union_all(holes)) if holes else shell


def _visible(spans: list[tuple[int, float, float]]) -> list[tuple[int, float, float]]:
    """Spans longer than a millimetre: what a lane is made of."""
    return [s for s in spans if s[2] - s[1] > 1e-3]


@settings(max_examples=150, deadline=None)
@given(region=regions(), spacing_m=st.floats(8, 150))
def test_spans_are_the_x_extent_of_the_region_in_each_strip(region, spacing_m):
    assume(not region.is_empty and region.area > 100.0)
    x0, y0, x1, y1 = edges(region, 1.0, 0.0, (0.0, 0.0))
    _, min_y, _, max_y = region.bounds
    count = max(1, math.ceil((max_y - min_y) / spacing_m))
    first_y = (min_y + max_y) / 2 - (count - 1) * spacing_m / 2
    spans = strip_spans(x0, y0, x1, y1, first_y=first_y, spacing_m=spacing_m, count=count)
    expected = _visible(_overlay_spans(region, first_y, spacing_m, count))
    got = _visible(list(zip(spans.strip.tolist(), spans.x0_m.tolist(), spans.x1_m.tolist(),
                            strict=True)))
    assert [k for k, _, _ in got] == [k for k, _, _ in expected]
    np.testing.assert_allclose([s[1:] for s in got], [s[1:] for s in expected], atol=1e-3)


def test_edges_turn_every_ring_including_holes():
    square = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(4, 4), (6, 4), (6, 6)]])
    x0, y0, _, _ = edges(square, 0.0, 1.0, (0.0, 0.0))  # a quarter turn ccw
    assert len(x0) == 4 + 3
    np.testing.assert_allclose(sorted(zip(x0.round(9), y0.round(9), strict=True)),
                               sorted([(0, 0), (0, 10), (-10, 10), (-10, 0),
                                       (-4, 4), (-4, 6), (-6, 6)]), atol=1e-9)


def test_touching_spans_join_and_points_vanish():
    spans = merge_spans(np.array([2, 2, 2, 3]), np.array([0.0, 5.0, 9.0, 1.0]),
                        np.array([5.0, 7.0, 9.0, 1.0]))
    assert spans.strip.tolist() == [2]
    assert (spans.x0_m.tolist(), spans.x1_m.tolist()) == ([0.0], [7.0])
