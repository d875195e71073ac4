"""What a finding is: one vocabulary from the detector to the store and the map.

Why a module of its own: the detector names what it saw and the store keeps it; with
an enum each, every hand-over converted one into the other (``FindingKind(x.value)``)
and a kind added on one side was silently missing on the other.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FindingKind", "MissionKind"]


class FindingKind(StrEnum):
    PERSON = "person"
    HOTSPOT = "hotspot"
    VEHICLE = "vehicle"


class MissionKind(StrEnum):
    """Why a mission was flown (or, for an analysis, looked at afterwards)."""

    SEARCH = "search"  # from an alarm: a person is lost
    PATROL = "patrol"  # a scheduled patrol over key zones
    ANALYSIS = "analysis"  # frames and a flight log analysed after landing
    WATCH = "watch"  # a live video stream watched without a planned mission
