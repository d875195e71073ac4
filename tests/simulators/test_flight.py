"""Flights over real UDP: AUTO missions, failsafes, the fence, several vehicles at once."""

from __future__ import annotations

import math

from pymavlink.dialects.v20 import ardupilotmega as mav

from tests.simulators.conftest import STATION
from tests.simulators.gcs import Gcs, SimProcess, free_udp_port
from tests.simulators.test_protocol import square_mission

LAT, LON, ALT = STATION
GUIDED, AUTO, RTL, LAND = 4, 3, 6, 9


def take_off(gcs: Gcs, alt: float = 40.0) -> None:
    gcs.wait_ready()
    assert gcs.set_mode(GUIDED) == 0
    assert gcs.command(mav.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
    assert gcs.command(mav.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt) == 0
    gcs.wait("GLOBAL_POSITION_INT", lambda p: p.relative_alt > (alt - 1) * 1000, timeout=20)


def mode_of(gcs: Gcs) -> int:
    return gcs.wait("HEARTBEAT").custom_mode


def wait_disarmed(gcs: Gcs, timeout: float = 60.0) -> None:
    gcs.wait("HEARTBEAT", lambda h: not h.base_mode & mav.MAV_MODE_FLAG_SAFETY_ARMED,
             timeout=timeout)


def test_auto_mission_reports_each_item_and_ends_landed(sim):
    gcs = sim()
    gcs.wait_ready()
    items = square_mission(4, alt=50.0)
    items.insert(2, (mav.MAV_FRAME_MISSION, mav.MAV_CMD_DO_SET_CAM_TRIGG_DIST, 25, 0, 0, 0,
                     0, 0, 0))
    assert gcs.upload(items) == 0
    assert gcs.set_mode(GUIDED) == 0
    assert gcs.command(mav.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
    assert gcs.command(mav.MAV_CMD_MISSION_START) == 0
    wait_disarmed(gcs, timeout=60)
    reached = [m.seq for m in gcs.history if m.get_type() == "MISSION_ITEM_REACHED"]
    nav_seqs = [i for i, item in enumerate(items) if item[1] in (16, 22, 20) and i > 0]
    assert reached == nav_seqs  # takeoff, each waypoint, RTL; no DO items
    texts = gcs.texts()
    assert "Mission: 1 Takeoff" in texts and "Reached command #3" in texts
    assert texts.index("Reached command #3") < texts.index("Disarming motors")
    feedback = [m for m in gcs.history if m.get_type() == "CAMERA_FEEDBACK"]
    assert len(feedback) > 10
    assert [f.img_idx for f in feedback] == list(range(1, len(feedback) + 1))
    last = gcs.wait("GLOBAL_POSITION_INT")
    assert abs(last.relative_alt) < 500 and abs(last.lat / 1e7 - LAT) < 2e-5


def test_battery_low_returns_home_and_critical_lands(sim):
    gcs = sim("--param", "BATT_CAPACITY=1000", "--param", "BATT_LOW_MAH=800",
              "--param", "BATT_FS_LOW_ACT=2", "--param", "BATT_CRT_MAH=700",
              "--param", "BATT_FS_CRT_ACT=1")
    take_off(gcs, 40)
    assert gcs.command_int(mav.MAV_CMD_DO_REPOSITION, mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                           LAT + 0.01, LON, 40, -1, 0, 0, math.nan) == 0
    gcs.wait("STATUSTEXT", lambda s: s.text.startswith("Battery 1 is low"), timeout=30)
    gcs.wait("HEARTBEAT", lambda h: h.custom_mode == RTL
             and h.system_status == mav.MAV_STATE_CRITICAL)
    gcs.wait("STATUSTEXT", lambda s: s.text.startswith("Battery 1 is critical"), timeout=30)
    gcs.wait("HEARTBEAT", lambda h: h.custom_mode == LAND)
    wait_disarmed(gcs)


def test_lost_ground_station_triggers_rtl(sim):
    # 30 s at 10x, not the default 5 s at 50x: that is a tenth of a wall second, and at 50x even
    # 30 s (0.6 wall s) was once outlasted by a loaded CI machine pausing our heartbeats during
    # the takeoff, so the failsafe fired before the test cut them. 3 wall seconds is safe.
    gcs = sim("--param", "FS_GCS_ENABLE=1", "--param", "FS_GCS_TIMEOUT=30", speedup=10)
    take_off(gcs, 30)
    assert gcs.command_int(mav.MAV_CMD_DO_REPOSITION, mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                           LAT + 0.003, LON, 30, -1, 0, 0, math.nan) == 0
    gcs.stop_heartbeats()
    gcs.wait("STATUSTEXT", lambda s: s.text == "GCS Failsafe", timeout=10)
    assert gcs.wait("HEARTBEAT", lambda h: h.custom_mode == RTL).system_status == \
        mav.MAV_STATE_CRITICAL
    wait_disarmed(gcs)
    home = gcs.wait("GLOBAL_POSITION_INT")
    assert abs(home.lat / 1e7 - LAT) < 2e-5 and abs(home.lon / 1e7 - LON) < 3e-5


def test_fence_breach_returns_home_and_is_reported(sim):
    gcs = sim("--param", "FENCE_ENABLE=1", "--param", "FENCE_TYPE=4")
    gcs.wait("HEARTBEAT")
    ring = [(LAT - 0.002, LON - 0.002), (LAT - 0.002, LON + 0.002), (LAT + 0.002, LON + 0.002),
            (LAT + 0.002, LON - 0.002)]
    fence = [(mav.MAV_FRAME_GLOBAL_INT, 5001, 4, 0, 0, 0, a, b, 0) for a, b in ring]
    assert gcs.upload(fence, mav.MAV_MISSION_TYPE_FENCE) == 0
    gcs.wait("STATUSTEXT", lambda s: s.text == "Fence Indexed OK", since=0)
    take_off(gcs, 30)
    assert gcs.command_int(mav.MAV_CMD_DO_REPOSITION, mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                           LAT + 0.01, LON, 30, -1, 0, 0, math.nan) == 0
    gcs.wait("STATUSTEXT", lambda s: s.text == "Fence Breached", timeout=20)
    status = gcs.wait("FENCE_STATUS", lambda f: f.breach_count == 1)
    assert status.breach_type == mav.FENCE_BREACH_BOUNDARY
    gcs.wait("HEARTBEAT", lambda h: h.custom_mode == RTL)
    wait_disarmed(gcs)
    position = gcs.wait("GLOBAL_POSITION_INT")
    assert abs(position.lat / 1e7 - LAT) < 0.002  # back inside, at home


def test_gimbal_and_roi_commands_move_the_reported_gimbal(sim):
    gcs = sim()
    take_off(gcs, 50)
    assert gcs.command(mav.MAV_CMD_SET_MESSAGE_INTERVAL, 285, 50_000) == 0
    assert gcs.command(mav.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -30, 10) == 0

    def pitch(q: list[float]) -> float:
        w, x, y, z = q
        return math.degrees(math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x)))))

    gcs.wait("GIMBAL_DEVICE_ATTITUDE_STATUS", lambda g: abs(pitch(g.q) + 30) < 0.5)
    assert gcs.command_int(mav.MAV_CMD_DO_SET_ROI_LOCATION, mav.MAV_FRAME_GLOBAL_INT,
                           LAT, LON + 0.0005, ALT) == 0
    # Straight above-and-beside: ~40 m away horizontally, 50 m up -> about -51°.
    gcs.wait("GIMBAL_DEVICE_ATTITUDE_STATUS", lambda g: -60 < pitch(g.q) < -45)


def test_two_vehicles_with_their_own_sysids_and_ports():
    port = free_udp_port()
    process = SimProcess(["--home", f"{LAT},{LON},{ALT},0", "--listen", f"udp:127.0.0.1:{port}",
                          "--instances", "2", "--speedup", "20", "--boot-time", "1"])
    try:
        first = Gcs(f"udpout:127.0.0.1:{port}", heartbeat_hz=20)
        second = Gcs(f"udpout:127.0.0.1:{port + 10}", heartbeat_hz=20, target=2)
        assert first.wait("HEARTBEAT").get_srcSystem() == 1
        assert second.wait("HEARTBEAT").get_srcSystem() == 2
        first.close()
        second.close()
    finally:
        process.stop()
