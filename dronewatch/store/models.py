"""What the store keeps, as plain values.

Why frozen values: a finding handed to the map or an export must be the finding as
stored, not something a later update half-changed under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dronewatch.kinds import FindingKind, MissionKind

__all__ = ["Alert", "Finding", "FindingKind", "FindingStatus", "Flight", "Mission", "MissionKind",
           "PatrolRun", "TrackPoint"]


class FindingStatus(StrEnum):
    """What a finding asks of the operator.

    Why three: a person candidate the detector is not sure of must neither raise the
    alarm (four false alarms for one true one and the operator stops looking) nor be
    dropped (it may be the one person there is): it is kept "to check", with its
    thumbnail, and becomes an alarm if later sightings make it sure.
    """

    ALARM = "alarm"  # a person, sure enough to send a team
    TO_CHECK = "to-check"  # a possible person: look at the thumbnail, fly over again
    NOTED = "noted"  # hotspots and vehicles: on the map, no alarm by themselves


@dataclass(frozen=True, slots=True)
class Mission:
    id: int
    kind: MissionKind
    name: str
    launched_by: str
    reason: str
    created_unix_s: float
    plan_json: str = ""


@dataclass(frozen=True, slots=True)
class Flight:
    id: int
    mission_id: int
    vehicle: str
    started_unix_s: float
    ended_unix_s: float | None = None
    outcome: str = ""
    covered_m2: float | None = None  # ground its camera saw in the planned region


@dataclass(frozen=True, slots=True)
class Finding:
    """A georeferenced finding with its accuracy and evidence."""

    kind: FindingKind
    lat_deg: float
    lon_deg: float
    accuracy_m: float
    confidence: float
    first_seen_unix_s: float
    last_seen_unix_s: float
    evidence_count: int = 1
    peak_temp_c: float | None = None
    area_m2: float | None = None
    mission_id: int | None = None
    thumbnail_png: bytes | None = None
    id: int | None = None
    status: FindingStatus = FindingStatus.NOTED

    def __post_init__(self) -> None:
        if not (-90 <= self.lat_deg <= 90 and -180 <= self.lon_deg <= 180):
            raise ValueError(f"finding position {self.lat_deg}, {self.lon_deg} is not WGS84")
        if self.accuracy_m < 0 or not 0 <= self.confidence <= 1:
            raise ValueError("finding accuracy must be >= 0 and confidence within 0..1")


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One point of a flown track."""

    time_unix_s: float
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float


@dataclass(frozen=True, slots=True)
class PatrolRun:
    """One due run of a patrol and how it went.

    Why a value and not a row: callers read ``run.status``, not ``run[3]``, so a column
    added to the table cannot shift what they read.
    """

    id: int
    due_unix_s: float
    mission_id: int | None
    status: str  # "starting", "flying", "done", "failed", "missed", "interrupted", ...
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Alert:
    """Something the station told the operator (a person found, a camera gone blind)."""

    id: int
    time_unix_s: float
    level: str  # "alarm", "warning", ...
    message: str
    finding_id: int | None = None
