"""One person seen by two drones of a fleet is one finding, placed better by both.

The fleet's :class:`SharedRecorder` is fed from each drone's thread at once, into a real
SQLite store: the sightings of both fuse into one finding with the evidence of both, and
its position is nearer the truth than either drone's sightings alone.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from dronewatch.geo import CameraModel, LocalFrame
from dronewatch.ops.crew import SharedRecorder
from dronewatch.store import FindingKind, Store
from dronewatch.thermal import Detection, Frame, GroundFix, PixelUnit

FRAME = Frame(np.full((512, 640), 80, np.uint8), PixelUnit.AGC_8BIT, 0.0,
              CameraModel(640, 512, 45.0))
TRUTH = (44.7, 88.6)
AROUND = LocalFrame(*TRUTH)


def sighting(east_m: float, north_m: float, t: float) -> Detection:
    lat, lon = (float(v) for v in AROUND.to_wgs84(east_m, north_m))
    fix = GroundFix(lat, lon, 700.0, 90.0, 10.0, 0.1, 0.1)
    return Detection(FindingKind.PERSON, 1000.0 + t, 320.0, 256.0, 0.9, 0.5, 1.0, 0.5, 60.0,
                     None, None, fix, "test", (315.0, 250.0, 10.0, 12.0))


def _error_m(finding) -> float:
    return math.hypot(*AROUND.to_local(finding.lat_deg, finding.lon_deg))


def _fly(recorder: SharedRecorder, looks: list[Detection]) -> None:
    for look in looks:
        recorder.add(FRAME, [look])


def test_two_drones_seeing_one_person_make_one_finding_placed_better_by_both(tmp_path):
    # drone A looks from the west and places the person 2 m east of the truth; drone B
    # from the east places them 2 m west: each alone is 2 m off, together they cancel
    a_looks = [sighting(2.0, 0.3 * (k % 2), k) for k in range(6)]
    b_looks = [sighting(-2.0, -0.3 * (k % 2), k + 0.5) for k in range(6)]
    with Store(tmp_path / "alone.sqlite") as store:
        mission = store.add_mission("search", "t", launched_by="test", reason="test").id
        alone = SharedRecorder(store, mission, alarm_confidence=0.5)
        _fly(alone, a_looks)
        (a_only,) = alone.snapshot()
    with Store(tmp_path / "fleet.sqlite") as store:
        mission = store.add_mission("search", "t", launched_by="test", reason="test").id
        shared = SharedRecorder(store, mission, alarm_confidence=0.5)
        drones = [threading.Thread(target=_fly, args=(shared, looks))
                  for looks in (a_looks, b_looks)]
        for d in drones:
            d.start()
        for d in drones:
            d.join()
        stored = store.findings()
    assert len(stored) == 1  # one person, however the two threads interleaved
    (both,) = stored
    assert both.evidence_count == len(a_looks) + len(b_looks)
    assert _error_m(both) < 0.5 * _error_m(a_only)
    assert both.accuracy_m <= a_only.accuracy_m  # the fuser keeps its best fix's radius
