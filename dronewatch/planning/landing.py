"""Where each drone of a fleet waits for its turn to land.

Why: every drone of one search comes home to the same launch site, its pads a few
metres apart. Coming down together, a drone descending from a high transit layer
passes through a lower one's height a few metres beside it, well within any sensible
separation. So each sortie of a fleet share no longer flies straight home at its end:
it stops at a waiting point ``distance_m`` before home along its own way back (the
path it flies anyway, on its own transit layer, so no new leg and no new crossing),
holds there (NAV_LOITER_TIME) until the ground station's landing gate
(:mod:`dronewatch.ops.landing`) lets it go on, one drone at a time, and only then
flies the rest of the way home and lands. The hold is bounded by the autopilot itself:
should the gate never answer (the ground station lost, say), the drone goes on home
after ``wait_s`` as it always did; its battery failsafe cuts the wait short too.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from dronewatch.planning.altitude import HeightPoint
from dronewatch.planning.energy import Airframe, path_cost
from dronewatch.planning.plan import Plan, PlanningContext, Sortie

__all__ = ["WAIT_PER_DRONE_S", "wait_limit_s", "with_landing_wait"]

WAIT_PER_DRONE_S = 120.0  # a landing from the highest layer takes about a minute and a half
_RESERVE_SHARE = 0.5  # of the battery reserve a drone may hover away waiting to land


def wait_limit_s(airframe: Airframe, drones: int) -> float:
    """How long a drone of ``drones`` may wait to land: long enough for every other
    one to land first, but never more than half its battery reserve in hover (the
    reserve is what a sortie is planned to come home with; the rest of it is for the
    landing and what the plan did not foresee)."""
    reserve_hover_s = (airframe.battery_wh * airframe.reserve_fraction * 3600.0
                       / airframe.power_w(0.0, 0.0))
    return min(WAIT_PER_DRONE_S * max(drones - 1, 0), _RESERVE_SHARE * reserve_hover_s)


def with_landing_wait(ctx: PlanningContext, plan: Plan, *, distance_m: float,
                      wait_s: float) -> Plan:
    """The plan with a waiting point on each sortie's way home (unless it has one).

    A sortie whose way home after its last survey leg is shorter than ``distance_m``
    waits where that way home begins: the nearest it can be to ``distance_m`` out
    without standing on a survey leg.
    """
    sorties = []
    for sortie in plan.sorties:
        points = list(sortie.points)
        if any(p.wait_s > 0 for p in points):
            sorties.append(sortie)
            continue
        points = _wait_point(ctx, points, distance_m=distance_m, wait_s=wait_s)
        sorties.append(Sortie(tuple(points), path_cost(points, ctx.airframe)))
    note = f"waits its turn to land {distance_m:.0f} m before home (at most {wait_s:.0f} s)"
    return replace(plan, sorties=tuple(sorties), notes=(*plan.notes, note))


def _wait_point(ctx: PlanningContext, points: list[HeightPoint], *, distance_m: float,
                wait_s: float) -> list[HeightPoint]:
    """``points`` with a waiting point inserted ``distance_m`` back along the way home
    (the legs after the last survey leg), on a leg already flown: no new leg to check."""
    if len(points) < 3:
        return points
    left = distance_m
    for k in range(len(points) - 1, 0, -1):
        a, b = points[k - 1], points[k]
        if b.survey:  # the way home is shorter: wait where it starts (none: no wait)
            if k == len(points) - 1:
                return points
            return [*points[:k + 1], replace(b, survey=False, wait_s=wait_s), *points[k + 1:]]
        leg = math.hypot(b.east_m - a.east_m, b.north_m - a.north_m)
        if leg >= left or k == 1:
            share = max(0.0, 1.0 - left / leg) if leg > 0 else 0.0
            east = a.east_m + share * (b.east_m - a.east_m)
            north = a.north_m + share * (b.north_m - a.north_m)
            ground = float(ctx.ground(np.array([east]), np.array([north]))[0])
            wait = HeightPoint(east, north, ground,
                               a.alt_amsl_m + share * (b.alt_amsl_m - a.alt_amsl_m),
                               survey=False, wait_s=wait_s)
            return [*points[:k], wait, *points[k:]]
        left -= leg
    return points
