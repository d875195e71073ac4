"""Flight logs, damaged: read as far as they go, or refused naming the file; never a crash.

A card pulled before the autopilot closed its log, a copy cut short, a block of flash
gone bad: the operator's logs are not always whole. The three formats are written by
the real tools' own writers (pymavlink's MAVLink and DataFlash classes, pyulog) from one
short flight, then damaged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dronewatch.link.logs import FlightLogError, read_flight_log
from tests.mutations import damaged_copy, fuzzing
from tests.ops.logwriters import tlog_messages, write_dataflash, write_tlog, write_ulog

START_UNIX_S = 1_760_000_000.0
LAT, LON = 44.67, 88.58


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("logs")
    tlog = write_tlog(folder / "flight.tlog", {1: (LAT, LON)}, START_UNIX_S)
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
