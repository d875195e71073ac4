"""Flight logs, damaged: read as far as they go, or refused naming the file; never a crash.

A card pulled before the autopilot closed its log, a copy cut short, a block of flash
gone bad: the operator's logs are not always whole. The three formats are written by
the real tools' own writers (pymavlink's MAVLink and DataFlash classes, pyulog) from one
short flight, then damaged.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymavlink.dialects.v20 import ardupilotmega as mav

from dronewatch.link.logs import FlightLogError, read_flight_log
from tests.mutations import damaged_copy, fuzzing
from tests.ops.logwriters import tlog_messages, write_dataflash, write_ulog

START_UNIX_S = 1_760_000_000.0
LAT, LON = 44.67, 88.58


def _tlog(path: Path) -> Path:
    """Ten seconds at 10 Hz: positions and attitudes, a camera shot each second."""
    link = mav.MAVLink(None, srcSystem=1, srcComponent=1)
    out = bytearray()

    def put(t: float, msg: mav.MAVLink_message) -> None:
        out.extend(struct.pack(">Q", round(t * 1e6)) + msg.pack(link))

    for k in range(100):
        t, lat = START_UNIX_S + k / 10, LAT + k * 1e-5
        put(t, mav.MAVLink_attitude_message(k * 100, 0.02, -0.01, math.radians(90), 0, 0, 0))
        put(t + 0.01, mav.MAVLink_global_position_int_message(
            k * 100, round(lat * 1e7), round(LON * 1e7), 812_000, 80_000, 0, 0, 0, 9000))
        if k % 10 == 5:
            put(t + 0.02, mav.MAVLink_camera_feedback_message(
                round(t * 1e6), 1, 0, k // 10 + 1, round(lat * 1e7), round(LON * 1e7),
                812.0, 80.0, 1.0, -0.5, 90.0, 0.0, 0, 0))
    path.write_bytes(bytes(out))
    return path


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("logs")
    tlog = _tlog(folder / "flight.tlog")
    messages = tlog_messages(tlog)
    return [tlog, write_dataflash(messages, folder / "flight.BIN"),
            write_ulog(messages, folder / "flight.ulg")]


def test_the_undamaged_logs_give_the_flight(logs):
    for path in logs:
        log = read_flight_log(path)
        assert len(log.poses) == 100 and len(log.shots) == 10, path


@fuzzing(200)
@given(st.data())
def test_a_damaged_log_is_read_as_far_as_it_goes_or_refused(logs, tmp_path, data):
    path = damaged_copy(data, logs, tmp_path)
    try:
        log = read_flight_log(path)
    except FlightLogError as exc:
        assert str(exc).startswith(str(path)), exc
    else:
        assert log.poses  # a log without positions is refused
        assert all(abs(p.pose.lat_deg) <= 90 and abs(p.pose.lon_deg) <= 180 for p in log.poses)
        times = [p.time_s for p in log.poses]
        assert times == sorted(times)
