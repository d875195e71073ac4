"""Sightings to stored findings: fused, committed at once, announced, alerted on.

Why one place: search and patrol both turn a frame's detections into findings, and
both must commit each new finding before anything else happens (a crash the next
instant loses nothing reported), raise an alert for a person the detector is sure of,
keep a less sure one "to check" (and raise the alert when later sightings make it sure),
and keep a thumbnail of the clearest view for the map's popup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

import cv2
import numpy as np

from dronewatch.store import Finding, FindingKind, FindingStatus, Store
from dronewatch.thermal import Detection, Frame, FusedFinding, Fuser

__all__ = ["Announcement", "FindingRecorder"]

THUMB_PX = 64


class AnnouncementKind(StrEnum):
    """How loud: a stage of the flight, a finding, an alarm, a warning, or progress."""

    STAGE = "stage"
    FINDING = "finding"
    ALERT = "alert"
    WARNING = "warning"
    PROGRESS = "progress"


@dataclass(frozen=True, slots=True)
class MissionProgress:
    """How far the vehicle is through its mission (MISSION_CURRENT's item of total).

    Why a value and not "a/b" text: every edge (the CLI's bar, the console) needs the
    two numbers, and text formatted in ops and parsed back in the CLI broke twice.
    """

    item: int
    total: int


@dataclass(frozen=True, slots=True)
class Announcement:
    """Something the operator should hear about; a PROGRESS one carries ``progress``."""

    kind: AnnouncementKind
    text: str
    finding: Finding | None = None
    progress: MissionProgress | None = None


def thumbnail_png(frame: Frame, detection: Detection) -> bytes:
    """A small grey crop of the frame around a detection, stretched for the eye."""
    h, w = frame.pixels.shape
    u, v = round(detection.u_px), round(detection.v_px)
    half = THUMB_PX // 2
    crop = frame.pixels[max(v - half, 0):min(v + half, h), max(u - half, 0):min(u + half, w)]
    crop = crop.astype(np.float32)
    lo, hi = float(crop.min()), float(crop.max())
    grey = ((crop - lo) * (255.0 / max(hi - lo, 1e-6))).astype(np.uint8)
    ok, png = cv2.imencode(".png", cv2.applyColorMap(grey, cv2.COLORMAP_INFERNO))
    return png.tobytes() if ok else b""


def _as_stored(fused: FusedFinding, mission_id: int, thumb: bytes | None,
               finding_id: int | None, status: FindingStatus) -> Finding:
    return Finding(fused.kind, fused.lat_deg, fused.lon_deg, fused.accuracy_m,
                   fused.confidence, fused.first_seen_unix_s, fused.last_seen_unix_s,
                   fused.evidence_count, fused.peak_c, fused.area_m2, mission_id, thumb,
                   finding_id, status)


class FindingRecorder:
    """Fuses a mission's detections and keeps the store in step with the fused findings.

    ``alarm_confidence`` is the person confidence that raises the alarm (the detector
    model's calibrated operating point); persons below it are kept "to check".
    """

    def __init__(self, store: Store, mission_id: int,
                 announce: Callable[[Announcement], None] = lambda _: None,
                 *, alarm_confidence: float = 0.5) -> None:
        self.store, self.mission_id, self.announce = store, mission_id, announce
        self.alarm_confidence = alarm_confidence
        self.fuser = Fuser()
        self._stored: dict[int, int] = {}  # fused id -> store id
        self.findings: dict[int, Finding] = {}  # store id -> latest stored finding
        #: store id -> the frame (file, or video at its time) of the clearest view, the
        #: one the thumbnail shows: where an operator looks again after the flight
        self.best_views: dict[int, str] = {}

    def add(self, frame: Frame, detections: list[Detection]) -> list[Finding]:
        """Merge one frame's detections; the findings that are new or have just become
        alarms (stored now)."""
        new = []
        for update in self.fuser.add(detections):
            fused = update.finding
            thumb = thumbnail_png(frame, fused.best) if fused.best in detections else None
            if update.is_new:
                stored = self.store.add_finding(
                    _as_stored(fused, self.mission_id, thumb, None, self._status(fused, None)))
                self._stored[fused.id] = stored.id
                self.findings[stored.id] = stored
                self._seen_best(stored.id, frame, thumb)
                new.append(stored)
                self._announce(stored)
            else:
                finding_id = self._stored[fused.id]
                previous = self.findings[finding_id]
                stored = _as_stored(fused, self.mission_id, thumb, finding_id,
                                    self._status(fused, previous.status))
                self.store.update_finding(stored)
                self.findings[finding_id] = stored if thumb else replace(
                    stored, thumbnail_png=previous.thumbnail_png)
                self._seen_best(finding_id, frame, thumb)
                if stored.status is not previous.status:
                    self._announce(self.findings[finding_id])
                    new.append(self.findings[finding_id])
        return new

    def _seen_best(self, finding_id: int, frame: Frame, thumb: bytes | None) -> None:
        if thumb is not None and frame.source:
            self.best_views[finding_id] = frame.source

    def _status(self, fused: FusedFinding, was: FindingStatus | None) -> FindingStatus:
        """An alarm stays an alarm; a candidate becomes one when it is sure enough."""
        if fused.kind.value != FindingKind.PERSON.value:
            return FindingStatus.NOTED
        if was is FindingStatus.ALARM or fused.confidence >= self.alarm_confidence:
            return FindingStatus.ALARM
        return FindingStatus.TO_CHECK

    def _announce(self, finding: Finding) -> None:
        where = f"{finding.lat_deg:.6f}, {finding.lon_deg:.6f} (± {finding.accuracy_m:.1f} m)"
        if finding.status is FindingStatus.ALARM:
            text = f"PERSON #{finding.id} at {where}, confidence {finding.confidence:.0%}"
            self.store.add_alert("alarm", text, finding.id)
            self.announce(Announcement(AnnouncementKind.ALERT, text, finding))
        elif finding.status is FindingStatus.TO_CHECK:
            self.announce(Announcement(
                AnnouncementKind.FINDING,
                f"possible person #{finding.id} at {where}, confidence "
                f"{finding.confidence:.0%}: to check (see its thumbnail)", finding))
        elif finding.kind is FindingKind.VEHICLE:
            self.announce(Announcement(
                AnnouncementKind.FINDING,
                f"vehicle #{finding.id} at {where}", finding))
        else:
            peak = f", peak {finding.peak_temp_c:.0f} °C" if finding.peak_temp_c else ""
            self.announce(Announcement(
                AnnouncementKind.FINDING,
                f"hotspot #{finding.id} at {where}{peak}, "
                f"{finding.area_m2 or 0:.0f} m²", finding))
