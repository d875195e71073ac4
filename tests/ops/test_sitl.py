"""The same search against ArduPilot (or PX4) SITL, when one is running.

Start ArduCopter SITL at the south forward post, then point the test at it:

    sim_vehicle.py -v ArduCopter --custom-location=44.6650415,88.6083601,686.2,270 \\
        --out=udp:127.0.0.1:14550 --speedup=10
    DRONEWATCH_TEST_SITL_URL=udp:127.0.0.1:14550 DRONEWATCH_TEST_SITL_SPEEDUP=10 \\
        .venv/bin/pytest tests/ops/test_sitl.py

(PX4: ``make px4_sitl gazebo-classic`` with PX4_HOME_LAT/LON/ALT set to the same
place; it sends on udp:127.0.0.1:14550 too.) Without the variable the test is skipped.
"""

from __future__ import annotations

import os

import pytest

from dronewatch.link import connect
from dronewatch.link.camera import set_up_camera
from dronewatch.ops import FlightOptions, run_search
from dronewatch.store import FindingKind, Store
from tests.ops.rehearsal import rehearsal

URL = os.environ.get("DRONEWATCH_TEST_SITL_URL", "")
SPEEDUP = float(os.environ.get("DRONEWATCH_TEST_SITL_SPEEDUP", "1"))

pytestmark = pytest.mark.skipif(not URL, reason="no SITL: set DRONEWATCH_TEST_SITL_URL")


def test_the_same_search_runs_unchanged_against_sitl(tmp_path):
    with rehearsal(radius_m=150.0) as r, \
            connect(URL, heartbeat_hz=1.0, telemetry_scale=min(1.0, 4 / SPEEDUP),
                    timeout_s=30) as vehicle, Store(tmp_path / "s.sqlite") as store:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 300, "SITL ready")
        if vehicle.state.flavour.value == "ArduPilot":
            vehicle.set_param("BATT_CAPACITY", 24000)  # the station's pack, not SITL's 3300
            # a camera that reports its shots: CAM1_TYPE takes effect only after a reboot
            camera = set_up_camera(vehicle, ready_within_s=300)
            assert camera.ready, camera.problem()
        report = run_search(r.request, vehicle, r.zones, r.terrain, r.camera.render, store,
                            tmp_path / "map.html", plan=r.plan,
                            options=FlightOptions(link_lost_after_s=30))
    assert report.outcome == "completed"
    people = [f for f in report.findings if f.kind is FindingKind.PERSON]
    assert people and min(r.distance_m(f.lat_deg, f.lon_deg) for f in people) <= 3.0


def test_terrain_served_from_the_dem_lets_a_terrain_frame_mission_arm_on_sitl():
    """ArduCopter refuses a terrain-frame mission ("PreArm: waiting for terrain data")
    until its TERRAIN_REQUESTs are answered; here only the station's DEM answers them."""
    from dronewatch.link.terrain import serve_terrain
    from dronewatch.missionitem import Frame
    from dronewatch.ops.launch import prepare, take_off

    with rehearsal(radius_m=150.0) as r, \
            connect(URL, heartbeat_hz=1.0, telemetry_scale=min(1.0, 4 / SPEEDUP),
                    timeout_s=30) as vehicle, \
            serve_terrain(vehicle, r.terrain.elevation_or_nan) as served:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 300, "SITL ready")
        if vehicle.state.flavour.value != "ArduPilot":
            pytest.skip("terrain requests are ArduPilot's")
        prepared = prepare(vehicle, r.plan, r.zones, fence_margin_m=20.0, terrain=served)
        assert prepared.terrain_frames and served.blocks_sent > 0
        back = vehicle.download()
        assert Frame.GLOBAL_TERRAIN_ALT in {item.frame for item in back[2:]}
        take_off(vehicle, prepared)
        vehicle.wait_for(lambda s: s.mission_seq >= 6, 600 / SPEEDUP, "survey legs")
        state = vehicle.state
        vehicle.return_to_launch()
    agl_m = state.alt_amsl_m - r.terrain.elevation_at(state.lat_deg, state.lon_deg)
    assert abs(agl_m - r.plan.sorties[0].points[5].agl_m) < 15


# -- issue 12, part 10: fence enabled, camera after reboot, a 20 %-loss relay ------------

def _ready(vehicle) -> None:
    vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 300, "SITL ready")


def test_the_uploaded_fence_is_switched_on_and_reads_back_on_sitl(tmp_path):
    from dronewatch.link.fence import read_fence
    from dronewatch.missionitem import MissionType
    from dronewatch.planning import fence_items

    with rehearsal(radius_m=150.0) as r, \
            connect(URL, heartbeat_hz=1.0, timeout_s=30) as vehicle:
        _ready(vehicle)
        vehicle.upload(fence_items(r.zones, margin_m=20.0), MissionType.FENCE)
        vehicle.enable_fence(alt_max_m=120.0)
        fence = read_fence(vehicle)  # the vehicle's own parameters, read again
    assert fence.enabled and fence.problems(alt_max_m=120.0) == []


def test_the_camera_answers_a_test_shot_only_after_the_reboot_on_sitl():
    from dronewatch.link.camera import check_camera

    with connect(URL, heartbeat_hz=1.0, timeout_s=30) as vehicle:
        _ready(vehicle)
        if vehicle.state.flavour.value != "ArduPilot":
            pytest.skip("CAM1_TYPE is ArduPilot's")
        camera = set_up_camera(vehicle, ready_within_s=300)  # CAM1_TYPE=1, then reboot
        assert camera.ready, camera.problem()
        assert check_camera(vehicle).ready  # and it stays so: a second test shot answers


def test_a_search_over_a_lossy_relay_completes_against_sitl(tmp_path):
    """20 % of the datagrams lost each way between station and SITL: the search still
    uploads, launches with the fence on, and completes; lost shots are counted."""
    from tests.link.relay import CuttableRelay, random_loss

    host, _, port = URL.removeprefix("udpout:").rpartition(":")
    if not URL.startswith("udpout:") or host not in ("127.0.0.1", "localhost"):
        pytest.skip("the relay needs an endpoint that answers whoever sends to it: "
                    "DRONEWATCH_TEST_SITL_URL=udpout:127.0.0.1:PORT (MAVProxy "
                    "--out=udpin:127.0.0.1:PORT)")
    relay = CuttableRelay(int(port), drop_to_vehicle=random_loss(0.2, 1),
                          drop_to_gcs=random_loss(0.2, 2))
    try:
        with rehearsal(radius_m=150.0) as r, \
                connect(f"udpout:127.0.0.1:{relay.port}", heartbeat_hz=1.0,
                        telemetry_scale=min(1.0, 4 / SPEEDUP), timeout_s=30) as vehicle, \
                Store(tmp_path / "s.sqlite") as store:
            _ready(vehicle)
            report = run_search(r.request, vehicle, r.zones, r.terrain, r.camera.render, store,
                                tmp_path / "map.html", plan=r.plan,
                                options=FlightOptions(link_lost_after_s=30))
            fence = vehicle.fence_settings()
    finally:
        relay.close()
    assert report.outcome == "completed", report.fault
    assert fence.enabled and report.frames > 0
    assert report.frames_failed == sum(n for _, n in report.skipped)
