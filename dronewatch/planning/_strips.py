"""Where a polygon lies inside each of many equal horizontal strips, all strips at once.

Why not one polygon overlay per strip: a lane only needs the x-extent of each piece of
the polygon inside its strip, and overlaying a polygon with dozens of holes against a
hundred strips (sixteen times, once per candidate sweep direction) was most of the
planner's time. The x-extent of (polygon ∩ strip) is the projection of that set on the
x axis, and a vertical segment across the strip meets the polygon exactly where it
either meets an edge of the polygon inside the strip or lies wholly inside it. So the
projection is the union of (a) every edge clipped to the strip, projected on x, and
(b) the polygon's inside intervals along the strip's centre line (the even-odd scan
line). Both are plain array arithmetic over (edge, strip) pairs; overlapping intervals
are merged per strip. Touching pieces merge, as two overlay pieces sharing a point did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = ["StripSpans", "edges", "merge_spans", "strip_spans"]

_TOUCH_M = 1e-6  # pieces closer than this along a strip are one piece
_MIN_SPAN_M = 1e-6  # shorter spans are points where the polygon only touches the strip

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class StripSpans:
    """Spans along strips: span i runs from ``x0_m[i]`` to ``x1_m[i]`` in strip ``strip[i]``.

    Sorted by strip, then by x; spans of one strip never overlap.
    """

    strip: Ints
    x0_m: Floats
    x1_m: Floats


def edges(geometry: shapely.Geometry, cos_t: float, sin_t: float,
          origin: tuple[float, float]) -> tuple[Floats, Floats, Floats, Floats]:
    """(x0, y0, x1, y1) of every ring edge of the polygonal parts of ``geometry``, rotated.

    The rotation turns by the angle whose cosine and sine are given, about ``origin``:
    callers turn the region so that lanes run along x.
    """
    parts = shapely.get_parts(geometry)
    polygons = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    if len(polygons) == 0:
        empty = np.empty(0)
        return empty, empty, empty, empty
    rings = shapely.get_parts(shapely.get_rings(polygons))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    dx, dy = xy[:, 0] - origin[0], xy[:, 1] - origin[1]
    x = origin[0] + dx * cos_t - dy * sin_t
    y = origin[1] + dx * sin_t + dy * cos_t
    same = ring[1:] == ring[:-1]  # consecutive coordinates of one ring form an edge
    return x[:-1][same], y[:-1][same], x[1:][same], y[1:][same]


def _pairs(lo_y: Floats, hi_y: Floats, first_y: float, spacing_m: float,
           count: int) -> tuple[Ints, Ints]:
    """(edge, strip) index pairs whose y-ranges may meet, a strip of slack either side.

    Callers test the exact condition on the pairs; this only keeps the pairs few.
    """
    k0 = np.clip(np.floor((lo_y - first_y) / spacing_m).astype(np.int64) - 1, 0, count - 1)
    k1 = np.clip(np.ceil((hi_y - first_y) / spacing_m).astype(np.int64) + 1, 0, count - 1)
    n = np.maximum(k1 - k0 + 1, 0)
    edge = np.repeat(np.arange(len(lo_y)), n)
    starts = np.repeat(np.cumsum(n) - n, n)
    strip = np.repeat(k0, n) + (np.arange(len(edge)) - starts)
    return edge, strip


def strip_spans(x0: Floats, y0: Floats, x1: Floats, y1: Floats, *, first_y: float,
                spacing_m: float, count: int) -> StripSpans:
    """The x-extent of the polygon (given by its edges) inside each strip, merged.

    Strip k covers y in [first_y + k·spacing - spacing/2, first_y + k·spacing + spacing/2].
    """
    ymin, ymax = np.minimum(y0, y1), np.maximum(y0, y1)
    dy = y1 - y0
    flat = dy == 0
    slope_dy = np.where(flat, 1.0, dy)
    half = spacing_m / 2
    # (a) Edges clipped to each strip they enter (the strip's open inside).
    e, k = _pairs(ymin - half, ymax + half, first_y, spacing_m, count)
    lo = first_y + k * spacing_m - half
    hi = lo + spacing_m
    keep = (ymax[e] > lo) & (ymin[e] < hi)
    e, k, lo, hi = e[keep], k[keep], lo[keep], hi[keep]
    t_lo = (lo - y0[e]) / slope_dy[e]
    t_hi = (hi - y0[e]) / slope_dy[e]
    t_a = np.where(flat[e], 0.0, np.clip(np.minimum(t_lo, t_hi), 0.0, 1.0))
    t_b = np.where(flat[e], 1.0, np.clip(np.maximum(t_lo, t_hi), 0.0, 1.0))
    xa = x0[e] + t_a * (x1[e] - x0[e])
    xb = x0[e] + t_b * (x1[e] - x0[e])
    clip_k, clip_a, clip_b = k, np.minimum(xa, xb), np.maximum(xa, xb)
    # (b) Inside intervals along each strip's centre line: crossings, paired in x order.
    e, k = _pairs(ymin, ymax, first_y, spacing_m, count)
    c = first_y + k * spacing_m
    keep = (y0[e] > c) != (y1[e] > c)
    e, k, c = e[keep], k[keep], c[keep]
    cross_x = x0[e] + (c - y0[e]) * (x1[e] - x0[e]) / slope_dy[e]
    order = np.lexsort((cross_x, k))
    k, cross_x = k[order], cross_x[order]  # every strip has an even count (closed rings)
    return merge_spans(np.concatenate([clip_k, k[0::2]]),
                       np.concatenate([clip_a, cross_x[0::2]]),
                       np.concatenate([clip_b, cross_x[1::2]]))


def merge_spans(strip: Ints, x0_m: Floats, x1_m: Floats) -> StripSpans:
    """Overlapping or touching spans of one strip joined; spans shorter than a point dropped."""
    if len(strip) == 0:
        return StripSpans(strip.astype(np.int64), x0_m, x1_m)
    order = np.lexsort((x0_m, strip))
    strip, x0_m, x1_m = strip[order], x0_m[order], x1_m[order]
    # Shift each strip to its own stretch of one axis so a running maximum never
    # carries an end from one strip into the next.
    base = float(min(x0_m.min(), x1_m.min()))
    stride = float(max(x0_m.max(), x1_m.max())) - base + 1.0
    shift = (strip - strip[0]) * stride - base
    a, b = x0_m + shift, x1_m + shift
    reach = np.maximum.accumulate(b)
    starts = np.ones(len(a), dtype=bool)
    starts[1:] = (a[1:] > reach[:-1] + _TOUCH_M) | (strip[1:] != strip[:-1])
    first = np.flatnonzero(starts)
    ends = np.maximum.reduceat(x1_m, first)
    merged = StripSpans(strip[first], x0_m[first], ends)
    keep = merged.x1_m - merged.x0_m >= _MIN_SPAN_M
    return StripSpans(merged.strip[keep], merged.x0_m[keep], merged.x1_m[keep])
