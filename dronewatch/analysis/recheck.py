"""A patrol over open hazards re-checks each one: still there, hotter, or gone.

Why here and not by hand: a hazard's owner says "fixed", but only a later flight that
no longer sees the heat closes it; a rectified hazard that shows up again goes back
to its owner. A case is matched to this run's hotspots as patrols match hotspots to
earlier patrols (nearest within 2 x accuracy, at least 30 m), and compared with the
last measurement its case recorded. Only a flight that covered the place may say
"gone": the caller passes the region the completed flight covered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import shapely

from dronewatch.analysis.cases import reopen, verify
from dronewatch.geo.metric import metres_per_degree
from dronewatch.store import Finding, FindingKind, Store
from dronewatch.store.cases import (
    CaseKind,
    CaseStatus,
    StatusChange,
    case_events,
    cases,
    record_event,
)

__all__ = ["Recheck", "RecheckResult", "recheck_hazards"]

HAZARD_KINDS = (CaseKind.COAL_SELF_IGNITION,)  # what a thermal patrol can see again
MATCH_MIN_M = 30.0


class RecheckResult(StrEnum):
    STILL_THERE = "still there"
    HOTTER = "hotter"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class Recheck:
    """What one patrol found at one case's place, and the case's status after."""

    case_id: int
    result: RecheckResult
    status_after: CaseStatus
    finding_id: int | None
    peak_temp_c: float | None
    area_m2: float | None


def _distance_m(lat_deg: float, lon_deg: float, f: Finding) -> float:
    north_m, east_m = metres_per_degree(lat_deg)
    return math.hypot((f.lat_deg - lat_deg) * north_m, (f.lon_deg - lon_deg) * east_m)


def _last_measure(store: Store, case_id: int, finding_id: int | None
                  ) -> tuple[float | None, float | None]:
    """Peak °C and area m² the case last recorded (a re-check, else its finding)."""
    for e in reversed(case_events(store, case_id)):
        if e.peak_temp_c is not None:
            return e.peak_temp_c, e.area_m2
    first = store.finding(finding_id) if finding_id is not None else None
    return (first.peak_temp_c, first.area_m2) if first else (None, None)


def recheck_hazards(store: Store, covered_wgs84: shapely.Geometry,
                    findings: tuple[Finding, ...], mission_id: int, *, actor: str,
                    peak_rise_c: float = 20.0, area_growth: float = 0.5,
                    now_unix_s: float | None = None) -> list[Recheck]:
    """Record, for every unverified hazard case inside ``covered_wgs84`` (lon/lat), what
    this run's hotspots say; reopen a rectified one seen again, verify one gone."""
    hotspots = [f for f in findings if f.kind is FindingKind.HOTSPOT]
    shapely.prepare(covered_wgs84)
    done = []
    for case in cases(store, kinds=HAZARD_KINDS, statuses=(
            CaseStatus.OPEN, CaseStatus.ASSIGNED, CaseStatus.RECTIFIED)):
        if not covered_wgs84.covers(shapely.Point(case.lon_deg, case.lat_deg)):
            continue
        near = [(d, f) for f in hotspots
                if (d := _distance_m(case.lat_deg, case.lon_deg, f))
                <= max(MATCH_MIN_M, 2 * f.accuracy_m)]
        seen = min(near, key=lambda p: p[0])[1] if near else None
        if seen is None:
            result = RecheckResult.GONE
        else:
            peak, area = _last_measure(store, case.id, case.finding_id)
            hotter = ((seen.peak_temp_c or 0) - (peak or 0) >= peak_rise_c
                      or (area and (seen.area_m2 or 0) / area - 1 >= area_growth))
            result = RecheckResult.HOTTER if hotter else RecheckResult.STILL_THERE
        change = StatusChange(actor, f"rechecked: {result}", finding_id=seen and seen.id,
                              mission_id=mission_id, peak_temp_c=seen and seen.peak_temp_c,
                              area_m2=seen and seen.area_m2, time_unix_s=now_unix_s)
        status = case.status
        if case.status is CaseStatus.RECTIFIED and seen is not None:
            status = reopen(store, case.id, _as(change, "reopened: seen again, "
                                                f"{result}")).status
        elif case.status is CaseStatus.RECTIFIED:
            status = verify(store, case.id, by=actor, evidence=_as(
                change, "verified: a later flight no longer sees it")).status
        else:
            record_event(store, case.id, change)
        done.append(Recheck(case.id, result, status, seen and seen.id,
                            seen and seen.peak_temp_c, seen and seen.area_m2))
    return done


def _as(change: StatusChange, action: str) -> StatusChange:
    return StatusChange(change.actor, action, change.note, change.finding_id, change.mission_id,
                        change.peak_temp_c, change.area_m2, change.time_unix_s)
