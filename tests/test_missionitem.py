"""Mission items as plain data, and how a read-back is judged the same."""

from __future__ import annotations

import math

import pytest

from dronewatch.missionitem import Cmd, Frame, MissionItem


def test_at_builds_int_coordinates():
    item = MissionItem.at(Cmd.NAV_WAYPOINT, 44.7674332, 88.6870206, 60)
    assert (item.x, item.y, item.z) == (447674332, 886870206, 60.0)
    assert item.lat_deg == pytest.approx(44.7674332)


def test_read_back_rules_of_ardupilot():
    waypoint = MissionItem.at(Cmd.NAV_WAYPOINT, 44.7, 88.6, 60, Frame.GLOBAL_RELATIVE_ALT_INT, 5)
    back = MissionItem(16, Frame.GLOBAL_RELATIVE_ALT, 5, 0, 0, 0, waypoint.x, waypoint.y, 60)
    assert waypoint.matches(back)
    assert not waypoint.matches(MissionItem(16, Frame.GLOBAL_RELATIVE_ALT, 5, 0, 0, 0,
                                            waypoint.x + 1, waypoint.y, 60))
    assert not waypoint.matches(MissionItem(16, Frame.GLOBAL, 5, 0, 0, 0, waypoint.x,
                                            waypoint.y, 60))  # AMSL is not relative
    speed = MissionItem(Cmd.DO_CHANGE_SPEED, Frame.MISSION, 1, 8, -1)
    assert speed.matches(MissionItem(178, Frame.GLOBAL, 1, 8, -1))
    assert not speed.matches(MissionItem(178, Frame.GLOBAL, 1, 9, -1))
    takeoff = MissionItem.at(Cmd.NAV_TAKEOFF, 44.7, 88.6, 40)
    assert takeoff.matches(MissionItem(22, Frame.GLOBAL_RELATIVE_ALT, z=40))
    nan_yaw = MissionItem(Cmd.NAV_WAYPOINT, param4=math.nan)
    assert nan_yaw.matches(MissionItem(16, param4=math.nan))


def test_positions_must_be_lat_lon():
    with pytest.raises(ValueError, match="not lat/lon"):
        MissionItem(16, x=950_000_000)
