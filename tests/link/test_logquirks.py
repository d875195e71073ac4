"""Flight logs as real autopilots write them, quirks and all, written with the real tools'
own writers (pymavlink's DataFlash and MAVLink classes, pyulog).

- ArduPilot before 4.0 logged a shot's angles as CAM Roll/Pitch/Yaw (R/P/Y since) and
  no image number; a vehicle with two GPS receivers logs GPS twice, instance I 0 and 1.
- Estimators log NaN (PX4 also zero quaternions) until they have converged; a gimbal
  that does not know its attitude reports a NaN quaternion.
Such a record is no pose and is skipped; the reader never crashes on it.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from types import MappingProxyType

import pytest
from pymavlink.DFReader import DFFormat, DFMessage
from pymavlink.dialects.v20 import ardupilotmega

from dronewatch.link._mavutil import MavMessage
from dronewatch.link.logs import FlightLogError, read_flight_log
from dronewatch.link.state import StateTracker
from tests.ops.logwriters import write_tlog, write_ulog_topics

GPS_EPOCH_UNIX_S, LEAP_S = 315964800, 18
START_UNIX_S = 1_760_000_000.0
LAT, LON = 44.67, 88.58


def _gps_time(unix_s: float) -> tuple[int, int]:
    total = unix_s + LEAP_S - GPS_EPOCH_UNIX_S
    week = int(total // 604800)
    return week, round((total - week * 604800) * 1000)


def _dataflash(path: Path, formats: dict[str, tuple[int, str, str]],
               rows: list[tuple[str, list]]) -> Path:
    fmt_fmt = DFFormat(0x80, "FMT", 89, "BBnNZ", "Type,Length,Name,Format,Columns")
    made = {name: DFFormat(t, name, 3 + struct.calcsize(DFFormat(t, name, 0, f, c).msg_struct),
                           f, c) for name, (t, f, c) in formats.items()}
    out = bytearray()
    for name, fmt in made.items():
        out += DFMessage(fmt_fmt, [fmt.type, fmt.len, name.encode(), fmt.format.encode(),
                                   ",".join(fmt.columns).encode()], True, None).get_msgbuf()
    for name, values in rows:
        out += DFMessage(made[name], values, True, None).get_msgbuf()
    path.write_bytes(bytes(out))
    return path


COPTER_36 = {  # ArduCopter 3.6's layouts: GPS without an instance, CAM with Roll/Pitch/Yaw
    "GPS": (130, "QBIHBcLLefffB", "TimeUS,Status,GMS,GWk,NSats,HDop,Lat,Lng,Alt,Spd,GCrs,VZ,U"),
    "ATT": (132, "QccccCCCC", "TimeUS,DesRoll,Roll,DesPitch,Pitch,DesYaw,Yaw,ErrRP,ErrYaw"),
    "CAM": (133, "QIHLLeeeccC", "TimeUS,GPSTime,GPSWeek,Lat,Lng,Alt,RelAlt,GPSAlt,Roll,Pitch,Yaw"),
}


def test_an_arducopter_3_6_log_gives_its_shots_with_their_roll_pitch_and_yaw(tmp_path):
    rows = []
    for k in range(20):
        us, (week, ms) = 60_000_000 + k * 200_000, _gps_time(START_UNIX_S + k * 0.2)
        lat = round((LAT + k * 1e-5) * 1e7)
        rows.append(("ATT", [us, 150, 150, -250, -250, 9000, 9000, 0, 0]))
        rows.append(("GPS", [us, 3, ms, week, 12, 80, lat, round(LON * 1e7), 71234,
                             5.0, 0.0, 0.0, 1]))
        if k % 5 == 2:
            rows.append(("CAM", [us + 1000, ms, week, lat, round(LON * 1e7), 71234, 8000,
                                 71234, 210, -320, 9150]))
    log = read_flight_log(_dataflash(tmp_path / "copter36.bin", COPTER_36, rows))
    assert log.kind == "dataflash" and log.clock == "unix" and log.shot_source == "CAM"
    assert len(log.poses) == 20 and len(log.shots) == 4
    shot = log.shots[0]
    assert shot.time_s == pytest.approx(START_UNIX_S + 0.4, abs=0.01)
    assert (shot.pose.attitude.roll_deg, shot.pose.attitude.pitch_deg,
            shot.pose.attitude.yaw_deg) == pytest.approx((2.10, -3.20, 91.50))
    assert shot.pose.alt_amsl_m == pytest.approx(712.34)
    assert log.poses[0].pose.attitude.yaw_deg == pytest.approx(90.0)


COPTER_44 = {
    "GPS": (130, "QBBIHBcLLeffffB",
            "TimeUS,I,Status,GMS,GWk,NSats,HDop,Lat,Lng,Alt,Spd,GCrs,VZ,Yaw,U"),
    "POS": (131, "QLLfff", "TimeUS,Lat,Lng,Alt,RelHomeAlt,RelOriginAlt"),
}


def test_two_gps_receivers_are_not_one_zigzag_track(tmp_path):
    """Without POS the poses come from GPS: the first receiver's only, not both
    interleaved (the second one here sits 50 m east)."""
    rows = []
    for k in range(10):
        us, (week, ms) = 60_000_000 + k * 200_000, _gps_time(START_UNIX_S + k * 0.2)
        for instance, lon in ((0, LON), (1, LON + 0.00063)):
            rows.append(("GPS", [us, instance, 3, ms, week, 12, 80, round(LAT * 1e7),
                                 round(lon * 1e7), 71234, 0.0, 0.0, 0.0, 0.0, 1]))
    log = read_flight_log(_dataflash(tmp_path / "two-gps.bin", {"GPS": COPTER_44["GPS"]}, rows))
    assert len(log.poses) == 10
    assert {round(p.pose.lon_deg, 5) for p in log.poses} == {LON}


def test_position_records_that_are_not_numbers_are_skipped(tmp_path):
    rows = []
    for k in range(10):
        us = 60_000_000 + k * 200_000
        alt = math.nan if k in (3, 4) else 712.0
        rows.append(("POS", [us, round(LAT * 1e7), round(LON * 1e7), alt, 80.0, 80.0]))
    log = read_flight_log(_dataflash(tmp_path / "nan.bin", {"POS": COPTER_44["POS"]}, rows))
    assert len(log.poses) == 8 and log.clock == "boot"
    assert log.gaps(0.3) == [pytest.approx((60.4, 61.0))]


def _ulog(path: Path, positions: list[tuple], attitudes: list[tuple]) -> Path:
    topics = {"vehicle_global_position": "uint64_t timestamp;double lat;double lon;float alt;",
              "vehicle_attitude": "uint64_t timestamp;float[4] q;"}
    return write_ulog_topics(topics, dict(zip(topics, (positions, attitudes), strict=True)),
                             path)


def test_a_px4_log_before_its_estimator_converged_is_skipped_not_fatal(tmp_path):
    """PX4 logs NaN positions and a zero quaternion until its estimator has converged."""
    positions, attitudes = [], []
    for k in range(20):
        us = 5_000_000 + k * 100_000
        early = k < 6
        positions.append((us, math.nan if early else LAT, math.nan if early else LON, 712.0))
        attitudes.append((us - 10, *((0.0, 0.0, 0.0, 0.0) if k < 8 else (1.0, 0.0, 0.0, 0.0))))
    log = read_flight_log(_ulog(tmp_path / "early.ulg", positions, attitudes))
    assert len(log.poses) == 12  # the first six have no position, the next two no attitude
    assert log.poses[0].time_s == pytest.approx(5.8)
    assert all(p.pose.attitude.roll_deg == 0.0 for p in log.poses)


def test_a_gimbal_that_does_not_know_its_attitude_is_a_gimbal_not_logged(tmp_path):
    """A NaN gimbal quaternion in a tlog: the camera is taken to look down (as with no
    gimbal at all), not to look at the horizon, and the positions are kept."""
    mav = ardupilotmega.MAVLink(None, srcSystem=1, srcComponent=1)
    out = bytearray()
    for k in range(10):
        stamp = START_UNIX_S + k * 0.2
        messages = [mav.gimbal_device_attitude_status_encode(
                        0, 0, k * 200, 0, [math.nan] * 4, math.nan, math.nan, math.nan, 0),
                    mav.global_position_int_encode(k * 200, round(LAT * 1e7),
                                                   round(LON * 1e7), 712000, 80000, 0, 0, 0, 0)]
        for message in messages:
            out += struct.pack(">Q", round(stamp * 1e6)) + message.pack(mav)
    (tmp_path / "gimbal.tlog").write_bytes(bytes(out))
    log = read_flight_log(tmp_path / "gimbal.tlog")
    assert len(log.poses) == 10
    assert all(p.pose.gimbal.pitch_deg == -90.0 for p in log.poses)


@pytest.mark.parametrize("q", [[math.nan] * 4, [0.0] * 4])
def test_a_live_gimbal_that_does_not_know_its_attitude_reports_none(q):
    """Live, the same NaN (or all-zero) quaternion leaves the gimbal's angles unknown,
    so a shot is posed as having no gimbal report, not as looking at the horizon."""
    tracker = StateTracker(1, stale_after_s=5.0)
    level = [math.cos(math.radians(-45)), 0.0, math.sin(math.radians(-45)), 0.0]
    for quaternion in (level, q):
        tracker.update(MavMessage("GIMBAL_DEVICE_ATTITUDE_STATUS", MappingProxyType(
            {"q": quaternion}), 1, 154, 0, 0.0))
        if quaternion is level:
            assert tracker.snapshot().gimbal_pitch_deg == pytest.approx(-90.0)
    state = tracker.snapshot()
    assert state.gimbal_pitch_deg is None and state.gimbal_yaw_deg is None


def test_a_px4_tlog_gives_its_shots_from_camera_image_captured(tmp_path):
    """A tlog QGroundControl recorded from PX4 has no CAMERA_FEEDBACK (ArduPilot's): its
    shots are CAMERA_IMAGE_CAPTURED, with the vehicle's attitude as a quaternion; a
    failed capture is no shot."""
    mav = ardupilotmega.MAVLink(None, srcSystem=1, srcComponent=1)
    yaw = math.radians(120.0)
    q = [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]
    out = bytearray()
    for k in range(20):
        stamp, lat = START_UNIX_S + k * 0.2, round((LAT + k * 1e-5) * 1e7)
        messages = [mav.global_position_int_encode(k * 200, lat, round(LON * 1e7), 712000,
                                                   80000, 0, 0, 0, 0)]
        if k % 5 == 2:
            messages.append(mav.camera_image_captured_encode(
                k * 200, 0, 0, lat, round(LON * 1e7), 712500, 80500, q, k // 5,
                0 if k == 12 else 1, b""))
        for message in messages:
            out += struct.pack(">Q", round(stamp * 1e6)) + message.pack(mav)
    (tmp_path / "px4.tlog").write_bytes(bytes(out))
    log = read_flight_log(tmp_path / "px4.tlog")
    assert log.shot_source == "CAMERA_IMAGE_CAPTURED"
    assert [s.image_index for s in log.shots] == [0, 1, 3]
    shot = log.shots[0]
    assert shot.time_s == pytest.approx(START_UNIX_S + 0.4)
    assert shot.pose.alt_amsl_m == pytest.approx(712.5)
    assert shot.pose.attitude.yaw_deg == pytest.approx(120.0)
    assert shot.pose.lat_deg == pytest.approx(LAT + 2e-5)


def test_a_ground_stations_tlog_of_two_drones_gives_one_drones_track(tmp_path):
    """A fleet flown on one link leaves one .tlog with both drones' messages interleaved;
    read together, the track would jump 1.1 km between them ten times a second. The
    drone with the most positions is read unless one is named."""
    both = write_tlog(tmp_path / "both.tlog", {1: (LAT, LON), 2: (LAT + 0.01, LON)},
                      START_UNIX_S)
    then = write_tlog(tmp_path / "then.tlog", {2: (LAT + 0.011, LON)}, START_UNIX_S + 10,
                      seconds=5)  # drone 1 landed; drone 2 flew on
    tlog = tmp_path / "fleet.tlog"
    tlog.write_bytes(both.read_bytes() + then.read_bytes())
    log = read_flight_log(tlog)
    assert (log.system, log.other_systems) == (2, (1,))
    assert len(log.poses) == 150 and len(log.shots) == 15
    assert all(abs(p.pose.lat_deg - LAT - 0.0105) < 0.001 for p in log.poses)
    first = read_flight_log(tlog, system=1)
    assert (first.system, first.other_systems) == (1, (2,))
    assert len(first.poses) == 100 and first.end_s < START_UNIX_S + 10
    assert all(abs(s.pose.lat_deg - LAT) < 0.001 for s in first.shots)
    with pytest.raises(FlightLogError, match=r"fleet\.tlog: no positions of MAVLink system 3 "
                                             r"in the log \(it holds 1 \(100 positions\), 2 "
                                             r"\(150 positions\)\)"):
        read_flight_log(tlog, system=3)
