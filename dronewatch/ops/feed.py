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
from typing import Any, Protocol

from dronewatch.geo import Attitude, CameraPose, GimbalAttitude
from dronewatch.link import VehicleState
from dronewatch.thermal import Frame, FrameError, read_frame
from dronewatch.thermal.frameio import FRAME_SUFFIXES

__all__ = ["FrameSource", "directory_source", "pose_from_feedback"]

FrameSource = Callable[[CameraPose, float], Frame]
"""Gives the frame a camera at ``pose`` takes at ``time_s`` (a real camera's last frame,
or a simulated camera's rendering)."""


class FeedbackMessage(Protocol):
    """A received CAMERA_FEEDBACK: its fields by name, in MAVLink's units."""

    def __getitem__(self, name: str) -> Any: ...


def pose_from_feedback(msg: FeedbackMessage, state: VehicleState) -> CameraPose:
    """The camera pose of a CAMERA_FEEDBACK shot; the gimbal from the latest telemetry."""
    pitch = state.gimbal_pitch_deg if state.gimbal_pitch_deg is not None else -90.0
    yaw = state.gimbal_yaw_deg or 0.0
    return CameraPose(
        msg["lat"] / 1e7, msg["lng"] / 1e7, float(msg["alt_msl"]),
        Attitude(float(msg["roll"]), float(msg["pitch"]), float(msg["yaw"]) % 360.0),
        GimbalAttitude(max(min(pitch, 45.0), -120.0), 0.0, yaw))


def directory_source(folder: Path) -> FrameSource:
    """The newest frame file in a folder (a camera writing its shots there).

    The frame keeps its own capture time (the sidecar's, else the file's modification
    time) and its own pose (None when the sidecar has none): whether it is recent
    enough to take the shot's pose is the flight loop's camera check, never this.

    Raises ``FrameError`` when the folder is gone, holds no readable frame, or the
    newest file cannot be read; the flight loop counts that shot as skipped.
    """

    def take(pose: CameraPose, time_s: float) -> Frame:
        try:
            files = [(p.stat().st_mtime_ns, p) for p in folder.iterdir()
                     if p.suffix.lower() in FRAME_SUFFIXES and p.exists()]
        except OSError as exc:
            raise FrameError(folder, f"camera folder unreadable: {exc.strerror or exc}") from exc
        if not files:
            raise FrameError(folder, "no frame files yet")
        mtime_ns, newest = max(files)
        try:
            return read_frame(newest, time_unix_s=mtime_ns / 1e9)
        except OSError as exc:
            raise FrameError(newest, f"unreadable: {exc.strerror or exc}") from exc

    return take
