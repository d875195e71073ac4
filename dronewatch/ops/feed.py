"""Frames taken where the drone says its camera fired.

Why camera triggers and not a timer: the autopilot fires the camera every trigger
distance along the survey legs and reports each shot in CAMERA_FEEDBACK with the pose
it was taken from (ArduPilot does; our simulator does the same). Taking frames at those
shots covers the ground exactly as planned whatever the simulator's speed-up or the
link's lag, and gives each frame its own pose instead of a guessed one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

from dronewatch.geo import Attitude, CameraPose, GimbalAttitude
from dronewatch.link import CameraShot, PositionFix, VehicleState
from dronewatch.thermal import Detection, Frame, FrameError, read_frame
from dronewatch.thermal.frameio import FRAME_SUFFIXES

__all__ = ["DetectionTap", "DirectorySource", "FrameArchive", "FrameSource", "directory_source",
           "pose_from_feedback", "pose_from_position"]

FrameSource = Callable[[CameraPose, float], Frame]
"""Gives the frame a camera at ``pose`` takes at ``time_s`` (a real camera's last frame,
or a simulated camera's rendering)."""


@runtime_checkable
class FrameArchive(Protocol):
    """A frame source that keeps what its camera took (a folder, a buffered stream).

    Why: a shot whose CAMERA_FEEDBACK was lost on the link still has its frame in the
    camera's record; a source that can be asked for the frames captured in a time
    window lets the flight loop find it and pose it from telemetry.
    """

    def __call__(self, pose: CameraPose, time_s: float) -> Frame: ...

    def frames_between(self, start_unix_s: float, end_unix_s: float) -> list[Frame]:
        """Every readable frame captured in [start, end], oldest first."""
        ...


@runtime_checkable
class DetectionTap(Protocol):
    """A frame source that is told what was detected in each frame it gave.

    Why: the operator console shows the newest frame with its detection boxes; the
    boxes must be the flight's own detections (the console detects nothing itself, and
    running the detector twice would halve the frames a station PC can look at), so
    the flight hands them to the source it took the frame from.
    """

    def __call__(self, pose: CameraPose, time_s: float) -> Frame: ...

    def saw(self, frame: Frame, detections: Sequence[Detection]) -> None:
        """``frame`` was analysed and these were found in it (possibly nothing)."""
        ...


def pose_from_feedback(shot: CameraShot, state: VehicleState) -> CameraPose:
    """The camera pose of a shot (CAMERA_FEEDBACK); the gimbal from the latest telemetry."""
    pitch = state.gimbal_pitch_deg if state.gimbal_pitch_deg is not None else -90.0
    yaw = state.gimbal_yaw_deg or 0.0
    return CameraPose(
        shot.latitude_deg, shot.longitude_deg, shot.altitude_amsl_m,
        Attitude(shot.roll_deg, shot.pitch_deg, shot.yaw_deg % 360.0),
        GimbalAttitude(max(min(pitch, 45.0), -120.0), 0.0, yaw))


def pose_from_position(fix: PositionFix, state: VehicleState) -> CameraPose:
    """The camera pose at a position fix: its position and heading, roll and pitch and
    the gimbal from the latest telemetry (they change slowly on a survey leg)."""
    pitch = state.gimbal_pitch_deg if state.gimbal_pitch_deg is not None else -90.0
    yaw_deg = fix.heading_deg if fix.heading_deg is not None else state.yaw_deg
    return CameraPose(
        fix.latitude_deg, fix.longitude_deg, fix.altitude_amsl_m,
        Attitude(state.roll_deg, state.pitch_deg, yaw_deg % 360.0),
        GimbalAttitude(max(min(pitch, 45.0), -120.0), 0.0, state.gimbal_yaw_deg or 0.0))


def directory_source(folder: Path) -> DirectorySource:
    """The newest frame file in a folder (a camera writing its shots there).

    The frame keeps its own capture time (the sidecar's, else the file's modification
    time) and its own pose (None when the sidecar has none): whether it is recent
    enough to take the shot's pose is the flight loop's camera check, never this.

    Raises ``FrameError`` when the folder is gone, holds no readable frame, or the
    newest file cannot be read; the flight loop counts that shot as skipped.
    """
    return DirectorySource(Path(folder))


@dataclass
class DirectorySource:
    """A camera folder: the newest frame for a shot, and every frame of a time window
    for a shot whose CAMERA_FEEDBACK was lost (see :class:`FrameArchive`)."""

    folder: Path
    _times: dict[Path, tuple[int, float]] = field(default_factory=dict, repr=False)

    def _files(self) -> list[tuple[int, Path]]:
        try:
            return [(p.stat().st_mtime_ns, p) for p in self.folder.iterdir()
                    if p.suffix.lower() in FRAME_SUFFIXES and p.exists()]
        except OSError as exc:
            raise FrameError(self.folder, "camera folder unreadable: "
                             f"{exc.strerror or exc}") from exc

    def __call__(self, pose: CameraPose, time_s: float) -> Frame:
        files = self._files()
        if not files:
            raise FrameError(self.folder, "no frame files yet")
        mtime_ns, newest = max(files)
        return _read(newest, mtime_ns)

    def frames_between(self, start_unix_s: float, end_unix_s: float) -> list[Frame]:
        """Frames captured in the window; unreadable files are left out (a lost shot
        whose file is bad stays lost, with that reason, in the flight loop).

        A file written before the window opened cannot hold a frame captured in it, so
        only newer files are read, and each file's capture time is read once."""
        try:
            files = self._files()
        except FrameError:
            return []
        out = []
        for mtime_ns, path in files:
            if mtime_ns / 1e9 < start_unix_s:
                continue
            known = self._times.get(path)
            if known is not None and known[0] == mtime_ns and not (
                    start_unix_s <= known[1] <= end_unix_s):
                continue
            try:
                frame = _read(path, mtime_ns)
            except FrameError:
                continue
            self._times[path] = (mtime_ns, frame.time_unix_s)
            if start_unix_s <= frame.time_unix_s <= end_unix_s:
                out.append(frame)
        return sorted(out, key=lambda f: f.time_unix_s)


def _read(path: Path, mtime_ns: int) -> Frame:
    """The frame, captured when its files say, else when it was written: also when its
    time is a wall clock of no stated zone (a JPEG's EXIF time), which live is hours
    off the telemetry's clock in every zone but UTC."""
    try:
        frame = read_frame(path, time_unix_s=mtime_ns / 1e9)
    except OSError as exc:
        raise FrameError(path, f"unreadable: {exc.strerror or exc}") from exc
    if frame.time_zone_known:
        return frame
    return replace(frame, time_unix_s=mtime_ns / 1e9, time_zone_known=True)
