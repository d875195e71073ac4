"""A DJI thermal clip analysed after the flight: a real H.264 file of the simulated scene
as a gimbal's white-hot video shows it, and its subtitles in DJI's layout. Nothing flies
here, so it runs with the parallel workers rather than with the flights of tests/ops."""

from __future__ import annotations

import math
import os
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.geo import Attitude, CameraPose, GimbalAttitude, LocalFrame
from dronewatch.ops.analyse import AnalysisOptions, analyse_flight
from dronewatch.store import FindingKind, Store
from dronewatch.thermal.learned import radiometric_to_agc
from tests.ops.logwriters import write_tlog_messages, write_ulog
from tests.ops.rehearsal import rehearsal
from tests.thermal.djisrt import write_subtitles
from tests.thermal.videosend import write_video

FPS = 10
SPEED_MPS = 8.0
HEIGHT_M = 60.0
WALL = datetime(2026, 11, 30, 22, 15, 0, tzinfo=UTC)  # the aircraft's clock, no zone


@pytest.fixture(scope="module")
def flown(tmp_path_factory):
    """A pass north over the person at 60 m, recorded at 10 frames a second."""
    tmp = tmp_path_factory.mktemp("clip")
    with rehearsal() as r:
        person = LocalFrame(*r.person)
        ground_m = r.terrain.elevation_at(*r.person)
        path = []
        for i in range(3 * FPS):
            lat, lon = person.to_wgs84(0.0, -12.0 + SPEED_MPS * i / FPS)
            path.append(CameraPose(float(lat), float(lon), ground_m + HEIGHT_M,
                                   Attitude(0.0, 0.0, 0.0), GimbalAttitude(-90.0, 0.0, 0.0)))
        frames = [radiometric_to_agc(r.camera.render(pose, i / FPS).pixels)
                  for i, pose in enumerate(path)]
        clip = write_video(tmp / "DJI_20261130221500_0001_T.MP4", frames, FPS, "libx264")
        write_subtitles(clip.with_suffix(".SRT"), path, FPS, WALL.timestamp())
        yield r, clip, path


def test_a_clip_with_its_subtitles_finds_the_person_where_they_are(flown, tmp_path):
    r, clip, _ = flown
    said: list[str] = []
    with Store(tmp_path / "s.sqlite") as store:
        report = analyse_flight([clip.parent], None, r.zones, r.terrain, store,
                                tmp_path / "map.html", announce=lambda a: said.append(a.text),
                                options=AnalysisOptions(camera=r.camera.camera,
                                                        clip_every_s=0.2))
        (flight,) = store.flights(report.mission_id)
        track = store.track(flight.id)
    assert report.log_kind == "none" and report.frames == 15 and report.skipped == ()
    assert report.posed_by == (("own pose", 15),)
    people = [f for f in report.findings if f.kind is FindingKind.PERSON]
    assert people and min(r.distance_m(f.lat_deg, f.lon_deg) for f in people) <= 3.0
    # where to look again: the clip at the moment of each person's clearest view
    seen = dict(report.best_views)
    for person in people:
        assert seen[person.id].startswith(f"{clip}@") and seen[person.id].endswith("s")
        assert 0.0 <= float(seen[person.id].rsplit("@")[1][:-1]) < 3.0
    assert len(track) >= 2  # drawn through the frames' own positions
    assert any("15 frame(s) stamped in wall-clock time without a zone" in s for s in said)
    assert "Flown track" in (tmp_path / "map.html").read_text()


def test_the_command_needs_the_clips_camera_and_counts_frames_without_a_pose(
        flown, tmp_path):
    _, clip, _ = flown
    args = ["analyse", str(clip), "--store", str(tmp_path / "s.sqlite"),
            "--out-dir", str(tmp_path)]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1 and "--camera-model" in refused.output
    assert clip.name in refused.output
    bare = tmp_path / clip.name  # the same clip, its subtitles left behind
    bare.write_bytes(clip.read_bytes())
    args[1] = str(bare)
    result = CliRunner().invoke(app, [*args, "--camera-model", "dji-m30t", "--every", "1"])
    assert result.exit_code == 1, result.output  # nothing could be placed
    assert "no subtitle file beside it" in result.output
    assert "3 no pose of its own, and no log" in result.output


def _track(path: list[CameraPose], start: float) -> list[tuple[float, dict]]:
    """The poses as an autopilot's positions and attitudes, at the clip's frame rate."""
    messages = []
    for i, pose in enumerate(path):
        messages.append((start + i / FPS, {
            "mavpackettype": "GLOBAL_POSITION_INT", "lat": round(pose.lat_deg * 1e7),
            "lon": round(pose.lon_deg * 1e7), "alt": round(pose.alt_amsl_m * 1000)}))
        messages.append((start + (i + 0.5) / FPS, {"mavpackettype": "ATTITUDE",
                                                     "roll": 0.0, "pitch": 0.0, "yaw": 0.0}))
    return messages


def test_a_clip_from_one_of_two_drones_on_one_link_takes_that_drones_track(flown, tmp_path):
    """The station's .tlog of a fleet holds both drones; the clip is drone 2's. Read
    without a choice, the log gives the drone with more positions and says so."""
    r, clip, path = flown
    bare = tmp_path / "flight.mp4"
    bare.write_bytes(clip.read_bytes())
    start = WALL.timestamp()
    os.utime(bare, (start + 2.9, start + 2.9))
    elsewhere = [replace(p, lat_deg=p.lat_deg + 0.01) for p in path + path]  # 1.1 km north
    tlog = write_tlog_messages(tmp_path / "fleet.tlog", {
        1: _track(elsewhere, start - 3.0), 2: _track(path, start)})
    heard = []
    with Store(tmp_path / "s.sqlite") as store:
        options = AnalysisOptions(camera=r.camera.camera, clip_every_s=0.2)
        default = analyse_flight([bare], tlog, r.zones, r.terrain, store, tmp_path / "a.html",
                                 options=options, announce=heard.append)
        chosen = analyse_flight([bare], tlog, r.zones, r.terrain, store, tmp_path / "b.html",
                                options=replace(options, log_system=2))
    assert any("fleet.tlog: the log holds 2 vehicles; analysed MAVLink system 1 (the most "
               "positions), not 2: choose with --log-system" in a.text for a in heard)
    misplaced = [f for f in default.findings if f.kind is FindingKind.PERSON]
    assert all(r.distance_m(f.lat_deg, f.lon_deg) > 1000 for f in misplaced)  # drone 1's track
    assert chosen.posed_by == (("log time", 15),) and chosen.skipped == ()
    people = [f for f in chosen.findings if f.kind is FindingKind.PERSON]
    assert people and min(r.distance_m(f.lat_deg, f.lon_deg) for f in people) <= 3.0


def test_a_clip_without_subtitles_is_placed_from_the_log_and_takes_no_camera_shot(
        flown, tmp_path):
    """An autopilot's drone recording video: the frames take the logged track at their
    times (the clip ends when its file was closed); a photo the autopilot logged
    meanwhile is no frame of the video's."""
    r, clip, path = flown
    bare = tmp_path / "flight.mp4"
    bare.write_bytes(clip.read_bytes())
    start = WALL.timestamp()
    os.utime(bare, (start + 2.9, start + 2.9))  # its last frame, 2.9 s in
    messages = _track(path, start)
    far = path[0]
    messages.append((start + 1.0, {"mavpackettype": "CAMERA_FEEDBACK", "img_idx": 1,
                                   "lat": round((far.lat_deg + 0.01) * 1e7),
                                   "lng": round(far.lon_deg * 1e7), "alt_msl": 2000.0,
                                   "alt_rel": 60.0, "roll": 0.0, "pitch": 0.0, "yaw": 0.0}))
    log = write_ulog(sorted(messages, key=lambda m: m[0]), tmp_path / "flight.ulg")
    with Store(tmp_path / "s.sqlite") as store:
        report = analyse_flight([bare], log, r.zones, r.terrain, store, tmp_path / "map.html",
                                options=AnalysisOptions(camera=r.camera.camera,
                                                        clip_every_s=0.2))
    assert report.posed_by == (("log time", 15),) and report.skipped == ()
    assert report.shots_logged == report.shots_without_frame == 1
    people = [f for f in report.findings if f.kind is FindingKind.PERSON]
    assert people and min(r.distance_m(f.lat_deg, f.lon_deg) for f in people) <= 3.0
    assert math.isfinite(people[0].confidence)


def test_subtitles_that_put_the_camera_underground_are_skipped_and_said(flown, tmp_path):
    """A DJI absolute altitude on another datum (80 m low here): every ray would start
    underground and the frame would find nothing without a word."""
    r, clip, path = flown
    low = tmp_path / clip.name
    low.write_bytes(clip.read_bytes())
    write_subtitles(low.with_suffix(".SRT"),
                    [replace(pose, alt_amsl_m=pose.alt_amsl_m - 80.0) for pose in path], FPS,
                    WALL.timestamp())
    said: list[str] = []
    with Store(tmp_path / "s.sqlite") as store:
        report = analyse_flight([low], None, r.zones, r.terrain, store, tmp_path / "map.html",
                                announce=lambda a: said.append(a.text),
                                options=AnalysisOptions(camera=r.camera.camera))
    assert report.frames == 0 and report.skipped == (("camera below the ground", 6),)
    assert any("puts the camera 20 m below the ground" in s for s in said)
