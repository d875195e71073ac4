"""Zoneless EXIF times: read in the zone that fits the log, else the station's."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dronewatch.ops.frameclock import read_in, zone_of_zoneless

URUMQI = ZoneInfo("Asia/Urumqi")  # UTC+6
WALL = [datetime(2026, 12, 3, 22, 0, k, tzinfo=UTC).timestamp() for k in range(0, 50, 10)]


def test_a_wall_clock_time_is_read_in_the_zone_given():
    assert read_in(WALL[0], URUMQI) == WALL[0] - 6 * 3600
    assert read_in(WALL[0], UTC) == WALL[0]


@pytest.mark.parametrize(("window_shift_h", "offset_s", "expected", "why"), [
    (None, 0.0, URUMQI, "the station's"),  # no log: the station's zone is the only guess
    (0, 0.0, UTC, "which puts them in the log's time"),  # a GNSS-synced camera
    (-6, 0.0, URUMQI, "the station's, which puts them in the log's time"),  # a DJI phone
    (+3, 0.0, URUMQI, "the station's"),  # neither fits: the station's, and said
    (+6, 6 * 3600.0, UTC, "which puts them in the log's time"),  # a stated offset counts
])
def test_zoneless_times_are_read_in_the_zone_that_puts_them_in_the_log(
        window_shift_h, offset_s, expected, why):
    window = None if window_shift_h is None else (
        WALL[0] + window_shift_h * 3600 - 5, WALL[-1] + window_shift_h * 3600 + 5)
    zone, said = zone_of_zoneless(WALL, URUMQI, window, offset_s)
    assert zone is expected and said == why
