"""Detection against the simulated thermal world: people found and placed, animals,
vehicles and machinery not reported as people, coal fires measured, sightings fused.

"Reported" means an alarm: a person finding at or above the learned detector's
calibrated alarm confidence; weaker person findings are candidates "to check"."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dronewatch.config import default_dem_path
from dronewatch.geo import CameraPose, LocalFrame, camera_preset
from dronewatch.thermal import (
    EXACT_POSE,
    FindingKind,
    Fuser,
    PixelUnit,
    default_detector,
    detect,
)
from simulators.thermal import Clock, Posture, ThermalCamera, ThermalWorld, ThingKind, make_thing
from simulators.thermal.scenario import Population, populate, survey_poses

CAMERA = camera_preset("dji-m30t")


def fly(terrain, zones, gobi, hour, population, *, side_m=160.0, agl=90.0, seed=5,
        unit=PixelUnit.CENTI_KELVIN):
    world = ThermalWorld(default_dem_path(), zones, Clock(hour), seed=seed)
    truth = populate(world, *gobi, side_m / 2, population, seed=seed, square=True)
    camera = ThermalCamera(world, terrain, CAMERA, unit=unit, seed=seed)
    fuser = Fuser()
    frames = 0
    for k, pose in enumerate(survey_poses(terrain, CAMERA, *gobi, side_m, agl)):
        fuser.add(detect(camera.render(pose, 1_000.0 + k), terrain, uncertainty=EXACT_POSE))
        frames += 1
    return truth, fuser.findings(), frames


def alarms(findings):
    alarm = default_detector().info.alarm_confidence
    return [f for f in findings if f.kind is FindingKind.PERSON and f.confidence >= alarm]


def candidates(findings):
    alarm = default_detector().info.alarm_confidence
    return [f for f in findings if f.kind is FindingKind.PERSON and f.confidence < alarm]


def distances(gobi, findings, things):
    frame = LocalFrame(*gobi)
    fe, fn = frame.to_local([f.lat_deg for f in findings], [f.lon_deg for f in findings])
    te, tn = frame.to_local([t.lat_deg for t in things], [t.lon_deg for t in things])
    return np.hypot(np.atleast_1d(fe)[:, None] - te[None, :],
                    np.atleast_1d(fn)[:, None] - tn[None, :])


def test_night_search_finds_every_person_once_and_nothing_else(terrain, zones, gobi):
    truth, findings, frames = fly(terrain, zones, gobi, 2.0,
                                  Population(8, 12, 2, 2, 1, 1, hidden_share=0.3))
    persons = [t for t in truth if t.kind is ThingKind.PERSON]
    found = alarms(findings)
    d = distances(gobi, found, persons)
    assert (d.min(axis=1) < 3.0).all()  # every alarm is a person, within 3 m (exact pose)
    assert len(found) == len(persons)  # one alarm each: no duplicates, no animals
    assert max(f.evidence_count for f in found) > 1  # overlapping frames were fused
    for f in found:
        assert 0 < f.accuracy_m < 3.0 and 0 < f.confidence <= 1.0
        assert f.peak_c is not None and 5 <= f.peak_c <= 42
    assert len(candidates(findings)) <= 1  # and hardly anything left to check
    assert frames > 10


def test_coal_fire_is_a_hotspot_with_its_area_and_temperature(terrain, zones, gobi):
    truth, findings, _ = fly(terrain, zones, gobi, 2.0, Population(0, 0, 0, 0, 0, 1))
    fire = truth[0]
    hot = [f for f in findings if f.kind is FindingKind.HOTSPOT]
    assert len(hot) == 1
    assert distances(gobi, hot, [fire])[0, 0] < fire.length_m / 2
    true_area = math.pi * (fire.length_m / 2) ** 2
    assert 0.3 * true_area < hot[0].area_m2 < 2.5 * true_area
    assert hot[0].peak_c > 100


def test_sheep_camels_vehicles_and_machines_are_not_people(terrain, zones, gobi):
    for hour in (2.0, 13.0):
        _, findings, _ = fly(terrain, zones, gobi, hour, Population(0, 20, 4, 4, 2, 0), seed=9)
        assert alarms(findings) == []
        assert len(candidates(findings)) <= 2  # of 30 animals and machines


def test_day_search_on_warm_ground(terrain, zones, gobi):
    truth, findings, _ = fly(terrain, zones, gobi, 13.0, Population(8, 0, 0, 0, 0, 0), seed=3)
    found = alarms(findings)
    d = distances(gobi, found, truth)
    assert (d.min(axis=0) < 3.0).mean() >= 0.85
    assert (d.min(axis=1) < 3.0).all()


def test_agc_video_frames_find_people_by_size_and_contrast(terrain, zones, gobi):
    truth, findings, _ = fly(terrain, zones, gobi, 2.0, Population(6), unit=PixelUnit.AGC_8BIT,
                             seed=4)
    found = [f for f in findings if f.kind is FindingKind.PERSON]  # alarms and candidates
    assert found and all(f.peak_c is None for f in found)
    assert (distances(gobi, found, truth).min(axis=0) < 3.0).mean() >= 0.8
    assert (distances(gobi, alarms(findings), truth).min(axis=1) < 3.0).all()


@pytest.mark.parametrize("posture", list(Posture))
def test_each_posture_measures_person_sized(terrain, zones, gobi, posture):
    world = ThermalWorld(default_dem_path(), zones, Clock(2.0))
    rng = np.random.default_rng(1)
    person = make_thing(ThingKind.PERSON, *gobi, -9.0, True, rng, posture=posture)
    world.place([person])
    pose = CameraPose(*gobi, terrain.elevation_at(*gobi) + 70)
    frame = ThermalCamera(world, terrain, CAMERA).render(pose, 0.0)
    (det,) = detect(frame, terrain, uncertainty=EXACT_POSE)
    assert det.kind is FindingKind.PERSON
    true_area = math.pi / 4 * person.length_m * person.width_m
    assert 0.5 * true_area < det.area_m2 < 3.0 * true_area
    assert det.length_m < person.length_m + 0.8


def test_fusion_keeps_two_people_ten_metres_apart_apart(terrain, zones, gobi):
    world = ThermalWorld(default_dem_path(), zones, Clock(2.0))
    frame_m = LocalFrame(*gobi)
    rng = np.random.default_rng(2)
    people = [make_thing(ThingKind.PERSON, *map(float, frame_m.to_wgs84(e, 0.0)), -9.0, True, rng,
                         posture=Posture.LYING) for e in (-5.0, 5.0)]
    world.place(people)
    camera = ThermalCamera(world, terrain, CAMERA)
    fuser = Fuser()
    for k, (dn, agl) in enumerate([(0, 80), (10, 80), (-10, 100), (0, 110)]):
        lat, lon = frame_m.to_wgs84(0.0, float(dn))
        pose = CameraPose(float(lat), float(lon), terrain.elevation_at(*gobi) + agl)
        fuser.add(detect(camera.render(pose, float(k)), terrain))
    found = fuser.findings()
    assert len(found) == 2 and [f.evidence_count for f in found] == [4, 4]
    assert all(f.first_seen_unix_s == 0.0 and f.last_seen_unix_s == 3.0 for f in found)


def test_a_frame_without_pose_needs_a_scale(terrain, zones, gobi):
    world = ThermalWorld(default_dem_path(), zones, Clock(2.0))
    pose = CameraPose(*gobi, terrain.elevation_at(*gobi) + 70)
    frame = ThermalCamera(world, terrain, CAMERA).render(pose, 0.0)
    unposed = type(frame)(frame.pixels, frame.unit, 0.0, frame.camera, None, "grab.png")
    with pytest.raises(ValueError, match=r"grab\.png: detection needs a pose"):
        detect(unposed, terrain)


def test_a_person_cut_by_the_frames_edge_is_only_a_candidate(terrain, zones, gobi):
    """Its size is that of the part in view, which a camel's end also has: the alarm
    waits for a frame that shows all of it."""
    world = ThermalWorld(default_dem_path(), zones, Clock(2.0))
    person = make_thing(ThingKind.PERSON, *gobi, -9.0, True, np.random.default_rng(1),
                        posture=Posture.LYING)  # lying north-south
    world.place([person])
    camera = ThermalCamera(world, terrain, CAMERA)
    frame_m = LocalFrame(*gobi)
    alarm = default_detector().info.alarm_confidence
    seen = {}
    for name, north_m in (("whole", 0.0), ("cut", -25.0)):  # 25 m south: at the top edge
        lat, lon = frame_m.to_wgs84(0.0, north_m)
        pose = CameraPose(float(lat), float(lon), terrain.elevation_at(*gobi) + 70)
        (seen[name],) = [d for d in detect(camera.render(pose, 0.0), terrain,
                                           uncertainty=EXACT_POSE)
                         if d.kind is FindingKind.PERSON]
    assert seen["whole"].confidence >= alarm
    # the person's box reaches (to within a few px, as the refiner draws it) the top edge
    assert seen["cut"].box_px[1] < 4
    assert seen["cut"].confidence < alarm
