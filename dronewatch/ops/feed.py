"""Frames taken where the drone says its camera fired.

Why camera triggers and not a timer: the autopilot fires the camera every trigger
distance along the survey legs and reports each shot in CAMERA_FEEDBACK with the pose
it was taken from (ArduPilot does; our simulator does the same). Taking frames at those
shots covers the ground exactly as planned whatever the simulator's speed-up or the
link's lag, and gives each frame its own pose instead of a guessed one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dronewatch.geo import Attitude, CameraPose, GimbalAttitude
from dronewatch.link import VehicleState
from dronewatch.link._mavutil import MavMessage
from dronewatch.thermal import Frame, FrameError, read_frame
from dronewatch.thermal.frameio import FRAME_SUFFIXES

__all__ = ["FrameSource", "directory_source", "pose_from_feedback"]

FrameSource = Callable[[CameraPose, float], Frame]
"""Gives the frame a camera at ``pose`` takes at ``time_s`` (a real camera's last frame,
or a simulated camera's rendering)."""


def pose_from_feedback(msg: MavMessage, state: VehicleState) -> CameraPose:
    """The camera pose of a CAMERA_FEEDBACK shot; the gimbal from the latest telemetry."""
    pitch = state.gimbal_pitch_deg if state.gimbal_pitch_deg is not None else -90.0
    yaw = state.gimbal_yaw_deg or 0.0
    return CameraPose(
        msg["lat"] / 1e7, msg["lng"] / 1e7, float(msg["alt_msl"]),
        Attitude(float(msg["roll"]), float(msg["pitch"]), float(msg["yaw"]) % 360.0),
        GimbalAttitude(max(min(pitch, 45.0), -120.0), 0.0, yaw))


def directory_source(folder: Path) -> FrameSource:
    """The newest frame file in a folder (a camera writing its shots there), posed by the
    trigger that announced it when its own sidecar has no pose.

    Raises ``FrameError`` when the folder holds no readable frame, which the flight
    loop counts as a skipped frame.
    """

    def take(pose: CameraPose, time_s: float) -> Frame:
        files = [p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES]
        if not files:
            raise FrameError(folder, "no frame files yet")
        frame = read_frame(max(files, key=lambda p: p.stat().st_mtime_ns), time_unix_s=time_s)
        return frame if frame.pose is not None else frame.with_pose(pose)

    return take
