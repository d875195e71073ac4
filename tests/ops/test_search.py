"""Searches flown end to end over real UDP against the simulated drone and thermal world."""

from __future__ import annotations

import time

import pytest
import shapely

from dronewatch.geo import LocalFrame
from dronewatch.link.camera import set_up_camera
from dronewatch.missionitem import MissionType
from dronewatch.ops import FlightOptions, OnFind, PreflightError, run_search
from dronewatch.ops.flightloop import TRACK_EVERY_M
from dronewatch.ops.record import Announcement
from dronewatch.store import FindingKind, Store
from tests.link.relay import CuttableRelay
from tests.ops.rehearsal import drone, link, rehearsal


def test_search_finds_the_person_holds_over_them_and_comes_home(tmp_path):
    heard: list[Announcement] = []
    with rehearsal() as r, drone(r.plan.home) as sim, link(sim.url) as vehicle, \
            Store(tmp_path / "s.sqlite") as store:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        hold_over_s = []

        def hear(a: Announcement) -> None:
            heard.append(a)
            if a.text.startswith("hold over"):
                hold_over_s.append(time.monotonic())

        with vehicle.subscribe("GLOBAL_POSITION_INT") as positions, \
                vehicle.subscribe("CAMERA_FEEDBACK") as shots:  # the vehicle's own log
            report = run_search(r.request, vehicle, r.zones, r.terrain, r.camera.render, store,
                                tmp_path / "map.html", plan=r.plan,
                                options=FlightOptions(on_find=OnFind.LOITER, hold_s=60),
                                announce=hear)
            flown = [(m["lat"] / 1e7, m["lon"] / 1e7) for m in positions.drain()
                     if m["relative_alt"] > 1000]
            shot_s = [m.received_s for m in shots.drain()]
        stored = store.findings(mission_id=report.mission_id)
        alerts = store.alerts()
        track = store.track(report.flight_id)
    assert report.outcome == "completed"
    (person,) = [f for f in report.findings if f.kind is FindingKind.PERSON]
    assert r.distance_m(person.lat_deg, person.lon_deg) <= 3.0
    assert person.accuracy_m < 10 and person.thumbnail_png.startswith(b"\x89PNG")
    assert [f.id for f in stored] == [f.id for f in report.findings]  # all in the store
    assert alerts and alerts[0].finding_id == person.id and alerts[0].level == "alarm"
    assert any(a.kind == "alert" and "PERSON" in a.text for a in heard)
    progress = [a.progress for a in heard if a.progress is not None]  # numbers, not text
    assert progress and all(0 <= p.item <= p.total for p in progress)
    assert [p.item for p in progress] == sorted(p.item for p in progress)
    # it held over the person: the flown track has points right above them
    assert min(r.distance_m(p.lat_deg, p.lon_deg) for p in track) < 8.0
    # the stored track is the vehicle's: every position it reported is on it (survey legs
    # included), give or take the thinning distance
    frame = LocalFrame(*r.person)
    line = shapely.LineString([frame.to_local(p.lat_deg, p.lon_deg) for p in track])
    assert len(flown) > 100
    worst_m = max(line.distance(shapely.Point(frame.to_local(lat, lon))) for lat, lon in flown)
    assert worst_m < TRACK_EVERY_M + 1.0
    html = (tmp_path / "map.html").read_text()
    assert f"Person #{person.id}" in html and "Flown track" in html
    assert report.flight_time_s > 60 and 0 < report.battery_used_pct < 100
    # the trigger was stopped when the hold ended: no pictures of the way home
    (ended_s,) = hold_over_s
    assert shot_s and not [t for t in shot_s if t > ended_s + 0.5]


def test_a_link_lost_mid_mission_is_reported_and_nothing_is_lost(tmp_path):
    cut_after_frames = 12
    with rehearsal(person_offset_m=(10.0, 10.0)) as r, drone(r.plan.home) as sim:
        relay = CuttableRelay(int(sim.url.rsplit(":", 1)[1]))
        frames = 0
        heard: list[Announcement] = []

        def camera(pose, when):
            nonlocal frames
            frames += 1
            if frames == cut_after_frames:
                relay.cut = True  # the radio dies mid-mission, for good
            return r.camera.render(pose, when)

        try:
            with link(f"udpout:127.0.0.1:{relay.port}") as vehicle, \
                    Store(tmp_path / "s.sqlite") as store:
                vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
                report = run_search(r.request, vehicle, r.zones, r.terrain, camera, store,
                                    tmp_path / "map.html", plan=r.plan,
                                    options=FlightOptions(link_lost_after_s=2.0),
                                    announce=heard.append)
        finally:
            relay.close()
    assert report.outcome == "link lost"
    (lost,) = [a.text for a in heard if "link to the vehicle lost" in a.text]
    assert "the vehicle will RTL after" in lost and "(FS_GCS_ENABLE 1)" in lost
    assert report.frames >= cut_after_frames - 1
    with Store(tmp_path / "s.sqlite") as store:  # reopened: what was reported is there
        kept = store.findings(mission_id=report.mission_id)
    assert {f.id for f in report.findings} == {f.id for f in kept}
    assert any(f.kind is FindingKind.PERSON for f in kept)
    assert (tmp_path / "map.html").exists()


def test_ctrl_c_brings_the_drone_home(tmp_path):
    with rehearsal() as r, drone(r.plan.home) as sim, link(sim.url) as vehicle, \
            Store(tmp_path / "s.sqlite") as store:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        shots = 0

        def camera(pose, when):
            nonlocal shots
            shots += 1
            if shots == 5:
                raise KeyboardInterrupt  # the operator presses Ctrl-C mid-search
            return r.camera.render(pose, when)

        report = run_search(r.request, vehicle, r.zones, r.terrain, camera, store,
                            tmp_path / "map.html", plan=r.plan)
        state = vehicle.state
    assert report.outcome == "aborted by operator (RTL)"
    assert not state.armed
    home = r.plan.home
    assert abs(state.lat_deg - home.lat_deg) < 2e-4 and abs(state.lon_deg - home.lon_deg) < 3e-4


def test_a_drone_whose_battery_cannot_fly_the_search_is_refused_before_upload(tmp_path):
    with rehearsal(radius_m=600.0) as r, \
            drone(r.plan.home, "--param", "BATT_CAPACITY=2000") as sim, \
            link(sim.url) as vehicle, Store(tmp_path / "s.sqlite") as store:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        with pytest.raises(PreflightError, match=r"needs \d+ Wh; the battery \(2000 mAh"):
            run_search(r.request, vehicle, r.zones, r.terrain, r.camera.render, store,
                       tmp_path / "map.html", plan=r.plan)
        assert len(vehicle.download(MissionType.MISSION)) <= 1  # nothing was uploaded
        assert store.findings() == []


def test_a_camera_set_up_at_run_time_without_reboot_is_refused_before_upload(tmp_path):
    with rehearsal() as r, drone(r.plan.home, "--param", "CAM1_TYPE=0") as sim, \
            link(sim.url) as vehicle, Store(tmp_path / "s.sqlite") as store:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        with pytest.raises(PreflightError, match=r"set CAM1_TYPE=1 and reboot"):
            run_search(r.request, vehicle, r.zones, r.terrain, r.camera.render, store,
                       tmp_path / "map.html", plan=r.plan)
        vehicle.set_param("CAM1_TYPE", 1)  # as the README once said: not enough
        with pytest.raises(PreflightError, match=r"did not answer a test shot.*reboot it"):
            run_search(r.request, vehicle, r.zones, r.terrain, r.camera.render, store,
                       tmp_path / "map.html", plan=r.plan)
        assert len(vehicle.download(MissionType.MISSION)) <= 1  # nothing was uploaded
        assert set_up_camera(vehicle, ready_within_s=30).ready  # set and reboot: ready
