"""The camera test shot, set-and-reboot, and stopping the trigger: dronewatch.link over UDP."""

from __future__ import annotations

from dronewatch.link import CameraState, connect
from dronewatch.link.camera import check_camera, reboot, set_up_camera, stop_triggering
from tests.link.test_link import FAST

# A reboot is recognised by the vehicle's clock reading less than before: the vehicle
# must have been up longer than the few wall milliseconds the next telemetry takes.
UP_A_WHILE = ("--param", "CAM1_TYPE=0")


def test_a_fresh_vehicle_without_camera_is_told_to_set_cam1_type_and_reboot(sim_url):
    with connect(sim_url(*UP_A_WHILE, boot_time=20, speedup=20), **FAST) as vehicle:
        vehicle.wait_ready(10)
        check = check_camera(vehicle)
        assert check.state is CameraState.NOT_CONFIGURED
        assert "set CAM1_TYPE=1 and reboot" in (check.problem() or "")
        vehicle.set_param("CAM1_TYPE", 1)  # at run time: not yet in effect
        silent = check_camera(vehicle, attempts=2)
        assert silent.state is CameraState.SILENT and silent.camera_type == 1
        assert "reboot" in (silent.problem() or "")
        booted_s = vehicle.state.time_boot_s
        reboot(vehicle, timeout_s=10)
        assert vehicle.state.time_boot_s < booted_s
        vehicle.wait_ready(10)
        ready = check_camera(vehicle)
        assert ready.ready and ready.problem() is None and ready.image_index is not None


def test_set_up_camera_sets_reboots_and_proves_it(sim_url):
    with connect(sim_url(*UP_A_WHILE, boot_time=20, speedup=20), **FAST) as vehicle:
        vehicle.wait_ready(10)
        assert set_up_camera(vehicle, ready_within_s=10).ready
        assert vehicle.get_param("CAM1_TYPE") == 1
        stop_triggering(vehicle)  # accepted on the ground, as by ArduCopter
