"""Sightings to stored findings in a real SQLite store: an alarm only when the detector is
sure, weaker persons kept "to check" (and promoted when corroborated), vehicles noted."""

from __future__ import annotations

import numpy as np

from dronewatch.geo import CameraModel
from dronewatch.ops.record import Announcement, FindingRecorder
from dronewatch.store import FindingKind, FindingStatus, Store
from dronewatch.thermal import Detection, Frame, GroundFix, PixelUnit

FRAME = Frame(np.full((512, 640), 80, np.uint8), PixelUnit.AGC_8BIT, 0.0,
              CameraModel(640, 512, 45.0))


def sighting(confidence, *, kind=FindingKind.PERSON, east_m=0.0, t=0.0):
    fix = GroundFix(44.7, 88.6 + east_m / 79_000.0, 700.0, 90.0, 2.0, 0.1, 0.1)
    return Detection(kind, 1000.0 + t, 320.0, 256.0, confidence, 0.5, 1.0, 0.5, 60.0, None,
                     None, fix, "test", (315.0, 250.0, 10.0, 12.0))


def recorder(tmp_path, heard):
    store = Store(tmp_path / "s.sqlite")
    mission = store.add_mission("search", "t", launched_by="test", reason="test").id
    return store, FindingRecorder(store, mission, heard.append, alarm_confidence=0.5)


def test_a_sure_person_raises_the_alarm_at_once(tmp_path):
    heard: list[Announcement] = []
    store, rec = recorder(tmp_path, heard)
    (new,) = rec.add(FRAME, [sighting(0.8)])
    assert new.status is FindingStatus.ALARM
    assert [a.kind for a in heard] == ["alert"] and len(store.alerts()) == 1
    assert store.findings()[0].status is FindingStatus.ALARM
    store.close()


def test_weak_looks_at_one_place_never_add_up_to_an_alarm(tmp_path):
    heard: list[Announcement] = []
    store, rec = recorder(tmp_path, heard)
    for k in range(12):  # a skylight seen in twelve frames, never sure
        rec.add(FRAME, [sighting(0.3, t=k)])
    (stored,) = store.findings()
    assert stored.status is FindingStatus.TO_CHECK and stored.evidence_count == 12
    assert stored.confidence < 0.5 and stored.thumbnail_png.startswith(b"\x89PNG")
    assert store.alerts() == [] and "to check" in heard[0].text
    store.close()


def test_a_candidate_corroborated_by_clear_views_becomes_an_alarm(tmp_path):
    heard: list[Announcement] = []
    store, rec = recorder(tmp_path, heard)
    assert rec.add(FRAME, [sighting(0.45)])[0].status is FindingStatus.TO_CHECK
    promoted = rec.add(FRAME, [sighting(0.45, t=1)]) + rec.add(FRAME, [sighting(0.45, t=2)])
    assert [f.status for f in promoted] == [FindingStatus.ALARM]
    assert store.findings()[0].status is FindingStatus.ALARM and len(store.alerts()) == 1
    rec.add(FRAME, [sighting(0.26, t=3)])  # an alarm stays an alarm
    assert store.findings()[0].status is FindingStatus.ALARM and len(store.alerts()) == 1
    store.close()


def test_vehicles_are_noted_not_alarmed(tmp_path):
    heard: list[Announcement] = []
    store, rec = recorder(tmp_path, heard)
    rec.add(FRAME, [sighting(0.9, kind=FindingKind.VEHICLE, east_m=50.0)])
    (car,) = store.findings()
    assert car.kind is FindingKind.VEHICLE and car.status is FindingStatus.NOTED
    assert store.alerts() == [] and heard[0].text.startswith("vehicle #")
    store.close()

