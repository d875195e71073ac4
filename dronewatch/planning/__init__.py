"""Turning an operator's intent into a flyable, safe, terrain-following mission."""

from dronewatch.planning.altitude import AltitudePolicy
from dronewatch.planning.energy import AIRFRAME_PRESETS, Airframe, airframe_preset
from dronewatch.planning.errors import PlanningError
from dronewatch.planning.items import fence_items, mission_items, rally_items
from dronewatch.planning.plan import Plan, PlanningContext, Sortie
from dronewatch.planning.search import PATTERNS, plan_coverage, plan_search

__all__ = [
    "AIRFRAME_PRESETS",
    "PATTERNS",
    "Airframe",
    "AltitudePolicy",
    "Plan",
    "PlanningContext",
    "PlanningError",
    "Sortie",
    "airframe_preset",
    "fence_items",
    "mission_items",
    "plan_coverage",
    "plan_search",
    "rally_items",
]
