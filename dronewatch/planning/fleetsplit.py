"""One search flown by several drones: balanced shares, and transit layers where routes cross.

Why here and not in ops: the shares and their heights are planning (terrain, legal
ceiling, no-fly zones), and must be checkable without a drone in sight. Each share is a
disjoint part of the search area cut across the lanes by the planner's multi-drone
split (:func:`dronewatch.planning.search.plan_coverage`), sized by what each drone can
do now (its flight time left at its speed). What is flown at the survey height (the
lanes and the turns between them) stays ``min_horizontal_m`` (and a margin) from every
other share's, so two drones at work never meet, however their timing goes. Transits
do: every drone leaves from and comes home to the same launch site, and a transit may
cross a neighbour's share. So the transits (every point that is not the
start or end of a survey leg, the take-off height included) are moved to a height layer
of their own, a multiple of ``layer_m`` above or below the survey height, different
for every two drones whose transits pass within ``min_horizontal_m`` of each other.
The layers stay inside the legal band: a layer ``d`` shifts every line of the
terrain-following path by at most ``d``, so ``d`` is kept between the minimum clearance
below the band and the legal ceiling above it. With more than one drone, each sortie
waits for its turn to land on its way home (:mod:`dronewatch.planning.landing`),
``WAIT_APART`` minimum separations out, on its own layer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import shapely

from dronewatch.planning.altitude import HeightPoint
from dronewatch.planning.energy import path_cost
from dronewatch.planning.errors import PlanningError
from dronewatch.planning.landing import wait_limit_s, with_landing_wait
from dronewatch.planning.plan import Plan, PlanningContext, Sortie
from dronewatch.planning.search import plan_coverage

__all__ = ["PATH_MARGIN_M", "WAIT_APART", "DroneCapacity", "FleetPlan", "layer_for",
           "layer_offsets_m", "lift_transits", "plan_fleet", "transit_lines"]

# how far a copter's track may stray from its planned line (a turn at a lane's end, a
# gust): two shares' paths are planned this much beyond the minimum separation apart
PATH_MARGIN_M = 4.0
WAIT_APART = 3.0  # a drone waits to land this many minimum separations before home
_CLIMB_M = 1.0  # a long hop climbs to (or comes down from) its layer within this of its ends


@dataclass(frozen=True, slots=True)
class DroneCapacity:
    """What one drone of the fleet can give the search now."""

    name: str
    endurance_s: float  # flight time its battery has left above the reserve
    speed_mps: float  # its cruise speed

    def __post_init__(self) -> None:
        if not self.name:
            raise PlanningError("drone name: must not be empty")
        for label, value in (("endurance_s", self.endurance_s), ("speed_mps", self.speed_mps)):
            if not (math.isfinite(value) and value > 0):
                raise PlanningError(f"drone {self.name!r} {label}: must be a positive number, "
                                    f"got {value!r}")

    @property
    def reach_m(self) -> float:
        """Distance it can fly: the weight of its share."""
        return self.endurance_s * self.speed_mps


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """Shares of one search: ``shares[i]`` is flown by ``drones[i]`` with its transits
    ``offsets_m[i]`` above (or below, negative) the survey height."""

    drones: tuple[DroneCapacity, ...]
    shares: tuple[Plan, ...]
    offsets_m: tuple[float, ...]
    layer_m: float
    min_horizontal_m: float
    region_local: shapely.Geometry

    @property
    def time_s(self) -> float:
        """Flight time of the longest share's first sortie: when the search is done."""
        return max(s.sorties[0].cost.time_s for s in self.shares)


def plan_fleet(ctx: PlanningContext, drones: Sequence[DroneCapacity], *, lat_deg: float,
               lon_deg: float, radius_m: float, layer_m: float = 10.0,
               min_horizontal_m: float = 30.0, side_overlap: float = 0.2,
               name: str = "") -> FleetPlan:
    """Split the disc ``radius_m`` around an alarm point into one share per drone.

    Raises
    ------
    PlanningError
        No drone, a bad radius, layer or distance (named), nothing flyable, or more
        crossing transits than layers fit in the legal band.
    """
    if not drones:
        raise PlanningError("drones: at least one drone is needed")
    if len({d.name for d in drones}) != len(drones):
        raise PlanningError("drones: every drone needs its own name")
    for label, value in (("radius_m", radius_m), ("layer_m", layer_m),
                         ("min_horizontal_m", min_horizontal_m)):
        if not (math.isfinite(value) and value > 0):
            raise PlanningError(f"{label}: must be a positive number, got {value!r}")
    if not ctx.zones.in_operating_area(lat_deg, lon_deg):
        raise PlanningError(f"alarm point {lat_deg:.6f}, {lon_deg:.6f} is outside the "
                            f"operating area {ctx.zones.operating_area.name!r}")
    datum = ctx.local(lat_deg, lon_deg)
    region = shapely.Point(datum).buffer(radius_m, quad_segs=32).intersection(ctx.allowed)
    if region.is_empty:
        raise PlanningError(f"nothing within {radius_m:.0f} m of {lat_deg:.5f}, {lon_deg:.5f} "
                            "may be flown (no-fly zones or outside the operating area)")
    title = name or f"search {lat_deg:.5f}, {lon_deg:.5f}"
    shares = plan_coverage(ctx, polygon_wgs84=ctx.frame.geometry_to_wgs84(region),
                           side_overlap=side_overlap, drones=len(drones), name=title,
                           weights=[d.reach_m for d in drones],
                           apart_m=min_horizontal_m + PATH_MARGIN_M)
    if len(shares) < len(drones):  # a sliver of a region cut to nothing: fewer drones fly
        raise PlanningError(f"{title}: too small for {len(drones)} drones (only "
                            f"{len(shares)} shares); fly it with fewer")
    if len(drones) > 1:  # they come home to one launch site: to land in turn
        shares = [with_landing_wait(ctx, s, distance_m=WAIT_APART * min_horizontal_m,
                                    wait_s=wait_limit_s(ctx.airframe, len(drones)))
                  for s in shares]
    lines = [transit_lines(s) for s in shares]
    offsets = layer_offsets_m(ctx, lines, layer_m=layer_m, min_horizontal_m=min_horizontal_m)
    layered = tuple(lift_transits(ctx, s, d) for s, d in zip(shares, offsets, strict=True))
    return FleetPlan(tuple(drones), layered, offsets, layer_m, min_horizontal_m, region)


def transit_lines(plan: Plan) -> shapely.Geometry:
    """Every leg of the plan's sorties flown at the transit height, local metres."""
    legs = []
    for sortie in plan.sorties:
        moved = _moved(sortie.points)
        pts = sortie.points
        legs += [((a.east_m, a.north_m), (b.east_m, b.north_m))
                 for k, (a, b) in enumerate(itertools.pairwise(pts))
                 if moved[k] or moved[k + 1]]
    return shapely.MultiLineString(legs) if legs else shapely.MultiLineString()


def layer_offsets_m(ctx: PlanningContext, lines: Sequence[shapely.Geometry], *,
                    layer_m: float, min_horizontal_m: float) -> tuple[float, ...]:
    """One transit height offset per drone: the nearest layer to the survey height that
    no earlier drone with a transit within ``min_horizontal_m`` already holds.

    Why never 0: a transit at the survey height could meet another drone at work below
    it in the share it crosses.

    Raises
    ------
    PlanningError
        More crossing routes than layers fit between the clearance and the ceiling.
    """
    layers = _layers(ctx, layer_m)
    offsets: list[float] = []
    for i, line in enumerate(lines):
        offsets.append(_free_layer(ctx, layers, line, list(zip(lines[:i], offsets, strict=True)),
                                   layer_m=layer_m, min_horizontal_m=min_horizontal_m,
                                   drones=i + 1))
    return tuple(offsets)


def layer_for(ctx: PlanningContext, line: shapely.Geometry,
              flying: Sequence[tuple[shapely.Geometry, float]], *, layer_m: float,
              min_horizontal_m: float) -> float:
    """The transit offset for one more drone (a relay) whose transits are ``line``, among
    drones already flying their transits ``flying`` (line, offset): the nearest layer to
    the survey height none of them holds within ``min_horizontal_m``.

    Raises
    ------
    PlanningError
        Every layer that fits is held by a crossing route.
    """
    return _free_layer(ctx, _layers(ctx, layer_m), line, flying, layer_m=layer_m,
                       min_horizontal_m=min_horizontal_m, drones=len(flying) + 1)


def _layers(ctx: PlanningContext, layer_m: float) -> list[float]:
    """Transit offsets inside the legal band, nearest the survey height first, above
    before below."""
    low, high = ctx.altitude.band
    up = math.floor((ctx.altitude.max_agl_m - high) / layer_m + 1e-9)
    down = math.floor((low - ctx.altitude.min_clearance_m) / layer_m + 1e-9)
    layers: list[float] = []
    for i in range(1, max(up, down) + 1):
        layers += [i * layer_m] if i <= up else []
        layers += [-i * layer_m] if i <= down else []
    return layers


def _free_layer(ctx: PlanningContext, layers: list[float], line: shapely.Geometry,
                others: Sequence[tuple[shapely.Geometry, float]], *, layer_m: float,
                min_horizontal_m: float, drones: int) -> float:
    taken = {offset for other, offset in others
             if not line.is_empty and not other.is_empty
             and line.distance(other) < min_horizontal_m}
    free = [d for d in layers if d not in taken]
    if not free:
        raise PlanningError(
            f"layer_m: {len(layers)} transit layers of {layer_m:g} m fit between "
            f"{ctx.altitude.min_clearance_m:g} m and {ctx.altitude.max_agl_m:g} m above "
            f"ground, and {drones} drones' routes cross; use thinner layers or fewer drones")
    return free[0]


def _moved(points: Sequence[HeightPoint]) -> list[bool]:
    """Which points are flown at the transit layer: all but the ends of survey legs."""
    n = len(points)
    return [not (p.survey or (k + 1 < n and points[k + 1].survey))
            for k, p in enumerate(points)]


def _with_climbs(points: Sequence[HeightPoint], longer_than_m: float) -> list[HeightPoint]:
    """The points with a climb point a metre after and before each long hop from one
    survey leg to the next, so the hop is flown on the transit layer.

    Why: a hop between two runs of lanes (around a no-fly zone, or across a share cut
    in two) joins two survey ends directly, so it would be flown at the survey height,
    and it may pass beside a neighbour's share; a turn from one lane to the next (about
    a lane spacing long) stays where it is, at the edge of the drone's own share.
    """
    out = [points[0]]
    moved = _moved(points)
    for k, (a, b) in enumerate(itertools.pairwise(points)):
        hop = math.hypot(b.east_m - a.east_m, b.north_m - a.north_m)
        if not b.survey and not moved[k] and not moved[k + 1] and hop > longer_than_m:
            for share in (_CLIMB_M / hop, 1 - _CLIMB_M / hop):
                out.append(HeightPoint(a.east_m + share * (b.east_m - a.east_m),
                                       a.north_m + share * (b.north_m - a.north_m),
                                       a.ground_m + share * (b.ground_m - a.ground_m),
                                       a.alt_amsl_m + share * (b.alt_amsl_m - a.alt_amsl_m),
                                       survey=False))
        out.append(b)
    return out


def lift_transits(ctx: PlanningContext, plan: Plan, offset_m: float) -> Plan:
    """The plan with its transit points ``offset_m`` higher (lower when negative), and
    its costs again."""
    sorties = []
    for sortie in plan.sorties:
        path = _with_climbs(sortie.points, 1.5 * plan.spacing_m)
        points = tuple(replace(p, alt_amsl_m=p.alt_amsl_m + offset_m) if moved else p
                       for p, moved in zip(path, _moved(path), strict=True))
        ctx.check(points)
        sorties.append(Sortie(points, path_cost(points, ctx.airframe)))
    note = f"transits {offset_m:+.0f} m from the survey height"
    return replace(plan, sorties=tuple(sorties), notes=(*plan.notes, note))
