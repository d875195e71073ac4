"""The operator's jobs: a search from an alarm, scheduled patrols, the demo."""

from dronewatch.ops.alarm import PreflightError, SearchRequest, plan_for_alarm, run_search
from dronewatch.ops.faults import Outcome, SafeAction
from dronewatch.ops.flightloop import OnFind
from dronewatch.ops.record import Announcement, AnnouncementKind, FindingRecorder, MissionProgress
from dronewatch.ops.search import FlightOptions, FlightReport, fly_plan, preflight_problems

__all__ = [
    "Announcement",
    "AnnouncementKind",
    "FindingRecorder",
    "FlightOptions",
    "FlightReport",
    "MissionProgress",
    "OnFind",
    "Outcome",
    "PreflightError",
    "SafeAction",
    "SearchRequest",
    "fly_plan",
    "plan_for_alarm",
    "preflight_problems",
    "run_search",
]
