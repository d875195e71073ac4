"""Operator intents turned into plans: cover a zone, or search around an alarm point.

Why here and not in the CLI: an intent is checked as a whole before anything is
planned (point inside the area, positive radius, a known zone, heights within the
legal limit) so a refusal names the thing at fault.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely import affinity

from dronewatch.planning import patterns
from dronewatch.planning.coverage import best_sweep_angle, lanes, order_lanes, sweep_cost_s
from dronewatch.planning.effort import coverage_factor, poc_rings, pod, probability_of_success
from dronewatch.planning.errors import PlanningError
from dronewatch.planning.plan import Plan, PlanningContext, Sortie

__all__ = ["PATTERNS", "plan_coverage", "plan_search"]

PATTERNS = ("expanding-square", "sector", "parallel", "creeping", "auto")
_SWEEP_EFFECTIVENESS = 0.8  # effective sweep width as a share of the footprint width


def _spacing(ctx: PlanningContext, side_overlap: float, sweep_width_m: float | None,
             coverage: float | None) -> tuple[float, float]:
    """(track spacing, sweep width) from the camera footprint or a SAR sweep width."""
    across, _ = ctx.footprint_m()
    if not 0.0 <= side_overlap < 0.9:
        raise PlanningError(f"side overlap {side_overlap:g} outside 0..0.9")
    width = sweep_width_m if sweep_width_m is not None else across * _SWEEP_EFFECTIVENESS
    if width <= 0:
        raise PlanningError("sweep width must be positive")
    if coverage is not None:
        if coverage <= 0:
            raise PlanningError("coverage factor must be positive")
        return width / coverage, width
    return across * (1.0 - side_overlap), width


def _covered(ctx: PlanningContext, sorties: tuple[Sortie, ...],
             survey_width: float) -> shapely.Geometry:
    """Ground inside the camera footprints along every survey leg, as one geometry.

    Each leg covers a strip ``survey_width`` wide, and a disc of the footprint's reach
    along track at each end. Why runs: terrain following cuts a lane into many
    collinear legs, and the union of their strips is the one strip of the whole run,
    while a disc wholly inside a run's strip adds nothing; uniting a few hundred
    pieces instead of thousands (in array calls) is what keeps this step cheap.
    """
    a, b = _survey_legs(sorties)
    if len(a) == 0:
        return shapely.Polygon()
    _, reach = ctx.footprint_m()
    reach /= 2
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    cross = d[:-1, 0] * d[1:, 1] - d[:-1, 1] * d[1:, 0]
    dot = np.einsum("ij,ij->i", d[:-1], d[1:])
    joined = (np.all(b[:-1] == a[1:], axis=1) & (dot > 0)
              & (np.abs(cross) <= 1e-9 * length[:-1] * length[1:]))
    run = np.concatenate([[0], np.cumsum(~joined)])
    first = np.flatnonzero(np.concatenate([[True], ~joined]))
    last = np.concatenate([first[1:] - 1, [len(a) - 1]])
    start, end = a[first], b[last]
    strips = shapely.buffer(shapely.linestrings(np.stack([start, end], axis=1)),
                            survey_width / 2, cap_style="flat")
    span = np.hypot(*(end - start).T)[run]
    unit = (end - start)[run] / np.where(span > 0, span, 1.0)[:, None]
    tips = []
    for p in (a, b):  # a disc is needed unless it lies inside its run's strip
        along = np.einsum("ij,ij->i", p - start[run], unit)
        inside = (reach <= survey_width / 2) & (along >= reach) & (span - along >= reach)
        tips.append(p[~inside])
    discs = shapely.buffer(shapely.points(np.unique(np.concatenate(tips), axis=0)), reach,
                           quad_segs=16)  # as Geometry.buffer draws a disc
    return shapely.union_all(np.concatenate([strips, discs]))


def _survey_legs(sorties: tuple[Sortie, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) points, local metres, of every leg flown with the camera working."""
    starts, ends = [], []
    for sortie in sorties:
        xy = np.array([(p.east_m, p.north_m) for p in sortie.points], dtype=float)
        survey = np.array([p.survey for p in sortie.points[1:]], dtype=bool)
        starts.append(xy[:-1][survey])
        ends.append(xy[1:][survey])
    return np.concatenate(starts).reshape(-1, 2), np.concatenate(ends).reshape(-1, 2)


def _share(ctx: PlanningContext, sorties: tuple, region: shapely.Geometry) -> float:
    """Share of ``region`` surely inside the camera footprints along the survey legs
    (footprints taken at the lowest height flown, where they are smallest)."""
    covered = _covered(ctx, sorties, ctx.footprint_m(lowest=True)[0])
    return covered.intersection(region).area / region.area


def _perimeter(region: shapely.Geometry, inset_m: float) -> list[list[tuple[float, float]]]:
    """The outline rings of ``region`` moved ``inset_m`` inside (its edge if too thin)."""
    inner = region.buffer(-inset_m)
    if inner.is_empty:
        inner = region.buffer(-1.0)
    rings = []
    for polygon in getattr(inner, "geoms", [inner]):
        if polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            rings.append([tuple(c) for c in ring.coords])
    return rings


def _gap_legs(missed: shapely.Geometry) -> list[list[tuple[float, float]]]:
    """A leg along the long axis of every missed piece bigger than a few square metres."""
    legs = []
    for piece in getattr(missed, "geoms", [missed]):
        if piece.is_empty or piece.area < 5.0:
            continue
        box = shapely.minimum_rotated_rectangle(piece)
        corners = list(box.exterior.coords)[:4]
        sides = [(corners[i], corners[(i + 1) % 4]) for i in range(4)]
        (a, b), (c, d) = sorted(sides, key=lambda s: -math.dist(*s))[:2]
        start = ((a[0] + d[0]) / 2, (a[1] + d[1]) / 2)
        end = ((b[0] + c[0]) / 2, (b[1] + c[1]) / 2)
        if math.dist(start, end) > 1.0:
            legs.append([start, end])
    return legs


def _clear_of(part: shapely.Geometry, others: list[shapely.Geometry],
              distance_m: float) -> shapely.Geometry:
    """Where in ``part`` a path may run: ``distance_m`` from every other part (``part``
    itself when nothing is taken off)."""
    if distance_m <= 0 or not others:
        return part
    near = shapely.union_all(others).buffer(distance_m, quad_segs=4)
    if not near.intersects(part):
        return part
    return part.difference(near)


def _trimmed_edges(flown: shapely.Geometry,
                   part: shapely.Geometry) -> list[list[tuple[float, float]]]:
    """The outline of ``flown`` where it was cut back from ``part``'s (none if it was not)."""
    if flown is part:
        return []
    edges = flown.boundary.difference(part.boundary.buffer(0.5))
    edges = shapely.line_merge(edges) if edges.geom_type == "MultiLineString" else edges
    return [[tuple(c) for c in line.coords] for line in getattr(edges, "geoms", [edges])
            if isinstance(line, shapely.LineString) and line.length > 1.0]


def _inside(legs: list[list[tuple[float, float]]],
            area: shapely.Geometry) -> list[list[tuple[float, float]]]:
    """The pieces of each polyline inside ``area`` (a leg cut by it becomes several)."""
    out = []
    for leg in legs:
        if len(leg) < 2:
            continue
        cut = shapely.LineString(leg).intersection(area)
        for piece in getattr(cut, "geoms", [cut]):
            if isinstance(piece, shapely.LineString) and piece.length > 1.0:
                out.append([tuple(c) for c in piece.coords])
    return out


def _trigger_m(ctx: PlanningContext, front_overlap: float) -> float:
    _, along = ctx.footprint_m()
    return along * (1.0 - front_overlap)


def _valid_area(region: shapely.Geometry, title: str) -> shapely.Geometry:
    """The polygonal part of a drawn or projected area, repaired where it is invalid.

    Why: a polygon drawn by hand can cross itself, and one that was valid in another
    frame can touch itself after projection by rounding; GEOS then fails on it with a
    topology error instead of planning. The repaired parts are what was drawn.
    """
    if region.is_valid:
        return region
    parts = shapely.get_parts(shapely.make_valid(region))
    kept = [g for g in parts if isinstance(g, shapely.Polygon | shapely.MultiPolygon)]
    if not kept:
        raise PlanningError(f"{title}: the polygon encloses no area "
                            f"({shapely.is_valid_reason(region)})")
    return shapely.union_all(kept)


def plan_coverage(ctx: PlanningContext, *, zone_id: str | None = None,
                  polygon_wgs84: shapely.Polygon | None = None, side_overlap: float = 0.2,
                  front_overlap: float = 0.2, sweep_width_m: float | None = None,
                  coverage: float | None = None, angle_deg: float | None = None,
                  drones: int = 1, min_share: float = 0.95, name: str = "",
                  weights: Sequence[float] | None = None, apart_m: float = 0.0) -> list[Plan]:
    """Boustrophedon coverage of a zone (or any polygon), one plan per drone.

    ``weights`` (one per drone, in the order the parts are cut across the lanes) size
    each drone's part by the work it can do (a fuller battery, a faster airframe):
    part ``i`` takes about ``weights[i] / sum(weights)`` of the flight time.

    ``apart_m`` keeps the paths of two parts that far apart: every leg of a part stays
    ``apart_m / 2`` inside it, away from its neighbours. Why: the parts are cut across
    the lanes, so two neighbours' lanes end head to head at the cut, and their drones
    turn there at the same height, a few metres apart, when they happen to arrive
    together. A pass along where the lanes stop sees the strip up to the cut (a lane's
    last frame is up to a trigger distance short of its end).

    Raises
    ------
    PlanningError
        Unknown zone, nothing flyable, impossible overlaps, or too far for the battery.
    """
    if (zone_id is None) == (polygon_wgs84 is None):
        raise PlanningError("name exactly one of a zone id or a polygon to cover")
    if drones < 1:
        raise PlanningError("at least one drone is needed")
    if weights is not None and (len(weights) != drones
                                or not all(math.isfinite(w) and w > 0 for w in weights)):
        raise PlanningError(f"weights: one positive number per drone ({drones}) expected, got "
                            f"{list(weights)}")
    if zone_id is not None:
        region = ctx.zones.local_geometry(zone_id)
        title = name or ctx.zones.get(zone_id).name
    else:
        title = name or "area"
        region = _valid_area(ctx.frame.geometry_to_local(polygon_wgs84), title)
    target = region.intersection(ctx.allowed)
    if target.is_empty or target.area < 100.0:
        raise PlanningError(f"{title}: nothing of it can be flown (no-fly zones or outside the "
                            "operating area)")
    spacing, width = _spacing(ctx, side_overlap, sweep_width_m, coverage)
    speed, turn = ctx.airframe.cruise_speed_mps, ctx.airframe.turn_s
    angle = angle_deg if angle_deg is not None else best_sweep_angle(
        target, spacing, speed_mps=speed, turn_s=turn, forbidden=ctx.no_fly)
    if not (math.isfinite(apart_m) and apart_m >= 0):
        raise PlanningError(f"apart_m: must be a number >= 0, got {apart_m!r}")
    parts = (_split(ctx, target, drones, angle, spacing, weights, min_width_m=apart_m + spacing)
             if drones > 1 else [target])
    plans = []
    for index, part in enumerate(parts):
        flown = _clear_of(part, [p for p in parts if p is not part], apart_m / 2)
        ordered = order_lanes(lanes(flown, spacing, angle, ctx.no_fly), ctx.home_xy)
        notes: list[str] = [f"lanes at {angle:.0f}° (0 = east), {spacing:.0f} m apart"]
        if flown is not part:
            notes.append(f"paths kept {apart_m / 2:.0f} m inside, clear of the other shares")
        legs = [[(lane.x0, lane.y0), (lane.x1, lane.y1)] for lane in ordered]
        if flown is not part:  # a strip's lane spans its ends: cut out what is not flown
            legs = _inside(legs, flown)
            if not legs:
                raise PlanningError(f"{title}: too small for {len(parts)} drones kept "
                                    f"{apart_m:.0f} m apart (part {index + 1} is narrower); "
                                    "fly it with fewer")
            # the lanes' last frames fall short of the cut: a pass along where they stop
            legs += _trimmed_edges(flown, part)
        sorties = ctx.sorties(ctx.safe_path(legs), notes.append)
        share = _share(ctx, sorties, part)
        if share < min_share:
            # Lanes stop where they meet a no-fly margin, leaving slivers beside it: fly
            # the region's outline half a footprint inside as well.
            legs += _inside(_perimeter(part, ctx.footprint_m()[0] / 2), flown)
            notes = [*notes[:1 + (flown is not part)],
                     "perimeter pass added along no-fly margins and edges"]
            sorties = ctx.sorties(ctx.safe_path(legs), notes.append)
            share = _share(ctx, sorties, part)
        for _ in range(3):  # what is still missed (slivers, sharp corners): a pass through it
            if share >= min_share:
                break
            gaps = _inside(_gap_legs(flown.intersection(part.difference(_covered(
                ctx, sorties, ctx.footprint_m(lowest=True)[0])))), flown)
            if not gaps:
                break
            legs += gaps
            sorties = ctx.sorties(ctx.safe_path(legs), notes.append)
            share = _share(ctx, sorties, part)
        c = coverage_factor(width, spacing)
        plans.append(Plan(
            f"{title} ({index + 1}/{len(parts)})" if len(parts) > 1 else title, "coverage",
            ctx.frame, ctx.home, sorties, ctx.altitude, speed, _trigger_m(ctx, front_overlap),
            -90.0, spacing, width, part.area, share, pod(c), None, tuple(notes), part))
    return plans


def _split(ctx: PlanningContext, region: shapely.Geometry, k: int, angle: float,
           spacing: float, weights: Sequence[float] | None = None, *,
           min_width_m: float = 0.0) -> list[shapely.Geometry]:
    """Cut across the lanes into ``k`` parts of about equal flight time (with transits),
    or of flight times in proportion to ``weights``, none narrower along the lanes than
    ``min_width_m``.

    Why the floor: a part is flown ``apart_m / 2`` inside each cut, so a drone with a
    small share of a long strip (many short lanes) was handed a part thinner than that
    margin: nothing of it left to fly. Such a part is widened, its neighbours narrowed.
    """
    share = [1.0 / k] * k if weights is None else [w / sum(weights) for w in weights]
    centre = region.centroid
    turned = affinity.rotate(region, -angle, origin=centre)
    min_x, min_y, max_x, max_y = turned.bounds
    speed, turn = ctx.airframe.cruise_speed_mps, ctx.airframe.turn_s
    if k * min_width_m > max_x - min_x:
        raise PlanningError(f"too small for {k} drones: each share must be at least "
                            f"{min_width_m:.0f} m along the lanes, the area is "
                            f"{max_x - min_x:.0f} m; fly it with fewer")

    def piece(lo: float, hi: float) -> shapely.Geometry:
        cut = turned.intersection(shapely.box(lo, min_y - 1, hi, max_y + 1))
        return affinity.rotate(cut, angle, origin=centre)

    def cost(part: shapely.Geometry) -> float:
        if part.is_empty:
            return 0.0
        transit = 2 * shapely.Point(ctx.home_xy).distance(part) / speed
        return sweep_cost_s(lanes(part, spacing, angle, ctx.no_fly), speed, turn) + transit

    cuts = [min_x + (max_x - min_x) * i / k for i in range(k + 1)]
    for _ in range(4):  # move each cut toward equal times
        times = [cost(piece(cuts[i], cuts[i + 1])) for i in range(k)]
        total = sum(times)
        widths = [(cuts[i + 1] - cuts[i]) * (total * share[i] / times[i] if times[i] else 1.0)
                  ** 0.7 for i in range(k)]
        cuts = [min_x]
        for w in _at_least(widths, max_x - min_x, min_width_m):
            cuts.append(cuts[-1] + w)
        cuts[-1] = max_x
    return [p for p in (piece(cuts[i], cuts[i + 1]) for i in range(k)) if not p.is_empty]


def _at_least(widths: Sequence[float], total: float, floor: float) -> list[float]:
    """``widths`` scaled to add up to ``total``, each at least ``floor`` (which the
    caller keeps ``<= total / len(widths)``): the parts held at the floor take what they
    need, the others share the rest in proportion."""
    held = [False] * len(widths)
    while True:
        free = sum(w for w, h in zip(widths, held, strict=True) if not h)
        scale = (total - floor * sum(held)) / free
        scaled = [floor if h else w * scale for w, h in zip(widths, held, strict=True)]
        low = [i for i, w in enumerate(scaled) if not held[i] and w < floor]
        if not low:
            return scaled
        for i in low:
            held[i] = True
        if all(held):
            return [floor] * len(widths)


def plan_search(ctx: PlanningContext, *, lat_deg: float, lon_deg: float, radius_m: float = 800.0,
                pattern: str = "auto", side_overlap: float = 0.2,
                sweep_width_m: float | None = None, coverage: float | None = None,
                wind_from_deg: float | None = None, heading_deg: float = 0.0,
                lost_hours: float | None = None, name: str = "") -> Plan:
    """An IAMSAR pattern around an alarm point, with POD and (lost person) POS.

    Raises
    ------
    PlanningError
        The point is outside the operating area or in a no-fly zone, the radius is not
        positive, the pattern is unknown, or the plan cannot be flown.
    """
    if pattern not in PATTERNS:
        raise PlanningError(f"unknown pattern {pattern!r}; known: {', '.join(PATTERNS)}")
    if not radius_m > 0:
        raise PlanningError(f"search radius must be positive, got {radius_m:g} m")
    if not ctx.zones.in_operating_area(lat_deg, lon_deg):
        raise PlanningError(f"alarm point {lat_deg:.6f}, {lon_deg:.6f} is outside the "
                            f"operating area {ctx.zones.operating_area.name!r}")
    datum = ctx.local(lat_deg, lon_deg)
    inside = [z.name for z in ctx.zones.zones_at(lat_deg, lon_deg) if z.kind.value == "no_fly"]
    if inside:
        raise PlanningError(f"alarm point {lat_deg:.6f}, {lon_deg:.6f} is inside the no-fly "
                            f"zone {inside[0]!r}: search it from the ground")
    spacing, width = _spacing(ctx, side_overlap, sweep_width_m, coverage)
    if pattern == "auto":
        pattern = "expanding-square" if radius_m <= 1500 else "parallel"
    first = wind_from_deg if wind_from_deg is not None else heading_deg
    if pattern == "expanding-square":
        legs = [patterns.expanding_square(datum, spacing, radius_m, first_heading_deg=first)]
    elif pattern == "sector":
        legs = [patterns.sector_search(datum, radius_m, first_heading_deg=first)]
    elif pattern == "parallel":
        legs = [patterns.parallel_track(datum, 2 * radius_m, 2 * radius_m, spacing,
                                        major_axis_deg=heading_deg)]
    else:
        legs = [patterns.creeping_line(datum, 2 * radius_m, 2 * radius_m, spacing,
                                       major_axis_deg=heading_deg)]
    notes: list[str] = [f"{pattern} around {lat_deg:.5f}, {lon_deg:.5f}, radius {radius_m:.0f} m,"
                        f" tracks {spacing:.0f} m apart"]
    path = ctx.safe_path(legs)
    sorties = ctx.sorties(path, notes.append)
    covered = _covered(ctx, sorties, width)
    area = shapely.Point(datum).buffer(radius_m, quad_segs=32).intersection(ctx.allowed)
    share = covered.intersection(area).area / area.area if area.area else 0.0
    c = coverage_factor(width, spacing)
    rings = poc_rings(hours_lost=lost_hours)
    pos = probability_of_success(rings, datum, covered, pod(c))
    return Plan(name or f"search {lat_deg:.5f}, {lon_deg:.5f}", pattern, ctx.frame, ctx.home,
                sorties, ctx.altitude, ctx.airframe.cruise_speed_mps, _trigger_m(ctx, 0.2),
                -90.0, spacing, width, area.area, share, pod(c), pos, tuple(notes), area)
