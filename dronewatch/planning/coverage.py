"""Boustrophedon coverage of any polygon, concave and with holes, in metres.

Why strips rather than lines: a lane flown along the middle of a strip of the
camera's footprint width covers that whole strip, so each lane is cut to the full
x-extent of the polygon inside its strip, not just where the centre line crosses it.
That is what makes coverage of the polygon complete up to its edges, including the
slanted edges and notches of concave shapes. Places the drone may not fly (no-fly
zones, grown by a margin) are cut out of every lane; holes that are merely "not
part of the area" are flown over when that is shorter.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import affinity

from dronewatch.planning._strips import StripSpans, edges, merge_spans, strip_spans

__all__ = ["Lane", "best_sweep_angle", "lanes", "order_lanes", "sweep_cost_s"]


@dataclass(frozen=True, slots=True)
class Lane:
    """One straight pass: from (x0, y0) to (x1, y1) in the local frame, metres."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def length_m(self) -> float:
        return math.hypot(self.x1 - self.x0, self.y1 - self.y0)

    def reversed(self) -> Lane:
        return Lane(self.x1, self.y1, self.x0, self.y0)


def lanes(region: shapely.Geometry, spacing_m: float, angle_deg: float,
          forbidden: shapely.Geometry | None = None) -> list[list[Lane]]:
    """Lanes over ``region`` at ``spacing_m``, running at ``angle_deg`` (0 = east, ccw).

    Returns one list of lane pieces per strip, strips in order across the region.
    ``forbidden`` (no-fly, with its margin) is cut out of every piece.
    """
    if spacing_m <= 0:
        raise ValueError("lane spacing must be positive")
    if region.is_empty:
        return []
    centre = region.centroid
    origin = (centre.x, centre.y)
    theta = math.radians(angle_deg)
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    # Turned by -angle the lanes run along x; every strip is cut in one array pass.
    x0, y0, x1, y1 = edges(region, cos_t, -sin_t, origin)
    if len(x0) == 0:
        return []
    min_y, max_y = float(min(y0.min(), y1.min())), float(max(y0.max(), y1.max()))
    count = max(1, math.ceil((max_y - min_y) / spacing_m))
    # Centre the strips on the region so the rim is shared evenly on both sides.
    first_y = (min_y + max_y) / 2 - (count - 1) * spacing_m / 2
    spans = strip_spans(x0, y0, x1, y1, first_y=first_y, spacing_m=spacing_m, count=count)
    if forbidden is not None and not forbidden.is_empty:
        spans = _cut(spans, first_y, spacing_m,
                     affinity.rotate(forbidden, -angle_deg, origin=centre))
    y = first_y + spacing_m * spans.strip
    ax, ay = _turn(spans.x0_m, y, cos_t, sin_t, origin)
    bx, by = _turn(spans.x1_m, y, cos_t, sin_t, origin)
    cuts = (np.flatnonzero(np.diff(spans.strip)) + 1).tolist()
    coords = np.stack([ax, ay, bx, by], axis=1).tolist()
    return [[Lane(*c) for c in coords[i:j]]
            for i, j in zip([0, *cuts], [*cuts, len(coords)], strict=True) if j > i]


def _cut(spans: StripSpans, first_y: float, spacing_m: float,
         blocked: shapely.Geometry) -> StripSpans:
    """The spans with ``blocked`` (in the same turned frame) taken out: one vectorised call."""
    y = first_y + spacing_m * spans.strip
    lines = shapely.linestrings(np.stack([np.stack([spans.x0_m, y], axis=1),
                                          np.stack([spans.x1_m, y], axis=1)], axis=1))
    shapely.prepare(blocked)
    hit = shapely.intersects(blocked, lines)
    if not hit.any():
        return spans
    parts, index = shapely.get_parts(shapely.difference(lines[hit], blocked),
                                     return_index=True)
    pieces = (shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING) & ~shapely.is_empty(
        parts)  # a span wholly blocked comes back as an empty line
    parts, index = parts[pieces], index[pieces]
    box = shapely.bounds(parts)
    strip = spans.strip[hit][index]
    return merge_spans(np.concatenate([spans.strip[~hit], strip]),
                       np.concatenate([spans.x0_m[~hit], box[:, 0]]),
                       np.concatenate([spans.x1_m[~hit], box[:, 2]]))


def _turn(x: np.ndarray, y: np.ndarray, cos_t: float, sin_t: float,
          origin: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Points turned ccw by the angle of (cos_t, sin_t) about ``origin``."""
    dx, dy = x - origin[0], y - origin[1]
    return origin[0] + dx * cos_t - dy * sin_t, origin[1] + dx * sin_t + dy * cos_t


def order_lanes(strips: list[list[Lane]], start: tuple[float, float]) -> list[Lane]:
    """A flying order: strip after strip, alternating direction, nearest end first."""
    ordered: list[Lane] = []
    position = start
    if strips:
        first, last = strips[0], strips[-1]
        d_first = min(math.dist(position, (lane.x0, lane.y0)) for lane in first)
        d_last = min(math.dist(position, (lane.x0, lane.y0)) for lane in last)
        if d_last < d_first:
            strips = strips[::-1]
    for strip in strips:
        left_to_right = sorted(strip, key=lambda lane: min(lane.x0, lane.x1))
        a, b = left_to_right[0], left_to_right[-1]
        near_left = min(math.dist(position, (a.x0, a.y0)), math.dist(position, (a.x1, a.y1)))
        near_right = min(math.dist(position, (b.x0, b.y0)), math.dist(position, (b.x1, b.y1)))
        pieces = left_to_right if near_left <= near_right else left_to_right[::-1]
        for lane in pieces:
            if math.dist(position, (lane.x1, lane.y1)) < math.dist(position, (lane.x0, lane.y0)):
                lane = lane.reversed()
            ordered.append(lane)
            position = (lane.x1, lane.y1)
    return ordered


def sweep_cost_s(strips: list[list[Lane]], speed_mps: float, turn_s: float) -> float:
    """Rough time of a lane set: lane lengths, one turn per piece, the hops between."""
    ordered = order_lanes(strips, (0.0, 0.0) if not strips else (strips[0][0].x0,
                                                                 strips[0][0].y0))
    length = sum(lane.length_m for lane in ordered)
    hops = sum(math.dist((a.x1, a.y1), (b.x0, b.y0)) for a, b in itertools.pairwise(ordered))
    return (length + hops) / speed_mps + turn_s * len(ordered)


def best_sweep_angle(region: shapely.Geometry, spacing_m: float, *, speed_mps: float,
                     turn_s: float, forbidden: shapely.Geometry | None = None,
                     coarse_deg: float = 20.0, fine_deg: float = 5.0) -> float:
    """The lane direction (degrees) that flies the region fastest: fewest turns and hops.

    A coarse pass over 0-180°, then a fine pass around the best coarse direction.
    """
    # Direction is a coarse choice: judge it on outlines simplified to a quarter lane.
    rough = shapely.simplify(region, spacing_m / 4)
    rough_forbidden = shapely.simplify(forbidden, spacing_m / 4) if forbidden else None

    def cost(angle: float) -> float:
        return sweep_cost_s(lanes(rough, spacing_m, angle, rough_forbidden), speed_mps, turn_s)

    coarse = {a: cost(a) for a in np.arange(0.0, 180.0, coarse_deg)}
    best = min(coarse, key=coarse.__getitem__)
    fine = {a % 180.0: cost(a % 180.0) for a in np.arange(best - coarse_deg + fine_deg,
                                                          best + coarse_deg, fine_deg)}
    fine.update(coarse)
    return float(min(fine, key=fine.__getitem__))
