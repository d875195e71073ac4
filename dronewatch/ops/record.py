"""Sightings to stored findings: fused, committed at once, announced, alerted on.

Why one place: search and patrol both turn a frame's detections into findings, and
both must commit each new finding before anything else happens (a crash the next
instant loses nothing reported), raise an alert for a person, and keep a thumbnail of
the clearest view for the map's popup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from dronewatch.store import Finding, FindingKind, Store
from dronewatch.thermal import Detection, Frame, FusedFinding, Fuser

__all__ = ["Announcement", "FindingRecorder"]

THUMB_PX = 64


@dataclass(frozen=True, slots=True)
class Announcement:
    """Something the operator should hear about: ``kind`` is "stage", "finding",
    "alert", "warning", or "progress" (``text`` is "item/total" of the mission)."""

    kind: str
    text: str
    finding: Finding | None = None


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
               finding_id: int | None) -> Finding:
    return Finding(FindingKind(fused.kind.value), fused.lat_deg, fused.lon_deg, fused.error_m,
                   fused.confidence, fused.first_seen_unix_s, fused.last_seen_unix_s,
                   fused.evidence_count, fused.peak_c, fused.area_m2, mission_id, thumb,
                   finding_id)


class FindingRecorder:
    """Fuses a mission's detections and keeps the store in step with the fused findings."""

    def __init__(self, store: Store, mission_id: int,
                 announce: Callable[[Announcement], None] = lambda _: None) -> None:
        self.store, self.mission_id, self.announce = store, mission_id, announce
        self.fuser = Fuser()
        self._stored: dict[int, int] = {}  # fused id -> store id
        self.findings: dict[int, Finding] = {}  # store id -> latest stored finding

    def add(self, frame: Frame, detections: list[Detection]) -> list[Finding]:
        """Merge one frame's detections; the findings that are new (stored now)."""
        new = []
        for update in self.fuser.add(detections):
            fused = update.finding
            thumb = thumbnail_png(frame, fused.best) if fused.best in detections else None
            if update.is_new:
                stored = self.store.add_finding(_as_stored(fused, self.mission_id, thumb, None))
                self._stored[fused.id] = stored.id
                self.findings[stored.id] = stored
                new.append(stored)
                self._announce_new(stored)
            else:
                finding_id = self._stored[fused.id]
                stored = _as_stored(fused, self.mission_id, thumb, finding_id)
                self.store.update_finding(stored)
                previous = self.findings[finding_id]
                self.findings[finding_id] = stored if thumb else replace(
                    stored, thumbnail_png=previous.thumbnail_png)
        return new

    def _announce_new(self, finding: Finding) -> None:
        where = f"{finding.lat_deg:.6f}, {finding.lon_deg:.6f} (± {finding.accuracy_m:.1f} m)"
        if finding.kind is FindingKind.PERSON:
            text = f"PERSON #{finding.id} at {where}, confidence {finding.confidence:.0%}"
            self.store.add_alert("alarm", text, finding.id)
            self.announce(Announcement("alert", text, finding))
        else:
            peak = f", peak {finding.peak_temp_c:.0f} °C" if finding.peak_temp_c else ""
            self.announce(Announcement("finding", f"hotspot #{finding.id} at {where}{peak}, "
                                       f"{finding.area_m2 or 0:.0f} m²", finding))
