"""The read-back comparison knows ArduPilot's normalisations, and nothing more."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dronewatch.link import connect
from dronewatch.link.readback import differences, same_item
from dronewatch.missionitem import Cmd, Frame, MissionItem, MissionType
from tests.link.test_link import FAST, LAT, LON

WP = MissionItem.at(Cmd.NAV_WAYPOINT, LAT, LON, 731.27, Frame.GLOBAL_INT)
LOITER = MissionItem.at(Cmd.NAV_LOITER_TIME, LAT, LON, 40, Frame.GLOBAL_RELATIVE_ALT_INT, 30)
LAND = MissionItem.at(Cmd.NAV_LAND, LAT, LON, 0, Frame.GLOBAL_RELATIVE_ALT_INT)
SPEED = MissionItem(Cmd.DO_CHANGE_SPEED, Frame.MISSION, 1, 8, -1)
VERTEX = MissionItem.at(Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION, LAT, LON, 0, Frame.GLOBAL_INT, 4)
RALLY = MissionItem.at(Cmd.NAV_RALLY_POINT, LAT, LON, 40, Frame.GLOBAL_RELATIVE_ALT_INT)


@pytest.mark.parametrize(("sent", "back", "kind"), [
    (WP, replace(WP, frame=Frame.GLOBAL, z=731.27001953125), MissionType.MISSION),
    (LOITER, replace(LOITER, frame=Frame.GLOBAL_RELATIVE_ALT, param3=1), MissionType.MISSION),
    (LAND, replace(LAND, frame=Frame.GLOBAL_RELATIVE_ALT, param4=1), MissionType.MISSION),
    (SPEED, replace(SPEED, frame=Frame.GLOBAL), MissionType.MISSION),
    (VERTEX, replace(VERTEX, frame=Frame.GLOBAL, autocontinue=False), MissionType.FENCE),
    (RALLY, replace(RALLY, frame=Frame.GLOBAL_RELATIVE_ALT, autocontinue=False),
     MissionType.RALLY),
])
def test_ardupilot_normalisations_are_the_same_item(sent, back, kind):
    assert same_item(sent, back, kind)


@pytest.mark.parametrize(("sent", "back", "kind"), [
    (WP, replace(WP, z=731.4), MissionType.MISSION),  # altitude changed
    (WP, replace(WP, x=WP.x + 1), MissionType.MISSION),  # place changed
    (WP, replace(WP, frame=Frame.GLOBAL_RELATIVE_ALT), MissionType.MISSION),  # frame
    (WP, replace(WP, autocontinue=False), MissionType.MISSION),  # missions keep it
    (LOITER, replace(LOITER, param3=2), MissionType.MISSION),  # only 0 reads as 1
    (replace(LOITER, param3=0.5), replace(LOITER, param3=1), MissionType.MISSION),
    (LAND, replace(LAND, param3=1), MissionType.MISSION),  # only param4 of LAND
    (WP, replace(WP, param4=1), MissionType.MISSION),  # not for other commands
    (SPEED, replace(SPEED, param2=9), MissionType.MISSION),
    (VERTEX, replace(VERTEX, y=VERTEX.y - 1), MissionType.FENCE),
    (RALLY, replace(RALLY, z=60), MissionType.RALLY),
])
def test_real_differences_are_caught(sent, back, kind):
    assert not same_item(sent, back, kind)


def test_differences_name_the_item_and_skip_the_home_slot():
    home = MissionItem.at(Cmd.NAV_WAYPOINT, 0, 0, 0, Frame.GLOBAL_INT)
    sent = [home, WP, SPEED]
    back = [replace(WP, frame=Frame.GLOBAL), replace(WP, frame=Frame.GLOBAL),
            replace(SPEED, param2=5)]
    (problem,) = differences(sent, back)
    assert problem.startswith("item 2:")
    assert differences(sent, back[:2]) == ["the vehicle holds 2 items, 3 were sent"]


def test_verified_upload_of_items_arducopter_normalises(sim_url):
    items = [MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL_INT), MissionItem(Cmd.NAV_TAKEOFF, z=30),
             LOITER, SPEED, LAND]
    fence = [MissionItem.at(Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION, LAT + dy, LON + dx, 0,
                            Frame.GLOBAL_INT, 3)
             for dy, dx in ((0.01, 0.01), (0.01, 0.02), (0.02, 0.02))]
    with connect(sim_url(), **FAST) as vehicle:
        assert vehicle.upload(items, verify=True).verified
        assert vehicle.upload(fence, MissionType.FENCE, verify=True).verified
        assert vehicle.upload([RALLY], MissionType.RALLY, verify=True).verified
        back = vehicle.download()
        assert back[2].param3 == 1 and back[4].param4 == 1  # the vehicle did normalise
