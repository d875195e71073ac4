"""Many sightings of one thing become one finding with more evidence.

Why: a person under a search pattern is seen in five overlapping frames on one leg and
again on the next; a map with ten pins for one person sends ten teams. A sighting
joins the nearest finding of its kind whose gate it falls in, the gate being three
combined sigmas of both positions' errors plus the object's own size; the finding's
position becomes the inverse-variance mean of its sightings. Its stated error never
shrinks below most of the best single sighting's: the GNSS and DEM errors that all
sightings share do not average away.

Confidence: the clearest sighting counts in full and every other one for
``REPEAT_WEIGHT`` of its (calibrated) confidence, combined as independent evidence, and
the whole may rise at most ``MAX_CORROBORATION`` above the clearest sighting. Why not
all in full: sightings of one place are not independent (a lamp post that fools the
detector once fools it in every frame), so corroboration may lift a candidate just short
of the alarm but ten weak looks at a skylight never add up to one; a person seen
clearly once is already an alarm.

Positions are merged in metres in a :class:`~dronewatch.geo.LocalFrame` around the
first sighting, as all metric work is: the gates and means are then true ground
distances, not degrees scaled by a hand-written constant.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from dronewatch.geo import LocalFrame
from dronewatch.thermal.detection import Detection, FindingKind
from dronewatch.thermal.georef import R95_PER_SIGMA

__all__ = ["FusedFinding", "Fuser", "FusionUpdate"]

SHARED_ERROR_SHARE = 0.7  # of the best sighting's error that fusing cannot remove
REPEAT_WEIGHT = 0.2  # share of a further sighting's confidence that counts
MAX_CORROBORATION = 0.15  # the most that further sightings add to the clearest one
_EXTENT_M = {FindingKind.PERSON: 1.0, FindingKind.VEHICLE: 3.0}


@dataclass(frozen=True, slots=True)
class FusedFinding:
    """One object as seen so far."""

    id: int
    kind: FindingKind
    lat_deg: float
    lon_deg: float
    accuracy_m: float  # 95 % horizontal radius
    confidence: float
    evidence_count: int
    first_seen_unix_s: float
    last_seen_unix_s: float
    best: Detection  # the clearest sighting: highest confidence, then closest
    peak_c: float | None
    area_m2: float


@dataclass(frozen=True, slots=True)
class FusionUpdate:
    finding: FusedFinding
    is_new: bool


@dataclass
class _Track:
    id: int
    kind: FindingKind
    north_m: float  # relative to the fuser's origin
    east_m: float
    weight: float  # sum of 1/sigma^2
    min_accuracy_m: float
    miss: float  # product of (1 - REPEAT_WEIGHT * confidence) over all sightings
    count: int
    first_s: float
    last_s: float
    best: Detection
    peak_c: float | None
    area_m2: float
    extent_m: float


def _extent(detection: Detection) -> float:
    if detection.kind in _EXTENT_M:
        return _EXTENT_M[detection.kind]
    return max(math.sqrt(detection.area_m2 / math.pi), 1.0)


class Fuser:
    """Keeps the findings of one mission (or patrol) and merges each new sighting in.

    Parameters
    ----------
    max_gate_m
        The widest a gate may open, however poor the sightings' accuracy: beyond it
        two sightings are two findings.
    """

    def __init__(self, *, max_gate_m: float = 40.0) -> None:
        self.max_gate_m = max_gate_m
        self._tracks: list[_Track] = []
        self._frame: LocalFrame | None = None  # around the first sighting
        self._next_id = 1

    def __len__(self) -> int:
        return len(self._tracks)

    def _local(self, lat: float, lon: float) -> tuple[float, float]:
        """(north_m, east_m) of a WGS84 point in the fuser's frame."""
        if self._frame is None:
            self._frame = LocalFrame(lat, lon)
        east, north = self._frame.to_local(lat, lon)
        return float(north), float(east)

    def _wgs84(self, north: float, east: float) -> tuple[float, float]:
        """(lat_deg, lon_deg) of a point of the fuser's frame."""
        assert self._frame is not None
        lat, lon = self._frame.to_wgs84(east, north)
        return float(lat), float(lon)

    def findings(self) -> list[FusedFinding]:
        return [self._snapshot(t) for t in self._tracks]

    def add(self, detections: Iterable[Detection]) -> list[FusionUpdate]:
        """Merge sightings (those without a ground fix are ignored); what changed."""
        updates: dict[int, FusionUpdate] = {}
        for det in detections:
            if det.fix is None:
                continue
            north, east = self._local(det.fix.lat_deg, det.fix.lon_deg)
            sigma = max(det.fix.accuracy_m / R95_PER_SIGMA, 0.05)
            track = self._match(det, north, east, sigma)
            if track is None:
                track = _Track(self._next_id, det.kind, north, east, 1 / sigma**2,
                               det.fix.accuracy_m, 1 - REPEAT_WEIGHT * det.confidence, 1,
                               det.time_unix_s,
                               det.time_unix_s, det, det.peak_c, det.area_m2, _extent(det))
                self._next_id += 1
                self._tracks.append(track)
                updates[track.id] = FusionUpdate(self._snapshot(track), True)
                continue
            self._merge(track, det, north, east, sigma)
            was_new = updates[track.id].is_new if track.id in updates else False
            updates[track.id] = FusionUpdate(self._snapshot(track), was_new)
        return list(updates.values())

    def _match(self, det: Detection, north: float, east: float, sigma: float) -> _Track | None:
        best, best_d = None, math.inf
        for track in self._tracks:
            if track.kind is not det.kind:
                continue
            d = math.hypot(track.north_m - north, track.east_m - east)
            track_sigma = 1 / math.sqrt(track.weight)
            gate = min(3 * math.hypot(sigma, track_sigma) + max(track.extent_m, _extent(det)),
                       self.max_gate_m)
            if d <= gate and d < best_d:
                best, best_d = track, d
        return best

    @staticmethod
    def _merge(track: _Track, det: Detection, north: float, east: float, sigma: float) -> None:
        w = 1 / sigma**2
        total = track.weight + w
        track.north_m = (track.north_m * track.weight + north * w) / total
        track.east_m = (track.east_m * track.weight + east * w) / total
        track.weight = total
        track.min_accuracy_m = min(track.min_accuracy_m,
                                   det.fix.accuracy_m if det.fix else math.inf)
        track.miss *= 1 - REPEAT_WEIGHT * det.confidence
        track.count += 1
        track.first_s = min(track.first_s, det.time_unix_s)
        track.last_s = max(track.last_s, det.time_unix_s)
        clearer = (det.confidence, -(det.fix.range_m if det.fix else math.inf)) > (
            track.best.confidence, -(track.best.fix.range_m if track.best.fix else math.inf))
        if clearer:
            track.best = det
        if det.peak_c is not None:
            track.peak_c = det.peak_c if track.peak_c is None else max(track.peak_c, det.peak_c)
        track.area_m2 = max(track.area_m2, det.area_m2)
        track.extent_m = max(track.extent_m, _extent(det))

    def _snapshot(self, track: _Track) -> FusedFinding:
        lat, lon = self._wgs84(track.north_m, track.east_m)
        error = max(R95_PER_SIGMA / math.sqrt(track.weight),
                    SHARED_ERROR_SHARE * track.min_accuracy_m)
        best = track.best.confidence
        others_miss = track.miss / (1 - REPEAT_WEIGHT * best)
        confidence = min(1 - (1 - best) * others_miss, best + MAX_CORROBORATION)
        return FusedFinding(track.id, track.kind, lat, lon, error,
                            min(confidence, 0.999), track.count, track.first_s, track.last_s,
                            track.best, track.peak_c, track.area_m2)
