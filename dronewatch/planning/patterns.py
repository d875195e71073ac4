"""The IAMSAR search patterns around a datum, in local metres (x east, y north).

Why the textbook shapes: rescue teams, aircrews and the police share the IAMSAR
Manual (Vol. II) vocabulary, so a plan must be the pattern its name says:
- expanding square (SS): legs S, S, 2S, 2S, 3S ... all turns 90° right; the first leg
  into the wind when the wind is known;
- sector search (VS): 9 legs of length R with 120° right turns through the datum,
  then the whole pattern again rotated 30°;
- parallel track (PS) and creeping line (CS) over a box: tracks spaced S, the first S/2
  inside the edge, parallel to the box's long side (PS) or across it (CS).
Headings are degrees clockwise from north.
"""

from __future__ import annotations

import math

__all__ = ["creeping_line", "expanding_square", "parallel_track", "sector_search"]

Point = tuple[float, float]


def _step(p: Point, heading_deg: float, length_m: float) -> Point:
    h = math.radians(heading_deg)
    return p[0] + length_m * math.sin(h), p[1] + length_m * math.cos(h)


def expanding_square(datum: Point, spacing_m: float, radius_m: float, *,
                     first_heading_deg: float = 0.0) -> list[Point]:
    """Corners of an expanding square that reaches ``radius_m`` from the datum on every side."""
    if spacing_m <= 0 or radius_m <= 0:
        raise ValueError("expanding square needs a positive track spacing and radius")
    points = [datum]
    heading = first_heading_deg
    k = 1
    while True:
        multiple = (k + 1) // 2
        points.append(_step(points[-1], heading, multiple * spacing_m))
        heading = (heading + 90.0) % 360.0
        # After a pair of legs of m·S the square spans about m·S: stop once it spans 2R.
        if k % 2 == 0 and multiple * spacing_m >= 2 * radius_m:
            break
        k += 1
    return points


def sector_search(datum: Point, radius_m: float, *, first_heading_deg: float = 0.0,
                  second_pass_rotation_deg: float = 30.0) -> list[Point]:
    """Two passes of three 120° sectors; every third point is the datum."""
    if radius_m <= 0:
        raise ValueError("sector search needs a positive radius")
    points = [datum]
    for start in (first_heading_deg, first_heading_deg + second_pass_rotation_deg):
        heading = start
        for leg in range(9):
            points.append(_step(points[-1], heading, radius_m))
            if leg % 3 != 2:
                heading = (heading + 120.0) % 360.0
    return points


def _tracks(centre: Point, along_m: float, across_m: float, axis_deg: float,
            spacing_m: float) -> list[Point]:
    """Tracks of length ``along_m`` parallel to ``axis_deg``, stepping across ``across_m``."""
    if spacing_m <= 0 or along_m <= 0 or across_m <= 0:
        raise ValueError("a box pattern needs positive sizes and spacing")
    count = max(1, math.ceil(across_m / spacing_m))
    points = []
    for i in range(count):
        offset = -across_m / 2 + spacing_m / 2 + i * spacing_m
        offset = min(offset, across_m / 2 - spacing_m / 2) if count > 1 else 0.0
        mid = _step(centre, axis_deg + 90.0, offset)
        a = _step(mid, axis_deg + 180.0, along_m / 2)
        b = _step(mid, axis_deg, along_m / 2)
        points.extend([a, b] if i % 2 == 0 else [b, a])
    return points


def parallel_track(centre: Point, length_m: float, width_m: float, spacing_m: float, *,
                   major_axis_deg: float = 0.0) -> list[Point]:
    """Tracks along the box's long side (``length_m`` along ``major_axis_deg``)."""
    return _tracks(centre, length_m, width_m, major_axis_deg, spacing_m)


def creeping_line(centre: Point, length_m: float, width_m: float, spacing_m: float, *,
                  major_axis_deg: float = 0.0) -> list[Point]:
    """Tracks across the box, creeping along its long side."""
    return _tracks(centre, width_m, length_m, major_axis_deg + 90.0, spacing_m)
