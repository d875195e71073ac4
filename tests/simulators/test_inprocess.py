"""The simulated vehicle driven in-process: every message packs, flights are deterministic."""

from __future__ import annotations

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mav

from simulators.vehicle import HomeSpec, SimVehicle, VehicleConfig, run
from simulators.vehicle.missionitems import MissionItem
from simulators.vehicle.modes import CopterMode
from simulators.vehicle.telemetry import BUILDERS, camera_feedback_message
from tests.simulators.conftest import STATION
from tests.simulators.gcs import free_udp_port

HOME = HomeSpec(*STATION, 0.0)


def vehicle(seed: int = 1, **params: float) -> SimVehicle:
    config = VehicleConfig(home=HOME, listen=(f"udp:127.0.0.1:{free_udp_port()}",), seed=seed,
                           boot_time_s=1.0, params=tuple(params.items()))
    return SimVehicle(config)


def survey(v: SimVehicle, legs: int = 6, alt: float = 80.0) -> list[MissionItem]:
    items = [MissionItem(0, 0, 16), MissionItem(1, 3, 22, z=alt),
             MissionItem(2, 2, mav.MAV_CMD_DO_SET_CAM_TRIGG_DIST, param1=40.0)]
    for k in range(legs):
        lat, lon = v.frame.to_wgs84(400.0 * (k % 2), 120.0 * k)
        items.append(MissionItem(len(items), 6, 16, x=round(float(lat) * 1e7),
                                 y=round(float(lon) * 1e7), z=alt))
    items.append(MissionItem(len(items), 3, 20))
    return items


def fly_auto(v: SimVehicle, items: list[MissionItem]) -> None:
    v.mission.stores[mav.MAV_MISSION_TYPE_MISSION] = items
    run([v], speedup=0, duration_s=1.5)
    assert v.flight.set_mode(CopterMode.GUIDED) is None
    assert v.arm() is None
    assert v.flight.set_mode(CopterMode.AUTO) is None
    v.flight.auto.start()


def test_every_telemetry_message_packs():
    with vehicle() as v:
        run([v], speedup=0, duration_s=2.0)
        encoder = mav.MAVLink(None, 1, 1)
        for name, build in BUILDERS.items():
            msg = build(v)
            assert msg.get_type() == name
            assert msg.pack(encoder)
        assert camera_feedback_message(v).pack(encoder)


def test_auto_survey_flies_to_the_end_and_lands_home():
    with vehicle() as v:
        items = survey(v)
        fly_auto(v, items)
        run([v], speedup=0, duration_s=600)
        assert not v.armed and v.landed and not v.crashed
        assert abs(v.body.east_m) < 1.0 and abs(v.body.north_m) < 1.0
        assert v.flight.auto.finished
        # 5 legs of about 417 m plus the way back from the last: one picture per 40 m.
        assert 50 <= v.camera.image_count <= 75
        assert v.battery.consumed_mah > 0


def test_same_seed_same_flight_different_seed_different_gusts():
    def track(seed: int) -> tuple[float, float, float, float]:
        with vehicle(seed, SIM_WIND_SPD=6.0, SIM_WIND_TURB=2.0) as v:
            fly_auto(v, survey(v, legs=3))
            run([v], speedup=0, duration_s=90)
            return v.body.east_m, v.body.north_m, v.body.roll_deg, v.battery.consumed_mah

    first, again, other = track(3), track(3), track(4)
    assert first == again
    assert first[2] != other[2]


def test_flying_into_the_ground_is_a_crash():
    with vehicle() as v:
        lat, lon = v.frame.to_wgs84(300.0, 0.0)
        items = [MissionItem(0, 0, 16), MissionItem(1, 3, 22, z=20),
                 MissionItem(2, 0, 16, x=round(float(lat) * 1e7), y=round(float(lon) * 1e7),
                             z=v.home.alt_amsl_m - 50)]  # a waypoint 50 m underground
        fly_auto(v, items)
        run([v], speedup=0, duration_s=120)
        assert v.crashed and not v.armed
        assert v.system_status == mav.MAV_STATE_EMERGENCY


@pytest.mark.parametrize("frame", [mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT])
def test_terrain_frame_waypoints_follow_the_ground(frame):
    # no ground station serves terrain here: arming checks off (else "waiting for
    # terrain data", see test_terrain.py), and the vehicle follows the world's ground
    with vehicle(ARMING_CHECK=0) as v:
        lat, lon = v.frame.to_wgs84(0.0, 2500.0)
        items = [MissionItem(0, 0, 16), MissionItem(1, 3, 22, z=60),
                 MissionItem(2, frame, 16, x=round(float(lat) * 1e7), y=round(float(lon) * 1e7),
                             z=60)]
        fly_auto(v, items)
        heights = []
        for _ in range(40):
            run([v], speedup=0, duration_s=5)
            heights.append(v.body.alt_amsl_m - v.terrain_amsl(v.body.east_m, v.body.north_m))
        assert all(50 < h < 70 for h in heights[10:])


def test_armed_on_the_ground_without_takeoff_disarms_after_disarm_delay():
    with vehicle() as v:
        run([v], speedup=0, duration_s=1.5)
        assert v.flight.set_mode(CopterMode.GUIDED) is None and v.arm() is None
        run([v], speedup=0, duration_s=9.0)
        assert v.armed
        run([v], speedup=0, duration_s=2.0)
        assert not v.armed


def test_loiter_time_holds_for_its_seconds():
    with vehicle() as v:
        lat, lon = v.frame.to_wgs84(0.0, 100.0)
        items = [MissionItem(0, 0, 16), MissionItem(1, 3, 22, z=30),
                 MissionItem(2, 3, mav.MAV_CMD_NAV_LOITER_TIME, param1=20.0,
                             x=round(float(lat) * 1e7), y=round(float(lon) * 1e7), z=30),
                 MissionItem(3, 3, 16, x=round(float(lat) * 1e7),
                             y=round(float(lon) * 1e7) + 20_000, z=30)]
        fly_auto(v, items)
        while v.flight.auto.current < 2:
            run([v], speedup=0, duration_s=0.5)
        while v.flight.auto.nav.reached_at_s is None:
            run([v], speedup=0, duration_s=0.1)
        arrived = v.time_s
        while v.flight.auto.current == 2:
            run([v], speedup=0, duration_s=0.1)
        assert v.time_s - arrived == pytest.approx(20.0, abs=0.3)


def test_fence_ceiling_breach_returns_home():
    with vehicle(FENCE_ENABLE=1, FENCE_TYPE=1, FENCE_ALT_MAX=50) as v:
        run([v], speedup=0, duration_s=1.5)
        assert v.flight.set_mode(CopterMode.GUIDED) is None and v.arm() is None
        assert v.flight.takeoff(80.0) == mav.MAV_RESULT_ACCEPTED
        run([v], speedup=0, duration_s=40)
        assert v.fence.breach_count == 1 and v.fence.breach_type == mav.FENCE_BREACH_MAXALT
        assert v.flight.mode is CopterMode.RTL
        run([v], speedup=0, duration_s=200)
        assert v.landed and not v.armed and not v.crashed


def test_land_mode_descends_slowly_near_the_ground_and_disarms():
    with vehicle() as v:
        run([v], speedup=0, duration_s=1.5)
        assert v.flight.set_mode(CopterMode.GUIDED) is None and v.arm() is None
        v.flight.takeoff(30.0)
        run([v], speedup=0, duration_s=30)
        assert v.flight.set_mode(CopterMode.LAND) is None
        speeds = []
        while not v.landed:
            run([v], speedup=0, duration_s=0.5)
            agl = v.body.alt_amsl_m - v.terrain_amsl(v.body.east_m, v.body.north_m)
            speeds.append((agl, v.body.vd_mps))
        assert max(vd for agl, vd in speeds if agl > 12) == pytest.approx(1.5, abs=0.05)
        assert max(vd for agl, vd in speeds if 0.5 < agl < 8) == pytest.approx(0.5, abs=0.05)
        assert not v.armed and not v.crashed


def test_mission_clear_and_set_current():
    with vehicle() as v:
        fly_auto(v, survey(v))
        run([v], speedup=0, duration_s=20)
        assert v.flight.auto.set_current(5)
        assert v.flight.auto.current == 5
        assert not v.flight.auto.set_current(99)
        v.mission.stores[mav.MAV_MISSION_TYPE_MISSION] = []
        assert v.flight.set_mode(CopterMode.LOITER) is None
        assert v.flight.set_mode(CopterMode.AUTO) == "Mission empty"
