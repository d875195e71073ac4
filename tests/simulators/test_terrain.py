"""The simulator's terrain database against ArduPilot's AP_Terrain, over real UDP.

Written from ArduPilot's libraries/AP_Terrain (TerrainGCS.cpp, TerrainUtil.cpp,
TerrainMission.cpp, AP_Arming::terrain_checks) and the reference ("More observed"):
terrain-frame items make the vehicle refuse to arm with "waiting for terrain data"
until a ground station has answered its TERRAIN_REQUESTs; TERRAIN_CHECK / TERRAIN_REPORT
say what is loaded. The ground station here answers as MAVProxy's terrain module does,
with its own arithmetic, from a made-up ground that is easy to check.
"""

from __future__ import annotations

import math
import time

from pymavlink.dialects.v20 import ardupilotmega as mav

from tests.simulators.conftest import STATION
from tests.simulators.gcs import Gcs
from tests.simulators.test_flight import GUIDED
from tests.simulators.test_protocol import REL

LAT, LON, ALT = STATION
TERRAIN = mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT
EARTH_M = 6378100.0  # MAVProxy's mp_util.gps_offset radius


def ground_m(lat: float, lon: float) -> float:
    """A tilted plane: 700 m at the station, +1 m per 10 m north, +1 m per 20 m east."""
    north = math.radians(lat - LAT) * EARTH_M
    east = math.radians(lon - LON) * EARTH_M * math.cos(math.radians(LAT))
    return 700.0 + north / 10.0 + east / 20.0


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (lat + math.degrees(north_m / EARTH_M),
            lon + math.degrees(east_m / (EARTH_M * math.cos(math.radians(lat)))))


def serve(gcs: Gcs, request: mav.MAVLink_message) -> int:
    """MAVProxy's answer: bit b is 4 posts x spacing, b // 8 north and b % 8 east."""
    sent = 0
    for bit in range(56):
        if not request.mask >> bit & 1:
            continue
        corner = offset(request.lat / 1e7, request.lon / 1e7,
                        4 * request.grid_spacing * (bit // 8),
                        4 * request.grid_spacing * (bit % 8))
        data = [round(ground_m(*offset(*corner, request.grid_spacing * (i // 4),
                                       request.grid_spacing * (i % 4)))) for i in range(16)]
        gcs.send("terrain_data", request.lat, request.lon, request.grid_spacing, bit, data)
        sent += 1
    return sent


def ready(gcs: Gcs) -> None:
    """Booted, and TERRAIN_REPORT asked for: ArduPilot sends its TERRAIN_REQUESTs in the
    same slot (MSG_TERRAIN), so a ground station that never asks gets none."""
    gcs.wait("HEARTBEAT")
    for msgid in (mav.MAVLINK_MSG_ID_TERRAIN_REPORT, mav.MAVLINK_MSG_ID_SYS_STATUS):
        gcs.send("command_long", 1, 1, mav.MAV_CMD_SET_MESSAGE_INTERVAL, 0, msgid, 200_000,
                 0, 0, 0, 0, 0)
    gcs.wait("SYS_STATUS", lambda m: m.onboard_control_sensors_health
             & mav.MAV_SYS_STATUS_PREARM_CHECK, timeout=20)


def route(frame: int) -> list[tuple]:
    items = [(mav.MAV_FRAME_GLOBAL_INT, 16, 0, 0, 0, 0, LAT, LON, ALT),
             (REL, 22, 0, 0, 0, 0, 0, 0, 30)]
    items += [(frame, 16, 0, 0, 0, 0, *offset(LAT, LON, 400.0 * k, 300.0), 50) for k in (1, 2)]
    return [*items, (REL, 20, 0, 0, 0, 0, 0, 0, 0)]


def arm(gcs: Gcs) -> mav.MAVLink_message:
    mark = len(gcs.history)
    gcs.send("command_long", 1, 1, mav.MAV_CMD_DO_SET_MODE, 0, 1, GUIDED, 0, 0, 0, 0, 0)
    gcs.send("command_long", 1, 1, mav.MAV_CMD_COMPONENT_ARM_DISARM, 0, 1, 0, 0, 0, 0, 0, 0)
    return gcs.wait("COMMAND_ACK", lambda a: a.command == mav.MAV_CMD_COMPONENT_ARM_DISARM,
                    since=mark)


def check(gcs: Gcs, lat: float, lon: float) -> mav.MAVLink_message:
    place = (round(lat * 1e7), round(lon * 1e7))
    mark = len(gcs.history)
    gcs.send("terrain_check", *place)
    return gcs.wait("TERRAIN_REPORT", lambda r: (r.lat, r.lon) == place, since=mark)


def test_a_terrain_mission_is_refused_until_its_terrain_is_served_then_arms(sim):
    gcs = sim()
    ready(gcs)
    assert gcs.upload(route(TERRAIN)) == mav.MAV_MISSION_ACCEPTED
    request = gcs.wait("TERRAIN_REQUEST")
    assert request.grid_spacing == 100 and 0 < request.mask < 1 << 56
    ack = arm(gcs)
    assert ack.result == mav.MAV_RESULT_FAILED
    gcs.wait("STATUSTEXT", lambda t: t.text == "Arm: waiting for terrain data", since=0)
    waypoint = route(TERRAIN)[3][6:8]
    assert check(gcs, *waypoint).spacing == 0  # nothing known there yet

    served, deadline = 0, time.monotonic() + 15
    while time.monotonic() < deadline:
        msg = gcs.wait(("TERRAIN_REQUEST", "TERRAIN_REPORT"))
        if msg.get_type() == "TERRAIN_REQUEST":
            served += serve(gcs, msg)
        elif served and msg.pending == 0 and msg.spacing:
            break
    report = check(gcs, *waypoint)
    assert report.spacing == 100 and report.pending == 0 and report.loaded >= 56
    assert abs(report.terrain_height - ground_m(*waypoint)) < 1.5  # the posts were placed right
    time.sleep(0.1)
    assert arm(gcs).result == mav.MAV_RESULT_ACCEPTED


def test_relative_altitude_missions_arm_with_no_terrain_served(sim):
    gcs = sim()
    ready(gcs)
    assert gcs.upload(route(REL)) == mav.MAV_MISSION_ACCEPTED
    gcs.wait("TERRAIN_REQUEST")  # TERRAIN_ENABLE 1: it still asks, as ArduCopter does
    assert arm(gcs).result == mav.MAV_RESULT_ACCEPTED


def test_terrain_data_for_a_block_never_requested_is_ignored(sim):
    gcs = sim()
    ready(gcs)
    far = (round((LAT + 0.3) * 1e7), round(LON * 1e7))
    gcs.send("terrain_data", *far, 100, 0, [1000] * 16)
    report = check(gcs, far[0] / 1e7, far[1] / 1e7)
    assert report.spacing == 0
