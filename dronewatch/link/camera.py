"""The vehicle's triggered camera: is it set up and alive, stop it, and reboot to set it up.

Why a test shot: on ArduCopter a camera is set up once, at boot, from CAM1_TYPE. Set at
run time it does nothing until MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN, and until then every
DO_SET_CAM_TRIGG_DIST is accepted and no CAMERA_FEEDBACK ever comes (observed on
ArduCopter 4.7 SITL): a search flown like that takes no frames at all and still
"completes". So the station fires one shot before the flight and wants its
CAMERA_FEEDBACK; the parameter is read only to say how to fix a silent camera.

Why stop the trigger: DO_SET_CAM_TRIGG_DIST stays in force after the mission that set
it (a hold over a person, an RTL), and the next flight would photograph its transit.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from dronewatch.link._mavutil import MavCmd
from dronewatch.link.errors import CommandError, LinkError, ParamError
from dronewatch.link.results import CommandResult

if TYPE_CHECKING:
    from dronewatch.link.vehicle import Vehicle

__all__ = ["CameraCheck", "CameraState", "check_camera", "reboot", "set_up_camera",
           "stop_triggering"]

_SHOOT = 1.0  # DO_DIGICAM_CONTROL param5: take one picture


class CameraState(StrEnum):
    """What a test shot showed."""

    READY = "ready"  # the shot was answered by CAMERA_FEEDBACK
    NOT_CONFIGURED = "not configured"  # CAM1_TYPE 0: the autopilot has no camera
    SILENT = "silent"  # a camera is configured, yet the shot was not answered


@dataclass(frozen=True, slots=True)
class CameraCheck:
    """The result of a pre-flight test shot."""

    state: CameraState
    camera_type: int | None  # CAM1_TYPE as read, None where the autopilot has no such name
    image_index: int | None = None  # img_idx of the answered test shot

    @property
    def ready(self) -> bool:
        return self.state is CameraState.READY

    def problem(self) -> str | None:
        """Why the camera will take no frames, and how to fix it (None when ready)."""
        if self.state is CameraState.READY:
            return None
        if self.state is CameraState.NOT_CONFIGURED:
            return ("the vehicle has no camera configured (CAM1_TYPE 0), so no frames would "
                    "be taken: set CAM1_TYPE=1 and reboot the vehicle")
        set_as = f" (CAM1_TYPE is {self.camera_type})" if self.camera_type is not None else ""
        return ("the camera did not answer a test shot with CAMERA_FEEDBACK" + set_as
                + ": if CAM1_TYPE was set since the vehicle booted, reboot it (ArduPilot sets "
                "its camera up only at boot); else check the camera's cable and power")


def check_camera(vehicle: Vehicle, *, attempts: int = 3, answer_within_s: float = 2.0
                 ) -> CameraCheck:
    """Fire one test shot (MAV_CMD_DO_DIGICAM_CONTROL) and wait for its CAMERA_FEEDBACK.

    ``answer_within_s`` is vehicle seconds per attempt (scaled by the speed-up, at least
    0.3 wall seconds); a shot or its feedback lost on the link costs one attempt.
    """
    try:
        camera_type: int | None = round(vehicle.get_param("CAM1_TYPE"))
    except ParamError:
        camera_type = None  # not ArduPilot (or not answered): the shot decides
    if camera_type == 0:
        return CameraCheck(CameraState.NOT_CONFIGURED, 0)
    wait_s = max(answer_within_s / vehicle.speedup, 0.3)
    with vehicle.subscribe("CAMERA_FEEDBACK") as feedback:
        for _ in range(attempts):
            try:
                vehicle.command(MavCmd.DO_DIGICAM_CONTROL, 0, 0, 0, 0, _SHOOT, 0, 0)
            except CommandError as exc:
                if exc.result is CommandResult.TIMEOUT:
                    continue
                # no DIGICAM_CONTROL here: a trigger-now with the distance trigger off
                vehicle.command(MavCmd.DO_SET_CAM_TRIGG_DIST, 0, 0, 1)
            msg = feedback.get(wait_s)
            if msg is not None:
                return CameraCheck(CameraState.READY, camera_type, int(msg["img_idx"]))
    return CameraCheck(CameraState.SILENT, camera_type)


def stop_triggering(vehicle: Vehicle) -> None:
    """DO_SET_CAM_TRIGG_DIST 0: no more pictures by distance.

    Raises
    ------
    CommandError
        The vehicle refused or never acknowledged it.
    """
    vehicle.command(MavCmd.DO_SET_CAM_TRIGG_DIST, 0, 0, 0)


def reboot(vehicle: Vehicle, *, timeout_s: float = 60.0) -> None:
    """Reboot the autopilot (on the ground) and wait until its clock has started again.

    Telemetry is asked for again: an autopilot forgets message intervals at boot. The
    caller waits for it to be ready to arm (:meth:`Vehicle.wait_ready`).

    Raises
    ------
    CommandError
        Refused (ArduPilot refuses while armed).
    LinkError
        No telemetry of a fresh boot within ``timeout_s`` wall seconds.
    """
    before_s = vehicle.state.time_boot_s
    vehicle.command(MavCmd.PREFLIGHT_REBOOT_SHUTDOWN, 1)
    deadline = time.monotonic() + timeout_s
    while vehicle.state.time_boot_s >= before_s:
        if time.monotonic() > deadline:
            raise LinkError(f"vehicle {vehicle.sysid}: no telemetry from a fresh boot "
                            f"{timeout_s:g} s after the reboot command")
        with contextlib.suppress(LinkError):  # still booting: asked again
            vehicle.request_telemetry()
        time.sleep(0.2)


def set_up_camera(vehicle: Vehicle, *, camera_type: int = 1, ready_within_s: float = 120.0
                  ) -> CameraCheck:
    """Set CAM1_TYPE, reboot so it takes effect, wait until ready, and test the camera.

    Raises
    ------
    ParamError, CommandError, LinkError, NotReadyError
        A step failed; the message says which.
    """
    vehicle.set_param("CAM1_TYPE", camera_type)
    reboot(vehicle, timeout_s=ready_within_s)
    vehicle.wait_ready(ready_within_s)
    return check_camera(vehicle)
