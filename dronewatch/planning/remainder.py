"""What is left of a plan when its drone came home early, as a plan of its own.

Why here: a drone that must come home (its battery reserve, a failsafe, a lost link)
leaves part of its share unsearched, and another drone (or the same one with a fresh
pack) must fly exactly that part. The mission told the vehicle its waypoints in order,
and the vehicle tells how far it got (MISSION_CURRENT: the item it was flying to), so
the waypoints before that item were reached. The survey legs from the last point
reached on (the leg in progress is flown again: it was only partly seen), and every
survey leg of the plan's later sorties, go through the planner's one gate again
(:meth:`~dronewatch.planning.plan.PlanningContext.safe_path`: transits routed round
no-fly zones, heights fitted to the terrain, every leg checked, sorties the battery
allows), from the same launch site.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import shapely

from dronewatch.missionitem import Cmd
from dronewatch.planning.altitude import HeightPoint
from dronewatch.planning.energy import LegCost
from dronewatch.planning.errors import PlanningError
from dronewatch.planning.items import mission_items
from dronewatch.planning.plan import Plan, PlanningContext, Sortie
from dronewatch.planning.search import _covered, _share

__all__ = ["plan_remainder", "reached_point", "survey_runs"]

_FIRST_WAYPOINT_ITEM = 4  # home, take-off, speed and gimbal come first (planning.items)


def reached_point(plan: Plan, flying_to_item: int) -> int:
    """The index of the last point of the plan's first sortie the vehicle reached, when
    the furthest mission item it flew toward is ``flying_to_item`` (0: still at home).

    Why from the items and not a count: camera on/off items sit between waypoints, so
    item numbers and point numbers drift apart along the mission.
    """
    reached = 0
    waypoints = (i for i, item in enumerate(mission_items(plan))
                 if i >= _FIRST_WAYPOINT_ITEM and item.command == Cmd.NAV_WAYPOINT)
    for point, seq in enumerate(waypoints, start=1):
        if seq >= flying_to_item:
            break
        reached = point
    return reached


def survey_runs(points: tuple[HeightPoint, ...] | list[HeightPoint]
                ) -> list[list[tuple[float, float]]]:
    """Polylines (local metres) of the legs flown with the camera on: a leg into a
    survey point is a survey leg, as the mission switches the camera on for it."""
    runs: list[list[tuple[float, float]]] = []
    joined = False
    for a, b in itertools.pairwise(points):
        if not b.survey:
            joined = False
            continue
        if joined:
            runs[-1].append((b.east_m, b.north_m))
        else:
            runs.append([(a.east_m, a.north_m), (b.east_m, b.north_m)])
        joined = True
    return runs


def plan_remainder(ctx: PlanningContext, plan: Plan, reached: int, *,
                   name: str = "") -> Plan | None:
    """The plan's survey from point ``reached`` of its first sortie on (and all of its
    later sorties), from the context's launch site; None when no survey is left.

    ``ctx`` must be the context the plan was made in (its zones, terrain, camera,
    airframe and heights).

    Raises
    ------
    PlanningError
        ``reached`` is not a point of the first sortie.
    """
    first = plan.sorties[0].points
    if not 0 <= reached < len(first):
        raise PlanningError(f"reached: point {reached} is not one of the first sortie's "
                            f"{len(first)} points")
    legs = survey_runs(first[reached:])
    for sortie in plan.sorties[1:]:
        legs += survey_runs(sortie.points)
    if not legs:
        return None
    notes: list[str] = []
    try:
        sorties = ctx.sorties(ctx.safe_path(legs), notes.append)
    except PlanningError:
        if sum(shapely.LineString(leg).length for leg in legs) > ctx.footprint_m()[1]:
            raise  # real work the planner refuses: the caller must hear why
        return None  # crumbs shorter than one frame: nothing worth a flight
    region = plan.region_local
    if region is not None and reached > 0:
        flown = Sortie(first[:reached + 1], LegCost(0.0, 0.0, 0.0))
        region = region.difference(_covered(ctx, (flown,), ctx.footprint_m(lowest=True)[0]))
    share = _share(ctx, sorties, region) if region is not None and region.area > 0 else 0.0
    return replace(plan, name=name or f"rest of {plan.name}", sorties=sorties,
                   searched_area_m2=region.area if region is not None else 0.0,
                   covered_share=share, pos=None,
                   notes=(*notes, f"the rest of {plan.name} from its point {reached}"),
                   region_local=region)
