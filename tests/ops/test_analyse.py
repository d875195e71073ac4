"""Post-flight analysis: a search flown over real UDP, its frames and .tlog analysed later.

The issue's proof: a recorded flight analysed after the fact gives the same findings as
the live search did. The frames are saved without their pose (as a camera that knows
nothing of the drone writes them), so every pose comes from the log. The same flight
is then written as a DataFlash .BIN (pymavlink's writer) and a PX4 .ulg (pyulog's), and
every reader must give the tlog's poses.
"""

from __future__ import annotations

import json
import shutil
from itertools import pairwise

import numpy as np
import pytest
from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.link import CameraShot, connect
from dronewatch.link.logs import FlightLogError, camera_pose, read_flight_log
from dronewatch.ops import run_search
from dronewatch.ops.analyse import AnalysisOptions, analyse_flight
from dronewatch.ops.feed import pose_from_feedback
from dronewatch.store import Store
from dronewatch.thermal import Frame, write_frame
from tests.ops.logwriters import tlog_messages, write_dataflash, write_ulog
from tests.ops.rehearsal import SPEEDUP, drone, rehearsal


@pytest.fixture(scope="module")
def flown(tmp_path_factory):
    """One live search (a person near the alarm), its tlog, and its frames on disk."""
    tmp = tmp_path_factory.mktemp("flown")
    frames = tmp / "frames"
    with rehearsal(person_offset_m=(15.0, 10.0), radius_m=90.0) as r:
        with drone(r.plan.home) as sim, \
                connect(sim.url, heartbeat_hz=SPEEDUP / 5, telemetry_scale=10 / SPEEDUP,
                        stale_after_s=1.0, tlog_path=tmp / "flight.tlog") as vehicle, \
                Store(tmp / "live.sqlite") as store:
            vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
            n = 0

            def camera(pose, when):  # a camera that writes its frames into a folder
                nonlocal n
                n += 1
                f = r.camera.render(pose, when)
                path = write_frame(Frame(f.pixels, f.unit, f.time_unix_s, f.camera),
                                   frames / f"frame-{n:04d}.png")
                return Frame(f.pixels, f.unit, f.time_unix_s, f.camera, f.pose, str(path))

            live = run_search(r.request, vehicle, r.zones, r.terrain, camera, store,
                              tmp / "live-map.html", plan=r.plan)
        assert live.frames >= 5 and live.frames_failed == 0, live
        yield r, live, tmp


def _same(a: dict, b) -> bool:
    return (a["kind"], a["status"]) == (b.kind.value, b.status.value) \
        and abs(a["lat_deg"] - b.lat_deg) < 1e-7 and abs(a["lon_deg"] - b.lon_deg) < 1e-7 \
        and abs(a["confidence"] - round(b.confidence, 3)) < 1e-9


def test_a_recorded_flight_analysed_later_finds_what_the_live_search_found(flown, tmp_path):
    _, live, tmp = flown
    result = CliRunner().invoke(app, [
        "analyse", str(tmp / "frames"), "--log", str(tmp / "flight.tlog"),
        "--store", str(tmp_path / "s.sqlite"), "--out-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output  # 0: a person raised the alarm
    report = json.loads(result.stdout)
    assert report["log_kind"] == "tlog" and report["log_clock"] == "unix"
    assert report["frames"] == live.frames
    assert report["posed_by"] == {"logged shot": live.frames}
    assert report["skipped"] == {} and report["gaps"] == []
    # the pre-flight test shot has no frame: every other logged shot has one
    assert report["shot_source"] == "CAMERA_FEEDBACK"
    assert report["shots_without_frame"] == report["shots_logged"] - live.frames == 1
    assert len(report["findings"]) == len(live.findings) > 0
    assert any(f["kind"] == "person" and f["status"] == "alarm" for f in report["findings"])
    for a, b in zip(sorted(report["findings"], key=lambda f: (f["lat_deg"], f["lon_deg"])),
                    sorted(live.findings, key=lambda f: (f.lat_deg, f.lon_deg)), strict=True):
        assert _same(a, b), (a, b)
        # the frame that shows it best, to look at again with one's own eyes
        assert (tmp / "frames" / a["best_seen_in"].rsplit("/", 1)[-1]).is_file()
    with Store(tmp_path / "s.sqlite") as store:
        assert [f.id for f in store.findings(mission_id=report["mission_id"])] == \
            [f["id"] for f in report["findings"]]
        (flight,) = store.flights(report["mission_id"])
        assert len(store.track(flight.id)) > 10
    assert "Flown track" in (tmp_path / "analysis-map.html").read_text()


def test_a_shots_pose_is_made_as_the_live_search_makes_it():
    class State:
        gimbal_pitch_deg, gimbal_yaw_deg = -80.0, 5.0

    shot = CameraShot(1, 43.1234567, 105.1234567, 1234.5, 40.0, 1.5, -2.0, -10.0, 0.0, 0.0)
    assert camera_pose(43.1234567, 105.1234567, 1234.5, 1.5, -2.0, -10.0, -80.0, 5.0) == \
        pose_from_feedback(shot, State())


@pytest.mark.parametrize("writer", [write_dataflash, write_ulog])
def test_dataflash_and_ulog_give_the_tlogs_poses_and_shots(flown, tmp_path, writer):
    _, _, tmp = flown
    tlog = read_flight_log(tmp / "flight.tlog")
    path = writer(tlog_messages(tmp / "flight.tlog"),
                  tmp_path / ("flight.BIN" if writer is write_dataflash else "flight.ulg"))
    other = read_flight_log(path)
    assert other.clock == "unix" and other.shot_source in ("CAM", "camera_capture")
    assert len(other.poses) == len(tlog.poses) and len(other.shots) == len(tlog.shots)
    for a, b in [*zip(other.shots, tlog.shots, strict=True),
                 *zip(other.poses, tlog.poses, strict=True)]:
        assert abs(a.time_s - b.time_s) < 2e-3
        assert abs(a.pose.lat_deg - b.pose.lat_deg) < 1e-7
        assert abs(a.pose.lon_deg - b.pose.lon_deg) < 1e-7
        assert abs(a.pose.alt_amsl_m - b.pose.alt_amsl_m) < 0.01
        for x, y in zip((a.pose.attitude.roll_deg, a.pose.attitude.pitch_deg,
                         a.pose.attitude.yaw_deg), (b.pose.attitude.roll_deg,
                         b.pose.attitude.pitch_deg, b.pose.attitude.yaw_deg), strict=True):
            assert abs((x - y + 180) % 360 - 180) < 0.01  # DataFlash keeps centidegrees


def test_frames_posed_from_a_ulog_find_the_person(flown, tmp_path):
    """Only the frames that saw the person, posed from the PX4 log's camera_capture."""
    r, live, tmp = flown
    ulg = write_ulog(tlog_messages(tmp / "flight.tlog"), tmp_path / "flight.ulg")
    person = next(f for f in live.findings if f.kind.value == "person")
    (frames := tmp_path / "frames").mkdir()
    for path in sorted((tmp / "frames").glob("*.png")):
        stamp = json.loads(path.with_suffix(".json").read_text())["time_unix_s"]
        if person.first_seen_unix_s <= stamp <= person.last_seen_unix_s:
            shutil.copy(path, frames)
            shutil.copy(path.with_suffix(".json"), frames)
    with Store(tmp_path / "s.sqlite") as store:
        report = analyse_flight([frames], ulg, r.zones, r.terrain, store, tmp_path / "m.html")
    assert dict(report.posed_by) == {"logged shot": person.evidence_count}
    (found,) = [f for f in report.findings if f.kind.value == "person"]
    assert r.distance_m(found.lat_deg, found.lon_deg) <= 3.0


def test_shots_stamped_late_by_the_link_still_pair_with_their_own_frames(flown, tmp_path):
    """The ground station stamps a shot when it arrives: here 2.5 shot intervals after the
    camera took it. Every frame's nearest shot is then a later frame's; each must still
    get its own shot's pose, and so the live search's findings."""
    _, live, tmp = flown
    messages = tlog_messages(tmp / "flight.tlog")
    shots = [t for t, m in messages if m["mavpackettype"] == "CAMERA_FEEDBACK"][1:]
    lag_s = 2.5 * float(np.median(np.diff(shots)))
    assert lag_s < AnalysisOptions().match_within_s
    late = [(t + lag_s if m["mavpackettype"] == "CAMERA_FEEDBACK" else t, m)
            for t, m in messages]
    ulg = write_ulog(sorted(late, key=lambda tm: tm[0]), tmp_path / "late.ulg")
    with Store(tmp_path / "s.sqlite") as store:
        report = analyse_flight([tmp / "frames"], ulg, flown[0].zones, flown[0].terrain, store,
                                tmp_path / "m.html")
    assert dict(report.posed_by) == {"logged shot": live.frames}
    assert report.shots_without_frame == 1  # the pre-flight test shot
    assert len(report.findings) == len(live.findings)
    for a, b in zip(sorted(report.findings, key=lambda f: (f.lat_deg, f.lon_deg)),
                    sorted(live.findings, key=lambda f: (f.lat_deg, f.lon_deg)), strict=True):
        # within 0.1 m (the ULog's float32 attitudes); a neighbour's pose is metres off
        assert a.kind == b.kind and abs(a.lat_deg - b.lat_deg) < 1e-6 \
            and abs(a.lon_deg - b.lon_deg) < 1e-6


def test_frames_in_a_gap_of_the_log_are_skipped_and_the_gap_reported(flown, tmp_path):
    """Positions cut out of the middle of a log without camera events: frames are posed
    from the track by their time, and none is posed across the hole.

    (Times are wall seconds of a simulator at 40x: shots are some 0.2 s apart. A loaded
    machine can stall its telemetry for longer than the 0.5 s gap asked for here: the
    hole is cut where the flown log has none within 2.5 s, and its own stalls may be
    reported beside it.)
    """
    r, _, tmp = flown
    messages = tlog_messages(tmp / "flight.tlog")
    shots = [t for t, m in messages if m["mavpackettype"] == "CAMERA_FEEDBACK"][1:]
    stalls = [(a, b) for a, b in pairwise(t for t, m in messages
                                          if m["mavpackettype"] == "GLOBAL_POSITION_INT")
              if b - a > 0.5]
    middle = min((t for t in shots if all(b < t - 2.5 or a > t + 2.5 for a, b in stalls)),
                 key=lambda t: abs(t - shots[len(shots) // 2]))
    kept = [(t, m) for t, m in messages if m["mavpackettype"] != "CAMERA_FEEDBACK"
            and not (m["mavpackettype"] == "GLOBAL_POSITION_INT" and abs(t - middle) < 0.75)]
    ulg = write_ulog(kept, tmp_path / "cut.ulg")
    (frames := tmp_path / "frames").mkdir()
    inside = outside = 0
    for path in sorted((tmp / "frames").glob("*.png")):
        off_s = abs(json.loads(path.with_suffix(".json").read_text())["time_unix_s"] - middle)
        if off_s < 0.2 or 1.3 < off_s < 2.5:
            inside, outside = inside + (off_s < 0.2), outside + (off_s > 1.3)
            shutil.copy(path, frames)
            shutil.copy(path.with_suffix(".json"), frames)
    with Store(tmp_path / "s.sqlite") as store:
        report = analyse_flight([frames], ulg, r.zones, r.terrain, store, tmp_path / "m.html",
                                options=AnalysisOptions(max_gap_s=0.5))
    ((start, end),) = [(a, b) for a, b in report.gaps if a < middle < b]
    assert end - start >= 1.5
    assert all(any(a <= gap_end and gap_start <= b for a, b in stalls)
               for gap_start, gap_end in report.gaps if (gap_start, gap_end) != (start, end))
    assert inside >= 1 and dict(report.skipped) == {"in a gap of the log": inside}
    assert outside >= 1 and dict(report.posed_by) == {"log time": outside}
    assert report.shot_source == ""


def test_bad_input_is_one_line_naming_the_file(flown, tmp_path):
    r, _, tmp = flown
    bogus = tmp_path / "flight.tlog"
    bogus.write_bytes(b"\x00" * 100)
    with pytest.raises(FlightLogError, match=r"flight\.tlog: no vehicle positions"):
        read_flight_log(bogus)
    result = CliRunner().invoke(app, ["analyse", str(tmp / "frames"), "--log", str(bogus),
                                      "--store", str(tmp_path / "s.sqlite"),
                                      "--out-dir", str(tmp_path)])
    assert result.exit_code == 1 and "flight.tlog: no vehicle positions" in result.output
    (tmp_path / "x.ulg").write_bytes(b"ULog but not really")
    with pytest.raises(FlightLogError, match=r"x\.ulg: not a readable ULog"):
        read_flight_log(tmp_path / "x.ulg")
    result = CliRunner().invoke(app, ["analyse", str(tmp / "frames"), "--log",
                                      str(tmp_path / "flight.csv")], env={"COLUMNS": "400"})
    assert result.exit_code == 2 and "expected a .tlog, .BIN or .ulg" in result.output
    # a bad frame file is skipped and counted; the others are still analysed
    (frames := tmp_path / "frames").mkdir()
    for path in sorted((tmp / "frames").glob("*"))[:4]:
        shutil.copy(path, frames)
    (frames / "frame-0001.png").write_bytes(b"not a png")
    with Store(tmp_path / "t.sqlite") as store:
        report = analyse_flight([frames], tmp / "flight.tlog", r.zones, r.terrain, store,
                                tmp_path / "map.html")
    assert dict(report.skipped) == {"unreadable": 1} and report.frames == 1
