"""Fence on, ready or why not, and a launch that survives loss: dronewatch.link over UDP."""

from __future__ import annotations

import time

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mav

from dronewatch.link import LaunchError, NotReadyError, connect
from dronewatch.link.fence import FenceSettings
from dronewatch.missionitem import Cmd, Frame, MissionItem, MissionType
from tests.link.relay import CuttableRelay, random_loss
from tests.link.test_link import FAST, LAT, LON, survey


def _inclusion(d_deg: float = 0.01, lat: float = LAT, lon: float = LON) -> list[MissionItem]:
    ring = [(lat - d_deg, lon - d_deg), (lat - d_deg, lon + d_deg), (lat + d_deg, lon + d_deg),
            (lat + d_deg, lon - d_deg)]
    return [MissionItem.at(Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, a, b, 0, Frame.GLOBAL_INT, 4)
            for a, b in ring]


def test_the_fence_is_off_after_upload_and_on_after_enable_as_read_back(sim_url):
    with connect(sim_url(), **FAST) as vehicle:
        vehicle.upload(_inclusion(), MissionType.FENCE)
        before = vehicle.fence_settings()
        assert not before.enabled and before.problems()[0].startswith("the geofence is not")
        settings = vehicle.enable_fence(alt_max_m=140)
        assert settings == FenceSettings(enabled=True, fence_type=5, action=1, alt_max_m=140)
        assert vehicle.get_param("FENCE_ENABLE") == 1  # the vehicle's own parameter
        assert settings.problems(alt_max_m=140) == []


def test_wait_ready_reports_the_vehicles_own_prearm_reason(sim_url):
    with connect(sim_url(boot_time=60, speedup=20), heartbeat_hz=20) as vehicle:
        with pytest.raises(NotReadyError, match=r"not ready to arm after 2 s: PreArm: ") as err:
            vehicle.wait_ready(2.0)  # PreArm comes every 30 s: 1.5 s here
        assert err.value.reason.startswith("PreArm: ")
        ready = vehicle.wait_ready(10.0)  # 60 s of boot at 20x
        assert ready.prearm_ok and ready.gps_fix_type >= 3


def test_the_speedup_is_measured_from_the_vehicles_clock(sim_url):
    with connect(sim_url(speedup=10), heartbeat_hz=10) as vehicle:
        vehicle.wait_ready(10.0)
        vehicle.wait_for(lambda s: s.clock_rate == s.clock_rate, 2, "a clock rate")
        assert 7.0 < vehicle.speedup < 11.0
        assert vehicle.reply_timeout_s <= 0.2  # 1.5 s of its clock at most
        assert vehicle.retries * vehicle.reply_timeout_s >= 0.6  # 6 s of its clock


def _fly_ready(vehicle) -> None:
    vehicle.wait_ready(10.0)
    vehicle.upload(survey(legs=3, alt=30))
    vehicle.set_current(1)


def test_launch_through_a_20_percent_lossy_relay_ends_airborne_in_auto(sim_url):
    url = sim_url(speedup=10)
    relay = CuttableRelay(int(url.rsplit(":", 1)[1]), drop_to_vehicle=random_loss(0.2, 5),
                          drop_to_gcs=random_loss(0.2, 6))
    try:
        with connect(f"udpout:127.0.0.1:{relay.port}", heartbeat_hz=10) as vehicle:
            _fly_ready(vehicle)
            report = vehicle.launch(30)
            assert report.state.mode == "AUTO" and report.state.armed
            assert report.state.alt_rel_m > 2.0 and report.seconds < 5.0
            vehicle.wait_for(lambda s: s.mission_seq >= 2, 20, "the mission flown on")
    finally:
        relay.close()


def test_a_vehicle_that_disarmed_itself_waiting_for_the_takeoff_is_armed_again(sim_url):
    # Every take-off command of the first 1.5 wall seconds is lost: at 10x, DISARM_DELAY
    # (10 s) runs out after 1 wall second and the vehicle disarms on the ground.
    parser = mav.MAVLink(None)
    parser.robust_parsing = True
    lost: list[float] = []

    def lose_takeoffs(data: bytes) -> bool:
        for msg in parser.parse_buffer(data) or []:
            if msg.get_type() == "COMMAND_LONG" and msg.command == 22 and (
                    not lost or time.monotonic() - lost[0] < 1.5):
                lost.append(time.monotonic())
                return True
        return False

    url = sim_url(speedup=10)
    relay = CuttableRelay(int(url.rsplit(":", 1)[1]), drop_to_vehicle=lose_takeoffs)
    try:
        with connect(f"udpout:127.0.0.1:{relay.port}", heartbeat_hz=10) as vehicle, \
                vehicle.subscribe("STATUSTEXT") as texts:
            _fly_ready(vehicle)
            report = vehicle.launch(30)
            assert len(lost) > 5 and report.rearms >= 1
            assert texts.wait(lambda m: m["text"] == "Disarming motors", 0.1) is not None
            assert report.state.mode == "AUTO" and report.state.alt_rel_m > 2.0
    finally:
        relay.close()


def test_a_refused_arm_names_the_step_and_the_vehicles_reason(sim_url):
    url = sim_url("--param", "FENCE_ENABLE=1", "--param", "FENCE_TYPE=4")
    with connect(url, **FAST) as vehicle:
        vehicle.upload(_inclusion(0.002, LAT + 0.01), MissionType.FENCE)  # home outside
        vehicle.wait_for(lambda s: s.time_boot_s > 3, 10, "booted")  # boot time 2 s
        vehicle.upload(survey(legs=2))
        with pytest.raises(LaunchError) as err:
            vehicle.launch(30)
        assert err.value.step == "arm"
        assert "launch failed at step 'arm'" in str(err.value)
        assert "Fence: vehicle outside fence" in str(err.value)
        assert not vehicle.state.armed
