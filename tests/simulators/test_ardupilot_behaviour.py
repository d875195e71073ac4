"""ArduCopter behaviours seen on a real SITL (reference, "More observed"), over real UDP.

Each test is written from ../shared/reference/ardupilot-copter-behaviour.md, so the
simulator stays a fair stand-in: a late mission item draws MAV_MISSION_ERROR, an armed
copter left on the ground disarms after DISARM_DELAY, an uploaded fence is enforced only
once enabled, read-back normalises items, and pre-arm failures are repeated as "PreArm:".
"""

from __future__ import annotations

import math

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mav

from tests.simulators.conftest import STATION
from tests.simulators.gcs import Gcs
from tests.simulators.test_flight import GUIDED, RTL, take_off, wait_disarmed
from tests.simulators.test_protocol import REL, square_mission

LAT, LON, ALT = STATION
ARMED = mav.MAV_MODE_FLAG_SAFETY_ARMED


def _fence(mission_type: int) -> list[tuple]:
    if mission_type == mav.MAV_MISSION_TYPE_FENCE:
        ring = [(LAT - 0.01, LON - 0.01), (LAT - 0.01, LON + 0.01), (LAT + 0.01, LON + 0.01)]
        return [(mav.MAV_FRAME_GLOBAL_INT, 5001, 3, 0, 0, 0, a, b, 0) for a, b in ring]
    if mission_type == mav.MAV_MISSION_TYPE_RALLY:
        return [(REL, 5100, 0, 0, 0, 0, LAT + 0.002 * k, LON, 40) for k in range(2)]
    return square_mission(3)


@pytest.mark.parametrize("mission_type", [0, 1, 2])
def test_an_item_after_the_final_accepted_is_answered_with_mission_error(sim, mission_type):
    gcs = sim()
    gcs.wait("HEARTBEAT")
    items = _fence(mission_type)
    assert gcs.upload(items, mission_type) == mav.MAV_MISSION_ACCEPTED
    # The ground station never saw that ACCEPTED and sends the final item again.
    frame, command, p1, p2, p3, p4, lat, lon, alt = items[-1]
    mark = len(gcs.history)
    gcs.send("mission_item_int", 1, 1, len(items) - 1, frame, command, 0, 1, p1, p2, p3, p4,
             round(lat * 1e7), round(lon * 1e7), alt, mission_type)
    ack = gcs.wait("MISSION_ACK", since=mark)
    assert (ack.type, ack.mission_type) == (mav.MAV_MISSION_ERROR, mission_type)
    assert len(gcs.download(mission_type)) == len(items)  # the list is complete and kept


def test_an_item_nobody_asked_for_is_answered_with_mission_error(sim):
    gcs = sim()
    gcs.wait("HEARTBEAT")
    gcs.send("mission_item_int", 1, 1, 0, REL, 16, 0, 1, 0, 0, 0, 0, 0, 0, 50, 0)
    assert gcs.wait("MISSION_ACK").type == mav.MAV_MISSION_ERROR


def test_read_back_normalises_like_arducopter(sim):
    gcs = sim()
    gcs.wait("HEARTBEAT")
    mission = [(mav.MAV_FRAME_GLOBAL_INT, 16, 0, 0, 0, 0, LAT, LON, ALT),
               (REL, 22, 0, 0, 0, 0, 0, 0, 30),
               (REL, mav.MAV_CMD_NAV_LOITER_TIME, 5, 0, 0, 0, LAT + 0.001, LON, 30),
               (mav.MAV_FRAME_MISSION, 178, 1, 8, -1, 0, 0, 0, 0),
               (REL, mav.MAV_CMD_NAV_LAND, 0, 0, 0, 0, LAT, LON, 0)]
    assert gcs.upload(mission) == mav.MAV_MISSION_ACCEPTED
    back = gcs.download()
    assert back[2].frame == mav.MAV_FRAME_GLOBAL_RELATIVE_ALT and back[2].param3 == 1
    assert back[3].frame == mav.MAV_FRAME_GLOBAL and back[3].param2 == 8
    assert back[4].param4 == 1
    assert all(item.autocontinue == 1 for item in back[1:])
    for mission_type in (mav.MAV_MISSION_TYPE_FENCE, mav.MAV_MISSION_TYPE_RALLY):
        assert gcs.upload(_fence(mission_type), mission_type) == mav.MAV_MISSION_ACCEPTED
        back = gcs.download(mission_type)
        assert {item.autocontinue for item in back} == {0}
        assert {item.frame for item in back} <= {mav.MAV_FRAME_GLOBAL,
                                                 mav.MAV_FRAME_GLOBAL_RELATIVE_ALT}


def _armed_until(gcs: Gcs, timeout: float = 10.0) -> tuple[float, float]:
    """Vehicle seconds (time_boot) when armed was first and last seen."""
    first = last = None
    while True:
        hb = gcs.wait("HEARTBEAT", timeout=timeout)
        now = gcs.wait("SYSTEM_TIME", timeout=timeout).time_boot_ms / 1000
        if hb.base_mode & ARMED:
            first = now if first is None else first
            last = now
        elif first is not None:
            return first, last


def test_armed_on_the_ground_disarms_itself_after_disarm_delay(sim):
    gcs = sim(speedup=20)
    gcs.wait_ready()
    assert gcs.set_mode(GUIDED) == 0
    before = gcs.wait("SYSTEM_TIME").time_boot_ms / 1000
    assert gcs.command(mav.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
    first, last = _armed_until(gcs)
    # DISARM_DELAY: 10 s of vehicle time. It armed between `before` and `first`; on a
    # loaded machine `first` can be seen seconds of vehicle time late (20x), so each
    # bound is taken from the side it holds on
    assert last - first <= 11.0 and last - before >= 8.5
    gcs.wait("STATUSTEXT", lambda s: s.text == "Disarming motors", since=0)


def test_armed_then_auto_without_a_start_also_disarms(sim):
    # The lossy launch: ARM arrived, the start command did not.
    gcs = sim(speedup=20)
    gcs.wait_ready()
    assert gcs.upload(square_mission(2)) == mav.MAV_MISSION_ACCEPTED
    assert gcs.set_mode(GUIDED) == 0
    assert gcs.command(mav.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
    assert gcs.set_mode(3) == 0
    wait_disarmed(gcs, timeout=5)
    assert gcs.wait("HEARTBEAT").custom_mode == 3  # disarmed, in AUTO, on the ground


def test_disarm_delay_zero_never_disarms(sim):
    gcs = sim("--param", "DISARM_DELAY=0", speedup=50)
    gcs.wait_ready()
    assert gcs.set_mode(GUIDED) == 0
    assert gcs.command(mav.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
    start = gcs.wait("SYSTEM_TIME").time_boot_ms
    gcs.wait("SYSTEM_TIME", lambda t: t.time_boot_ms > start + 20_000, timeout=5)
    assert gcs.wait("HEARTBEAT").base_mode & ARMED


def _fly_across_a_no_fly_box(gcs: Gcs) -> None:
    """Upload an exclusion box 300-500 m north, take off, and fly 1 km north."""
    box = [(LAT + 0.0027, LON - 0.002), (LAT + 0.0027, LON + 0.002),
           (LAT + 0.0045, LON + 0.002), (LAT + 0.0045, LON - 0.002)]
    fence = [(mav.MAV_FRAME_GLOBAL_INT, 5002, 4, 0, 0, 0, a, b, 0) for a, b in box]
    assert gcs.upload(fence, mav.MAV_MISSION_TYPE_FENCE) == 0
    take_off(gcs, 30)
    assert gcs.command_int(mav.MAV_CMD_DO_REPOSITION, mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                           LAT + 0.009, LON, 30, -1, 0, 0, math.nan) == 0


def test_an_uploaded_fence_is_not_enforced_while_fence_enable_is_0(sim):
    gcs = sim("--param", "FENCE_TYPE=4")  # FENCE_ENABLE stays at its default, 0
    _fly_across_a_no_fly_box(gcs)
    gcs.wait("GLOBAL_POSITION_INT", lambda p: p.lat / 1e7 > LAT + 0.0088, timeout=10)
    assert "Fence Breached" not in gcs.texts()  # it flew straight through the zone
    assert gcs.wait("HEARTBEAT").custom_mode == GUIDED
    assert gcs.wait("FENCE_STATUS").breach_count == 0


def test_an_enabled_fence_stops_the_vehicle_at_the_breach(sim):
    gcs = sim("--param", "FENCE_TYPE=4")
    gcs.wait("HEARTBEAT")
    assert gcs.command(mav.MAV_CMD_DO_FENCE_ENABLE, 1) == 0
    gcs.send("param_request_read", 1, 1, b"FENCE_ENABLE", -1)
    assert gcs.wait("PARAM_VALUE", lambda p: p.param_id == "FENCE_ENABLE").param_value == 1
    _fly_across_a_no_fly_box(gcs)
    gcs.wait("STATUSTEXT", lambda s: s.text == "Fence Breached", timeout=10)
    gcs.wait("HEARTBEAT", lambda h: h.custom_mode == RTL)
    farthest = max(m.lat / 1e7 for m in gcs.history if m.get_type() == "GLOBAL_POSITION_INT")
    assert farthest < LAT + 0.0035  # turned back at the zone's edge, not beyond it
    wait_disarmed(gcs)


def test_prearm_failures_repeat_as_prearm_texts_and_clear_the_ready_bit(sim):
    # Home outside the enabled fence's inclusion polygon: pre-arm fails, and says why.
    gcs = sim("--param", "FENCE_ENABLE=1", "--param", "FENCE_TYPE=4", speedup=20)
    ring = [(LAT + 0.01, LON + 0.01), (LAT + 0.01, LON + 0.02), (LAT + 0.02, LON + 0.02)]
    fence = [(mav.MAV_FRAME_GLOBAL_INT, 5001, 3, 0, 0, 0, a, b, 0) for a, b in ring]
    assert gcs.upload(fence, mav.MAV_MISSION_TYPE_FENCE) == 0
    gcs.request_streams(5)
    texts = [gcs.wait("STATUSTEXT", lambda s: s.text.startswith("PreArm: Fence"),
                      timeout=5).text for _ in range(2)]  # repeated every 30 s
    assert texts[0] == "PreArm: Fence: vehicle outside fence"
    status = gcs.wait("SYS_STATUS")
    assert not status.onboard_control_sensors_health & mav.MAV_SYS_STATUS_PREARM_CHECK


def _shot_answered(gcs: Gcs, wait_s: float = 0.5) -> bool:
    """One DIGICAM_CONTROL shot (ACKed whether or not a camera is set up): a feedback?"""
    mark = len(gcs.history)
    assert gcs.command(mav.MAV_CMD_DO_DIGICAM_CONTROL, 0, 0, 0, 0, 1) == 0
    try:
        gcs.wait("CAMERA_FEEDBACK", timeout=wait_s, since=mark)
    except TimeoutError:
        return False
    return True


def _reboot(gcs: Gcs) -> None:
    assert gcs.command(mav.MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN, 1) == 0
    gcs.wait_ready()  # message intervals were forgotten: asked again here


def test_cam1_type_takes_effect_only_after_a_reboot(sim):
    gcs = sim("--param", "CAM1_TYPE=0")
    gcs.wait_ready()
    assert not _shot_answered(gcs)  # no camera: the shot is ACKed, nothing comes
    assert gcs.set_param("CAM1_TYPE", 1) == 1
    assert not _shot_answered(gcs)  # set, not yet in effect
    _reboot(gcs)
    assert _shot_answered(gcs, wait_s=3.0)
    assert gcs.set_param("CAM1_TYPE", 0) == 0
    assert _shot_answered(gcs, wait_s=3.0)  # still the camera set up at boot
    _reboot(gcs)
    assert not _shot_answered(gcs)


def test_a_reboot_restarts_the_clock_and_is_refused_while_armed(sim):
    gcs = sim()
    take_off(gcs)
    assert gcs.command(mav.MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN, 1) == mav.MAV_RESULT_FAILED
    assert gcs.set_mode(RTL) == 0
    wait_disarmed(gcs)
    before = gcs.wait("SYSTEM_TIME").time_boot_ms
    _reboot(gcs)
    assert gcs.wait("SYSTEM_TIME").time_boot_ms < before
