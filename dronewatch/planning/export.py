"""A plan written out for people and other tools: a QGroundControl plan and WPL files.

Why: an operator checks a plan in the tool they know (QGroundControl, Mission Planner)
before it flies, or flies it from there when dronewatch's link is not used.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from dronewatch.planning.files import PlanFile, write_plan, write_wpl
from dronewatch.planning.items import fence_items, mission_items, rally_items
from dronewatch.planning.plan import Plan
from dronewatch.zones import ZoneSet

__all__ = ["write_plan_files"]


def write_plan_files(plan: Plan, zones: ZoneSet, folder: str | PathLike[str]) -> list[Path]:
    """``sortie-N.plan`` (mission + fence + rally) and ``sortie-N.waypoints`` per sortie."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    home = (plan.home.lat_deg, plan.home.lon_deg, plan.home.home_alt_amsl_m)
    fence = fence_items(zones, margin_m=20.0)
    inclusion, exclusion, ring = [], [], []
    for item in fence:
        ring.append((item.lat_deg, item.lon_deg))
        if len(ring) == int(item.param1):
            (inclusion if item.command == 5001 else exclusion).append(tuple(ring))
            ring = []
    rally = tuple((i.lat_deg, i.lon_deg, i.z) for i in rally_items(zones))
    written = []
    for index in range(len(plan.sorties)):
        items = mission_items(plan, index)[1:]  # the files carry home separately
        path = out / f"sortie-{index + 1}.plan"
        write_plan(path, PlanFile(home, tuple(items), tuple(inclusion), tuple(exclusion),
                                  (), rally), cruise_speed_mps=plan.speed_mps)
        wpl = out / f"sortie-{index + 1}.waypoints"
        write_wpl(wpl, home, items)
        written += [path, wpl]
    return written
