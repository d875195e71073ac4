"""The vehicle's own failsafes as a pre-flight check, against the simulated ArduCopter."""

from __future__ import annotations

from dronewatch.ops.autopilot import FailsafePolicy, ensure_failsafes
from tests.ops.rehearsal import drone, link, rehearsal


def test_failsafes_are_set_to_the_policy_read_back_and_described(tmp_path):
    with rehearsal() as r, drone(r.plan.home) as sim, link(sim.url) as vehicle:
        vehicle.wait_for(lambda s: s.prearm_ok, 30, "ready")
        before = vehicle.get_params("FS_GCS_ENABLE", "BATT_FS_LOW_ACT", "BATT_LOW_MAH")
        assert before == {"FS_GCS_ENABLE": 0, "BATT_FS_LOW_ACT": 0, "BATT_LOW_MAH": 0}
        described = ensure_failsafes(vehicle)
        after = vehicle.get_params("FS_GCS_ENABLE", "FS_GCS_TIMEOUT", "BATT_FS_LOW_ACT",
                                   "BATT_LOW_MAH", "BATT_FS_CRT_ACT", "BATT_CRT_MAH")
        assert after["FS_GCS_ENABLE"] == 1 and after["BATT_FS_LOW_ACT"] == 2
        assert after["BATT_FS_CRT_ACT"] == 1
        assert after["BATT_LOW_MAH"] == 6000 and after["BATT_CRT_MAH"] == 2400  # of 24000
        # 8 heartbeats a wall second at 40x: one per 5 vehicle seconds; ten per timeout
        assert after["FS_GCS_TIMEOUT"] >= 50
        assert described.link_loss_message() == (
            f"the vehicle will RTL after {after['FS_GCS_TIMEOUT']:g} s without the ground "
            "station (FS_GCS_ENABLE 1)")
        assert described.on_low_battery == "RTL below 6000 mAh left (BATT_FS_LOW_ACT 2)"
        # a station policy of "land" is what the vehicle then says it will do
        landing = ensure_failsafes(vehicle, FailsafePolicy(gcs_action_ap=5))
        assert landing.on_link_loss.startswith("land after")
